"""Counters to rates, without spikes: a counter going back is a reset unless a wrap fits.

The interval is measured with the agent's own sysUpTime when it has one (immune to our
scheduling jitter; it going back means a reboot); if sysUpTime is frozen or absent, with
our wall clock (the state outlives the process, so a monotonic clock would not do).

A counter lower than last time is a 32-bit wrap only if the rate the wrap implies is
plausible: at most the interface speed, and at most a few times the counter's previous
rate when there is one. Anything else (counters cleared, a 64-bit counter going back,
ifCounterDiscontinuityTime moving) re-seeds: one poll without a rate, never a spike.

The state outlives the process (`netagent.collectors.snmp.state`), so a restart, or the next
`run --once`, gives rates on its first poll.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from netagent.collectors.snmp.counters import SnmpCounters

WRAP32 = 1 << 32
TICKS_PER_S = 100
WRAP_GROWTH = 4.0  # a wrap may imply at most this many times the previous rate
MAX_AGE_S = 900.0  # older state re-seeds: a 32-bit counter may have wrapped unseen


@dataclass
class _Device:
    uptime_ticks: int | None
    wall: float
    counters: dict[str, int] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # last rate, for wrap plausibility


class Interval:
    """One device's poll: `rate()` per counter, then `commit()` to keep the new values."""

    def __init__(
        self,
        state: CounterState,
        device: str,
        now: _Device,
        dt: float | None,
        frozen: bool = False,
    ) -> None:
        self._state, self._device, self._now, self.dt = state, device, now, dt
        self.frozen = frozen  # sysUpTime did not move: dt from our clock
        prev = state._devices.get(device)
        self._prev = prev if prev is not None and dt is not None else _Device(None, 0.0)
        self.stats = state.stats

    def discontinuity(self, key: str, marker: int) -> bool:
        """True (and counted as a reset) if a discontinuity marker moved since last poll:
        the counters it covers must re-seed."""
        self._now.counters[key] = marker
        old = self._prev.counters.get(key)
        if old is not None and old != marker:
            self.stats.counter_resets += 1
            return True
        return False

    def rate(
        self,
        key: str,
        value: int,
        bits: int,
        limit: float | None = None,
        reseed: bool = False,
    ) -> float | None:
        """Per-second increase of a counter, or None (first sight or reset).

        `limit`: the most the counter can count per second (the interface speed), None
        if unknown; it bounds what a 32-bit wrap may imply, never the rate itself."""
        self._now.counters[key] = value
        old = self._prev.counters.get(key)
        if old is None or self.dt is None or reseed:
            return None
        delta = value - old
        if delta < 0:
            if bits != 32 or not self._plausible_wrap(key, delta + WRAP32, limit):
                self.stats.counter_resets += 1
                return None
            delta += WRAP32
            self.stats.counter_wraps += 1
        rate = delta / self.dt
        self._now.rates[key] = rate
        return rate

    def _plausible_wrap(self, key: str, delta: int, limit: float | None) -> bool:
        assert self.dt is not None
        implied = delta / self.dt
        prev = self._prev.rates.get(key)
        bounds = [b for b in (limit, None if prev is None else prev * WRAP_GROWTH) if b]
        return bool(bounds) and implied <= min(bounds)

    def commit(self) -> None:
        self._state._devices[self._device] = self._now


class CounterState:
    """Previous raw counters and sysUpTime per device, kept across polls and restarts."""

    def __init__(self, stats: SnmpCounters | None = None, max_age_s: float = MAX_AGE_S) -> None:
        self._devices: dict[str, _Device] = {}
        self.stats = stats or SnmpCounters()
        self.max_age_s = max_age_s

    def begin(self, device: str, uptime_ticks: int | None, wall: float | None = None) -> Interval:
        now = _Device(uptime_ticks, time.time() if wall is None else wall)
        prev = self._devices.get(device)
        dt: float | None = None
        frozen = False
        if prev is not None and 0 < now.wall - prev.wall <= self.max_age_s:
            clock_dt = now.wall - prev.wall
            if uptime_ticks is not None and prev.uptime_ticks is not None:
                up_dt = (uptime_ticks - prev.uptime_ticks) / TICKS_PER_S
                if up_dt < 0:
                    self.stats.counter_resets += 1  # rebooted (or sysUpTime wrapped): re-seed
                elif up_dt == 0:
                    frozen = clock_dt >= 1.0
                    dt = clock_dt if frozen else None
                else:
                    dt = up_dt
            else:
                dt = clock_dt
        return Interval(self, device, now, dt, frozen)

    def adopt(self, other: CounterState) -> None:
        """Continue from `other`'s previous polls (a poll replaces a device's entry, never
        changes it, so the two may share them)."""
        self._devices = dict(other._devices)

    def forget(self, device: str) -> None:
        self._devices.pop(device, None)

    def dump(self) -> dict[str, object]:
        """The state as JSON-ready data (see `netagent.collectors.snmp.state`)."""
        return {
            name: {"uptime": d.uptime_ticks, "wall": d.wall, "c": d.counters, "r": d.rates}
            for name, d in self._devices.items()
        }

    def restore(self, data: dict[str, Any]) -> None:
        """The state from `dump()`'s data; raises KeyError/ValueError/TypeError if bad."""
        self._devices = {
            str(name): _Device(
                None if d["uptime"] is None else int(d["uptime"]),
                float(d["wall"]),
                {str(k): int(v) for k, v in d["c"].items()},
                {str(k): float(v) for k, v in d["r"].items()},
            )
            for name, d in data.items()
        }
