"""Runs on a fixed grid: jitter never carries into the next run, and every agent (an HA
pair) runs the same slots, so their samples share timestamps."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from netagent.agent.grid import GridTrigger, slot_of


def _fires(trigger: GridTrigger, start: float, n: int) -> list[float]:
    now = datetime.fromtimestamp(start, UTC)
    fire = trigger.get_next_fire_time(None, now)
    out = []
    for _ in range(n):
        assert fire is not None
        out.append(fire.timestamp())
        fire = trigger.get_next_fire_time(fire, fire)
    return out


def test_jitter_does_not_accumulate() -> None:
    """APScheduler's IntervalTrigger measures from the jittered run: 60 s + 5 s of jitter
    ran every ~62.5 s. On the grid, 100 runs take 100 intervals."""
    fires = _fires(GridTrigger(60, jitter_s=5), 1_790_000_017.3, 100)
    slots = [slot_of(f, 60) for f in fires]
    assert slots == [slots[0] + 60 * k for k in range(100)]
    assert all(0 <= f - s <= 5 for f, s in zip(fires, slots, strict=True))
    assert slots[0] >= 1_790_000_017.3 - 60


def test_two_agents_started_apart_run_the_same_slots() -> None:
    a = [slot_of(t, 30) for t in _fires(GridTrigger(30, jitter_s=2), 1_790_000_001.0, 20)]
    b = [slot_of(t, 30) for t in _fires(GridTrigger(30, jitter_s=2), 1_790_000_023.7, 20)]
    assert b[:-1] == a[1:]  # the later agent joins at the next slot, then runs the same


def test_short_intervals_always_move_forward() -> None:
    fires = _fires(GridTrigger(0.2), 1_790_000_000.05, 500)
    assert all(b > a for a, b in itertools.pairwise(fires))
    assert abs((fires[-1] - fires[0]) - 0.2 * 499) < 1e-3


def test_a_jitter_as_long_as_the_interval_stays_inside_the_slot() -> None:
    fires = _fires(GridTrigger(10, jitter_s=30), 1_790_000_000.0, 50)
    assert [slot_of(f, 10) for f in fires] == [1_790_000_000.0 + 10 * k for k in range(50)]
