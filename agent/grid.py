"""Runs on a fixed time grid: jitter that never accumulates, timestamps two agents share.

APScheduler 3's IntervalTrigger computes each fire time from the previous one, jitter
included, so a job with 5 s of jitter drifts (SNMP every 63 s instead of 60 s: fewer
samples than configured). Here every run belongs to a slot of a grid anchored at the Unix
epoch (slot k starts at k × interval); the jitter delays the run inside its slot and is
drawn anew each time. Because the grid is the same for every agent, the two agents of an
HA pair run the same slots, stamp their ICMP and SNMP samples and alert rounds with the slot's
time (`slot_of`), and InfluxDB keeps one point per series and time, and receivers one
notification per incident.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

_EPSILON = 1e-4  # of a slot: more than a microsecond's rounding at any interval used here


def slot_of(t: float, interval_s: float) -> float:
    """The start of the grid slot `t` (Unix seconds) falls in."""
    return math.floor(t / interval_s + _EPSILON) * interval_s


class GridTrigger(BaseTrigger):  # type: ignore[misc]  # apscheduler 3 ships no types
    def __init__(self, interval_s: float, jitter_s: float = 0.0) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval must be positive, got {interval_s}")
        self.interval_s = interval_s
        # A jitter as long as the interval would push a run into the next slot.
        self.jitter_s = min(max(jitter_s, 0.0), interval_s * 0.9)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            k = math.ceil(now.timestamp() / self.interval_s - _EPSILON)
        else:  # the slot after the previous run's, whatever jitter delayed that run
            # (datetimes keep microseconds: a slot's start may read a hair before it)
            k = math.floor(previous_fire_time.timestamp() / self.interval_s + _EPSILON) + 1
        start = k * self.interval_s + random.uniform(0, self.jitter_s)
        return datetime.fromtimestamp(start, UTC)

    def __str__(self) -> str:
        return f"grid[{timedelta(seconds=self.interval_s)}, jitter {self.jitter_s:g} s]"
