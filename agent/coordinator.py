"""One owner for the latest state of every device, telling listeners what changed.

Home Assistant's DataUpdateCoordinator is the model: the jobs that learn something
publish it here, and whoever acts on device state listens here instead of sharing dicts
with the jobs or reading the spool back. Writers: the ICMP job (each round's answers and,
in the same update, the alert engine's states after it), the SNMP job (answered or not)
and, with shards, other shards' states as they wrote them to the shared InfluxDB.
Readers: the SNMP job (it asks only devices that ping), the alert round (the last SNMP
verdict, other shards' uplinks), live coverage (netagent.agent.live_coverage, a listener) and
/healthz (it counts this agent's devices per state when asked).

A listener is called once per update with the devices whose verdict (state, ICMP up,
SNMP ok) changed, and not at all when none did: RTT, loss and times move every round,
and a listener woken by them would have nothing to do. Listeners run on the event loop
and must be quick; one with heavy work (coverage) schedules it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Protocol

from netagent.agent.device_state import UNKNOWN, DeviceState, resolve
from netagent.collectors.icmp import IcmpResult
from netagent.inventory.model import Inventory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    """One device's state before and after an update; None: not in the inventory."""

    before: DeviceState | None
    after: DeviceState | None


class Listener(Protocol):
    def __call__(self, changes: Mapping[str, Change], /) -> None: ...


class SharedStates(Protocol):
    """Where other shards' states are read
    (netagent.collectors.influx.shared_status.SharedStatus)."""

    max_age_s: float

    async def fetch(self, devices: Collection[str] | None) -> dict[str, str] | None: ...


class DeviceCoordinator:
    """The latest state of every device of the inventory: this agent's own (`own`, the
    devices it polls) from its jobs, the others' (with shards) from the shared store."""

    def __init__(
        self,
        inventory: Inventory,
        own: Collection[str],
        shared: SharedStates | None = None,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self._clock = clock
        self._states: dict[str, DeviceState] = {}
        self._status: dict[str, tuple[str, int]] = {}  # the alert engine's state, its time
        self._icmp_ns: dict[str, int] = {}  # when the last ICMP answer came
        self._listeners: list[Listener] = []
        # Set by the first ICMP update: the first SNMP and coverage runs wait for it.
        self.icmp_seen = asyncio.Event()
        # Someone needs every other shard's device (live coverage), not only the uplinks
        # of this round's silent devices: each alert round then reads them all.
        self.follow_remote = False
        self.set_inventory(inventory, own, shared)

    # --- reading -----------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def states(self) -> Mapping[str, DeviceState]:
        return MappingProxyType(self._states)

    def pings(self, device: str, default: bool) -> bool:
        """Whether the device answered its last ICMP round (`default` before any)."""
        s = self._states.get(device)
        return default if s is None or s.icmp_up is None else s.icmp_up

    def snmp_ok(self, device: str) -> bool | None:
        s = self._states.get(device)
        return None if s is None else s.snmp_ok

    def counts(self) -> dict[str, int]:
        """How many of this agent's own devices are in each state."""
        return dict(Counter(self._states[n].state for n in self.own if n in self._states))

    # --- writing -----------------------------------------------------------------
    def set_inventory(
        self, inventory: Inventory, own: Collection[str], shared: SharedStates | None
    ) -> None:
        """Adopt an inventory (start, SIGHUP, NetBox pull): kept devices keep their state,
        new ones start unknown, gone ones are dropped; listeners hear of both."""
        self.inventory, self.own, self.shared = inventory, frozenset(own), shared
        before, self._states = self._states, {}
        for d in inventory.devices:
            role, quartiere = d.role.value, inventory.quartiere_tag(d)
            old = before.get(d.name)
            self._states[d.name] = (
                replace(old, role=role, quartiere=quartiere)
                if old is not None
                else DeviceState(d.name, role, quartiere, UNKNOWN)
            )
        for name in before.keys() - self._states.keys():
            self._status.pop(name, None)
            self._icmp_ns.pop(name, None)
        changes = {n: Change(s, None) for n, s in before.items() if n not in self._states}
        changes.update((n, Change(None, s)) for n, s in self._states.items() if n not in before)
        self._notify(changes)

    def publish_icmp(
        self, results: Iterable[IcmpResult], at_ns: int, shown: Mapping[str, str]
    ) -> None:
        """One ICMP round's answers and the states the alert engine showed after it
        (`shown`, device -> state), as one update stamped with the round's time."""
        for name, state in shown.items():
            self._status[name] = (state, at_ns)
        new: dict[str, DeviceState] = {}
        for r in results:
            if (old := self._states.get(r.target.name)) is not None:
                self._icmp_ns[old.device] = at_ns
                if not r.up:  # its last SNMP verdict is not about the device that returns
                    old = replace(old, snmp_ok=None)
                new[old.device] = self._derived(old, r.up, r.rtt_avg_ms, r.loss_pct)
        for name in shown:  # shown but not probed: cut off or in maintenance now
            if name not in new and (old := self._states.get(name)) is not None:
                new[name] = self._derived(old, old.icmp_up, old.rtt_avg_ms, old.loss_pct)
        self._publish(new.values())
        self.icmp_seen.set()

    def publish_snmp(self, verdicts: Iterable[tuple[str, bool]]) -> None:
        """One SNMP run: device -> whether it answered."""
        self._publish(
            replace(self._states[name], snmp_ok=ok) for name, ok in verdicts if name in self._states
        )

    async def fetch_remote(self, uplinks: Collection[str] = ()) -> dict[str, str]:
        """Other shards' states, read from the shared InfluxDB and published here: the
        `uplinks` an alert round needs, or every device of other shards while
        `follow_remote`. Returns what the store answered this time (device -> state,
        fresh ones only), {} when it did not: root cause then goes by what this agent
        sees, while what the store confirmed before stays for `max_age_s` of its own."""
        shared = self.shared
        if shared is None or not (uplinks or self.follow_remote):
            return {}
        everything = self.follow_remote
        source = self._states if everything else uplinks
        asked = [n for n in source if n in self._states and n not in self.own]
        if not asked:
            return {}
        answer = await shared.fetch(None if everything else asked)
        now = self._clock()
        renewed = asked
        if answer is None:  # only what the store confirmed too long ago turns unknown
            stale = now - int(shared.max_age_s * 1e9)
            renewed = [n for n in asked if self._status.get(n, (UNKNOWN, 0))[1] < stale]
            answer = {}
        for n in renewed:
            self._status[n] = (answer.get(n, UNKNOWN), now)
        self._publish(
            self._derived(s, s.icmp_up, s.rtt_avg_ms, s.loss_pct)
            for s in (self._states[n] for n in renewed)
        )
        return {n: answer[n] for n in asked if n in answer}

    # --- inside ------------------------------------------------------------------
    def _derived(
        self, s: DeviceState, icmp_up: bool | None, rtt: float | None, loss: float | None
    ) -> DeviceState:
        """`s` with these ICMP figures and the state they and the alert engine's make.
        Built field by field: at 15,000 devices a round, dataclasses.replace cost ~5x."""
        status, status_ns = self._status.get(s.device, (None, None))
        state, t = resolve(status, status_ns, icmp_up, self._icmp_ns.get(s.device))
        return DeviceState(s.device, s.role, s.quartiere, state, t, rtt, loss, icmp_up, s.snmp_ok)

    def _publish(self, new: Iterable[DeviceState]) -> None:
        changes: dict[str, Change] = {}
        for s in new:
            old = self._states[s.device]
            self._states[s.device] = s
            if old.verdict() != s.verdict():
                changes[s.device] = Change(old, s)
        self._notify(changes)

    def _notify(self, changes: dict[str, Change]) -> None:
        if not changes:
            return
        view = MappingProxyType(changes)
        for listener in self._listeners:
            try:
                listener(view)
            except Exception as e:  # one listener's fault must not cost the others
                log.error(
                    "device state listener %s failed: %s: %s",
                    getattr(listener, "__qualname__", listener),
                    type(e).__name__,
                    e,
                )
