"""The v2 writer (influxdb-client) against a local server speaking the v2 write API.

No InfluxDB 2 can be installed here (Debian ships 1.6, whose /api/v2/write is a 404), so
the double in tests/fixtures/influx_v2.py answers as InfluxDB 2.x documents it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from netagent.collectors.influx import (
    Flusher,
    FlushReport,
    InfluxConfig,
    LocalRetention,
    WriteResult,
    make_delivery,
    make_writer,
)
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolConfig, SpoolWriteError
from tests.fixtures.influx_v2 import V2Server, serve

T0 = 1_700_000_000_123_456_789


@pytest.fixture
def v2() -> Iterator[V2Server]:
    with serve() as server:
        yield server


CFG = SpoolConfig(batch_size=10, retry_initial_s=0.5, retry_max_s=30)


def wifi(i: int, clients: Any = 7) -> Sample:
    return Sample("wifi", {"device": f"ap-{i}", "radio": "5g"}, {"clients": clients}, T0 + i)


def setup(
    tmp_path: Path, server: V2Server, token: str = "secret-token", **kw: Any
) -> tuple[Spool, Flusher]:
    spool = Spool(tmp_path / "spool.sqlite", CFG)
    config = InfluxConfig(
        url=server.url,
        api="v2",
        org=server.org,
        bucket=server.bucket,
        token=SecretStr(token),
        **kw,
    )
    writer = make_writer(config)
    assert writer is not None
    return spool, Flusher(spool, writer, CFG)


def flush(f: Flusher) -> FlushReport:
    return asyncio.run(f.flush())


def test_round_trip_token_gzip_precision(v2: V2Server, tmp_path: Path) -> None:
    spool, f = setup(tmp_path, v2, precision="ms", gzip=True)
    spool.put([wifi(i) for i in range(25)])
    report = flush(f)
    assert (report.delivered, report.requests, report.remaining) == (25, 3, 0)
    first = v2.requests[0]
    assert first["query"] == {"org": "comune-re", "bucket": "netagent", "precision": "ms"}
    assert first["headers"]["Content-Encoding"] == "gzip"
    assert f"wifi,device=ap-0,radio=5g clients=7i {T0 // 10**6}" in v2.received
    assert len(v2.points) == 25


def test_429_honours_retry_after_and_keeps_the_batch(v2: V2Server, tmp_path: Path) -> None:
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(i) for i in range(5)])
    v2.fail_next(429, {"code": "too many requests", "message": "slow down"}, {"Retry-After": "7"})
    report = flush(f)
    assert report.status == 429 and report.retry_in_s == 7 and report.remaining == 5
    assert report.error == "slow down"
    assert flush(f).requests == 0  # still inside the server's window
    f._next_attempt = 0  # the window passed
    assert flush(f).delivered == 5


def test_503_backs_off_exponentially_with_jitter(v2: V2Server, tmp_path: Path) -> None:
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(1)])
    v2.fail_next(503, {"code": "unavailable", "message": "shutting down"}, times=3)
    delays = []
    for _ in range(3):
        f._next_attempt = 0
        report = flush(f)
        assert report.status == 503 and report.remaining == 1
        delays.append(report.retry_in_s)
    for n, d in enumerate(delays):
        cap = 0.5 * 2**n
        assert d is not None and cap / 2 <= d <= cap
    f._next_attempt = 0
    assert flush(f).delivered == 1


def test_401_stops_writing_loudly_keeps_everything_and_hides_the_token(
    v2: V2Server,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spool, f = setup(tmp_path, v2, token="wrong-token-123")
    spool.put([wifi(i) for i in range(15)])
    with caplog.at_level(logging.WARNING):
        report = flush(f)
    assert report.stopped and report.status == 401 and report.retry_in_s == CFG.retry_max_s
    assert report.remaining == 15 and spool.stats().dropped_total == 0
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert critical and "writing STOPPED" in critical[0].getMessage()
    assert "unauthorized access" in critical[0].getMessage()
    assert "wrong-token-123" not in caplog.text
    assert v2.received == []


def test_unknown_bucket_is_a_stop_too(v2: V2Server, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", CFG)
    writer = make_writer(
        InfluxConfig(url=v2.url, bucket="nope", org=v2.org, token=SecretStr(v2.token))
    )
    assert writer is not None
    spool.put([wifi(1)])
    report = asyncio.run(Flusher(spool, writer, CFG).flush())
    assert (
        report.stopped and report.status == 404 and 'bucket "nope" not found' in str(report.error)
    )


def test_type_conflict_dead_letters_the_offenders_only(v2: V2Server, tmp_path: Path) -> None:
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(0)])
    flush(f)
    spool.put([wifi(1), wifi(2, clients=2.5), wifi(3), wifi(4, clients="many"), wifi(5)])
    report = flush(f)
    assert (report.delivered, report.dead_lettered, report.remaining) == (3, 2, 0)
    assert len(v2.points) == 4
    reasons = {d.line.split(" ")[1]: d.reason for d in spool.dead_letters()}
    assert set(reasons) == {"clients=2.5", 'clients="many"'}
    assert all("field type conflict" in r for r in reasons.values())


def test_unexplained_400_is_bisected_down_to_the_refused_line(
    v2: V2Server,
    tmp_path: Path,
) -> None:
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(i) for i in range(4)])
    bad = {"code": "invalid", "message": "partial write: points beyond retention policy dropped=1"}
    # whole batch, then its first half, then that half's first line are refused
    v2.fail_next(400, bad, times=3)
    report = flush(f)
    assert (report.delivered, report.dead_lettered) == (3, 1)
    assert "beyond retention policy" in spool.dead_letters()[0].reason
    assert spool.dead_letters()[0].line.startswith("wifi,device=ap-0,")


def test_413_splits_the_batch(v2: V2Server, tmp_path: Path) -> None:
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(i) for i in range(10)])
    v2.fail_next(413, {"code": "request too large", "message": "too large"})
    report = flush(f)
    assert (report.delivered, report.requests, report.dead_lettered) == (10, 3, 0)


def test_no_url_means_the_embedded_store(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig(retention_s=60, latest_for=["wifi"]))
    assert make_writer(InfluxConfig()) is None
    delivery = make_delivery(spool, InfluxConfig(), spool.config)
    assert isinstance(delivery, LocalRetention)
    spool.put([wifi(1)])  # T0 is long past the retention
    spool.put([Sample("wifi", {"device": "ap-2", "radio": "5g"}, {"clients": 1})])
    report = asyncio.run(delivery.flush())
    assert report.remaining == 0  # nothing waits for an InfluxDB there is not
    assert spool.stats().depth == 1  # the recent sample is the local history
    assert [s.tags["device"] for s in spool.latest("wifi")] == ["ap-1", "ap-2"]


def test_bad_url_is_a_clear_config_error() -> None:
    with pytest.raises(ValueError, match="expected http://host:port"):
        InfluxConfig(url="127.0.0.1:8086")


def test_random_faults_lose_nothing(v2: V2Server, tmp_path: Path) -> None:
    """Whatever mix of 5xx, 429 and 413 comes back, every sample arrives, once settled."""
    import random

    rng = random.Random(11)
    spool, f = setup(tmp_path, v2)
    expected = set()
    for round_ in range(30):
        batch = [wifi(round_ * 7 + i, clients=round_) for i in range(7)]
        spool.put(batch)
        expected |= {s.time_ns for s in batch}
        for _ in range(rng.randint(0, 3)):
            status = rng.choice([500, 502, 503, 429, 413])
            v2.fail_next(status, {"code": "x", "message": f"fault {status}"}, {"Retry-After": "0"})
        f._next_attempt = 0
        flush(f)
    for _ in range(20):
        f._next_attempt = 0
        if flush(f).remaining == 0:
            break
    assert {int(line.rsplit(" ", 1)[1]) for line in v2.received} == expected
    assert spool.stats().depth == 0 and spool.stats().dead_letters == 0


def test_a_400_not_about_lines_stops_instead_of_dead_lettering(
    v2: V2Server, tmp_path: Path
) -> None:
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(i) for i in range(4)])
    v2.fail_next(400, {"code": "invalid", "message": "request rejected by proxy policy"})
    report = flush(f)
    assert report.stopped and report.status == 400 and report.requests == 1
    assert spool.stats().dead_letters == 0 and report.remaining == 4
    f._next_attempt = 0
    assert flush(f).delivered == 4 and not f.stopped


def test_one_failed_flush_is_one_failure_whatever_was_in_flight(
    v2: V2Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two requests in flight both refused: the back-off is the first one's, not the
    second's (it used to count two failures and double the wait)."""
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(i) for i in range(40)])  # 4 batches: 2 in flight
    v2.fail_next(503, {"code": "unavailable", "message": "busy"}, times=4)
    with caplog.at_level(logging.WARNING):
        report = flush(f)
    assert report.requests == 2 and report.status == 503
    assert report.retry_in_s is not None and report.retry_in_s <= CFG.retry_initial_s
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "failure 1 in a row" in warning


def test_a_retry_inside_the_flush_deadline_happens_when_the_log_says(
    v2: V2Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The flush job's flush runs with a deadline (its interval): a back-off that ends
    before it is waited out and tried again in the same run, so "retry in 0.1 s" is true;
    one that outlasts it says the next try is at the first flush run after it."""
    spool = Spool(tmp_path / "spool.sqlite", CFG)
    config = InfluxConfig(url=v2.url, org=v2.org, bucket=v2.bucket, token=SecretStr(v2.token))
    writer = make_writer(config)
    assert writer is not None
    fast = Flusher(spool, writer, CFG.model_copy(update={"retry_initial_s": 0.1}))
    spool.put([wifi(i) for i in range(5)])
    v2.fail_next(503, {"code": "unavailable", "message": "busy"}, times=2)
    with caplog.at_level(logging.WARNING):
        report = asyncio.run(fast.flush(deadline_s=30))
    assert (report.delivered, report.requests, report.error, report.remaining) == (5, 3, None, 0)
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "failure 1 in a row; retry in 0." in messages[0]  # 0.05-0.1 s, then 0.1-0.2 s
    assert "failure 2 in a row; retry in 0." in messages[1]
    assert messages[2] == "InfluxDB writes succeed again after 2 failure(s)"

    caplog.clear()
    spool.put([wifi(9)])
    v2.fail_next(503, {"code": "unavailable", "message": "busy"}, {"Retry-After": "60"})
    with caplog.at_level(logging.WARNING):
        report = asyncio.run(fast.flush(deadline_s=5))
    assert report.requests == 1 and report.remaining == 1
    assert report.retry_in_s == pytest.approx(60, abs=1)
    assert "next try at the first flush run after 60.0 s" in caplog.text
    # The next run does not sit out that back-off: the first run after it tries.
    assert asyncio.run(fast.flush(deadline_s=120)).requests == 0


def test_a_flush_sends_what_waited_when_it_started_not_a_trickle_after_it(
    tmp_path: Path,
) -> None:
    """Collectors keep putting while a flush runs: those samples wait for the next run,
    in full batches, instead of going out one small request per put."""
    spool = Spool(tmp_path / "spool.sqlite", CFG)

    class Recorder:
        precision = "ns"

        def __init__(self) -> None:
            self.bodies: list[int] = []

        async def write(self, lines: bytes) -> WriteResult:
            self.bodies.append(len(lines.splitlines()))
            spool.put([wifi(100 + len(self.bodies))])  # a collector's round meanwhile
            return WriteResult(204)

        async def close(self) -> None:
            pass

    writer = Recorder()
    spool.put([wifi(i) for i in range(25)])
    report = asyncio.run(Flusher(spool, writer, CFG).flush(deadline_s=10))
    assert writer.bodies == [10, 10, 5]
    assert (report.delivered, report.remaining) == (25, 3)


def test_a_spool_that_fails_under_a_flush_leaves_no_request_running(
    v2: V2Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk fills while batches are in flight: the flush ends with the one-line
    SpoolWriteError for the daemon, and no request task is left behind unowned."""
    spool, f = setup(tmp_path, v2)
    spool.put([wifi(i) for i in range(40)])

    def full(first_id: int, last_id: int) -> None:
        raise SpoolWriteError(f"cannot store samples in the spool {spool.path}: disk full")

    monkeypatch.setattr(spool, "ack", full)

    async def scenario() -> int:
        with pytest.raises(SpoolWriteError, match="disk full"):
            await f.flush(deadline_s=10)
        return len(asyncio.all_tasks())

    assert asyncio.run(scenario()) == 1  # only the scenario itself
    assert spool.stats().depth == 40  # nothing acknowledged: all of it is sent again
