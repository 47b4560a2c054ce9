"""The writer against a real InfluxDB 1.6 (v1 /write): round trip and faults."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from netagent.collectors.influx import Flusher, FlushReport, InfluxConfig, make_writer
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolConfig
from tests.fixtures.influx import InfluxServer

T0 = 1_700_000_000_123_456_789
FAST = SpoolConfig(batch_size=50, retry_initial_s=0.01, retry_max_s=0.05)


def flusher(spool: Spool, server: InfluxServer, **influx: Any) -> Flusher:
    config = InfluxConfig(url=server.url, api="v1", **{"database": "netagent", **influx})
    writer = make_writer(config)
    assert writer is not None
    return Flusher(spool, writer, spool.config)


def flush_until_empty(f: Flusher, tries: int = 200) -> FlushReport:
    report = FlushReport()
    for _ in range(tries):
        report = asyncio.run(f.flush())
        if report.remaining == 0:
            return report
        time.sleep(report.retry_in_s or 0.01)
    raise AssertionError(f"spool never drained: {report}")


def rows(server: InfluxServer, q: str) -> list[dict[str, Any]]:
    res = server.query(q)["results"][0]
    out = []
    for series in res.get("series", []):
        out += [dict(zip(series["columns"], v, strict=True)) for v in series["values"]]
    return out


def icmp(i: int, **fields: Any) -> Sample:
    return Sample(
        "icmp",
        {"device": f"ap-{i}", "role": "ap", "site": "Piazza del Monte", "quartiere": "Centro"},
        fields or {"rtt_avg_ms": 1.25 + i, "loss_pct": 0.0, "sent": 3, "received": 3, "up": True},
        T0 + i,
    )


@pytest.mark.parametrize("gzip", [True, False])
def test_round_trip_values_types_and_timestamps(
    influxdb: InfluxServer, tmp_path: Path, gzip: bool
) -> None:
    influxdb.create_database()
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    status = Sample(
        "device_status",
        {"device": "ap,strange =one", "role": "ap", "quartiere": "outside"},
        {"state": 'down "hard", really\\', "since": 1_700_000_000},
        T0,
    )
    spool.put([icmp(i) for i in range(120)] + [status])
    report = flush_until_empty(flusher(spool, influxdb, gzip=gzip))
    assert report.delivered == 121 and report.requests == 3

    got = rows(influxdb, "SELECT * FROM icmp WHERE device = 'ap-7'")
    assert got == [
        {
            "time": T0 + 7,
            "device": "ap-7",
            "role": "ap",
            "site": "Piazza del Monte",
            "quartiere": "Centro",
            "rtt_avg_ms": 8.25,
            "loss_pct": 0,
            "sent": 3,
            "received": 3,
            "up": True,
        }
    ]
    assert rows(influxdb, "SELECT count(up) FROM icmp")[0]["count"] == 120
    types = {r["fieldKey"]: r["fieldType"] for r in rows(influxdb, "SHOW FIELD KEYS FROM icmp")}
    assert types == {
        "rtt_avg_ms": "float",
        "loss_pct": "float",
        "sent": "integer",
        "received": "integer",
        "up": "boolean",
    }
    back = rows(influxdb, "SELECT * FROM device_status")
    assert back[0]["device"] == "ap,strange =one" and back[0]["state"] == 'down "hard", really\\'
    assert back[0]["since"] == 1_700_000_000 and back[0]["time"] == T0
    assert spool.stats().depth == 0


def test_precision_seconds(influxdb: InfluxServer, tmp_path: Path) -> None:
    influxdb.create_database()
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    spool.put([icmp(1)])
    flush_until_empty(flusher(spool, influxdb, precision="s"))
    assert rows(influxdb, "SELECT rtt_avg_ms FROM icmp")[0]["time"] == T0 // 10**9 * 10**9


def test_down_at_start_then_up(influxdb: InfluxServer, tmp_path: Path) -> None:
    influxdb.create_database()
    influxdb.stop()
    spool = Spool(
        tmp_path / "spool.sqlite",
        FAST.model_copy(update={"retry_initial_s": 30, "retry_max_s": 60}),
    )
    spool.put([icmp(i) for i in range(10)])
    f = flusher(spool, influxdb)
    report = asyncio.run(f.flush())
    assert (report.delivered, report.remaining, report.status) == (0, 10, 0)
    assert report.error and report.retry_in_s and report.retry_in_s > 0
    again = asyncio.run(f.flush())  # inside the back-off window: no request at all
    assert again.requests == 0 and again.retry_in_s is not None
    assert 15 <= report.retry_in_s <= 30  # equal jitter on the first back-off
    influxdb.start()
    f._next_attempt = 0  # the back-off window passed
    flush_until_empty(f)
    assert rows(influxdb, "SELECT count(up) FROM icmp")[0]["count"] == 10


def test_killed_mid_run_and_restarted(influxdb: InfluxServer, tmp_path: Path) -> None:
    influxdb.create_database()
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    f = flusher(spool, influxdb)

    async def flush_job(stop: asyncio.Event) -> None:
        while not stop.is_set():  # the daemon's flush job, at a short interval
            await f.flush(deadline_s=0.05)
            await asyncio.sleep(0.02)

    async def scenario() -> None:
        stop = asyncio.Event()
        runner = asyncio.create_task(flush_job(stop))
        for i in range(300):
            spool.put([icmp(i)])
            if i == 100:
                await asyncio.to_thread(influxdb.stop, True)  # SIGKILL influxd
            if i == 200:
                await asyncio.to_thread(influxdb.start)
            await asyncio.sleep(0.001)
        while spool.stats().depth:
            await asyncio.sleep(0.02)
        stop.set()
        await runner

    asyncio.run(asyncio.wait_for(scenario(), 60))
    flush_until_empty(f)
    assert rows(influxdb, "SELECT count(up) FROM icmp")[0]["count"] == 300


def test_field_type_conflict_goes_to_dead_letters_and_the_rest_through(
    influxdb: InfluxServer, tmp_path: Path
) -> None:
    influxdb.create_database()
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig(batch_size=1000))
    spool.put([icmp(0)])  # `up` is a boolean in InfluxDB from now on
    f = flusher(spool, influxdb)
    flush_until_empty(f)
    spool.put([icmp(i) for i in range(1, 40)] + [icmp(40, up=1), icmp(41, up=0, sent=3)])
    report = flush_until_empty(f)
    assert (report.delivered, report.dead_lettered) == (39, 2)
    assert rows(influxdb, "SELECT count(up) FROM icmp")[0]["count"] == 40
    letters = spool.dead_letters()
    assert len(letters) == 2 and spool.stats().dead_letters == 2
    assert all("field type conflict" in d.reason and '"up"' in d.reason for d in letters)
    assert {d.line.split(",")[1] for d in letters} == {"device=ap-40", "device=ap-41"}


def test_unknown_database_stops_writing_loudly_and_keeps_everything(
    influxdb: InfluxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    spool.put([icmp(i) for i in range(5)])
    f = flusher(spool, influxdb, create_database=False)
    report = asyncio.run(f.flush())
    assert report.stopped and report.status == 404 and report.remaining == 5
    assert "writing STOPPED" in caplog.text and "database not found" in caplog.text
    influxdb.create_database()
    flush_until_empty(f)
    assert not f.stopped
    assert rows(influxdb, "SELECT count(up) FROM icmp")[0]["count"] == 5


def test_a_missing_database_is_created_and_written(
    influxdb: InfluxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    spool.put([icmp(i) for i in range(5)])
    report = flush_until_empty(flusher(spool, influxdb, database='re "comune"'))
    assert (report.delivered, report.stopped) == (5, False)
    assert "did not exist: created it" in caplog.text
    names = influxdb.query("SHOW DATABASES")["results"][0]["series"][0]["values"]
    assert ['re "comune"'] in names
    res = influxdb.query("SELECT count(up) FROM icmp", db='re "comune"')["results"][0]
    assert res["series"][0]["values"][0][1] == 5


def test_with_auth_a_user_who_may_not_create_the_database_stops_and_keeps_everything(
    influxdb_auth: InfluxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = influxdb_auth
    server.query("CREATE USER agent WITH PASSWORD 'agent-secret'")
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    spool.put([icmp(i) for i in range(3)])
    f = flusher(spool, server, username="agent", password=SecretStr("agent-secret"))
    report = asyncio.run(f.flush())
    assert report.stopped and report.status == 404 and report.remaining == 3
    assert "creating it failed" in (report.error or "") and "admin privilege" in caplog.text
    assert "agent-secret" not in caplog.text
    server.create_database()  # the admin steps in
    server.query('GRANT WRITE ON "netagent" TO agent')
    report = flush_until_empty(f)
    assert (report.delivered, report.stopped) == (3, False)
    assert rows(server, "SELECT count(up) FROM icmp")[0]["count"] == 3


def test_with_auth_a_wrong_password_stops_writing_and_an_admin_creates_the_database(
    influxdb_auth: InfluxServer, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    spool.put([icmp(0)])
    wrong = flusher(spool, influxdb_auth, username="admin", password=SecretStr("nope"))
    report = asyncio.run(wrong.flush())
    assert report.stopped and report.status == 401 and report.remaining == 1
    user, password = influxdb_auth.auth or ("", "")
    report = flush_until_empty(
        flusher(spool, influxdb_auth, username=user, password=SecretStr(password))
    )
    assert report.delivered == 1
    assert rows(influxdb_auth, "SELECT count(up) FROM icmp")[0]["count"] == 1


def test_full_spool_while_influxdb_is_down_keeps_every_icmp_sample(
    influxdb: InfluxServer, tmp_path: Path
) -> None:
    """InfluxDB down, the spool fills with interface counters: when InfluxDB is back
    every icmp sample of the outage arrives; the interface samples that arrive are the
    newest, the others were counted as dropped."""
    influxdb.create_database()
    influxdb.stop()
    spool = Spool(tmp_path / "spool.sqlite", FAST.model_copy(update={"max_samples": 50}))
    f = flusher(spool, influxdb)
    for i in range(80):
        spool.put(
            [
                Sample(
                    "interface",
                    {"device": "sw-1", "ifname": f"ge{i % 4}"},
                    {"in_bps": float(i)},
                    T0 + i,
                )
            ]
        )
        if i % 4 == 0:
            spool.put([icmp(i)])
    assert asyncio.run(f.flush()).remaining == 50
    influxdb.start()
    flush_until_empty(f)
    assert [r["time"] - T0 for r in rows(influxdb, "SELECT up FROM icmp")] == list(range(0, 80, 4))
    kept = [r["time"] - T0 for r in rows(influxdb, "SELECT in_bps FROM interface")]
    assert kept == list(range(50, 80))
    stats = spool.stats()
    assert stats.dropped_by_measurement == {"interface": 50} and stats.dropped_total == 50


def test_retention_policy_is_honoured(influxdb: InfluxServer, tmp_path: Path) -> None:
    influxdb.create_database()
    influxdb.query('CREATE RETENTION POLICY "short" ON "netagent" DURATION 1000w REPLICATION 1')
    spool = Spool(tmp_path / "spool.sqlite", FAST)
    spool.put([icmp(3)])
    flush_until_empty(flusher(spool, influxdb, retention_policy="short"))
    assert rows(influxdb, 'SELECT count(up) FROM "netagent"."short"."icmp"')[0]["count"] == 1
    assert rows(influxdb, 'SELECT count(up) FROM "netagent"."autogen"."icmp"') == []
