"""The alert store's device rows: one statement per save, whatever the count, and every
value back as saved (the first round after a start saves every device)."""

from __future__ import annotations

from pathlib import Path

from netagent.agent.alerts.store import AlertStore, DeviceRow
from netagent.agent.alerts.tracker import State, Tracker


def row(i: int, maintenance: str | None = None) -> DeviceRow:
    t = Tracker(f"ap-{i}", State.UP, 1_700_000_000.123456 + i, answers=i, flips=[1.5, 2.25])
    return DeviceRow(f'ap "{i}" ü', State.UP, 1_700_000_000.987654 + i, maintenance, t)


def test_a_save_is_one_statement_and_reads_back_unchanged(tmp_path: Path) -> None:
    store = AlertStore(tmp_path / "state.sqlite")
    statements: list[str] = []
    store._db.set_trace_callback(statements.append)
    rows = [row(i, "window 'w1'" if i % 2 else None) for i in range(2000)]
    store.save_devices(rows)
    assert len(statements) == 1
    store.save_devices([row(7, None)])  # an update, not a second row
    store.forget_devices([rows[0].device, rows[1].device])
    got = {r.device: r for r in store.devices()}
    assert len(got) == 1998
    assert (got[rows[7].device].maintenance, got[rows[8].device].maintenance) == (None, None)
    for r in rows[8:]:
        back = got[r.device]
        assert (back.shown, back.since, back.maintenance) == (r.shown, r.since, r.maintenance)
        assert back.tracker == r.tracker
