"""The daemon's own health: what each job did, how late the scheduler was, the spool.

The daemon keeps a `Health` in memory, writes it as `agent` samples (one per job, tag
`job`) so it reaches InfluxDB and the spool's `latest` table like any other measurement,
and serves it as Prometheus text. `health_summary()` reads those samples back from the
spool, so `netagent status` reports the daemon's health from another process.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collectors.samples import FieldValue, Sample
from collectors.spool import Spool


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
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def lag_p99(self) -> float:
        return percentile(self.lags, 99)


def percentile(values: Iterable[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


class Health:
    def __init__(self) -> None:
        self.started = time.time()
        self.jobs: dict[str, JobStats] = {}
        # Extra `agent` fields from other parts (spool depth, dropped samples, notify failures).
        self.gauges: dict[str, float] = {}

    def job(self, name: str, interval_s: float) -> JobStats:
        stats = self.jobs.setdefault(name, JobStats(interval_s))
        stats.interval_s = interval_s
        return stats

    def record_run(
        self, name: str, *, cycle_s: float, lag_s: float, devices: int, failures: int,
        error: bool, overran: bool,
    ) -> None:
        s = self.jobs[name]
        s.runs += 1
        s.errors += error
        s.overruns += overran
        s.cycle_s, s.lag_s, s.devices, s.failures = cycle_s, lag_s, devices, failures
        s.lags.append(lag_s)
        s.last_end = time.time()

    def stale_jobs(self, stale_after_intervals: float, now: float | None = None) -> list[str]:
        """Jobs that have not completed a run for too many of their intervals."""
        now = time.time() if now is None else now
        out = []
        for name, s in self.jobs.items():
            since = s.last_end if s.last_end is not None else self.started
            if now - since > stale_after_intervals * s.interval_s:
                out.append(name)
        return sorted(out)

    def to_samples(self, time_ns: int | None = None) -> list[Sample]:
        t = time.time_ns() if time_ns is None else time_ns
        out = [
            Sample("agent", {"job": name}, {
                "cycle_s": s.cycle_s, "devices": s.devices, "failures": s.failures,
                "scheduler_lag_s": s.lag_s, "scheduler_lag_p99_s": s.lag_p99(),
                "runs": s.runs, "errors": s.errors, "overruns": s.overruns,
                "skipped": s.skipped, "missed": s.missed,
            }, t)
            for name, s in sorted(self.jobs.items())
        ]
        overall: dict[str, FieldValue] = {"uptime_s": time.time() - self.started, **self.gauges}
        out.append(Sample("agent", {}, overall, t))
        return out

    def prometheus_text(self) -> str:
        """The /metrics page: one gauge family per field, labelled by job."""
        families: dict[str, list[str]] = {}
        for sample in self.to_samples():
            label = f'{{job="{sample.tags["job"]}"}}' if "job" in sample.tags else ""
            for key, value in sample.fields.items():
                if isinstance(value, bool | int | float):
                    families.setdefault(key, []).append(f"netagent_{key}{label} {float(value):g}")
        lines: list[str] = []
        for key, rows in sorted(families.items()):
            lines += [f"# TYPE netagent_{key} gauge", *rows]
        return "\n".join(lines) + "\n"


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
