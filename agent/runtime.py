"""One ICMP cycle and one SNMP poll stored (shared by `run --once` and the daemon's jobs),
and the daemon's way of storing samples (`SampleSink`).

The daemon never lets storage decide whether monitoring goes on: a spool that cannot be
written (disk full, I/O error, read-only) costs the samples of that moment, not the alert
engine's round. `SampleSink.put` therefore never raises; it records the fault in the
`Health` (the agent turns unhealthy and raises its own alert) and logs it once a minute,
one line, no traceback.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

from netagent.agent.health import Health
from netagent.collectors.icmp import IcmpProber, IcmpResult, IcmpTarget
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import PollOutcome, SnmpPoller, SnmpTarget
from netagent.collectors.spool import Spool

log = logging.getLogger(__name__)

SAMPLE_TAG = {"inventory": "bundled-sample"}  # on every sample taken on the bundled sample
LOG_EVERY_S = 60.0
# Samples per spool commit while an SNMP cycle runs (SampleStream); see bench/README.md
# ("What profiling found") for what other sizes cost.
STREAM_BATCH = 5000


class SampleStore(Protocol):
    def put(self, samples: Iterable[Sample]) -> int: ...


class SampleSink:
    """The daemon's writes to the spool: tagged, and never raising (see the module doc)."""

    def __init__(
        self,
        spool: Spool,
        health: Health,
        tags: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spool = spool
        self.health = health
        self.tags = dict(tags or {})
        self._clock = clock
        self._logged = -LOG_EVERY_S
        self._since_log = 0

    def put(self, samples: Iterable[Sample]) -> int:
        batch = [replace(s, tags={**s.tags, **self.tags}) if self.tags else s for s in samples]
        if not batch:
            return 0
        try:
            stored = self.spool.put(batch)
        except Exception as e:  # any failure here means "cannot store"
            self._failed(e, len(batch))
            return 0
        if self.health.storage is not None:
            outage = self.health.storage
            log.warning(
                "samples are stored again (%d write(s) failed since %s)",
                outage.count,
                time.strftime("%H:%M:%S", time.gmtime(outage.since)),
            )
            self.health.storage = None
        return stored

    def _failed(self, e: Exception, lost: int) -> None:
        now = self._clock()
        self.health.storage_failed(self.describe(e), lost, now)
        self._since_log += lost
        if now - self._logged >= LOG_EVERY_S:
            log.error(
                "netagent cannot store samples: %s; %d sample(s) lost since the last "
                "report; monitoring and alerts go on",
                self.describe(e),
                self._since_log,
            )
            self._logged, self._since_log = now, 0

    def describe(self, e: Exception) -> str:
        """What went wrong, in the words an operator acts on, naming the spool file."""
        text = str(e)
        if (isinstance(e, OSError) and e.errno == errno.ENOSPC) or "disk is full" in text:
            what = "disk full"
        elif (isinstance(e, OSError) and e.errno == errno.EROFS) or "readonly" in text:
            what = "read-only file system"
        elif "I/O error" in text or (isinstance(e, OSError) and e.errno == errno.EIO):
            what = "I/O error"
        elif isinstance(e, sqlite3.Error):
            what = f"SQLite: {text}"
        else:
            what = f"{type(e).__name__}: {text}"
        return f"{what} at {self.spool.path}"


async def icmp_cycle(
    prober: IcmpProber,
    targets: Sequence[IcmpTarget],
    spool: SampleStore,
    budget_s: float | None = None,
    at_ns: int | None = None,
) -> list[IcmpResult]:
    """Probe every target once (fitting the round into `budget_s`) and commit the samples,
    stamped `at_ns` (the scheduled round's time, see netagent.agent.grid) or now, before
    returning."""
    results = await prober.round(targets, budget_s)
    now = time.time_ns() if at_ns is None else at_ns
    # The commit fsyncs: off the event loop, so other jobs keep their schedule.
    await asyncio.to_thread(spool.put, [r.to_sample(now) for r in results])
    return results


async def snmp_cycle(
    poller: SnmpPoller,
    targets: Sequence[SnmpTarget],
    spool: SampleStore,
    pings: Callable[[str], bool],
    at_ns: int | None = None,
    keep_samples: bool = True,
    batch: int = STREAM_BATCH,
) -> tuple[list[PollOutcome], list[str]]:
    """Poll once every target that `pings` (a device that does not would only cost its
    deadline) or is configured to be polled regardless (`poll_without_ping`: a device
    that drops echo requests), and commit the samples, stamped `at_ns` (the scheduled
    round's time, see netagent.agent.grid) or when read, before returning; also returns who was
    not asked. The samples go to the spool while the cycle runs, at least `batch` per
    commit (`SampleStream`); `keep_samples=False` leaves them out of the outcomes too, so
    a cycle of thousands of devices never holds them all (the daemon: its peak memory
    and the cyclic GC's work)."""
    asked = [t for t in targets if t.poll_without_ping or pings(t.name)]
    stream = SampleStream(spool, keep_samples, batch)
    try:
        outcomes = await poller.poll(asked, at_ns, stream.take) if asked else []
    finally:  # what finished before a failure or a cancellation is stored all the same
        await stream.close()
    chosen = {t.name for t in asked}
    return outcomes, [t.name for t in targets if t.name not in chosen]


class SampleStream:
    """A cycle's samples to the spool as its devices finish: a batch of at least `batch`
    samples is committed off the event loop while the cycle goes on, one commit at a
    time (while one is in flight the next batch grows, and starts when it ends: a slow
    disk means fewer, larger transactions, never a pile of threads). A store that raises
    (the bare spool of `run --once`; the daemon's `SampleSink` never does) stops the
    stream, and `close` raises it once the cycle is over."""

    def __init__(self, spool: SampleStore, keep_samples: bool, batch: int) -> None:
        self._spool, self._keep, self._batch = spool, keep_samples, batch
        self._pending: list[Sample] = []
        self._writing: asyncio.Task[int] | None = None
        self._error: BaseException | None = None

    def take(self, outcome: PollOutcome) -> None:
        """One device done: its samples join the next batch (and leave the outcome unless
        kept)."""
        if self._error is None:
            self._pending += outcome.samples
        if not self._keep:
            outcome.samples = []
        self._write(self._batch)

    def _write(self, at_least: int) -> None:
        if self._writing is None and self._error is None and len(self._pending) >= at_least:
            batch, self._pending = self._pending, []
            self._writing = asyncio.create_task(asyncio.to_thread(self._spool.put, batch))
            self._writing.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[int]) -> None:
        self._writing = None
        if not task.cancelled() and (e := task.exception()) is not None:
            self._error, self._pending = e, []
        self._write(self._batch)

    async def close(self) -> None:
        """The rest committed, after the commit in flight; raises what a commit raised."""
        self._write(1)
        while self._writing is not None:  # `_written` runs before `wait` returns
            await asyncio.wait([self._writing])
            self._write(1)
        if self._error is not None:
            raise self._error
