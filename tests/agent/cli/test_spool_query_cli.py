"""`netagent query` reads the local spool (the embedded mode's store)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netagent.agent.cli import main
from netagent.agent.cli.query_cmd import parse_since
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NETAGENT_DATA_DIR", str(tmp_path))
    main._register()
    return tmp_path


def test_query_filters_by_tag_and_time_and_prints_json(data_dir: Path) -> None:
    now = time.time_ns()
    spool = Spool(data_dir / "spool.sqlite")
    spool.put(
        [
            Sample("wifi", {"device": "ap-1", "radio": "5g"}, {"clients": 3}, now - 7200 * 10**9),
            Sample("wifi", {"device": "ap-1", "radio": "5g"}, {"clients": 4}, now - 60 * 10**9),
            Sample("wifi", {"device": "ap-2", "radio": "5g"}, {"clients": 9}, now - 60 * 10**9),
        ]
    )
    spool.close()
    r = CliRunner().invoke(main.app, ["query", "wifi", "--tag", "device=ap-1", "--json"])
    assert r.exit_code == 0, r.output
    assert [s["fields"] for s in json.loads(r.stdout)] == [{"clients": 4}]
    r = CliRunner().invoke(main.app, ["query", "wifi", "--since", "3h"])
    assert r.exit_code == 0 and "ap-2" in r.stdout and r.stdout.count("ap-1") == 2


def test_query_without_a_spool_says_so(data_dir: Path) -> None:
    r = CliRunner().invoke(main.app, ["query", "icmp"])
    assert r.exit_code == 3 and "no data yet in" in r.output


def test_since_accepts_durations_and_iso_times() -> None:
    assert parse_since("15m", now_ns=10**12) == 10**12 - 900 * 10**9
    assert parse_since("2026-11-24T18:00:00+01:00") == 1795539600 * 10**9
