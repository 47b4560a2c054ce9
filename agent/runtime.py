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
) -> tuple[list[PollOutcome], list[str]]:
    """Poll once every target that `pings` (a device that does not would only cost its
    deadline) or is configured to be polled regardless (`poll_without_ping`: a device
    that drops echo requests), and commit the samples, stamped `at_ns` (the scheduled
    round's time, see netagent.agent.grid) or when read, before returning; also returns who was
    not asked."""
    asked = [t for t in targets if t.poll_without_ping or pings(t.name)]
    outcomes = await poller.poll(asked, at_ns) if asked else []
    await asyncio.to_thread(spool.put, [s for o in outcomes for s in o.samples])
    chosen = {t.name for t in asked}
    return outcomes, [t.name for t in targets if t.name not in chosen]
