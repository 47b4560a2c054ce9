"""`python -m netagent.grafana check` as an operator first runs it: InfluxDB not there (a wrong
port, a stopped server) is one line and exit 3, not an httpx traceback; a --range it
cannot read is a usage error (2), not a hundred failing queries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _check(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NETAGENT_INFLUXDB__URL": url}
    return subprocess.run(
        [sys.executable, "-m", "netagent.grafana", "check", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_influxdb_not_answering_is_one_line_and_exit_3() -> None:
    r = _check(url=f"http://reader:pw-secret@127.0.0.1:{free_port()}")
    assert r.returncode == 3, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "127.0.0.1" in r.stderr and "pw-secret" not in r.stderr


def test_a_range_it_cannot_read_is_a_usage_error() -> None:
    r = _check("--range", "yesterday", url=f"http://127.0.0.1:{free_port()}")
    assert r.returncode == 2 and "--range" in r.stderr and "yesterday" in r.stderr
    assert "problem(s)" not in r.stdout
