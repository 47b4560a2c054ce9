"""Proof of the dashboards against real data: no Grafana server can run here, so this is it.

`netagent run` (the real daemon: ICMP prober, SNMP poller, alert engine, coverage, spool
and flusher) runs a few cycles on the sample lab inside its namespace, writing into a
real influxd. Then every variable, panel and annotation query of every committed
dashboard is interpolated as Grafana would (variables on All, then two explicit values,
the provisioned datasource's minimum interval) and run: any error, empty result, or
selected column without a single value fails the test, naming the panel.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from grafana.build import datasource_min_interval, load_dashboards
from grafana.check import Problem, check_dashboard, choose_all, choose_two, describe
from grafana.queries import TimeRange
from tests.daemon_config import daemon_config
from tests.fixtures.sample_lab import SampleLab, sample_lab  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
# What the dashboards read; the test waits (bounded) until each has arrived.
MEASUREMENTS = (
    "icmp",
    "snmp_system",
    "interface",
    "wifi",
    "radio_link",
    "device_status",
    "alert",
    "coverage",
    "agent",
)

pytestmark = [pytest.mark.slow, pytest.mark.root]


# Only the daemon's own keys and the collectors' test-load settings: alerts and coverage
# run with their defaults (down after a few 1 s rounds; coverage once at start).
def write_config(lab: SampleLab) -> Path:
    creds = "\n".join(
        f'[snmp.device_credentials."{name}"]\ncommunity = "{community}"\n'
        for name, community in sorted(lab.communities.items())
    )
    path = lab.root / "netagent.toml"
    sections: dict[str, dict[str, object]] = {
        "jobs.snmp": {"interval_s": 5},
        "jobs.flush": {"interval_s": 0.5},
        "icmp": {"count": 3, "interval_ms": 20},
        "snmp": {"device_deadline_s": 4.5, "request_timeout_s": 2, "concurrency": 16},
        "influxdb": {"timeout_s": 5},
    }
    path.write_text(daemon_config(lab.root / "data", lab.influx_url, sections, creds))
    return path


def run_agent(lab: SampleLab, rounds_after_data: float = 8.0, timeout: float = 75.0) -> set[str]:
    """Run the daemon until every measurement arrived (or timeout), plus a few rounds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = lab.root / "agent.log"
    proc = lab.start(
        sys.executable,
        "-m",
        "agent",
        "-v",
        "run",
        "--config",
        str(write_config(lab)),
        log=log,
        cwd=ROOT,
        env=env,
    )
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        seen = lab.influx.measurements()
        if seen >= set(MEASUREMENTS) and lab.influx('SELECT count("in_bps") FROM "interface"'):
            time.sleep(rounds_after_data)  # rates need two polls; alerts need down_after
            break
        time.sleep(0.5)
    assert proc.poll() is None, f"netagent run exited early:\n{log.read_text()[-3000:]}"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return lab.influx.measurements()


def test_every_dashboard_query_returns_data_from_the_running_agent(
    sample_lab: SampleLab,  # noqa: F811
) -> None:
    seen = run_agent(sample_lab)
    problems: list[Problem] = []
    time_range = TimeRange("now-15m", "now")
    for _name, dash in load_dashboards().items():
        # As opened (every variable on All): every query must return data.
        problems += check_dashboard(
            dash, sample_lab.influx, time_range, choose_all, datasource_min_interval()
        )
        if dash["templating"]["list"]:
            # Two explicit values each (the regex alternation): no query may fail.
            problems += check_dashboard(
                dash,
                sample_lab.influx,
                time_range,
                choose_two,
                datasource_min_interval(),
                require_data=False,
            )
    unique = list(dict.fromkeys(problems))
    missing = sorted(set(MEASUREMENTS) - seen)
    assert not unique, (
        f"{len(unique)} dashboard queries failed against the agent's data"
        f" (measurements never written: {missing or 'none'}):\n{describe(unique)}"
    )
