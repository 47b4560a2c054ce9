"""Delivery from the spool to InfluxDB: batches, back-off, dead letters, nothing dropped.

A line leaves the spool only after a 2xx for the request that carried it. On the way:
- no answer / 5xx / 429: the batch stays, the next try waits an exponential back-off with
  jitter, or exactly what Retry-After asks;
- 400/422 (a field type conflict, an unparsable line): the refused lines go to the dead
  letters with the server's reason, the rest is sent again (identical points overwrite);
- 401/403/404 (credentials, unknown database or bucket; the v1 writer first tries to
  create a missing database): writing stops, a CRITICAL log says so at every slow retry,
  and every sample stays in the spool;
- 413: the batch is split.
A crash between InfluxDB's 2xx and the spool's commit replays that one batch, which is
harmless because every line is stored with its timestamp and replays byte-identical.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from netagent.collectors import line_protocol as lp
from netagent.collectors.influx.config import InfluxConfig
from netagent.collectors.influx.rejects import about_lines, offenders
from netagent.collectors.influx.writers import NO_ANSWER, Writer, WriteResult, make_writer
from netagent.collectors.spool import Batch, PendingLine, Spool, SpoolConfig

log = logging.getLogger(__name__)

_STOPPING = (401, 403, 404)  # configuration problems: retrying fast cannot help
_REFUSED = (400, 413, 422)  # the content itself: some lines set aside, or the batch split


@dataclass
class FlushReport:
    delivered: int = 0  # lines acknowledged by InfluxDB and removed from the spool
    dead_lettered: int = 0  # lines InfluxDB refused for good, set aside
    requests: int = 0
    remaining: int = 0  # samples still waiting for InfluxDB (none without InfluxDB)
    status: int | None = None  # HTTP status of the failure that ended it (0: no answer)
    error: str | None = None  # that failure's reason; None when the flush ended well
    # Seconds until the back-off ends, when it outlasted this flush: the first flush that
    # starts after that many seconds tries again.
    retry_in_s: float | None = None
    stopped: bool = False  # writing stopped on 401/403/404 until the config is fixed


class Flusher:
    """Delivers spool -> InfluxDB, one `flush()` per run of the daemon's flush job."""

    def __init__(self, spool: Spool, writer: Writer, config: SpoolConfig) -> None:
        self.spool = spool
        self.writer = writer
        self.config = config
        self._divisor = lp.PRECISION_DIVISOR[writer.precision]
        self._failures = 0  # failed attempts in a row (one per attempt, whatever in flight)
        self._next_attempt = 0.0  # time.monotonic() before which no request is sent
        self.stopped = False

    async def flush(self, deadline_s: float | None = None) -> FlushReport:
        """Send what waits now, batch by batch, until the spool is empty or the deadline.

        A failure starts a back-off: when it ends before the deadline this flush tries
        again then (the log said "retry in 1.0 s"); when it does not, the first flush
        that starts after it does (the log said so). Without a deadline: one attempt.
        """
        report = FlushReport()
        end = time.monotonic() + deadline_s if deadline_s is not None else None
        wait = self._next_attempt - time.monotonic()
        if wait > 0:  # an earlier flush failed; its back-off is still running
            report.retry_in_s, report.stopped = wait, self.stopped
        while wait <= 0:
            failure = await self._drain(report, end)
            report.status = report.error = report.retry_in_s = None
            if failure is None:
                break
            self._failed(failure, report, end)
            if end is None or self._next_attempt >= end:
                break
            await asyncio.sleep(max(0.0, self._next_attempt - time.monotonic()))
        report.remaining = (await asyncio.to_thread(self.spool.stats)).depth
        return report

    async def _drain(self, report: FlushReport, end: float | None) -> WriteResult | None:
        """Batches in order, up to `in_flight` requests at once (the server works on one
        while the next travels), until the spool is empty, a failure or `end`; returns
        the failure (counted once, however many requests it cut short), the rest stays
        spooled."""
        size, div = self.config.batch_size, self._divisor
        sent = report.requests
        sending: set[asyncio.Task[WriteResult | None]] = set()
        failure: WriteResult | None = None
        # What waits now, not what arrives meanwhile: chasing the producers would send a
        # trickle of small requests; the next run finds those samples in full batches.
        upto = await asyncio.to_thread(self.spool.newest_id)
        try:
            batch = await asyncio.to_thread(self.spool.next_batch, size, 0, div, upto)
            while batch and (end is None or time.monotonic() < end):
                sending.add(asyncio.create_task(self._send(batch, report)))
                if len(sending) >= self.config.in_flight:
                    done, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                    failure = next((r for t in done if (r := t.result()) is not None), None)
                    if failure is not None:
                        break
                batch = await asyncio.to_thread(
                    self.spool.next_batch, size, batch.last_id, div, upto
                )
            for result in await asyncio.gather(*sending):
                failure = failure or result
        except BaseException:  # the spool failed (SpoolWriteError) or the job was cancelled:
            for task in sending:  # no request is left running unowned; unacked lines stay
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)
            raise
        if failure is None and report.requests > sent:
            self._succeeded()
        return failure

    async def _send(self, batch: Batch, report: FlushReport) -> WriteResult | None:
        """The fast path: one body as the spool built it; per-line work only if refused.
        None once settled, else the failure to retry later."""
        result = await self.writer.write(batch.body.encode())
        report.requests += 1
        if result.ok:
            await asyncio.to_thread(self.spool.ack, batch.first_id, batch.last_id)
            report.delivered += batch.count
            return None
        if result.status in _REFUSED:
            rows = await asyncio.to_thread(self.spool.lines, batch.first_id, batch.last_id)
            return await self._settle(rows, result, report)
        return result

    async def _deliver(
        self, rows: Sequence[PendingLine], report: FlushReport
    ) -> WriteResult | None:
        """Send some lines; None once settled (acknowledged or dead-lettered), else the
        failure to retry later."""
        body = "\n".join([lp.line(k, f, t, self._divisor) for _, k, f, t in rows]).encode()
        result = await self.writer.write(body)
        report.requests += 1
        if result.ok:
            await asyncio.to_thread(self.spool.ack, rows[0][0], rows[-1][0])
            report.delivered += len(rows)
            return None
        return await self._settle(rows, result, report)

    async def _settle(
        self, rows: Sequence[PendingLine], result: WriteResult, report: FlushReport
    ) -> WriteResult | None:
        if result.status == 413 and len(rows) > 1:
            return await self._halves(rows, report)
        if result.status in _REFUSED and (result.status == 413 or about_lines(result.reason)):
            return await self._refused(rows, result, report)
        return result

    async def _halves(self, rows: Sequence[PendingLine], report: FlushReport) -> WriteResult | None:
        half = len(rows) // 2
        return await self._deliver(rows[:half], report) or await self._deliver(rows[half:], report)

    async def _refused(
        self, batch: Sequence[PendingLine], result: WriteResult, report: FlushReport
    ) -> WriteResult | None:
        bad = [0] if len(batch) == 1 else offenders(batch, result.reason, self._divisor)
        if not bad:  # the message does not say which: bisect (replays are harmless)
            return await self._halves(batch, report)
        await asyncio.to_thread(self.spool.dead_letter, [batch[i][0] for i in bad], result.reason)
        report.dead_lettered += len(bad)
        log.error(
            "InfluxDB refused %d line(s) (%d): %s; kept as dead letters",
            len(bad),
            result.status,
            result.reason,
        )
        rest = [row for i, row in enumerate(batch) if i not in set(bad)]
        return await self._deliver(rest, report) if rest else None

    def _succeeded(self) -> None:
        if self._failures or self.stopped:
            log.warning("InfluxDB writes succeed again after %d failure(s)", self._failures)
        self._failures, self._next_attempt, self.stopped = 0, 0.0, False

    def _failed(self, result: WriteResult, report: FlushReport, end: float | None) -> None:
        """One failed attempt: back off, say when the next try really is."""
        self._failures += 1
        # A 400 that is not about lines (a proxy, a broken config) must not bisect the
        # whole spool into dead letters: stop like a credentials problem, keep everything.
        if result.status in _STOPPING or result.status in (400, 422):
            delay = self.config.retry_max_s
            self.stopped = True
        else:
            cap = min(
                self.config.retry_max_s, self.config.retry_initial_s * 2 ** (self._failures - 1)
            )
            delay = random.uniform(cap / 2, cap)  # equal jitter: spread, never zero
            if result.retry_after_s is not None:
                delay = result.retry_after_s
        now = time.monotonic()
        self._next_attempt = now + delay
        if end is not None and now + delay < end:
            when = f"retry in {delay:.1f} s"
        else:
            when = f"next try at the first flush run after {delay:.1f} s"
        if self.stopped:
            log.critical(
                "InfluxDB answered %d (%s): writing STOPPED, nothing dropped (%d samples "
                "wait in the spool); fix the credentials/database in the config; %s",
                result.status,
                result.reason,
                self.spool.stats().depth,
                when,
            )
        else:
            what = "no answer" if result.status == NO_ANSWER else f"status {result.status}"
            log.warning(
                "InfluxDB write failed (%s: %s), failure %d in a row; %s, samples stay in "
                "the spool",
                what,
                result.reason,
                self._failures,
                when,
            )
        report.status, report.error = result.status, result.reason
        report.retry_in_s, report.stopped = delay, self.stopped


class LocalRetention:
    """The embedded mode's 'delivery': the spool is the store, nothing waits to be sent;
    each flush forgets the local history older than the retention."""

    def __init__(self, spool: Spool, config: SpoolConfig) -> None:
        self.spool = spool
        self.config = config

    async def flush(self, deadline_s: float | None = None) -> FlushReport:
        expired = await asyncio.to_thread(self.spool.expire, self.config.retention_s)
        if expired:
            log.info("forgot %d local samples older than %.0f s", expired, self.config.retention_s)
        return FlushReport()


def make_delivery(
    spool: Spool, influx: InfluxConfig, config: SpoolConfig
) -> Flusher | LocalRetention:
    """A Flusher when InfluxDB is configured, else the local retention of the embedded mode."""
    writer = make_writer(influx)
    return LocalRetention(spool, config) if writer is None else Flusher(spool, writer, config)
