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
import contextlib
import logging
import random
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

from collectors import line_protocol as lp
from collectors.influx.config import InfluxConfig
from collectors.influx.rejects import about_lines, offenders
from collectors.influx.writers import NO_ANSWER, Writer, WriteResult, make_writer
from collectors.spool import Batch, PendingLine, Spool, SpoolConfig

log = logging.getLogger(__name__)

_STOPPING = (401, 403, 404)  # configuration problems: retrying fast cannot help
_REFUSED = (400, 413, 422)  # the content itself: some lines set aside, or the batch split


@dataclass
class FlushReport:
    delivered: int = 0  # lines acknowledged by InfluxDB and removed from the spool
    dead_lettered: int = 0  # lines InfluxDB refused for good, set aside
    requests: int = 0
    remaining: int = 0  # samples still waiting after this flush
    status: int | None = None  # HTTP status of the last failed request (0: no answer)
    error: str | None = None  # the last failure's reason
    retry_in_s: float | None = None  # when the next attempt is due, after a failure
    stopped: bool = False  # writing stopped on 401/403/404 until the config is fixed


class Flusher:
    """Delivers spool -> InfluxDB; `flush()` for one drain, `run()` as the background loop."""

    def __init__(self, spool: Spool, writer: Writer, config: SpoolConfig) -> None:
        self.spool = spool
        self.writer = writer
        self.config = config
        self._divisor = lp.PRECISION_DIVISOR[writer.precision]
        self._failures = 0
        self._next_attempt = 0.0  # time.monotonic() before which no request is sent
        self.stopped = False

    async def flush(self, deadline_s: float | None = None) -> FlushReport:
        """Send what waits now, batch by batch, until empty, a failure, or the deadline."""
        return await self._flush(deadline_s, full_only=False)

    async def _flush(self, deadline_s: float | None, full_only: bool) -> FlushReport:
        report = FlushReport()
        wait = self._next_attempt - time.monotonic()
        if wait > 0:
            report.retry_in_s, report.stopped = wait, self.stopped
        else:
            await self._drain(report, deadline_s, full_only)
        report.remaining = (await asyncio.to_thread(self.spool.stats)).depth
        return report

    async def _drain(self, report: FlushReport, deadline_s: float | None, full_only: bool) -> None:
        """Batches in order, up to `in_flight` requests at once (the server works on one
        while the next travels); stop at the first failure, the rest stays spooled.
        `full_only`: a partial batch waits until its oldest sample is max_batch_age_s old."""
        end = time.monotonic() + deadline_s if deadline_s is not None else None
        size, div = self.config.batch_size, self._divisor
        sending: set[asyncio.Task[bool]] = set()
        settled = True
        batch = await asyncio.to_thread(self.spool.next_batch, size, 0, div)
        while batch and settled and (end is None or time.monotonic() < end):
            if full_only and batch.count < size and not self._aged(batch):
                break
            sending.add(asyncio.create_task(self._send(batch, report)))
            if len(sending) >= self.config.in_flight:
                done, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                settled = all(t.result() for t in done)
            batch = await asyncio.to_thread(self.spool.next_batch, size, batch.last_id, div)
        if sending:
            settled = all(await asyncio.gather(*sending)) and settled
        if settled and report.requests:
            self._succeeded()

    def _aged(self, batch: Batch) -> bool:
        return time.time_ns() - batch.oldest_ns >= self.config.max_batch_age_s * 1e9

    async def run(self, stop: asyncio.Event, stats_interval_s: float = 60.0) -> None:
        """Flush whenever a full batch waits or the oldest waited max_batch_age_s; also
        puts the spool's own health (`agent` point) every `stats_interval_s`."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def on_put(depth: int) -> None:
            if depth >= self.config.batch_size:
                loop.call_soon_threadsafe(wake.set)

        unsubscribe = self.spool.on_put(on_put)
        next_stats = 0.0
        try:
            while not stop.is_set():
                wake.clear()
                try:
                    if time.monotonic() >= next_stats:
                        self.spool.put([self.spool.stats().to_sample()])
                        next_stats = time.monotonic() + stats_interval_s
                    report = await self._flush(None, full_only=True)
                except sqlite3.Error as e:  # the local disk (full, I/O error): keep trying
                    log.error(
                        "spool error: %s; delivery retries in %.0f s", e, self.config.retry_max_s
                    )
                    await _wait_any(stop, wake, self.config.retry_max_s)
                    continue
                timeout = report.retry_in_s or self.config.max_batch_age_s
                if report.retry_in_s is None and report.remaining >= self.config.batch_size:
                    timeout = 0  # more than one batch was waiting: keep draining
                await _wait_any(stop, wake, timeout)
        finally:
            unsubscribe()

    async def _send(self, batch: Batch, report: FlushReport) -> bool:
        """The fast path: one body as the spool built it; per-line work only if refused."""
        result = await self.writer.write(batch.body.encode())
        report.requests += 1
        if result.ok:
            await asyncio.to_thread(self.spool.ack, batch.first_id, batch.last_id)
            report.delivered += batch.count
            return True
        if result.status in _REFUSED:
            rows = await asyncio.to_thread(self.spool.lines, batch.first_id, batch.last_id)
            return await self._settle(rows, result, report)
        self._failed(result, report)
        return False

    async def _deliver(self, rows: Sequence[PendingLine], report: FlushReport) -> bool:
        """Send some lines; True once settled (acknowledged or dead-lettered), False on a
        failure to retry later."""
        body = "\n".join([lp.line(k, f, t, self._divisor) for _, k, f, t in rows]).encode()
        result = await self.writer.write(body)
        report.requests += 1
        if result.ok:
            await asyncio.to_thread(self.spool.ack, rows[0][0], rows[-1][0])
            report.delivered += len(rows)
            return True
        return await self._settle(rows, result, report)

    async def _settle(
        self, rows: Sequence[PendingLine], result: WriteResult, report: FlushReport
    ) -> bool:
        if result.status == 413 and len(rows) > 1:
            return await self._halves(rows, report)
        if result.status in _REFUSED and (result.status == 413 or about_lines(result.reason)):
            return await self._refused(rows, result, report)
        self._failed(result, report)
        return False

    async def _halves(self, rows: Sequence[PendingLine], report: FlushReport) -> bool:
        half = len(rows) // 2
        return await self._deliver(rows[:half], report) and await self._deliver(rows[half:], report)

    async def _refused(
        self, batch: Sequence[PendingLine], result: WriteResult, report: FlushReport
    ) -> bool:
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
        return await self._deliver(rest, report) if rest else True

    def _succeeded(self) -> None:
        if self._failures or self.stopped:
            log.warning("InfluxDB writes succeed again after %d failure(s)", self._failures)
        self._failures, self._next_attempt, self.stopped = 0, 0.0, False

    def _failed(self, result: WriteResult, report: FlushReport) -> None:
        self._failures += 1
        # A 400 that is not about lines (a proxy, a broken config) must not bisect the
        # whole spool into dead letters: stop like a credentials problem, keep everything.
        if result.status in _STOPPING or result.status in (400, 422):
            delay = self.config.retry_max_s
            self.stopped = True
            log.critical(
                "InfluxDB answered %d (%s): writing STOPPED, nothing dropped (%d samples "
                "wait in the spool); fix the credentials/database in the config. Next try "
                "in %.0f s.",
                result.status,
                result.reason,
                self.spool.stats().depth,
                delay,
            )
        else:
            cap = min(
                self.config.retry_max_s, self.config.retry_initial_s * 2 ** (self._failures - 1)
            )
            delay = random.uniform(cap / 2, cap)  # equal jitter: spread, never zero
            if result.retry_after_s is not None:
                delay = result.retry_after_s
            what = "no answer" if result.status == NO_ANSWER else f"status {result.status}"
            log.warning(
                "InfluxDB write failed (%s: %s); retry %d in %.1f s, samples stay in the spool",
                what,
                result.reason,
                self._failures,
                delay,
            )
        self._next_attempt = time.monotonic() + delay
        report.status, report.error = result.status, result.reason
        report.retry_in_s, report.stopped = delay, self.stopped


class LocalRetention:
    """The embedded mode's 'delivery': the spool is the store; old history is forgotten."""

    def __init__(self, spool: Spool, config: SpoolConfig) -> None:
        self.spool = spool
        self.config = config

    async def flush(self, deadline_s: float | None = None) -> FlushReport:
        expired = await asyncio.to_thread(self.spool.expire, self.config.retention_s)
        if expired:
            log.info("forgot %d local samples older than %.0f s", expired, self.config.retention_s)
        return FlushReport(remaining=(await asyncio.to_thread(self.spool.stats)).depth)

    async def run(self, stop: asyncio.Event, stats_interval_s: float = 60.0) -> None:
        while not stop.is_set():
            self.spool.put([self.spool.stats().to_sample()])
            await self.flush()
            await _wait_any(stop, asyncio.Event(), stats_interval_s)


def make_delivery(
    spool: Spool, influx: InfluxConfig, config: SpoolConfig
) -> Flusher | LocalRetention:
    """A Flusher when InfluxDB is configured, else the local retention of the embedded mode."""
    writer = make_writer(influx)
    return LocalRetention(spool, config) if writer is None else Flusher(spool, writer, config)


async def _wait_any(a: asyncio.Event, b: asyncio.Event, timeout: float) -> None:
    if timeout <= 0:
        return
    tasks = [asyncio.create_task(a.wait()), asyncio.create_task(b.wait())]
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for t in tasks:
        t.cancel()
