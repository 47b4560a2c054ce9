"""Counters to rates, without spikes: resets re-seed, wraps only where they can happen.

The interval is measured with the agent's own sysUpTime when it has one (it is immune to
our scheduling jitter and tells us about reboots); otherwise with our monotonic clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

WRAP32 = 1 << 32
TICKS_PER_S = 100


@dataclass
class _Device:
    uptime_ticks: int | None
    mono: float
    counters: dict[str, int] = field(default_factory=dict)


@dataclass
class RateStats:
    resets: int = 0  # re-seeds after a reboot or a counter that went back
    wraps: int = 0  # 32-bit counters that wrapped
    dropped: int = 0  # rates above the interface speed, not emitted


class Interval:
    """One device's poll: `rate()` per counter, then `commit()` to keep the new values."""

    def __init__(self, state: CounterState, device: str, now: _Device, dt: float | None) -> None:
        self._state, self._device, self._now, self.dt = state, device, now, dt
        prev = state._devices.get(device)
        self._prev = prev.counters if prev is not None and dt is not None else {}

    def rate(self, key: str, value: int, bits: int, limit: float | None = None) -> float | None:
        """Per-second increase of a counter, or None (first sight, reset or implausible)."""
        self._now.counters[key] = value
        old = self._prev.get(key)
        if old is None or self.dt is None:
            return None
        delta = value - old
        stats = self._state.stats
        if delta < 0:
            if bits != 32:
                stats.resets += 1
                return None
            delta += WRAP32
            stats.wraps += 1
        rate = delta / self.dt
        if limit is not None and limit > 0 and rate > limit:
            stats.dropped += 1
            return None
        return rate

    def commit(self) -> None:
        self._state._devices[self._device] = self._now


class CounterState:
    """Previous raw counters and sysUpTime per device, kept across polls."""

    def __init__(self) -> None:
        self._devices: dict[str, _Device] = {}
        self.stats = RateStats()

    def begin(self, device: str, uptime_ticks: int | None, mono: float | None = None) -> Interval:
        now = _Device(uptime_ticks, time.monotonic() if mono is None else mono)
        prev = self._devices.get(device)
        dt: float | None = None
        if prev is not None:
            if uptime_ticks is not None and prev.uptime_ticks is not None:
                if uptime_ticks < prev.uptime_ticks:
                    self.stats.resets += 1  # rebooted (or sysUpTime wrapped): re-seed
                else:
                    dt = (uptime_ticks - prev.uptime_ticks) / TICKS_PER_S
            else:
                dt = now.mono - prev.mono
            if dt is not None and dt <= 0:
                dt = None
        return Interval(self, device, now, dt)

    def forget(self, device: str) -> None:
        self._devices.pop(device, None)
