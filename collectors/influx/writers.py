"""Writers: one request of line protocol to InfluxDB, answered by a WriteResult.

A writer never raises for what the server or the network does; it reports the status so
the flusher decides (retry, back off, dead-letter, stop). Two targets behind one Protocol:
the v2 write API through influxdb-client (InfluxDB 2.x, 3.x, 1.8+), and the v1 `/write`
endpoint for older 1.x servers, which have no v2 API; a plugin may add others
(netagent.collectors.influx.writer_types).
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from netagent.collectors.influx.config import InfluxConfig
from netagent.collectors.influx.writer_types import WRITERS

log = logging.getLogger(__name__)

NO_ANSWER = 0  # WriteResult.status when no HTTP answer came (refused, timeout, reset)


@dataclass(frozen=True)
class WriteResult:
    status: int  # HTTP status, or NO_ANSWER
    reason: str = ""  # the server's error message (or the transport error)
    retry_after_s: float | None = None  # from a Retry-After header (429, 503)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Writer(Protocol):
    """Sends one batch of newline-separated lines; `precision` is the timestamps' unit."""

    precision: str

    async def write(self, lines: bytes) -> WriteResult: ...

    async def close(self) -> None: ...


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_text(body: bytes | str | None, header: str | None = None) -> str:
    """The message of an InfluxDB error body (v1 {"error"}, v2 {"code","message"})."""
    if header:
        return header
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    try:
        doc = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(doc, dict):
        return str(doc.get("message") or doc.get("error") or text).strip()
    return text.strip()


_V1_PRECISION = {"ns": "n", "us": "u", "ms": "ms", "s": "s"}


class V1Writer:
    """InfluxDB 1.x `/write` over one keep-alive httpx connection pool."""

    def __init__(self, config: InfluxConfig) -> None:
        assert config.url is not None
        self.precision: str = config.precision
        self._config = config
        self._params = {"db": config.database, "precision": _V1_PRECISION[config.precision]}
        if config.retention_policy:
            self._params["rp"] = config.retention_policy
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> httpx.AsyncClient:
        # An AsyncClient belongs to one event loop; a caller that runs each flush in its
        # own loop (asyncio.run per job) gets a fresh pool.
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._loop = loop
            c = self._config
            auth = None
            if c.username:
                auth = httpx.BasicAuth(
                    c.username, c.password.get_secret_value() if c.password else ""
                )
            self._client = httpx.AsyncClient(
                base_url=str(c.url),
                timeout=c.timeout_s,
                auth=auth,
                limits=httpx.Limits(max_keepalive_connections=2, keepalive_expiry=60),
            )
        return self._client

    async def write(self, lines: bytes) -> WriteResult:
        headers = {"Content-Type": "text/plain; charset=utf-8"}
        body = lines
        if self._config.gzip:
            body = gzip.compress(lines, compresslevel=1, mtime=0)
            headers["Content-Encoding"] = "gzip"
        result = await self._post(body, headers)
        missing = result.status == 404 and "database not found" in result.reason
        if missing and self._config.create_database:
            created = await self._create_database()
            if created is None:
                return await self._post(body, headers)
            return WriteResult(404, f"{result.reason}; creating it failed: {created}")
        return result

    async def _post(self, body: bytes, headers: dict[str, str]) -> WriteResult:
        try:
            r = await self._http().post(
                "/write", params=self._params, content=body, headers=headers
            )
        except httpx.HTTPError as e:
            return WriteResult(NO_ANSWER, f"{type(e).__name__}: {e}")
        if 200 <= r.status_code < 300:
            return WriteResult(r.status_code)
        return WriteResult(
            r.status_code,
            error_text(r.content, r.headers.get("X-Influxdb-Error")),
            parse_retry_after(r.headers.get("Retry-After")),
        )

    async def _create_database(self) -> str | None:
        """CREATE DATABASE (idempotent in 1.x); None when done, else why it failed."""
        db = self._config.database.replace("\\", "\\\\").replace('"', '\\"')
        try:
            r = await self._http().post("/query", data={"q": f'CREATE DATABASE "{db}"'})
        except httpx.HTTPError as e:
            return f"{type(e).__name__}: {e}"
        if r.status_code != 200:
            return f"{r.status_code}: {error_text(r.content)}"
        # /query answers 200 even for a refused statement; the error is in the body.
        try:
            results = r.json().get("results", [])
        except (ValueError, AttributeError):
            return f"unexpected answer to CREATE DATABASE: {r.text[:200]!r}"
        if problem := next((res["error"] for res in results if "error" in res), None):
            return str(problem)
        log.warning("InfluxDB database %r did not exist: created it", self._config.database)
        return None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


class V2Writer:
    """The v2 write API through influxdb-client's synchronous WriteApi, run off the loop.

    influxdb-client's own retries stay off (its batching mode drops a batch once they run
    out); every failure comes back to the flusher, which keeps the lines in the spool.
    """

    def __init__(self, config: InfluxConfig) -> None:
        # Imported here: influxdb-client is 0.15 s of every command's start, and only this
        # writer needs it.
        from influxdb_client.client.influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS
        from influxdb_client.domain.write_precision import WritePrecision
        from influxdb_client.rest import ApiException

        self._api_error = ApiException
        self.precision: str = config.precision
        self._config = config
        self._client = InfluxDBClient(
            url=str(config.url),
            token=config.token.get_secret_value() if config.token else "",
            org=config.org,
            timeout=int(config.timeout_s * 1000),
            enable_gzip=config.gzip,
        )
        self._api = self._client.write_api(write_options=SYNCHRONOUS)
        self._precision: Any = {
            "ns": WritePrecision.NS,
            "us": WritePrecision.US,
            "ms": WritePrecision.MS,
            "s": WritePrecision.S,
        }[config.precision]

    def _write(self, lines: bytes) -> WriteResult:
        try:
            self._api.write(
                bucket=self._config.bucket,
                org=self._config.org,
                record=lines,
                write_precision=self._precision,
            )
        except self._api_error as e:
            headers: Any = e.headers or {}
            return WriteResult(
                int(e.status or NO_ANSWER),
                error_text(e.body, headers.get("X-Influxdb-Error")),
                parse_retry_after(headers.get("Retry-After")),
            )
        except Exception as e:  # urllib3 transport errors: refused, reset, timeout
            return WriteResult(NO_ANSWER, f"{type(e).__name__}: {e}")
        return WriteResult(204)

    async def write(self, lines: bytes) -> WriteResult:
        return await asyncio.to_thread(self._write, lines)

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)


def make_writer(config: InfluxConfig) -> Writer | None:
    """The writer `api` names (netagent.collectors.influx.writer_types); None in the embedded mode
    (no InfluxDB url)."""
    if config.url is None:
        return None
    return WRITERS.get(config.api)(config)
