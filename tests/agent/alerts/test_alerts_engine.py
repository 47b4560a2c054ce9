"""The alert engine on a simulated clock: hysteresis, root cause, flapping, maintenance,
restarts. Real engine, real SQLite store, real router; the target records what it got."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netagent.agent import inventory_source
from netagent.agent.alerts import (
    AlertEngine,
    AlertsConfig,
    AlertStore,
    MaintenanceWindow,
    Observation,
)
from netagent.agent.alerts.store import DeviceRow
from netagent.agent.alerts.tracker import State
from netagent.agent.notify import Router
from netagent.inventory.model import DeviceStatus
from tests.alerts_lab import BRANCH_APS, Lab, coviolo_inventory


def status_of(lab: Lab, device: str) -> str:
    rows = [
        s for s in lab.samples if s.measurement == "device_status" and s.tags["device"] == device
    ]
    return str(rows[-1].fields["state"])


def test_down_after_three_rounds_up_after_two(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(2)
    lab.rounds(2, down={"ap-centro"})
    assert lab.sent() == []
    lab.round(down={"ap-centro"})
    [fired] = lab.sent("firing")
    assert (fired.device, fired.kind, fired.severity.value) == ("ap-centro", "down", "critical")
    assert fired.quartiere == "Centro Storico" and fired.affected == ()
    assert status_of(lab, "ap-centro") == "down"
    lab.round()
    assert lab.sent("resolved") == []
    lab.round()
    [back] = lab.sent("resolved")
    assert back.incident == fired.incident and "back up" in back.text
    assert status_of(lab, "ap-centro") == "up"
    alerts = [s for s in lab.samples if s.measurement == "alert"]
    assert [a.fields["state"] for a in alerts] == ["firing", "resolved"]
    assert alerts[0].tags == {"device": "ap-centro", "severity": "critical", "kind": "down"}


def test_single_missed_rounds_do_not_alert(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    for _ in range(3):
        lab.rounds(2, down={"ap-centro"})
        lab.round()
    assert lab.sent() == []


def test_radio_link_far_side_down_gives_one_root_cause_alert(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(2)
    branch = {"rpt-coviolo-nord", *BRANCH_APS}
    lab.rounds(10, down=branch)
    [fired] = lab.sent()
    assert fired.device == "rpt-coviolo-nord"
    assert "radio link Coviolo BS-Nord from bs-coviolo" in fired.root_cause
    assert [a.device for a in fired.affected] == BRANCH_APS
    assert fired.affected_quartieri() == ["Coviolo", "Rivalta"]
    assert all(status_of(lab, ap) == "unreachable" for ap in BRANCH_APS)
    lab.rounds(5)
    assert [e.status for e in lab.sent()] == ["firing", "resolved"]
    assert all(status_of(lab, ap) == "up" for ap in BRANCH_APS)


def test_aps_failing_a_round_before_their_uplink_are_not_blamed(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.round(down=set(BRANCH_APS))
    lab.rounds(6, down={"rpt-coviolo-nord", *BRANCH_APS})
    assert [e.device for e in lab.sent()] == ["rpt-coviolo-nord"]


def test_child_still_down_after_root_recovers_alerts_on_its_own(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(6, down={"bs-coviolo", "rpt-coviolo-nord", *BRANCH_APS})
    [root] = lab.sent()
    assert root.device == "bs-coviolo" and len(root.affected) == 6
    # The base station comes back; one AP behind it stays dark.
    lab.round(down={"ap-coviolo-3"})
    lab.round(down={"ap-coviolo-3"})
    assert [e.status for e in lab.sent()] == ["firing", "resolved"]
    # Its timer did not advance while it was unreachable: three more rounds are needed.
    lab.round(down={"ap-coviolo-3"})
    assert len(lab.sent()) == 2
    lab.round(down={"ap-coviolo-3"})
    assert [e.device for e in lab.sent("firing")] == ["bs-coviolo", "ap-coviolo-3"]


def test_snmp_silent_but_pinging_is_degraded_with_lower_severity(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(4, snmp_down={"ap-centro"})
    [ev] = lab.sent()
    assert (ev.kind, ev.severity.value) == ("degraded", "warning")
    assert status_of(lab, "ap-centro") == "degraded"
    lab.rounds(2)
    assert [e.status for e in lab.sent()] == ["firing", "resolved"]


def test_flapping_ap_gives_one_flapping_alert(tmp_path: Path) -> None:
    lab = Lab(tmp_path, config=AlertsConfig(flap_changes=6, flap_window_s=600))
    for _ in range(8):
        lab.round(down={"ap-centro"})
        lab.round()
    assert [(e.kind, e.status) for e in lab.sent()] == [("flapping", "firing")]
    lab.rounds(25)
    assert [(e.kind, e.status) for e in lab.sent()] == [
        ("flapping", "firing"),
        ("flapping", "resolved"),
    ]


def test_down_while_flapping_is_held_back_until_flapping_ends(tmp_path: Path) -> None:
    lab = Lab(tmp_path, config=AlertsConfig(flap_changes=4, flap_window_s=300))
    for _ in range(3):
        lab.round(down={"ap-centro"})
        lab.round()
    assert [e.kind for e in lab.sent()] == ["flapping"]
    lab.rounds(12, down={"ap-centro"})  # flips age out while it stays dark
    kinds = [(e.kind, e.status) for e in lab.sent()]
    assert kinds == [("flapping", "firing"), ("flapping", "resolved"), ("down", "firing")]


def test_maintenance_window_silences_but_tracks(tmp_path: Path) -> None:
    now = datetime.fromtimestamp(1_790_000_000, UTC)
    window = MaintenanceWindow(
        name="Coviolo works",
        quartieri=["Coviolo"],
        roles=["ptp-radio"],
        start=now,
        end=now + timedelta(minutes=10),
    )
    lab = Lab(tmp_path, config=AlertsConfig(maintenance=[window]))
    lab.rounds(8, down={"rpt-coviolo-nord", *BRANCH_APS})
    assert lab.sent() == []
    assert status_of(lab, "rpt-coviolo-nord") == "maintenance"
    [inc] = lab.store.open_incidents()
    assert inc.device == "rpt-coviolo-nord" and inc.suppressed and not inc.notified
    lab.rounds(4)
    assert lab.sent() == []
    assert lab.store.open_incidents() == []


def test_still_down_when_maintenance_ends_is_notified_then(tmp_path: Path) -> None:
    now = datetime.fromtimestamp(1_790_000_000, UTC)
    window = MaintenanceWindow(devices=["ap-centro"], start=now, end=now + timedelta(minutes=3))
    lab = Lab(tmp_path, config=AlertsConfig(maintenance=[window]))
    lab.rounds(5, down={"ap-centro"})
    assert lab.sent() == []
    lab.rounds(2, down={"ap-centro"})
    [ev] = lab.sent()
    assert ev.device == "ap-centro" and ev.status == "firing"


def test_cron_maintenance_window(tmp_path: Path) -> None:
    # Every day at 01:00 UTC for 20 minutes; the clock starts at 01:05 UTC.
    start = datetime(2026, 9, 23, 1, 5, tzinfo=UTC).timestamp()
    window = MaintenanceWindow(
        cron="0 1 * * *", duration_s=1200, timezone="UTC", devices=["ap-centro"]
    )
    lab = Lab(tmp_path, config=AlertsConfig(maintenance=[window]))
    lab.clock.t = start
    lab.rounds(10, down={"ap-centro"})  # 01:05:30 … 01:10
    assert lab.sent() == []
    lab.clock.t = datetime(2026, 9, 23, 1, 25, tzinfo=UTC).timestamp()
    lab.round(down={"ap-centro"})
    assert [e.device for e in lab.sent()] == ["ap-centro"]


def test_planned_device_status_is_maintenance(tmp_path: Path) -> None:
    inv = coviolo_inventory()
    devices = tuple(
        d.model_copy(update={"status": DeviceStatus.PLANNED}) if d.name == "ap-centro" else d
        for d in inv.devices
    )
    lab = Lab(tmp_path, inv=inv.replace(devices=devices))
    lab.rounds(5, down={"ap-centro"})
    assert lab.sent() == [] and status_of(lab, "ap-centro") == "maintenance"


def test_restart_in_the_middle_sends_nothing_twice(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(2, down={"ap-centro"})
    lab.restart()  # two failed rounds are remembered
    lab.round(down={"ap-centro"})
    assert [e.kind for e in lab.sent()] == ["down"]
    lab.restart()
    lab.rounds(3, down={"ap-centro"})
    assert lab.sent() == []  # still down, already notified: nothing again
    assert [i.device for i in lab.store.open_incidents()] == ["ap-centro"]
    lab.rounds(2)
    assert [e.status for e in lab.sent()] == ["resolved"]


def test_notification_queued_before_a_crash_leaves_after_restart(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    for _ in range(3):  # observe only: the process dies before delivering
        lab.clock.t += 30
        lab.engine.observe([Observation("ap-centro", False, None)], lab.clock.t)
    assert lab.store.queue.depth() == 1
    lab.restart()
    lab.round(down={"ap-centro"})
    assert [e.kind for e in lab.sent()] == ["down"]
    assert lab.store.queue.depth() == 0


def test_inventory_reload_keeps_state_and_resolves_removed(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(3, down={"ap-centro"})
    inv = coviolo_inventory(extra_aps=1)
    lab.engine.set_inventory(inv, now=lab.clock.t)
    assert lab.engine.trackers["ap-centro"].state is State.DOWN
    lab.inv = inv
    lab.rounds(1, down={"ap-centro"})
    assert len(lab.sent()) == 1
    smaller = inv.replace(devices=tuple(d for d in inv.devices if d.name != "ap-centro"))
    lab.engine.set_inventory(smaller, now=lab.clock.t)
    asyncio.run(lab.router.deliver_pending())
    assert [e.status for e in lab.sent()] == ["firing", "resolved"]
    assert "ap-centro" not in lab.engine.trackers


@pytest.mark.parametrize(
    "bad",
    [
        {"start": "2026-01-01T00:00:00Z"},
        {"cron": "61 * * * *", "duration_s": 60},
        {"cron": "0 1 * * *"},
        {"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
        {"cron": "0 1 * * *", "duration_s": 60, "timezone": "Europe/Nowhere"},
    ],
)
def test_bad_maintenance_window_is_refused_with_its_name(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="maintenance window 'w'"):
        MaintenanceWindow(name="w", **bad)  # type: ignore[arg-type]


def test_device_removed_while_agent_was_down_is_resolved_at_start(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(3, down={"ap-centro"})
    lab.inv = lab.inv.replace(devices=tuple(d for d in lab.inv.devices if d.name != "ap-centro"))
    lab.restart()
    assert lab.store.open_incidents() == []
    asyncio.run(lab.router.deliver_pending())
    [ev] = lab.sent()
    assert ev.status == "resolved" and "removed from the inventory" in ev.text
    assert ev.role == "wifi-ap"  # described as it was


def test_old_resolved_incidents_are_pruned(tmp_path: Path) -> None:
    lab = Lab(tmp_path, config=AlertsConfig(recent_days=1))
    lab.rounds(3, down={"ap-centro"})
    lab.rounds(2)
    lab.rounds(3, down={"ap-coviolo-1"})
    assert len(lab.store.recent_incidents(0)) == 2
    lab.clock.t += 2 * 86400
    lab.round(down={"ap-coviolo-1"})
    assert [i.device for i in lab.store.recent_incidents(0)] == ["ap-coviolo-1"]


def test_separate_icmp_and_snmp_jobs_still_see_degraded(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    for _ in range(4):  # the SNMP job reports on its own, the ICMP job without SNMP
        lab.clock.t += 30
        lab.engine.observe([Observation("ap-centro", None, False)], lab.clock.t)
        lab.engine.observe([Observation("ap-centro", True, None)], lab.clock.t)
    asyncio.run(lab.router.deliver_pending())
    assert [(e.kind, e.status) for e in lab.sent()] == [("degraded", "firing")]
    lab.engine.observe([Observation("ap-centro", None, True)], lab.clock.t)
    lab.rounds(2)
    assert [(e.kind, e.status) for e in lab.sent()] == [
        ("degraded", "firing"),
        ("degraded", "resolved"),
    ]


def test_snmp_verdict_from_the_dying_poll_is_forgotten_when_it_recovers(tmp_path: Path) -> None:
    """The SNMP poll that caught a device dying fails too; once the device answers ping
    again that old verdict is not about it: no "degraded" before the next SNMP poll."""
    lab = Lab(tmp_path)
    lab.clock.t += 30
    lab.engine.observe([Observation("ap-centro", None, False)], lab.clock.t)  # the dying poll
    lab.rounds(4, down=["ap-centro"])
    for _ in range(4):  # pings again; no SNMP poll of it yet
        lab.clock.t += 30
        lab.samples += lab.engine.observe([Observation("ap-centro", True, None)], lab.clock.t)
    asyncio.run(lab.router.deliver_pending())
    assert [(e.kind, e.status) for e in lab.sent() if e.device == "ap-centro"] == [
        ("down", "firing"),
        ("down", "resolved"),
    ]
    assert status_of(lab, "ap-centro") == "up"


class FailingCommit(AlertStore):
    """A store whose disk fills up on demand (the real SQLite store otherwise)."""

    full = False

    def save_devices(self, rows: Sequence[DeviceRow]) -> None:
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        super().save_devices(rows)


def test_failed_commit_loses_no_transition(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.store.close()
    lab.store = store = FailingCommit(tmp_path / "state.sqlite")
    lab.router = Router(store.queue, [lab.recorder], clock=lab.clock)
    lab.engine = AlertEngine(lab.inv, lab.config, store, lab.router)
    lab.rounds(2, down={"ap-centro"})
    store.full = True
    with pytest.raises(sqlite3.OperationalError):
        lab.round(down={"ap-centro"})
    assert lab.store.open_incidents() == [] and lab.sent() == []
    store.full = False
    lab.clock.t -= 30  # the same round again once the disk has room
    lab.round(down={"ap-centro"})
    assert [e.kind for e in lab.sent()] == ["down"]


def test_sample_lab_coviolo_base_station_outage(tmp_path: Path) -> None:
    """On the bundled Reggio Emilia sample: the Coviolo base station and all it feeds."""
    inv = inventory_source.load().inventory
    assert inv is not None
    lab = Lab(tmp_path, inv=inv)
    topo = lab.engine.topo
    branch = {"cov-bs", *topo.descendants("cov-bs")}
    lab.rounds(2)
    lab.rounds(5, down=branch)
    [ev] = lab.sent()
    assert ev.device == "cov-bs" and len(ev.affected) == len(branch) - 1 >= 30
    assert "Coviolo" in " ".join(ev.affected_quartieri())
    lab.rounds(3)
    assert [e.status for e in lab.sent()] == ["firing", "resolved"]


def test_device_status_only_for_observed_or_changed_devices(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(3, down={"rpt-coviolo-nord"})  # whole network observed each round
    lab.clock.t += 30
    # One job probes only the radio: its APs are shown unreachable though not probed.
    samples = lab.engine.observe([Observation("rpt-coviolo-nord", False, None)], lab.clock.t)
    shown = {
        s.tags["device"]: s.fields["state"] for s in samples if s.measurement == "device_status"
    }
    assert shown == {"rpt-coviolo-nord": "down"}
    lab.clock.t += 30
    samples = lab.engine.observe([Observation("ap-centro", True, True)], lab.clock.t)
    assert [s.tags["device"] for s in samples] == ["ap-centro"]
