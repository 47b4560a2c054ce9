"""What the spool's size bound needs: which rows are status rows, and one warning a period.

When the spool is full something must go. The status measurements (`SpoolConfig.priority`:
icmp, device_status, snmp_system, agent, alert, coverage) are a few rows per device and
round, and they are what an operator reads after an outage; the bulk (interface, wifi,
radio_link) is most of the volume. So the bulk's oldest rows go first, and a status row is
dropped only when no bulk row is left to drop. Drops are counted per measurement, and the
warning about them is folded: one line per period with the counts, not one per put().
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable

from netagent.collectors import line_protocol as lp

log = logging.getLogger(__name__)

WARN_EVERY_S = 300.0  # one spool-full warning per this many seconds, with the counts


@functools.lru_cache(maxsize=65536)
def measurement_of(key: str) -> str:
    """The measurement of a stored series key (keys repeat: one decode per series)."""
    return lp.decode_key(key)[0]


def key_is_one_of(measurements: Iterable[str]) -> tuple[str, list[str]]:
    """SQL condition on `key`: the row belongs to one of `measurements`. The key is the
    escaped measurement, alone or followed by `,tags`, so it lies in (m + ',', m + '-')
    since '-' follows ','. With no measurement the condition is false."""
    parts, args = [], []
    for m in measurements:
        e = lp.encode_key(m, {})
        parts.append("(key = ? OR (key > ? AND key < ?))")
        args += [e, e + ",", e + "-"]
    return "(" + (" OR ".join(parts) or "0") + ")", args


class DropLog:
    """Folds the size bound's drops into one WARNING per `WARN_EVERY_S` (the first at once):
    how many, of which measurements, since when."""

    def __init__(self, describe: Callable[[], str]) -> None:
        self._describe = describe  # "spool <path> full (<n> samples)"
        self._clock = time.monotonic  # looked up now: a test can stand in for the clock
        self._pending: Counter[str] = Counter()
        self._since = 0.0
        self._next = 0.0

    def add(self, dropped: Counter[str]) -> None:
        if not dropped:
            return
        now = self._clock()
        if not self._pending:
            self._since = now
        self._pending.update(dropped)
        if now >= self._next:
            self.report(now)

    def report(self, now: float | None = None) -> None:
        """Log what was dropped since the last warning (also at close)."""
        if not self._pending:
            return
        now = self._clock() if now is None else now
        per = ", ".join(f"{m} {n:,}" for m, n in self._pending.most_common())
        span = f" in the last {now - self._since:.0f} s" if now - self._since >= 1 else ""
        log.warning(
            "%s: dropped %s sample(s)%s (%s); the oldest bulk samples go first, the status "
            "measurements only when nothing else is left",
            self._describe(),
            f"{sum(self._pending.values()):,}",
            span,
            per,
        )
        self._pending.clear()
        self._next = now + WARN_EVERY_S
