"""The daemon's health as other processes see it, and the systemd unit it ships with."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

from netagent.agent.health import Health, health_summary, percentile
from netagent.collectors.spool import Spool

UNIT = Path(__file__).resolve().parents[3] / "agent" / "deploy" / "netagent.service"


def test_health_summary_reads_back_what_the_daemon_saved(tmp_path: Path) -> None:
    health = Health()
    health.job("icmp", 30)
    for lag in (0.01, 0.02, 0.5):
        health.record_run(
            "icmp", cycle_s=2.0, lag_s=lag, devices=120, failures=3, error=None, overran=False
        )
    health.gauges["rss_mb"] = 80.0
    spool = Spool(tmp_path / "spool.sqlite")
    spool.put(health.to_samples(1_700_000_000_000_000_000))
    summary = health_summary(spool, now=1_700_000_010.0)
    spool.close()
    assert summary["reported_s_ago"] == pytest.approx(10.0)
    icmp = summary["jobs"]["icmp"]
    assert icmp["devices"] == 120 and icmp["failures"] == 3 and icmp["runs"] == 3
    assert icmp["scheduler_lag_p99_s"] == 0.5
    assert summary["overall"]["rss_mb"] == 80.0


def test_health_summary_without_a_daemon(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite")
    assert health_summary(spool) == {"reported_s_ago": None, "overall": {}, "jobs": {}}
    spool.close()


def test_percentile() -> None:
    assert percentile([], 99) == 0.0
    assert percentile(range(1, 101), 99) == 99
    assert percentile([5.0], 50) == 5.0


def test_systemd_unit_is_valid_and_hardened(tmp_path: Path) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNIT)
    svc = unit["Service"]
    assert svc["User"] == "netagent" and svc["AmbientCapabilities"] == "CAP_NET_RAW"
    assert svc["CapabilityBoundingSet"] == "CAP_NET_RAW"
    assert svc["NoNewPrivileges"] == "yes" and svc["ProtectSystem"] == "strict"
    assert svc["StateDirectory"] == "netagent"
    assert svc["ExecReload"] == "/bin/kill -HUP $MAINPID"
    # Readiness and watchdog; invalid input (exit 1) or usage (2) is not restarted, nor
    # forever (tests/agent/daemon/test_daemon_exit_codes.py runs the daemon on both).
    assert svc["Type"] == "notify" and int(svc["WatchdogSec"]) > 0
    assert svc["RestartPreventExitStatus"].split() == ["1", "2"]
    assert int(unit["Unit"]["StartLimitBurst"]) > 0 and unit["Unit"]["StartLimitIntervalSec"]
    assert "config check" in svc["ExecStartPre"]
    sysctl = UNIT.with_name("netagent-sysctl.conf").read_text()
    assert "net.core.rmem_max = 16777216" in sysctl
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    # verify checks that executables exist: point the unit at one that does.
    local = tmp_path / "netagent.service"
    local.write_text(UNIT.read_text().replace("/opt/netagent/.venv/bin/netagent", "/bin/true"))
    res = subprocess.run(
        ["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    problems = [ln for ln in res.stderr.splitlines() if "netagent.service" in ln]
    assert not problems, res.stderr
