"""Proof of the dashboards against real data: no Grafana server can run here, so this is it.

`netagent run` (the real daemon: ICMP prober, SNMP poller, alert engine, coverage, spool
and flusher) runs a few cycles on the sample lab inside its namespace, writing into a
real influxd. What the lab's generated gear does not serve (AP stations, CPU and memory,
sensors and optics, port descriptions) is polled beside it by the real SNMP poller from
real devices' recordings (and synthetic walks of Cambium gear built from its MIBs), and
the few fields no recording holds are written as the mapping writes them. The daemon's own polls must have tagged both ends of every fibre
segment the lab serves (and no other port) with segment and side. Then every variable,
panel and annotation query of every committed dashboard is interpolated as Grafana
would (variables on All, then two explicit values, the provisioned datasource's minimum
interval; a repeated row once per value of its variable, as Grafana draws it) and run:
any error, empty result, or selected column without a single value fails the test,
naming the panel.
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
from tests.daemon_config import daemon_config
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
    # synthetic walks built from the MIBs (tests/data/snmprec/SOURCES.md):
    ("pmp_450_sm", None),  # PMP 450 SM: session, registered AP, H/V signal, Canopy figures
    ("epmp_ap", None),  # ePMP AP: stations' DL signal and SNR, MCS, scores, IP, host name
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
    were trimmed of), on a port that ends a fibre segment (tagged as the poller tags
    one: its name has a '/', which the sample's segments do not)."""
    counters = [cf.name for cf in mapping.INTERFACE_COUNTERS if "discards" in cf.name]
    counters += [cf.name for cf in mapping.INTERFACE_COUNTERS if cf.name.endswith("_pps")]
    port: dict[str, FieldValue] = {name: float(i) for i, name in enumerate(counters)}
    ports, _ = mapping.tag_ports(
        [Sample("interface", {"device": "proof-switch", "ifname": "sfp1"}, port, t)],
        {"sfp1": {"segment": "Proof / tratta 1", "side": "a"}},
    )
    return ports


def segment_ends_written(lab: SampleLab) -> set[tuple[str, str]]:
    """(segment, side) of every port InfluxDB holds samples of tagged as a segment's end."""
    series = lab.influx(
        'SELECT count("oper_status") FROM "interface" WHERE "segment" != \'\' '
        'GROUP BY "segment", "side"'
    )
    return {(s["tags"]["segment"], s["tags"]["side"]) for s in series}


def segment_ends_polled(lab: SampleLab) -> set[tuple[str, str]]:
    """(segment, side) of every segment end of the sample whose device the lab runs."""
    return {
        (seg.name, side)
        for seg in lab.inventory.segments
        for side, device, port in (("a", seg.a_device, seg.a_port), ("b", seg.b_device, seg.b_port))
        if device and port and device not in lab.faults
    }


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
    # The daemon's own poll tagged both ends of every segment the lab serves, and nothing else.
    assert segment_ends_written(sample_lab) == segment_ends_polled(sample_lab)
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
