"""pynetbox, set up for a long-running sync: retries with back-off, timeouts, bulk calls.

Reads are retried below pynetbox (urllib3's Retry on the session) on network errors and
5xx answers. Writes are not: a bulk POST that timed out or got a 5xx may have been written
all the same (NetBox keeps working after the proxy or the client gave up), so resending
it blindly makes duplicates or "already exists" errors. A write whose outcome is unknown
raises `NetBoxUnsure`; the applier reads back what exists and sends only what is missing.
401/403 stop everything at once.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pynetbox
import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import ConnectionPool
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from netagent.inventory.netbox.config import NetBoxConfig, NetBoxTokenError
from netagent.inventory.netbox.kinds import KIND

log = logging.getLogger(__name__)


class NetBoxError(Exception):
    """NetBox could not be used at all (unreachable, misconfigured): exit 3."""


class NetBoxAuthError(NetBoxError):
    """401/403: the token is missing, wrong, or lacks a permission. Nothing more is tried."""


class NetBoxInputError(NetBoxError):
    """The configuration asks NetBox for something it does not have (a role or tag slug
    it refuses, a token file that is missing or empty): exit 1, the operator fixes it."""


class NetBoxUnsure(NetBoxError):
    """A write whose outcome is unknown (timeout, connection lost, 5xx): read back first."""


class NetBoxRequestError(Exception):
    """NetBox refused one request (e.g. 400 with per-field errors)."""

    def __init__(self, status: int, body: Any, what: str) -> None:
        self.status, self.body = status, body
        super().__init__(f"{what}: HTTP {status}: {json.dumps(body, ensure_ascii=False)[:2000]}")


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout
        self.counts: Counter[str] = Counter()
        self.write_seconds: list[float] = []  # wall time of each write request

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        t0 = time.perf_counter()
        resp = super().request(*args, **kwargs)
        write = resp.request.method != "GET"
        self.counts["write" if write else "read"] += 1
        if write:
            self.write_seconds.append(time.perf_counter() - t0)
        return resp


class NetBoxClient:
    """The few calls the sync needs, on pynetbox endpoints, with errors made actionable."""

    def __init__(self, config: NetBoxConfig) -> None:
        if not config.url:
            raise NetBoxInputError("netbox.url is not set")
        try:
            token = config.resolved_token()
        except NetBoxTokenError as e:
            raise NetBoxInputError(str(e)) from None
        if not token:
            raise NetBoxInputError(
                "no NetBox token: set netbox.token_file or NETAGENT_NETBOX__TOKEN"
            )
        self.config = config
        session = _TimeoutSession(config.timeout_s)
        session.verify = config.verify_tls
        retry = _SaidRetry(
            total=config.retries,
            connect=config.retries,
            read=config.retries,
            status=config.retries,
            backoff_factor=config.backoff_s,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD"}),  # writes: see the module docstring
            raise_on_status=False,
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=4)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._session = session
        self.api = pynetbox.api(config.url.rstrip("/"), token=token)
        self.api.http_session = session

    @property
    def counts(self) -> Counter[str]:
        """Requests sent so far, by "read"/"write" (retries below pynetbox not counted)."""
        return self._session.counts

    @property
    def write_seconds(self) -> list[float]:
        """How long each write request took, answer included (≈ NetBox's server time)."""
        return self._session.write_seconds

    def _endpoint(self, kind: str) -> Any:
        k = KIND[kind]
        return getattr(getattr(self.api, k.app), k.name.replace("-", "_"))

    def _call(self, what: str, fn: Any, *args: Any, write: bool = False) -> Any:
        try:
            return fn(*args)
        except pynetbox.RequestError as e:
            status = e.req.status_code
            try:
                body = e.req.json()
            except ValueError:
                body = e.req.text[:500]
            if status in (401, 403):
                detail = body.get("detail", body) if isinstance(body, dict) else body
                raise NetBoxAuthError(
                    f"NetBox refused the token (HTTP {status}: {detail}); "
                    "check the token (netbox.token_file or NETAGENT_NETBOX__TOKEN) "
                    "and its permissions"
                ) from None
            if status >= 500:
                if write:
                    raise NetBoxUnsure(f"{what}: HTTP {status}") from None
                raise NetBoxError(
                    f"{what}: NetBox answered HTTP {status} after {self.config.retries} retries; "
                    "stopped (finished batches stay written, a rerun continues)"
                ) from None
            raise NetBoxRequestError(status, body, what) from None
        except requests.RequestException as e:
            if write:
                raise NetBoxUnsure(f"{what}: {type(e).__name__}") from None
            raise NetBoxError(
                f"{what}: NetBox at {_shown(self.config.url)} unreachable: {_why(e)}"
            ) from None

    def read(self, kind: str, **filters: Any) -> list[dict[str, Any]]:
        """Every object matching the filters, in pages of `page_limit`."""
        ep = self._endpoint(kind)
        limit = self.config.page_limit

        def fetch() -> list[dict[str, Any]]:
            rs = ep.filter(limit=limit, **filters) if filters else ep.all(limit=limit)
            return [dict(r) for r in rs]

        return list(self._call(f"GET {kind}", fetch))

    def create(self, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = self._call(f"POST {kind}", self._endpoint(kind).create, items, write=True)
        return [dict(r) for r in out]

    def update(self, kind: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = self._call(f"PATCH {kind}", self._endpoint(kind).update, items, write=True)
        return [dict(r) for r in out]

    def delete(self, kind: str, ids: list[int]) -> None:
        self._call(f"DELETE {kind}", self._endpoint(kind).delete, ids, write=True)


class _SaidRetry(Retry):
    """urllib3's Retry, saying each retry in the log (info: the daemon's journal, a
    command's -v): with the default back-off an unreachable NetBox is 15 s of silence
    before the command's one error line."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> _SaidRetry:
        new = super().increment(method, url, response, error, _pool, _stacktrace)
        why = _why(error) if error is not None else f"HTTP {response.status if response else '?'}"
        after = new.get_retry_after(response) if response is not None else None
        wait = new.get_backoff_time() if after is None else after
        n = len(new.history)
        total = n + new.total if isinstance(new.total, int) else n
        log.info(
            "NetBox %s %s: %s; retry %d of %d in %.1f s",
            method,
            urlsplit(url or "").path,  # the path only: a query may hold filter values
            why,
            n,
            total,
            wait,
        )
        return new


def _why(e: Exception) -> str:
    """The system's reason under requests' or urllib3's wrapping ("ConnectionError:
    [Errno 111] Connection refused"), not the pool's whole message, which repeats the
    request."""
    errno = re.search(r"\[Errno -?\d+\] [^'\")]+", str(e))
    return f"{type(e).__name__}: {errno[0]}" if errno else type(e).__name__


def _shown(url: str) -> str:
    """The URL without its userinfo: a password in it must never reach a message."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
