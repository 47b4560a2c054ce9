"""A full spool is fair: bulk samples never push the status measurements out.

During a long InfluxDB outage the spool fills with interface counters (most of the
volume); what an operator needs afterwards is icmp, device_status, snmp_system, agent,
alert. The bound drops the bulk's oldest first, counts every drop per measurement (kept
in the file) and says so in one warning per period, not one per put().
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolConfig

T0 = 1_700_000_000_000_000_000


def interface(i: int) -> Sample:
    dev, port = divmod(i, 48)
    return Sample(
        "interface",
        {"device": f"sw-{dev:02d}", "ifname": f"ge-0/0/{port}"},
        {"in_bps": 1000.0 + i, "out_bps": 20.0, "oper_up": True},
        T0 + i,
    )


def icmp(i: int) -> Sample:
    return Sample("icmp", {"device": f"ap-{i % 7}"}, {"up": True, "rtt_avg_ms": 1.5}, T0 + i)


def status(i: int) -> Sample:
    return Sample("device_status", {"device": f"ap-{i % 7}"}, {"state": "down"}, T0 + i)


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_bulk_at_the_bound_never_pushes_icmp_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig(max_samples=200))
    spool.put([interface(i) for i in range(200)])  # full of bulk
    with caplog.at_level(logging.WARNING):
        for round_ in range(30):  # an outage goes on: bulk and icmp keep coming
            spool.put([interface(1000 + round_ * 10 + i) for i in range(10)])
            spool.put([icmp(round_ * 5 + i) for i in range(5)])
    icmp_kept = [s.time_ns - T0 for s in spool.query("icmp")]
    assert icmp_kept == list(range(150))  # every icmp sample survived
    stats = spool.stats()
    assert stats.depth == 200
    assert stats.dropped_by_measurement == {"interface": 450}
    assert stats.dropped_total == 450
    # The bulk that stays is the newest.
    newest_bulk = [s.time_ns - T0 for s in spool.query("interface")]
    assert newest_bulk == list(range(1250, 1300))
    # One warning for all those drops, with the counts per measurement.
    (warning,) = warnings(caplog)
    assert "full (200 samples): dropped 10 sample(s) (interface 10)" in warning
    spool.close()
    assert Spool(tmp_path / "spool.sqlite").stats().dropped_by_measurement == {"interface": 450}


def test_with_no_bulk_left_new_bulk_is_refused_then_the_oldest_status_goes(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig(max_samples=20))
    spool.put([icmp(i) for i in range(15)] + [interface(i) for i in range(5)])
    assert spool.put([status(100 + i) for i in range(5)]) == 5  # the 5 bulk rows make room
    assert spool.put([interface(50 + i) for i in range(3)] + [icmp(200)]) == 1
    assert spool.query("interface") == []
    assert spool.put([icmp(300 + i) for i in range(3)]) == 3  # status alone: oldest status go
    kept = [s.time_ns - T0 for s in spool.query("icmp")]
    assert kept[:2] == [4, 5] and kept[-4:] == [200, 300, 301, 302]
    assert spool.stats().dropped_by_measurement == {"interface": 8, "icmp": 4}
    assert spool.stats().depth == 20


def test_drop_warnings_are_folded_one_per_period_with_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    with monkeypatch.context() as m:
        m.setattr(time, "monotonic", lambda: now[0])
        spool = Spool(tmp_path / "spool.sqlite", SpoolConfig(max_samples=10))
    spool.put([interface(i) for i in range(10)])
    with caplog.at_level(logging.WARNING):
        for i in range(100):  # 100 puts that each drop one sample, over 100 s
            now[0] += 1
            spool.put([interface(100 + i)])
        assert len(warnings(caplog)) == 1  # the first drop, at once
        now[0] += 300
        spool.put([interface(500), icmp(1)])
        assert len(warnings(caplog)) == 2
        assert "dropped 101 sample(s) in the last 398 s (interface 101)" in warnings(caplog)[1]
        spool.put([interface(501)])
        spool.close()  # what was dropped since the last warning is said at close
    assert "dropped 1 sample(s) (interface 1)" in warnings(caplog)[2]
