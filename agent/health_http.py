"""/healthz and /metrics on a loopback port, for the host's supervisor or a local Prometheus.

Two read-only GET pages do not justify a web framework: a few lines of asyncio streams
answer HTTP/1.0-style (one request, then close), which every checker and scraper accepts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agent.health import Health

log = logging.getLogger(__name__)

_END_OF_HEADERS = (b"\r\n", b"\n", b"")
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class HealthServer:
    def __init__(self, health: Health, stale_after_intervals: Callable[[], float]) -> None:
        self.health = health
        self._stale_after = stale_after_intervals
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._handle, host, port)
        log.info("health endpoint on http://%s:%d/healthz and /metrics", host, port)

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
            return 200, "text/plain; version=0.0.4", self.health.prometheus_text()
        if path == "/healthz":
            stale = self.health.stale_jobs(self._stale_after())
            if stale:
                return 503, "text/plain", f"stale jobs: {', '.join(stale)}\n"
            return 200, "text/plain", "ok\n"
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
