"""The daemon's own health: what each job did, whether samples can be stored and delivered,
and the reasons, if any, the agent is unhealthy.

The daemon keeps a `Health` in memory and
- writes it as `agent` samples (one per job, tag `job`) so it reaches InfluxDB and the
  spool's `latest` table like any other measurement (`health_summary()` reads them back);
- answers /healthz from `reasons()`: a job that failed its last K runs or stopped running,
  a spool that cannot be written, InfluxDB refusing writes for too long, a notifier that
  keeps failing; beside them, how many of its devices are in each state (`device_counts`,
  the device coordinator's: devices down are the network's fault, not the agent's, so
  they never make it unhealthy);
- saves those reasons in the data directory (`health.json`) where `netagent status` reads
  them (`read_reasons`). That file is written in place into space reserved when the daemon
  starts, so it still tells the truth when the disk is full, which is exactly when the
  spool, and with it the `agent` samples, can no longer be written.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from netagent.collectors.samples import FieldValue, Sample
from netagent.collectors.spool import Spool
from netagent.collectors.spool_model import SpoolStats

HEALTH_FILE = "health.json"
_RESERVED = 16 * 1024  # bytes kept for health.json: a few dozen reasons


@dataclass(frozen=True)
class HealthLimits:
    """When a fault makes the agent unhealthy. Read from [health]; keys the config does
    not define keep these defaults."""

    failed_runs: int = 3  # a job that failed this many runs in a row
    stale_after_intervals: float = 3.0  # a job with no completed run for this many intervals
    influx_refused_s: float = 300.0  # InfluxDB refusing every write for this long

    @classmethod
    def of(cls, section: Mapping[str, Any]) -> HealthLimits:
        return cls(**{f.name: section[f.name] for f in fields(cls) if f.name in section})


@dataclass
class JobStats:
    interval_s: float
    runs: int = 0
    errors: int = 0
    overruns: int = 0
    skipped: int = 0  # a run was due while the previous one was still running
    missed: int = 0  # a run was later than its misfire grace
    cycle_s: float = 0.0
    devices: int = 0
    failures: int = 0
    lag_s: float = 0.0
    last_end: float | None = None  # time.time()
    failed_in_a_row: int = 0
    last_error: str = ""
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def lag_p99(self) -> float:
        return percentile(self.lags, 99)


def percentile(values: Iterable[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass
class Outage:
    """A fault that lasts: when it began, the last error, how often it struck."""

    since: float
    error: str
    count: int = 1


class Health:
    def __init__(self) -> None:
        self.started = time.time()
        self.jobs: dict[str, JobStats] = {}
        # Extra `agent` fields from other parts (process figures, notify failures).
        self.gauges: dict[str, float] = {}
        self.spool: SpoolStats | None = None
        # The SNMP poller's lifetime counts (resets, wraps, splits…), for /metrics.
        self.snmp: dict[str, int] = {}
        self.storage: Outage | None = None  # the spool cannot be written
        self.influx: Outage | None = None  # InfluxDB refuses writes (or does not answer)
        self.failing_notifiers: dict[str, str] = {}  # target -> last error
        self.storage_failures = 0  # spool writes that failed, since start
        self.samples_lost = 0  # samples that could not be stored, since start
        # This agent's devices per state (up, down…), asked when /healthz is.
        self.device_counts: Callable[[], dict[str, int]] = dict

    def job(self, name: str, interval_s: float) -> JobStats:
        stats = self.jobs.setdefault(name, JobStats(interval_s))
        stats.interval_s = interval_s
        return stats

    def record_run(
        self,
        name: str,
        *,
        cycle_s: float,
        lag_s: float,
        devices: int,
        failures: int,
        error: str | None,
        overran: bool,
    ) -> None:
        s = self.jobs[name]
        s.runs += 1
        s.errors += error is not None
        s.overruns += overran
        s.cycle_s, s.lag_s, s.devices, s.failures = cycle_s, lag_s, devices, failures
        s.lags.append(lag_s)
        s.last_end = time.time()
        if error is None:
            s.failed_in_a_row = 0
        else:
            s.failed_in_a_row += 1
            s.last_error = error

    def storage_failed(self, error: str, lost: int, now: float) -> None:
        self.storage_failures += 1
        self.samples_lost += lost
        if self.storage is None:
            self.storage = Outage(now, error)
        else:
            self.storage.error, self.storage.count = error, self.storage.count + 1

    def influx_result(self, error: str | None, now: float) -> None:
        if error is None:
            self.influx = None
        elif self.influx is None:
            self.influx = Outage(now, error)
        else:
            self.influx.error, self.influx.count = error, self.influx.count + 1

    def stale_jobs(self, stale_after_intervals: float, now: float | None = None) -> list[str]:
        """Jobs that have not completed a run for too many of their intervals."""
        now = time.time() if now is None else now
        out = []
        for name, s in self.jobs.items():
            since = s.last_end if s.last_end is not None else self.started
            if now - since > stale_after_intervals * s.interval_s:
                out.append(name)
        return sorted(out)

    def reasons(self, limits: HealthLimits, now: float | None = None) -> list[str]:
        """Why the agent is unhealthy, one sentence each; empty when it is healthy."""
        now = time.time() if now is None else now
        out = []
        if self.storage is not None:
            out.append(
                f"cannot store samples since {_iso(self.storage.since)}: "
                f"{self.storage.error} ({self.samples_lost} sample(s) lost)"
            )
        for name in self.stale_jobs(limits.stale_after_intervals, now):
            out.append(
                f"job {name} has not completed a run for "
                f"{limits.stale_after_intervals:g} of its intervals"
            )
        for name, s in sorted(self.jobs.items()):
            if s.failed_in_a_row >= limits.failed_runs:
                out.append(f"job {name} failed its last {s.failed_in_a_row} runs: {s.last_error}")
        if self.influx is not None and now - self.influx.since >= limits.influx_refused_s:
            out.append(
                f"InfluxDB has refused writes for {now - self.influx.since:.0f} s: "
                f"{self.influx.error}"
            )
        for name, error in sorted(self.failing_notifiers.items()):
            out.append(f"notify target {name} keeps failing: {error}")
        return out

    def to_samples(
        self, time_ns: int | None = None, tags: Mapping[str, str] | None = None
    ) -> list[Sample]:
        """The `agent` points; `tags` name the agent (and its shard) on every one."""
        t = time.time_ns() if time_ns is None else time_ns
        own = dict(tags or {})
        out = [
            Sample(
                "agent",
                {**own, "job": name},
                {
                    "cycle_s": s.cycle_s,
                    "devices": s.devices,
                    "failures": s.failures,
                    "scheduler_lag_s": s.lag_s,
                    "scheduler_lag_p99_s": s.lag_p99(),
                    "runs": s.runs,
                    "errors": s.errors,
                    "overruns": s.overruns,
                    "skipped": s.skipped,
                    "missed": s.missed,
                },
                t,
            )
            for name, s in sorted(self.jobs.items())
        ]
        overall: dict[str, FieldValue] = {"uptime_s": time.time() - self.started, **self.gauges}
        if self.spool is not None:
            overall.update(
                spool_depth=self.spool.depth,
                spool_oldest_s=float(self.spool.oldest_age_s),
                dropped_total=self.spool.dropped_total,
                dead_letters=self.spool.dead_letters,
            )
        out.append(Sample("agent", own, overall, t))
        return out


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


class ReasonsFile:
    """health.json, written in place into bytes reserved at start (see the module doc).

    Each write overwrites the reserved bytes with the JSON document padded with spaces
    (JSON ignores trailing whitespace), so it never needs a new disk block."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / HEALTH_FILE
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.fstat(self._fd).st_size < _RESERVED:
                os.posix_fallocate(self._fd, 0, _RESERVED)
                os.pwrite(self._fd, b" " * _RESERVED, 0)
        except BaseException:
            os.close(self._fd)
            raise

    def write(self, reasons: list[str], now: float | None = None, running: bool = True) -> None:
        """`running` False: the daemon's last word as it stops."""
        now = time.time() if now is None else now
        while True:
            doc = {
                "healthy": not reasons,
                "reasons": reasons,
                "updated": now,
                "pid": os.getpid(),
                "running": running,
            }
            data = json.dumps(doc, ensure_ascii=False).encode()
            if len(data) <= _RESERVED or not reasons:
                break
            reasons = reasons[:-1]
        os.pwrite(self._fd, data.ljust(_RESERVED), 0)

    def close(self) -> None:
        os.close(self._fd)


def read_reasons(data_dir: Path) -> dict[str, Any] | None:
    """What the daemon last said about its health, for `netagent status`:
    {"healthy": bool, "reasons": [str, ...], "updated": unix s, "pid": int,
    "running": bool}, or None when no daemon has written it (or it cannot be read).
    `running` is False once the daemon stopped (cleanly); `updated` tells whether it is
    current: a running daemon rewrites it at every housekeeping run, so one older than a
    few housekeeping intervals with `running` true means the daemon died."""
    path = Path(data_dir) / HEALTH_FILE
    for _ in range(2):  # a read racing the daemon's in-place write: once more
        try:
            doc = json.loads(path.read_bytes() or b"null")
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            time.sleep(0.05)
            continue
        return doc if isinstance(doc, dict) else None
    return None


def health_summary(spool: Spool, now: float | None = None) -> dict[str, Any]:
    """The daemon's last reported health, as `netagent status` shows it.

    {"reported_s_ago": float | None, "overall": {...}, "jobs": {name: {...fields}}};
    empty jobs and reported_s_ago None when no daemon has ever written here.
    """
    now = time.time() if now is None else now
    jobs: dict[str, dict[str, Any]] = {}
    overall: dict[str, Any] = {}
    newest = 0
    for s in spool.latest("agent"):
        newest = max(newest, s.time_ns)
        if "job" in s.tags:
            jobs[s.tags["job"]] = dict(s.fields)
        else:
            overall.update(s.fields)
    return {
        "reported_s_ago": (now - newest / 1e9) if newest else None,
        "overall": overall,
        "jobs": jobs,
    }
