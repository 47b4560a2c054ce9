"""/healthz and /metrics on a loopback port, for the host's supervisor or a local Prometheus.

Two read-only GET pages do not justify a web framework: a few lines of asyncio streams
answer HTTP/1.0-style (one request, then close), which every checker and scraper accepts.
/healthz answers 200 or 503 with the same JSON shape: {"healthy": bool, "reasons": [...],
"devices": {state: count}} (this agent's devices per state; they do not decide the code).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
from collections.abc import Callable

from netagent.agent.health import Health, HealthLimits
from netagent.agent.metrics import metrics_text

log = logging.getLogger(__name__)

_END_OF_HEADERS = (b"\r\n", b"\n", b"")
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class ListenError(RuntimeError):
    """The port cannot be bound; the message names the `health.listen` key."""


class HealthServer:
    def __init__(self, health: Health, limits: Callable[[], HealthLimits]) -> None:
        self.health = health
        self._limits = limits
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        """Bind now (raises ListenError): the daemon binds before it starts any job."""
        where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        try:
            self._server = await asyncio.start_server(self._handle, host, port)
        except OSError as e:
            why = "is in use" if e.errno == errno.EADDRINUSE else f"cannot be bound: {e.strerror}"
            raise ListenError(f"health.listen: {where} {why}") from None
        log.info("health endpoint on http://%s/healthz and /metrics", where)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _page(self, method: str, path: str) -> tuple[int, str, str]:
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", "only GET\n"
        path = path.split("?", 1)[0]
        if path == "/metrics":
            return (
                200,
                "text/plain; version=0.0.4",
                metrics_text(self.health, self._limits).decode(),
            )
        if path == "/healthz":
            reasons = self.health.reasons(self._limits())
            devices = dict(sorted(self.health.device_counts().items()))
            doc = {"healthy": not reasons, "reasons": reasons, "devices": devices}
            body = json.dumps(doc, ensure_ascii=False)
            return (503 if reasons else 200), "application/json", body + "\n"
        return 404, "text/plain", "try /healthz or /metrics\n"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            while await asyncio.wait_for(reader.readline(), timeout=5) not in _END_OF_HEADERS:
                pass
            parts = request.decode("latin-1").split()
            method, path = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
            status, ctype, body = self._page(method, path)
            data = body.encode()
            head = (
                f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
            ).encode()
            writer.write(head if method == "HEAD" else head + data)
            await writer.drain()
        except (TimeoutError, ConnectionError, UnicodeError):
            pass
        finally:
            writer.close()
