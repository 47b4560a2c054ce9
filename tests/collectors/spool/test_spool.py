"""The spool: what others read back (put/latest/query), bounds, dead letters, retention."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from netagent.collectors.line_protocol import LineProtocolError
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolConfig, SpoolError

T0 = 1_700_000_000_000_000_000


def icmp(device: str, t: int, rtt: float = 1.5, up: bool = True) -> Sample:
    return Sample(
        "icmp",
        {"device": device, "role": "ap", "site": "Piazza Prampolini", "quartiere": "Centro"},
        {"rtt_avg_ms": rtt, "loss_pct": 0.0, "sent": 3, "received": 3, "up": up},
        t,
    )


def test_put_latest_query_round_trip_types_and_tags(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite")
    odd = Sample("alert", {"device": "ap,1 =x", "kind": "down"}, {"text": 'say "hi", a=b\\'}, T0)
    assert spool.put([icmp("ap-1", T0), icmp("ap-1", T0 + 10, rtt=2.0), icmp("ap-2", T0), odd]) == 4

    latest = {s.tags["device"]: s for s in spool.latest("icmp")}
    assert latest["ap-1"].fields["rtt_avg_ms"] == 2.0 and latest["ap-1"].time_ns == T0 + 10
    assert latest["ap-1"].fields == {
        "rtt_avg_ms": 2.0,
        "loss_pct": 0.0,
        "sent": 3,
        "received": 3,
        "up": True,
    }
    assert type(latest["ap-1"].fields["sent"]) is int
    assert type(latest["ap-1"].fields["loss_pct"]) is float
    assert latest["ap-2"].tags["site"] == "Piazza Prampolini"

    history = spool.query("icmp", tags={"device": "ap-1"})
    assert [s.time_ns for s in history] == [T0, T0 + 10]
    assert spool.query("icmp", since_ns=T0 + 5) == [icmp("ap-1", T0 + 10, rtt=2.0)]
    assert len(spool.query("icmp", limit=1)) == 1
    assert spool.query("alert") == [odd]


def test_any_text_and_the_extreme_times_survive_the_json_batch(tmp_path: Path) -> None:
    """A put's rows reach SQLite as one JSON array: quotes, backslashes, control
    characters, non-ASCII text and times near both ends of int64 come back unchanged."""
    spool = Spool(tmp_path / "s.sqlite")
    tags = {"device": 'ap "ü" \\ 1', "site": "Sant'Ilario d'Enza 🛰", "role": "a=b,c"}
    fields = {"text": 'line1\nline2 \t "q" \\ \x01 ✓', "n": -(2**62), "x": 1e-300}
    samples = [
        Sample("icmp", tags, {"up": True, "rtt_avg_ms": 0.25}, 1),
        Sample("icmp", tags, {"up": False, "rtt_avg_ms": 2.5}, 2**63 - 1),
        Sample("alert", tags, fields, -(2**62)),
    ]
    assert spool.put(samples) == 3
    assert spool.query("alert") == [samples[2]]
    assert spool.query("icmp") == samples[:2]
    assert spool.latest("icmp") == [samples[1]]
    batch = spool.next_batch(10)
    assert batch is not None and batch.count == 3 and (batch.first_id, batch.last_id) == (1, 3)


def test_a_put_is_a_few_statements_whatever_its_size(tmp_path: Path) -> None:
    """Not a statement per row: each releases and retakes the GIL, and beside a thread
    that computes each retake waits the switch interval (5 ms): a 15,000-row put took
    3-7 s in the daemon at region scale."""
    spool = Spool(tmp_path / "s.sqlite")
    statements: list[str] = []
    spool._db.set_trace_callback(statements.append)
    for n in (10, 5000):
        statements.clear()
        spool.put([icmp(f"ap-{i}", T0 + n) for i in range(n)])
        assert len(statements) <= 8, statements
    assert len(spool.latest("icmp")) == 5000 and spool.stats().depth == 5010


def test_latest_keeps_the_newest_even_when_an_older_sample_arrives_later(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.put([icmp("ap-1", T0 + 100, rtt=9.0)])
    spool.put([icmp("ap-1", T0, rtt=1.0)])
    assert spool.latest("icmp")[0].fields["rtt_avg_ms"] == 9.0


def test_wrong_field_type_stores_nothing_and_names_the_sample(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    bad = Sample("wifi", {"device": "ap-9", "radio": "2g"}, {"clients": [1, 2]}, T0)  # type: ignore[dict-item]
    with pytest.raises(LineProtocolError, match=r"wifi,device=ap-9,radio=2g.*clients.*list"):
        spool.put([icmp("ap-1", T0), bad])
    assert spool.stats().depth == 0 and spool.latest("icmp") == []


def test_nan_fields_are_left_out_and_an_all_nan_sample_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    n = spool.put(
        [
            Sample("radio_link", {"link": "l1"}, {"rssi_dbm": float("nan"), "snr_db": 20.0}, T0),
            Sample("radio_link", {"link": "l2"}, {"rssi_dbm": float("inf")}, T0),
        ]
    )
    assert n == 1
    assert [s.fields for s in spool.query("radio_link")] == [{"snr_db": 20.0}]


def test_full_spool_drops_the_oldest_counts_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "s.sqlite", SpoolConfig(max_samples=10))
    spool.put([icmp(f"ap-{i}", T0 + i) for i in range(8)])
    with caplog.at_level(logging.WARNING):
        spool.put([icmp(f"ap-{i}", T0 + i) for i in range(8, 13)])
    kept = [s.time_ns - T0 for s in spool.query("icmp")]
    assert kept == list(range(3, 13))
    stats = spool.stats()
    assert (stats.depth, stats.dropped_total) == (10, 3)
    assert "full (10 samples): dropped 3 sample(s) (icmp 3)" in caplog.text
    # A single put larger than the bound keeps its newest samples.
    spool.put([icmp(f"ap-{i}", T0 + 100 + i) for i in range(12)])
    assert [s.time_ns - T0 for s in spool.query("icmp")] == list(range(102, 112))
    assert spool.stats().dropped_total == 3 + 10 + 2
    # The counts survive a restart.
    spool.close()
    again = Spool(tmp_path / "s.sqlite").stats()
    assert (again.dropped_total, again.dropped_by_measurement) == (15, {"icmp": 15})


def test_ack_and_dead_letter_leave_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.put([icmp(f"ap-{i}", T0 + i) for i in range(6)])
    batch = spool.next_batch(4, divisor=10**9)
    assert batch is not None and batch.count == 4
    key = "icmp,device=ap-1,quartiere=Centro,role=ap,site=Piazza\\ Prampolini"
    fields = "loss_pct=0,received=3i,rtt_avg_ms=1.5,sent=3i,up=true"
    assert batch.body.splitlines()[1] == f"{key} {fields} {T0 // 10**9}"
    following = spool.next_batch(10, after_id=batch.last_id)
    assert following is not None and following.body.endswith(f" {T0 + 5}")
    rows = spool.lines(batch.first_id, batch.last_id)
    assert [row[3] - T0 for row in rows] == [0, 1, 2, 3]
    spool.dead_letter([rows[1][0]], "field type conflict")
    spool.ack(batch.first_id, batch.last_id)
    stats = spool.stats(now_ns=T0 + 10 * 10**9)
    assert (stats.depth, stats.dead_letters) == (2, 1)
    assert stats.oldest_age_s == pytest.approx(10 - 4e-9)
    letter = spool.dead_letters()[0]
    assert letter.reason == "field type conflict" and letter.line.startswith("icmp,device=ap-1,")
    assert letter.line.endswith(f" {T0 + 1}")
    assert spool.latest("icmp")[0].tags["device"] == "ap-0"  # status survives delivery
    assert spool.requeue_dead_letters() == 1
    assert (spool.stats().depth, spool.stats().dead_letters) == (3, 0)
    assert spool.query("icmp")[0] == icmp("ap-1", T0 + 1)


def test_expire_forgets_only_old_history(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", SpoolConfig(retention_s=60))
    spool.put([icmp("ap-1", T0), icmp("ap-1", T0 + 120 * 10**9)])
    assert spool.expire(now_ns=T0 + 150 * 10**9) == 1
    assert [s.time_ns for s in spool.query("icmp")] == [T0 + 120 * 10**9]
    assert spool.stats().depth == 1


@pytest.mark.parametrize("version", [0, 2, 4])
def test_a_spool_of_another_layout_is_refused_in_one_line_and_left_untouched(
    tmp_path: Path, version: int
) -> None:
    """Layouts 1 and 2 only existed in development builds (0.1.0 shipped 3): no migration,
    a clear refusal; a newer layout is not touched either."""
    path = tmp_path / "spool.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE samples (id INTEGER PRIMARY KEY, measurement TEXT, tags TEXT,"
        f" fields TEXT, time_ns INTEGER); PRAGMA user_version={version};"
    )
    db.close()
    before = path.read_bytes()
    with pytest.raises(SpoolError) as caught:
        Spool(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and f"layout {version}" in message
    assert "move it aside" in message
    assert path.read_bytes() == before


def test_latest_only_for_status_measurements_and_no_prefix_confusion(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite", SpoolConfig(latest_for=["icmp", "agent"]))
    spool.put(
        [
            icmp("ap-1", T0),
            Sample("icmp_x", {"device": "ap-1"}, {"v": 1.0}, T0),
            Sample("agent", {}, {"cycles": 3}, T0),
            Sample("wifi", {"device": "ap-1"}, {"clients": 2}, T0),
        ]
    )
    assert [s.measurement for s in spool.latest("icmp")] == ["icmp"]
    assert spool.latest("agent")[0].fields == {"cycles": 3}
    assert spool.latest("wifi") == [] and len(spool.query("wifi")) == 1
    assert [s.measurement for s in spool.query("icmp")] == ["icmp"]
    assert [s.measurement for s in spool.query("icmp_x")] == ["icmp_x"]


def test_a_0_1_0_config_with_max_batch_age_s_still_loads_and_is_told_it_is_unused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        config = SpoolConfig.model_validate({"max_batch_age_s": 5.0, "batch_size": 100})
    assert config.batch_size == 100
    assert "[spool] max_batch_age_s is no longer used" in caplog.text
