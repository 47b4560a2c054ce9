"""The latest known state of a device, and the one rule that says which source wins.

Two places hold it: the daemon's `netagent.agent.coordinator.DeviceCoordinator`, in memory, fed
by the jobs as they run; and `latest_states`, read back from the local store by the
commands that run in a process of their own (`status`, `run --once`, `coverage --live`).
Both decide `state` alike (`resolve`): the alert engine's `device_status` (down,
unreachable, degraded, maintenance…) is the richer truth when it is at least as new as
the last ICMP answer; before the engine has said anything, that answer says up or down.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool
from netagent.inventory.model import Inventory

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class DeviceState:
    device: str
    role: str
    quartiere: str
    state: str  # up | down | degraded | unreachable | maintenance | unknown
    time_ns: int | None = None
    rtt_avg_ms: float | None = None
    loss_pct: float | None = None
    icmp_up: bool | None = None  # the last ICMP round's answer (None: not probed yet)
    snmp_ok: bool | None = None  # the last SNMP poll's (None: not polled yet)

    def verdict(self) -> tuple[str, bool | None, bool | None]:
        """What a change is made of: RTT, loss and the time move every round and, alone,
        call for nothing (see netagent.agent.coordinator)."""
        return self.state, self.icmp_up, self.snmp_ok

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def resolve(
    status: str | None, status_ns: int | None, icmp_up: bool | None, icmp_ns: int | None
) -> tuple[str, int | None]:
    """(state, its time): the alert engine's status unless the last ICMP answer is newer."""
    if status is not None and (icmp_ns is None or (status_ns or 0) >= icmp_ns):
        return status, status_ns
    if icmp_up is not None:
        return ("up" if icmp_up else "down"), icmp_ns
    return UNKNOWN, None


def _number(sample: Sample | None, key: str) -> float | None:
    v = sample.fields.get(key) if sample else None
    return float(v) if isinstance(v, int | float) else None


def latest_states(spool: Spool, inv: Inventory) -> dict[str, DeviceState]:
    icmp = {s.tags.get("device"): s for s in spool.latest("icmp")}
    status = {s.tags.get("device"): s for s in spool.latest("device_status")}
    out: dict[str, DeviceState] = {}
    for d in inv.devices:
        ping, st = icmp.get(d.name), status.get(d.name)
        up = bool(ping.fields.get("up")) if ping is not None else None
        state, t = resolve(
            str(st.fields.get("state", UNKNOWN)) if st is not None else None,
            st.time_ns if st is not None else None,
            up,
            ping.time_ns if ping is not None else None,
        )
        out[d.name] = DeviceState(
            d.name,
            d.role.value,
            inv.quartiere_tag(d),
            state,
            t,
            _number(ping, "rtt_avg_ms"),
            _number(ping, "loss_pct"),
            icmp_up=up,
        )
    return out
