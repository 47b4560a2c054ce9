"""The alert engine: per-round observations in, incidents, notifications and samples out.

A round walks the uplink tree top-down. A device that does not answer while an uplink
is down is UNREACHABLE and its tracker is not stepped; the uplink's incident names it as
cut off, so on-call gets one alert for a branch. A device whose uplink fails in the same
round is held at the brink of DOWN until the uplink's fate is known, so simultaneous
failures are not mis-attributed. Everything a round changes commits in one transaction.

With shards, an engine owns only its shard's devices (`own`): it steps, shows and alerts
on those alone. An uplink polled by another shard is not guessed at: its latest state as
that shard wrote it to the shared store comes in with the round (`remote`), so an AP whose
switch is down in shard 0 is UNREACHABLE in shard 1, and only shard 0 alerts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from netagent.agent.alerts.config import AlertsConfig
from netagent.agent.alerts.maintenance import maintenance_reason
from netagent.agent.alerts.store import AlertStore, DeviceRow, Incident
from netagent.agent.alerts.topology import Topology
from netagent.agent.alerts.tracker import Health, State, Step, Tracker
from netagent.agent.notify.config import Severity
from netagent.agent.notify.event import Affected, AlertEvent
from netagent.agent.notify.router import DeliveryReport, Notifier
from netagent.collectors.influx.shared_status import FAILING
from netagent.collectors.samples import Sample
from netagent.inventory.model import Inventory

log = logging.getLogger(__name__)

SEVERITY = {"down": Severity.CRITICAL, "degraded": Severity.WARNING, "flapping": Severity.WARNING}
_CUTTING = {State.DOWN, State.UNREACHABLE}


@dataclass(frozen=True)
class Observation:
    """One round's probe results for a device; None = not probed this round.

    ICMP rounds drive the state machine. The ICMP and SNMP jobs may report separately:
    an SNMP-only observation (icmp_up None) is remembered, and an ICMP round without an
    SNMP verdict uses the last one, so "pings but SNMP silent" is still seen.
    """

    device: str
    icmp_up: bool | None
    snmp_ok: bool | None = None

    def health(self, last_snmp_ok: bool | None) -> Health | None:
        if self.icmp_up is None:
            return None
        if not self.icmp_up:
            return Health.FAIL
        snmp = self.snmp_ok if self.snmp_ok is not None else last_snmp_ok
        return Health.DEGRADED if snmp is False else Health.OK


def _remote_state(value: str | None) -> State:  # FAILING is not a State: shown as up
    """Another shard's shown state; unknown or absent (stale): not cutting anything off."""
    try:
        return State(value) if value is not None else State.UP
    except ValueError:
        return State.UP


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


class AlertEngine:
    def __init__(
        self,
        inv: Inventory,
        config: AlertsConfig,
        store: AlertStore,
        notifier: Notifier,
        own: Collection[str] | None = None,
    ) -> None:
        self.config = config
        # This shard's devices; None: every device of the inventory.
        self.own = None if own is None else frozenset(own)
        self.store = store
        self.notifier = notifier
        self.trackers: dict[str, Tracker] = {}
        self.shown: dict[str, tuple[State, float]] = {}
        # What state.sqlite holds per device, so a round writes only the changes.
        self._saved: dict[str, tuple[object, ...]] = {}
        self._snmp_ok: dict[str, bool] = {}  # last SNMP verdict per device
        self._detoured: set[str] = set()  # this round's silent devices reached via a ring
        for row in store.devices():
            self.trackers[row.device] = row.tracker
            self.shown[row.device] = (row.shown, row.since)
            self._saved[row.device] = row.key()
        self.inv = inv
        self.topo = Topology(inv)
        self._adopt(inv, now=time.time())
        self._pruned = 0.0

    def set_inventory(
        self, inv: Inventory, now: float | None = None, own: Collection[str] | None = None
    ) -> None:
        """Swap the inventory (SIGHUP): trackers and incidents of kept devices carry on."""
        topo = Topology(inv)  # built first: a bad inventory changes nothing
        self.inv, self.topo = inv, topo
        self.own = None if own is None else frozenset(own)
        self._adopt(inv, time.time() if now is None else now)

    def _adopt(self, inv: Inventory, now: float) -> None:
        """Devices gone from the inventory: their open incidents resolve, state is dropped."""
        gone = [n for n in self.trackers if n not in inv.device_by_name]
        with self.store.transaction():
            for inc in self.store.open_incidents():
                if inc.device not in inv.device_by_name:
                    self._resolve(inc, now, f"{inc.device} removed from the inventory")
            self.store.forget_devices(gone)
        for n in gone:
            self.trackers.pop(n, None)
            self.shown.pop(n, None)
            self._saved.pop(n, None)
        for d in inv.devices:
            self.trackers.setdefault(d.name, Tracker(d.name))

    def _owns(self, name: str) -> bool:
        return self.own is None or name in self.own

    def foreign_uplinks(self, observations: Iterable[Observation]) -> set[str]:
        """The uplinks, polled by other shards, of this round's silent devices: the ones
        whose state the round needs from the shared store (none without shards)."""
        if self.own is None:
            return set()
        return {
            a
            for o in observations
            if o.icmp_up is False
            for a in self.topo.ancestors(o.device)
            if a not in self.own
        }

    async def observe_and_notify(
        self,
        observations: Sequence[Observation],
        now: float,
        remote: Mapping[str, str] | None = None,
    ) -> tuple[list[Sample], DeliveryReport]:
        """observe(), then deliver at once: the path that keeps alert latency low."""
        samples = self.observe(observations, now, remote)
        return samples, await self.notifier.deliver_pending()

    def observe(
        self,
        observations: Sequence[Observation],
        now: float,
        remote: Mapping[str, str] | None = None,
    ) -> list[Sample]:
        """Count one round; returns device_status and alert samples for the spool.

        `remote`: device -> state other shards last wrote, for uplinks this engine does
        not own (`foreign_uplinks`); one missing there counts as up."""
        health: dict[str, Health | None] = {}
        for o in observations:
            if o.device in self.trackers:
                if o.icmp_up is False:
                    # The poll that caught it dying failed too: that verdict is not about
                    # the device that answers ping again later (a false "degraded").
                    self._snmp_ok.pop(o.device, None)
                elif o.snmp_ok is not None:
                    self._snmp_ok[o.device] = o.snmp_ok
                last = self._snmp_ok.get(o.device)
                if last is None and self.trackers[o.device].state is State.DEGRADED:
                    # No SNMP verdict since a restart: silent when last heard, so until the
                    # next poll says otherwise (not a "resolved" sent at every restart).
                    last = False
                health[o.device] = o.health(last)
            else:
                log.debug("observation for %s, which is not in the inventory", o.device)
        # A failed commit (disk full…) must not leave memory ahead of disk: the same
        # transition would then never be seen again. Keep copies to roll back to.
        backup = (
            {n: replace(t, flips=list(t.flips)) for n, t in self.trackers.items()},
            dict(self.shown),
            dict(self._saved),
        )
        try:
            return self._round(health, now, remote or {})
        except BaseException:
            self.trackers, self.shown, self._saved = backup
            raise

    def _answers(self, health: Mapping[str, Health | None], remote: Mapping[str, str]) -> set[str]:
        """Devices a path may cross: they answered (this round, or at their last probe if
        not probed now) and are not DOWN, which they stay until up_after rounds say so;
        another shard's device unless that shard says it is cut off."""

        def answers(n: str, tr: Tracker) -> bool:
            if not self._owns(n):
                state = remote.get(n)
                return state != FAILING and _remote_state(state) not in _CUTTING
            return tr.state is not State.DOWN and (
                (health.get(n) or tr.last) in (Health.OK, Health.DEGRADED)
            )

        return {n for n, tr in self.trackers.items() if answers(n, tr)}

    def _round(
        self, health: dict[str, Health | None], now: float, remote: Mapping[str, str]
    ) -> list[Sample]:
        effective: dict[str, State] = {}
        steps: list[tuple[str, Step]] = []
        silent_now = [n for n, h in health.items() if h is Health.FAIL]
        answers = self._answers(health, remote) if silent_now else set()
        # Reached the other way round (a ring): its own fault, whatever the uplink says.
        self._detoured = self.topo.live_detours(answers.__contains__, silent_now)
        for name in self.topo.order:
            if not self._owns(name):  # another shard's: as it last reported it
                effective[name] = _remote_state(remote.get(name))
                continue
            tr, h = self.trackers[name], health.get(name)
            ancestors = [] if name in self._detoured else list(self.topo.ancestors(name))
            # Silent now (or not probed this time and cut off before) behind a down uplink.
            silent = h is Health.FAIL or (
                h is None and self.shown.get(name, (None, 0.0))[0] is State.UNREACHABLE
            )
            if silent and any(effective[a] in _CUTTING for a in ancestors):
                # Not stepped, and its earlier misses are the uplink's: after the uplink
                # recovers it needs a full down_after rounds of its own to alert.
                effective[name] = State.UNREACHABLE
                tr.fails = 0
                continue
            if h is not None:
                # An uplink failing now holds this device's count, whoever polls it: on
                # another shard it may not be "down" in the store until after this round.
                hold = any(
                    self.trackers[a].last is Health.FAIL
                    if self._owns(a)
                    else remote.get(a) == FAILING
                    for a in ancestors
                )
                steps.append((name, tr.step(h, now, self.config, hold_down=hold)))
            effective[name] = tr.state
        maint = {
            d.name: maintenance_reason(self.config, self.inv, d, now) for d in self.inv.devices
        }
        samples: list[Sample] = []
        with self.store.transaction():
            for name, step in steps:
                samples += self._on_step(name, step, now, effective, maint)
            self._release_deferred(now, maint, effective)
            rows = []
            for d in self.inv.devices:
                if not self._owns(d.name):
                    continue  # its own shard shows it
                shown = State.MAINTENANCE if maint[d.name] else effective[d.name]
                old, since = self.shown.get(d.name, (None, now))
                if old is not shown:
                    since = now
                elif d.name not in health:
                    continue  # another job's device, unchanged: its own round reports it
                self.shown[d.name] = (shown, since)
                row = DeviceRow(d.name, shown, since, maint[d.name], self.trackers[d.name])
                if self._saved.get(d.name) != (key := row.key()):
                    rows.append(row)
                    self._saved[d.name] = key
                site = self.inv.site_of(d)
                samples.append(
                    Sample(
                        "device_status",
                        self._tags(d.name),
                        {
                            "state": shown.value,
                            "since": int(since),
                            "lat": site.lat,
                            "lon": site.lon,
                            "root_cause": self._root_cause(d.name, effective),
                        },
                        int(now * 1e9),
                    )
                )
            self.store.save_devices(rows)
        if now - self._pruned > 3600:
            self.store.prune(now - self.config.recent_days * 86400)
            self._pruned = now
        return samples

    # incidents
    def _root_cause(self, name: str, effective: Mapping[str, State]) -> str:
        """The device itself when down, the nearest down uplink when unreachable."""
        if effective[name] is State.DOWN:
            return name
        if effective[name] is State.UNREACHABLE:
            return next((a for a in self.topo.ancestors(name) if effective[a] is State.DOWN), "")
        return ""

    def _tags(self, name: str) -> dict[str, str]:
        d = self.inv.device_by_name[name]
        return {"device": name, "role": d.role.value, "quartiere": self.inv.quartiere_tag(d)}

    def _affected(self, name: str, effective: dict[str, State]) -> list[Affected]:
        return [
            Affected(n, self.inv.device_by_name[n].role.value, self.inv.quartiere_tag(n))
            # A device reached the other way round is down on its own: its incident
            # names its own subtree.
            for n in self.topo.descendants(name, stop=self._detoured)
            if effective.get(n) is State.UNREACHABLE or self.trackers[n].last is Health.FAIL
        ]

    def _suppression(self, inc_device: str, kind: str, maint: dict[str, str | None]) -> str | None:
        if reason := maint.get(inc_device):
            return f"maintenance ({reason})"
        if kind != "flapping" and self.trackers[inc_device].flapping:
            return "flapping (its flapping alert stands for it)"
        return None

    def _on_step(
        self,
        name: str,
        step: Step,
        now: float,
        effective: dict[str, State],
        maint: dict[str, str | None],
    ) -> list[Sample]:
        out: list[Sample] = []
        if step.new_state is None and step.flapping is None:
            return out
        open_by_kind = {i.kind: i for i in self.store.open_incidents(name)}
        tr, hop = self.trackers[name], self.topo.hop_text(name)
        if step.flapping is True:
            n = len(tr.flips)
            out += self._open(
                name,
                "flapping",
                now,
                maint,
                [],
                f"{name}{hop} is flapping: {n} changes in {_duration(self.config.flap_window_s)}",
            )
        elif step.flapping is False and (inc := open_by_kind.get("flapping")):
            out += self._resolve(inc, now, f"{name} stopped flapping; now {tr.state.value}")
        if step.new_state is None:
            return out
        for kind in ("down", "degraded"):
            if (inc := open_by_kind.get(kind)) and step.new_state.value != kind:
                back = "back up" if step.new_state is State.UP else step.new_state.value
                extra = (
                    f"; {len(inc.affected)} devices behind it reachable again"
                    if kind == "down" and inc.affected
                    else ""
                )
                out += self._resolve(
                    inc, now, f"{name} {back} after {_duration(now - inc.opened)}{extra}"
                )
        if step.new_state is State.DOWN:
            affected = self._affected(name, effective)
            cut = ""
            if affected:
                quartieri = sorted({a.quartiere for a in affected})
                cut = (
                    f"; cuts off {len(affected)} devices in {', '.join(quartieri)}: "
                    f"{', '.join(a.device for a in affected)}"
                )
            out += self._open(
                name,
                "down",
                now,
                maint,
                affected,
                f"{name}{hop} down: no echo for {tr.fails} rounds{cut}",
            )
        elif step.new_state is State.DEGRADED:
            out += self._open(
                name,
                "degraded",
                now,
                maint,
                [],
                f"{name} degraded: answers ping, SNMP silent for {tr.degraded} rounds",
            )
        return out

    def _open(
        self,
        name: str,
        kind: str,
        now: float,
        maint: dict[str, str | None],
        affected: list[Affected],
        text: str,
    ) -> list[Sample]:
        root = f"{name}{self.topo.hop_text(name)}"
        d = self.inv.device_by_name[name]
        who = Affected(name, d.role.value, self.inv.quartiere_tag(d))
        inc = self.store.open_incident(
            who,
            d.site,
            kind,
            SEVERITY[kind],
            now,
            text,
            root,
            affected,
            self._suppression(name, kind, maint),
        )
        if inc.suppressed is None:
            self._notify(inc, now)
        else:
            log.info("incident %d (%s %s) not notified: %s", inc.id, name, kind, inc.suppressed)
        return [self._sample(inc, "firing", text, now)]

    def _resolve(self, inc: Incident, now: float, text: str) -> list[Sample]:
        inc = self.store.resolve(inc.id, now)
        if inc.notified:  # an alert that went out is always cleared, maintenance or not
            self._notify(inc, now, text)
        return [self._sample(inc, "resolved", text, now)]

    def _release_deferred(
        self, now: float, maint: dict[str, str | None], effective: dict[str, State]
    ) -> None:
        """Notify incidents held back by maintenance or flapping once that is over."""
        for inc in self.store.open_incidents():
            if inc.notified:
                continue
            reason = self._suppression(inc.device, inc.kind, maint)
            if reason is None and effective.get(inc.device) is State.UNREACHABLE:
                reason = "unreachable (its uplink's alert stands for it)"
            if reason is None:
                self._notify(inc, now)
            elif reason != inc.suppressed:
                self.store.set_suppressed(inc.id, reason)

    def _notify(self, inc: Incident, now: float, resolved_text: str | None = None) -> None:
        ev = AlertEvent(
            incident=inc.id,
            status="resolved" if resolved_text else "firing",
            kind=inc.kind,
            severity=inc.severity,
            device=inc.device,
            role=inc.role,
            site=inc.site,
            quartiere=inc.quartiere,
            text=resolved_text or inc.text,
            root_cause=inc.root_cause,
            started_at=inc.opened,
            ended_at=now if resolved_text else None,
            affected=inc.affected,
        )
        self.store.queue.enqueue(ev, now)
        if not resolved_text:
            self.store.set_notified(inc.id)

    def _sample(self, inc: Incident, state: str, text: str, now: float) -> Sample:
        return Sample(
            "alert",
            {"device": inc.device, "severity": inc.severity.value, "kind": inc.kind},
            {
                "state": state,
                "text": text,
                "root_cause": inc.root_cause,
                "affected": len(inc.affected),
            },
            int(now * 1e9),
        )
