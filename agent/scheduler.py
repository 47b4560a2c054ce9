"""Periodic jobs on APScheduler 3 (AsyncIOScheduler), with the guard rails it lacks.

A `Job` is a name, an interval, a jitter and an async callable returning a `JobReport`.
Every job runs with max_instances=1 and coalesce=True (a poll that is still running is not
started twice, and runs missed while the loop was busy collapse into one), and a misfire
grace that fits its interval (APScheduler's 1 s default makes runs vanish silently under
load). Every run is measured: scheduler lag (start minus the scheduled time, jitter
included), duration, devices, failures; a run longer than its interval is logged with the
slowest devices; skipped and missed runs are logged and counted, never silent. A failed
run logs one line; the traceback appears once per distinct error (an unexpected one is a
bug to report, its repeats are not news). Every few minutes one INFO line per job sums up
what it did, so the journal shows the agent at work without a line per run.
After each job's first run, what the process has built to keep is frozen out of the
cyclic garbage collector's reach (`_freeze_long_lived`), and while the scheduler runs the
collector's thresholds are raised (`GC_THRESHOLDS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from netagent.agent.grid import GridTrigger, slot_of
from netagent.agent.health import Health

log = logging.getLogger(__name__)

SUMMARY_EVERY_S = 300.0
# The cyclic GC's thresholds while jobs run (Python's default: 700, 10, 10). Every round
# replaces state that lives a round or a cycle (samples on their way to the spool, SNMP
# outcomes and counters, ICMP results, alert states: ~200,000 objects at 15,000 devices),
# which reaches the oldest generation; with the defaults a full collection walked it all
# every 1.7 s (0.1 s each: 11% of the agent's CPU, young collections 5% more). At
# (7000, 10, 100), measured the same way: one full collection in 4 minutes, GC 6% of the
# CPU, peak RSS unchanged (474-494 MB). These objects are freed by reference counting;
# only cyclic garbage waits longer.
GC_THRESHOLDS = (7000, 10, 100)


@dataclass
class JobReport:
    """What one run did: devices handled, how many failed, the slowest (name, seconds),
    and where its time went (`phases`, seconds by phase): an overrun names both."""

    devices: int = 0
    failures: int = 0
    slowest: list[tuple[str, float]] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time a step of the run (a phase that comes back adds up)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - t0


JobFunc = Callable[[], Awaitable[JobReport | None]]


@dataclass(frozen=True)
class Job:
    name: str
    interval_s: float
    func: JobFunc
    jitter_s: float = 0.0
    misfire_grace_s: float | None = None  # None: one interval
    first_run_s: float = 0.0  # delay of the first run after start (or after a change)
    # How long a run is expected to take (0: unknown, or short). A first run that would
    # not end before its slot does waits for the next slot's start instead: started late
    # in a slot it would still be running when the next one fires, which is then skipped.
    expected_s: float = 0.0
    # A job whose first run this one's first run waits for (SNMP waits for the first ICMP
    # round to know who answers): that run's expected end counts as this one's start.
    after: str = ""


@dataclass
class _Summary:
    since: float  # time.monotonic()
    runs: int = 0
    errors: int = 0
    seconds: float = 0.0


def first_run_at(job: Job, now: float, ready: float = 0.0) -> datetime:
    """When `job` first runs: `first_run_s` from now, or the start of a later slot when a
    run begun then would not end before its slot (see `Job.expected_s`); `ready`: when
    the job it waits for (`Job.after`) is expected to be done (0: nothing to wait for).
    A run expected to take its whole interval or more starts as configured: every slot
    would be crossed."""
    start = now + job.first_run_s
    if 0 < job.expected_s < job.interval_s:
        while max(start, ready) + job.expected_s > slot_of(start, job.interval_s) + job.interval_s:
            start = slot_of(start, job.interval_s) + job.interval_s
    return datetime.fromtimestamp(start, UTC)


class JobRunner:
    """Owns the AsyncIOScheduler; start() inside the running event loop."""

    def __init__(self, health: Health) -> None:
        self.health = health
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._jobs: dict[str, Job] = {}
        self._scheduled: dict[str, datetime] = {}
        self._inflight: set[asyncio.Task[object]] = set()
        self._tracebacks: set[str] = set()  # errors whose traceback was logged once
        self._frozen: set[str] = set()  # jobs whose first run is over (see _freeze_long_lived)
        self._summaries: dict[str, _Summary] = {}
        self._gc_thresholds: tuple[int, int, int] | None = None  # to restore on stop
        self.on_run: Callable[[], None] | None = None  # after every run: the watchdog ping
        self.scheduler.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self.scheduler.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)

    def start(self) -> None:
        if self._gc_thresholds is None:
            self._gc_thresholds = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)
        self.scheduler.start()

    @property
    def jobs(self) -> dict[str, Job]:
        return dict(self._jobs)

    def set_jobs(self, jobs: Sequence[Job]) -> None:
        """Make the schedule exactly `jobs`; unchanged timings keep their next run time."""
        wanted = {j.name: j for j in jobs}
        ends: dict[str, float] = {}  # the expected end of each newly scheduled first run
        for name in set(self._jobs) - set(wanted):
            self.scheduler.remove_job(name)
            del self._jobs[name]
            self._frozen.discard(name)
            self.health.jobs.pop(name, None)
        for name, job in wanted.items():
            old = self._jobs.get(name)
            grace = max(1, round(job.misfire_grace_s or job.interval_s))
            self.health.job(name, job.interval_s)
            if old is not None and (old.interval_s, old.jitter_s) == (job.interval_s, job.jitter_s):
                self.scheduler.modify_job(name, args=(job,), misfire_grace_time=grace)
            else:
                trigger = GridTrigger(job.interval_s, job.jitter_s)
                first = first_run_at(job, time.time(), ends.get(job.after, 0.0))
                ends[name] = first.timestamp() + job.expected_s
                self.scheduler.add_job(
                    self._run,
                    trigger,
                    args=(job,),
                    id=name,
                    name=name,
                    max_instances=1,
                    coalesce=True,
                    misfire_grace_time=grace,
                    next_run_time=first,
                    replace_existing=True,
                )
            self._jobs[name] = job

    async def drain(self) -> None:
        """Wait for the runs in flight now (not for those that start meanwhile)."""
        pending = set(self._inflight)
        if pending:
            await asyncio.wait(pending)

    async def stop(self, timeout_s: float) -> bool:
        """No new runs; wait for in-flight ones up to `timeout_s`, then cancel them.

        Returns True when every in-flight run finished by itself.
        """
        if self.scheduler.running:
            self.scheduler.pause()
        pending = set(self._inflight)
        clean = True
        if pending:
            log.info("waiting up to %.0f s for %d running job(s)", timeout_s, len(pending))
            _, late = await asyncio.wait(pending, timeout=timeout_s)
            for task in late:
                clean = False
                log.warning("cutting job %s at the stop deadline", task.get_name())
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=1)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._gc_thresholds is not None:
            gc.set_threshold(*self._gc_thresholds)
            self._gc_thresholds = None
        return clean

    async def _run(self, job: Job) -> None:
        task = asyncio.current_task()
        assert task is not None
        task.set_name(job.name)
        self._inflight.add(task)
        started = datetime.now(UTC)
        scheduled = self._scheduled.pop(job.name, started)
        lag = max(0.0, (started - scheduled).total_seconds())
        t0 = time.perf_counter()
        report, error = JobReport(), None
        try:
            report = await job.func() or report
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            first = error not in self._tracebacks
            self._tracebacks.add(error)
            log.error("job %s failed: %s", job.name, error, exc_info=first)
        finally:
            self._inflight.discard(task)
        took = time.perf_counter() - t0
        overran = took > job.interval_s
        if overran:
            slow = ", ".join(f"{d} ({s:.1f} s)" for d, s in report.slowest[:5]) or "none reported"
            spent = "".join(f", {p} {s:.1f} s" for p, s in report.phases.items())
            log.warning(
                "job %s overran its interval: took %.1f s for %d device(s)%s, interval %g s;"
                " slowest: %s",
                job.name,
                took,
                report.devices,
                spent and f" ({spent[2:]})",
                job.interval_s,
                slow,
            )
        if lag > 1.0:
            log.warning("job %s started %.1f s late (event loop busy)", job.name, lag)
        self.health.record_run(
            job.name,
            cycle_s=took,
            lag_s=lag,
            devices=report.devices,
            failures=report.failures,
            error=error,
            overran=overran,
        )
        self._summarise(job.name, report, took, error is not None)
        self._freeze_long_lived(job.name)
        if self.on_run is not None:
            self.on_run()

    def _freeze_long_lived(self, name: str) -> None:
        """After a job's first run, move every object alive now out of the cyclic GC's
        generations (`gc.freeze`): the inventory, the targets, each interface's counters,
        the alert state live as long as the process, and every full collection walked
        them all again (GC was 20-30% of the agent's CPU at 15,000 devices, py-spy --native).
        Frozen objects are still freed by reference counting; only cyclic garbage alive
        at that moment stays, once per job."""
        if name not in self._frozen:
            self._frozen.add(name)
            gc.freeze()

    def _summarise(self, name: str, report: JobReport, took: float, failed: bool) -> None:
        now = time.monotonic()
        s = self._summaries.setdefault(name, _Summary(now))
        s.runs += 1
        s.errors += failed
        s.seconds += took
        if now - s.since < SUMMARY_EVERY_S:
            return
        stats = self.health.jobs[name]
        log.info(
            "job %s: %d run(s) in %.0f min, %d failed; last: %d device(s), %d failing, "
            "%.1f s; mean %.1f s; scheduler lag p99 %.2f s",
            name,
            s.runs,
            (now - s.since) / 60,
            s.errors,
            report.devices,
            report.failures,
            took,
            s.seconds / s.runs,
            stats.lag_p99(),
        )
        self._summaries[name] = _Summary(now)

    def _on_submitted(self, event: JobEvent) -> None:
        if isinstance(event, JobSubmissionEvent) and event.scheduled_run_times:
            self._scheduled[event.job_id] = event.scheduled_run_times[-1]

    def _on_skipped(self, event: JobEvent) -> None:
        stats = self.health.jobs.get(event.job_id)
        if stats is None:
            return
        if event.code == EVENT_JOB_MAX_INSTANCES:
            stats.skipped += 1
            log.warning(
                "job %s: a run was due while the previous one was still running; skipped"
                " (skipped %d so far)",
                event.job_id,
                stats.skipped,
            )
        else:
            stats.missed += 1
            log.warning("job %s: a run was later than its misfire grace; missed", event.job_id)
