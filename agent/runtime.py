"""One ICMP cycle and one SNMP poll stored in the spool (shared by `run --once` and the
daemon's jobs)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from collectors.icmp import IcmpProber, IcmpResult, IcmpTarget
from collectors.snmp import PollOutcome, SnmpPoller, SnmpTarget
from collectors.spool import Spool


async def icmp_cycle(
    prober: IcmpProber, targets: Sequence[IcmpTarget], spool: Spool
) -> list[IcmpResult]:
    """Probe every target once and commit the samples before returning."""
    results = await prober.round(targets)
    now = time.time_ns()
    # The commit fsyncs: off the event loop, so other jobs keep their schedule.
    await asyncio.to_thread(spool.put, [r.to_sample(now) for r in results])
    return results


async def snmp_cycle(
    poller: SnmpPoller,
    targets: Sequence[SnmpTarget],
    spool: Spool,
    pings: Callable[[str], bool],
) -> tuple[list[PollOutcome], list[str]]:
    """Poll once every target that `pings` (a device that does not would only cost its
    deadline) and commit the samples before returning; also returns who was not asked."""
    asked = [t for t in targets if pings(t.name)]
    outcomes = await poller.poll(asked) if asked else []
    await asyncio.to_thread(spool.put, [s for o in outcomes for s in o.samples])
    return outcomes, [t.name for t in targets if not pings(t.name)]
