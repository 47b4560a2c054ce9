"""Proof of the dashboards against real data: no Grafana server can run here, so this is it.

`netagent run` (the real daemon: ICMP prober, SNMP poller, alert engine, coverage, spool
and flusher) runs a few cycles on the sample lab inside its namespace, writing into a
real influxd; what the lab's simulated gear does not serve (radio stations, CPU and
memory, sensors, the newer interface columns) is written beside it as the SNMP mapping
writes it. Then every variable, panel and annotation query of every committed
dashboard is interpolated as Grafana would (variables on All, then two explicit values,
the provisioned datasource's minimum interval; a repeated row once per value of its
variable, as Grafana draws it) and run: any error, empty result, or
selected column without a single value fails the test, naming the panel.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

from collectors.line_protocol import encode_fields, encode_key, line
from collectors.samples import FieldValue, Sample
from collectors.snmp import mapping
from grafana.build import datasource_min_interval, load_dashboards
from grafana.check import Problem, check_dashboard, choose_all, choose_two, describe
from grafana.queries import TimeRange
from inventory.sample import SAMPLE_PATHS
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
CONFIG = """
[agent]
data_dir = "{data}"
inventory = ["{sample}"]
stop_timeout_s = 5

[jobs.icmp]
interval_s = 1
jitter_s = 0
[jobs.snmp]
interval_s = 5
jitter_s = 0
[jobs.flush]
interval_s = 0.5
jitter_s = 0
[jobs.housekeeping]
interval_s = 1
jitter_s = 0

[icmp]
count = 3
interval_ms = 20
timeout_ms = 300

[snmp]
device_deadline_s = 4.5
request_timeout_s = 2
concurrency = 16

[influxdb]
url = "{influx}"
api = "v1"
database = "netagent"
timeout_s = 5

{credentials}
"""


def write_config(lab: SampleLab) -> Path:
    creds = "\n".join(
        f'[snmp.device_credentials."{name}"]\ncommunity = "{community}"\n'
        for name, community in sorted(lab.communities.items())
    )
    path = lab.root / "netagent.toml"
    path.write_text(
        CONFIG.format(
            data=lab.root / "data", influx=lab.influx_url, credentials=creds, sample=SAMPLE_PATHS[0]
        )
    )
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


def new_measurement_samples(t: int) -> list[Sample]:
    """What the sample lab's simulated gear does not serve (stations, HOST-RESOURCES,
    ENTITY-SENSOR, the newer IF-MIB columns), as the SNMP mapping writes it: the field
    names come from collectors.snmp.mapping wherever it lists them."""
    port: dict[str, FieldValue] = {
        cf.name: 1000.0 * (i + 1) for i, cf in enumerate(mapping.INTERFACE_COUNTERS)
    }
    port |= {
        "if_index": 1,
        "alias": "fibre Lepida ring A",
        "speed_bps": 1e9,
        "oper_status": "up",
        "oper_up": True,
        "admin_up": True,
        "over_speed": False,
    }
    down: dict[str, FieldValue] = {"if_index": 2, "oper_status": "notPresent", "admin_up": False}
    station: dict[str, FieldValue] = {
        f: -60.0 + i for i, f in enumerate((*mapping.RADIO_FIELDS, *mapping.LINK_FIELDS))
    }
    station |= {f: 3 for f in mapping.LINK_COUNTERS}
    sensor = {"device": "proof-router"}
    return [
        Sample("interface", {"device": "proof-switch", "ifname": "sfp1"}, port, t),
        Sample("interface", {"device": "proof-switch", "ifname": "sfp2"}, down, t),
        *(
            Sample("radio_station", {"device": "proof-ap", "station": mac}, station, t)
            for mac in ("aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02")
        ),
        Sample(
            "host",
            {"device": "proof-router"},
            {"cpu_pct": 12.5, "cpus": 4, "mem_total_bytes": 2.0e9, "mem_used_bytes": 5.0e8},
            t,
        ),
        Sample(
            "sensor", sensor | {"sensor": "CPU", "type": "celsius"}, {"ok": True, "value": 48.0}, t
        ),
        *(
            Sample(
                "sensor",
                sensor | {"sensor": f"Ethernet1 {d} Power Sensor", "type": "watts"},
                {"ok": True, "value": 0.0005, "dbm": -3.0},
                t,
            )
            for d in ("Rx", "Tx")
        ),
        Sample("sensor", sensor | {"sensor": "PSU2", "type": "other"}, {"ok": False}, t),
    ]


def write_samples(lab: SampleLab, samples: list[Sample]) -> None:
    body = "\n".join(
        line(encode_key(s.measurement, s.tags), encode_fields(s.fields), s.time_ns) for s in samples
    )
    status, answer = lab.influx.request("POST", "/write?db=netagent", body)
    assert status == 204, answer


def test_every_dashboard_query_returns_data_from_the_running_agent(
    sample_lab: SampleLab,  # noqa: F811
) -> None:
    seen = run_agent(sample_lab)
    write_samples(sample_lab, new_measurement_samples(time.time_ns() - 5_000_000_000))
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
