"""The latest known state of every device, read back from the local store.

The alert engine's `device_status` samples are the richer truth (down, unreachable,
degraded, maintenance…); before it has run, the latest `icmp` sample says up or down.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.spool import Spool
from inventory.model import Inventory

UNKNOWN = "unknown"


@dataclass(frozen=True)
class DeviceState:
    device: str
    role: str
    quartiere: str
    state: str  # up | down | degraded | unreachable | maintenance | unknown
    time_ns: int | None = None
    rtt_avg_ms: float | None = None
    loss_pct: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items()}


def latest_states(spool: Spool, inv: Inventory) -> dict[str, DeviceState]:
    icmp = {s.tags.get("device"): s for s in spool.latest("icmp")}
    status = {s.tags.get("device"): s for s in spool.latest("device_status")}
    out: dict[str, DeviceState] = {}
    for d in inv.devices:
        q = inv.quartiere_tag(d)
        ping, st = icmp.get(d.name), status.get(d.name)
        if st is not None and (ping is None or st.time_ns >= ping.time_ns):
            state, t = str(st.fields.get("state", UNKNOWN)), st.time_ns
        elif ping is not None:
            state, t = ("up" if ping.fields.get("up") else "down"), ping.time_ns
        else:
            state, t = UNKNOWN, None
        rtt = ping.fields.get("rtt_avg_ms") if ping else None
        loss = ping.fields.get("loss_pct") if ping else None
        out[d.name] = DeviceState(
            d.name,
            d.role.value,
            q,
            state,
            t,
            float(rtt) if isinstance(rtt, int | float) else None,
            float(loss) if isinstance(loss, int | float) else None,
        )
    return out
