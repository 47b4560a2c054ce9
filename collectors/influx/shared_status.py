"""The latest device state every agent wrote to the shared InfluxDB, for root cause
across shards.

An agent owns only its shard's devices; when one of them falls silent, whether its uplink
(polled by another shard) is down is a fact that shard has already written as
`device_status`. Reading it back through InfluxQL's `/query` (answered by 1.x, by 2.x
through its DBRP mapping, and by 3.x) needs no new protocol between agents. A state older
than `max_age_s` is not used: the other shard may be gone, and a stale "down" would hide
a real fault here.

A state alone is late by a round: the owning shard counts `down_after` failed rounds like
this one does, so in the round its uplink becomes "down" here the APs would too, before
that "down" reaches the store. The uplink's latest ICMP result closes that gap: a device
whose last probe failed while its state still says it is fine is reported `FAILING`, and
the engine holds the devices behind it as it would behind an uplink of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, TypeVar

import httpx

from netagent.collectors.influx.config import InfluxConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

# Not a device state: "its last probe failed, its shard has not called it down yet".
FAILING = "failing"
_FINE = {"up", "degraded", "unknown"}


class SharedStatus:
    def __init__(self, config: InfluxConfig, max_age_s: float) -> None:
        if config.url is None:
            raise ValueError("shared status needs [influxdb] url")
        self.config = config
        self.max_age_s = max_age_s

    def _client(self) -> httpx.AsyncClient:
        """A client per query: at most one query a round, only when a device of this shard
        is silent behind another shard's uplink, so nothing is kept open (or bound to an
        event loop) between rounds."""
        auth, headers = self.config.query_auth()
        return httpx.AsyncClient(
            base_url=str(self.config.url), auth=auth, headers=headers, timeout=self.config.timeout_s
        )

    async def states(self, devices: Collection[str]) -> dict[str, str]:
        """device -> its latest state within max_age_s; {} when the store cannot answer
        (logged), so root cause falls back to what this agent sees itself."""
        return (await self.fetch(devices) or {}) if devices else {}

    async def fetch(self, devices: Collection[str] | None) -> dict[str, str] | None:
        """As `states`, for `devices` or (None) every device any agent wrote; None when
        the store cannot answer, so a caller can keep what it last confirmed."""
        if devices is not None and not devices:
            return {}
        db, rp = self.config.query_database()
        prefix = f'"{rp}".' if rp else ""
        window = f"time > now() - {int(self.max_age_s * 1000)}ms"
        if devices is not None:
            window += (
                " AND (" + " OR ".join(f"\"device\" = '{_quote(d)}'" for d in sorted(devices)) + ")"
            )
        q = (
            f'SELECT last("state") FROM {prefix}"device_status" WHERE {window} GROUP BY "device";'
            f'SELECT last("up") FROM {prefix}"icmp" WHERE {window} GROUP BY "device"'
        )
        try:
            async with self._client() as client:
                resp = await client.get("/query", params={"db": db, "q": q})
            resp.raise_for_status()
            body = resp.json()
        except (httpx.HTTPError, ValueError) as e:
            log.warning(
                "cannot read other shards' device states from InfluxDB: %s",
                type(e).__name__
                if not isinstance(e, httpx.HTTPStatusError)
                else f"HTTP {e.response.status_code}",
            )
            return None
        results = body.get("results", [])
        state = _last_per_device(results[:1], str)
        probe_up = _last_per_device(results[1:2], bool)
        for device, up in probe_up.items():
            if up is False and state.get(device, "unknown") in _FINE:
                state[device] = FAILING
        return state


def _last_per_device(results: list[dict[str, Any]], kind: type[T]) -> dict[str, T]:
    out: dict[str, T] = {}
    for result in results:
        for series in result.get("series", []) or []:
            device = series.get("tags", {}).get("device")
            values = series.get("values") or []
            if device and values and isinstance(values[-1][1], kind):
                out[device] = values[-1][1]
    return out


def _quote(name: str) -> str:
    """A device name inside an InfluxQL string literal."""
    return name.replace("\\", "\\\\").replace("'", "\\'")
