"""`netagent spool dead-letters|requeue` around a real field type conflict in influxd 1.6."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netagent.agent.cli import main
from netagent.collectors.spool import Spool, SpoolConfig
from tests.collectors.influx.test_influx_v1 import flush_until_empty, flusher, icmp, rows
from tests.fixtures.influx import InfluxServer


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NETAGENT_DATA_DIR", str(tmp_path))
    main._register()
    return tmp_path


def test_list_then_requeue_after_the_conflict_is_fixed(
    influxdb: InfluxServer, data_dir: Path
) -> None:
    influxdb.create_database()
    cli = CliRunner()
    spool = Spool(data_dir / "spool.sqlite", SpoolConfig(batch_size=1000))
    f = flusher(spool, influxdb)
    spool.put([icmp(0)])  # `up` is a boolean in InfluxDB from now on
    flush_until_empty(f)
    r = cli.invoke(main.app, ["spool", "dead-letters"])
    assert r.exit_code == 0 and "no dead letters" in r.stdout

    spool.put([icmp(1), icmp(2, up=1)])
    flush_until_empty(f)
    r = cli.invoke(main.app, ["spool", "dead-letters", "--json"])
    assert r.exit_code == 1, r.output  # there are some: a problem to look at
    (letter,) = json.loads(r.stdout)
    assert letter["line"].startswith("icmp,device=ap-2,") and "up=1i" in letter["line"]
    assert "field type conflict" in letter["reason"]
    r = cli.invoke(main.app, ["spool", "dead-letters"])
    assert r.exit_code == 1 and "field type conflict" in r.stdout and "requeue" in r.stderr

    influxdb.query("DROP MEASUREMENT icmp")  # the operator fixes the conflict
    r = cli.invoke(main.app, ["spool", "requeue"])
    assert r.exit_code == 0 and "1 dead letter(s) queued" in r.stdout
    assert spool.stats().dead_letters == 0 and spool.stats().depth == 1
    report = flush_until_empty(f)
    assert report.delivered == 1
    (row,) = rows(influxdb, "SELECT up FROM icmp")
    assert row["up"] == 1  # now an integer field, as the late sample said


def test_no_spool_yet_is_a_clear_failure(data_dir: Path) -> None:
    r = CliRunner().invoke(main.app, ["spool", "dead-letters"])
    assert r.exit_code == 3 and "no data yet in" in r.stderr
