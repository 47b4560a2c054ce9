"""Proof of the dashboards against real data: no Grafana server can run here, so this is it.

`netagent run` (the real daemon: ICMP prober, SNMP poller, alert engine, coverage, spool
and flusher) runs a few cycles on the sample lab inside its namespace, writing into a
real influxd. What the lab's generated gear does not serve (AP stations, CPU and memory,
sensors and optics, port descriptions) is polled beside it by the real SNMP poller from
real devices' recordings, and the few fields no recording holds are written as the
mapping writes them. Then every variable, panel and annotation query of every committed
dashboard is interpolated as Grafana would (variables on All, then two explicit values,
the provisioned datasource's minimum interval; a repeated row once per value of its
variable, as Grafana draws it) and run: any error, empty result, or
selected column without a single value fails the test, naming the panel.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from netagent.collectors.line_protocol import encode_fields, encode_key, line
from netagent.collectors.samples import FieldValue, Sample
from netagent.collectors.snmp import SnmpConfig, SnmpCredentials, SnmpPoller, SnmpTarget, mapping
from netagent.grafana.build import datasource_min_interval, load_dashboards
from netagent.grafana.check import Problem, check_dashboard, choose_all, choose_two, describe
from netagent.grafana.queries import TimeRange
from netagent.inventory.sample import SAMPLE_PATHS
from tests.fixtures.sample_lab import SampleLab, sample_lab  # noqa: F401
from tests.fixtures.snmpsim import snmpsim_recordings  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
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
        "netagent.agent",
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


# Real devices' recordings (tests/data/snmprec, from LibreNMS) and the profile to poll
# them with: what the sample lab's generated gear does not serve, read by the real poller.
RECORDED = (
    ("airos-af-ltu", None),  # airFiber LTU: a station (capacity, distance, RSSI per chain), CPU
    ("pmp_450i", None),  # Cambium PMP 450i AP: a station's SNR per polarisation
    ("routeros", None),  # MikroTik: CPU and memory (HOST-RESOURCES)
    ("arista_eos", "entity-sensor"),  # Arista: an SFP's temperature, tx and rx power
    ("alaxala_model-ax3630s-48tw", None),  # a switch: port descriptions, admin status
)


def poll_recordings(port: int) -> list[Sample]:
    targets = [
        SnmpTarget(
            stem,
            "127.0.0.1",
            port,
            profile=profile,
            credentials=SnmpCredentials(community=SecretStr(stem)),
        )
        for stem, profile in RECORDED
    ]
    poller = SnmpPoller(SnmpConfig(device_deadline_s=10))
    try:
        outcomes = asyncio.run(poller.poll(targets))
    finally:
        poller.close()
    assert [o.error for o in outcomes if not o.ok] == []
    return [s for o in outcomes for s in o.samples]


def unrecorded_samples(t: int) -> list[Sample]:
    """The fields no recording here holds, as the SNMP mapping writes them (names from
    netagent.collectors.snmp.mapping): discards and packets by cast (IF-MIB columns the recordings
    were trimmed of), and a station's own RSSI and SNR (ePMP AP, MikroTik registration
    table: no recording of either has stations)."""
    counters = [cf.name for cf in mapping.INTERFACE_COUNTERS if "discards" in cf.name]
    counters += [cf.name for cf in mapping.INTERFACE_COUNTERS if cf.name.endswith("_pps")]
    port: dict[str, FieldValue] = {name: float(i) for i, name in enumerate(counters)}
    station: dict[str, FieldValue] = {"rssi_dbm": -63.0, "snr_db": 31.0}
    return [
        Sample("interface", {"device": "proof-switch", "ifname": "sfp1"}, port, t),
        Sample("radio_station", {"device": "proof-ap", "station": "aa:bb:cc:00:00:01"}, station, t),
    ]


def write_samples(lab: SampleLab, samples: list[Sample]) -> None:
    body = "\n".join(
        line(encode_key(s.measurement, s.tags), encode_fields(s.fields), s.time_ns) for s in samples
    )
    status, answer = lab.influx.request("POST", "/write?db=netagent", body)
    assert status == 204, answer


def test_every_dashboard_query_returns_data_from_the_running_agent(
    sample_lab: SampleLab,  # noqa: F811
    snmpsim_recordings: int,  # noqa: F811
) -> None:
    seen = run_agent(sample_lab)
    write_samples(sample_lab, poll_recordings(snmpsim_recordings))
    write_samples(sample_lab, unrecorded_samples(time.time_ns() - 5_000_000_000))
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
