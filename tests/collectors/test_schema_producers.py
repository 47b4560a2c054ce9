"""Every field any collector or job writes is declared in the schema table, with its type.

Each producer runs as it does in the agent and what it writes is checked against
`collectors/measurements.py` (`netagent.collectors.schema.problems`): a new field, tag or
measurement that nobody declared fails here, naming it. The SNMP part polls every real
recording with every profile, twice with the counters advanced, so rates, stations, host
and sensor fields are all written; `run --once` on the bundled sample goes through the
spool, so the types checked are the ones stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from netagent.agent.demo.fakeagent import FakeAgent, Mib, serve
from netagent.agent.health import Health
from netagent.collectors import line_protocol as lp
from netagent.collectors import schema
from netagent.collectors.icmp.results import IcmpResult, IcmpTarget
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import (
    SnmpConfig,
    SnmpCredentials,
    SnmpPoller,
    SnmpTarget,
    load_profiles,
)
from netagent.collectors.spool import Spool
from netagent.geo.coverage import CoverageConfig, compute
from tests.alerts_lab import BRANCH_APS, Lab
from tests.geo.coverage.test_coverage_world import ap, box, inventory, quartiere, site

ROOT = Path(__file__).resolve().parents[2]
RECORDINGS = ROOT / "tests" / "data" / "snmprec"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"


def _later(lines: list[str], ticks: int = 1000, delta: int = 125_000) -> list[str]:
    """The recording `ticks` later, with every counter advanced by `delta`."""
    out = []
    for line in lines:
        oid, tag, value = line.split("|", 2)
        if oid == SYS_UPTIME:
            value = str(int(value) + ticks)
        elif tag in ("65", "70"):
            value = str((int(value) + delta) % (1 << (32 if tag == "65" else 64)))
        out.append(f"{oid}|{tag}|{value}")
    return out


async def _poll_all_recordings() -> list[Sample]:
    """Each recording served by its own fake agent, polled by the chosen profile and by
    every bundled one, then again with sysUpTime and every counter advanced."""
    names = [None, *sorted(load_profiles().resolved)]
    agents, transports, targets = [], [], []
    for path in sorted(RECORDINGS.glob("*.snmprec")):
        lines = path.read_text().splitlines()
        agent = FakeAgent(Mib(lines))
        transport = await serve("127.0.0.1", 0, agent)
        port = int(transport.get_extra_info("sockname")[1])
        agents.append((agent, lines))
        transports.append(transport)
        targets += [
            SnmpTarget(
                f"{path.stem}/{profile or 'chosen'}",
                "127.0.0.1",
                port,
                profile=profile,
                credentials=SnmpCredentials(community=SecretStr("x")),
                tags={"role": "ptp-radio", "link": "l", "side": "a"},
            )
            for profile in names
        ]
    poller = SnmpPoller(SnmpConfig(device_deadline_s=10))
    try:
        first = await poller.poll(targets)
        for agent, lines in agents:
            agent.mib = Mib(_later(lines))
        second = await poller.poll(targets)
    finally:
        poller.close()
        for t in transports:
            t.close()
    return [s for o in (*first, *second) for s in o.samples]


def test_snmp_on_every_recording_and_profile_writes_only_declared_fields() -> None:
    samples = asyncio.run(_poll_all_recordings())
    assert schema.problems(samples) == []
    written: dict[str, set[str]] = {}
    for s in samples:
        written.setdefault(s.measurement, set()).update(s.fields)
    # the poll really wrote rates, stations, CPU and sensors, so their fields were checked
    assert {"in_bps", "out_bps", "in_ucast_pps", "over_speed"} <= written["interface"]
    assert {"snr_h_db", "rssi_chain0_dbm"} <= written["radio_station"]
    assert {"fec_in_errors_total", "frequency_mhz"} <= written["radio_link"]
    assert {"cpu_pct", "mem_total_bytes"} <= written["host"]
    assert {"value", "dbm", "ok"} <= written["sensor"]
    assert {"uptime_s", "reachable", "poll_ms"} == written["snmp_system"]


def test_icmp_sample_is_declared() -> None:
    target = IcmpTarget("ap-1", "127.0.0.1", {"role": "wifi-ap", "site": "S", "quartiere": "Q"})
    result = IcmpResult(target, sent=3, received=3, rtts_ms=(1.0, 2.5, 1.5))
    assert schema.problems([result.to_sample(1)]) == []
    silent = IcmpResult(target, sent=3, received=0, rtts_ms=())
    assert schema.problems([silent.to_sample(1)]) == []


def test_agent_health_samples_are_declared(tmp_path: Path) -> None:
    h = Health()
    h.job("icmp", 60.0)
    h.record_run("icmp", cycle_s=1.5, lag_s=0.01, devices=3, failures=1, error=None, overran=False)
    # the gauges the housekeeping job and the services set (agent/jobs.py, services.py)
    h.gauges.update(rss_mb=80.0, cpu_s=2.5, notify_failures=0)
    spool = Spool(tmp_path / "spool.sqlite")
    try:
        h.spool = spool.stats()
    finally:
        spool.close()
    samples = h.to_samples(1)
    assert schema.problems(samples) == []
    assert {"spool_depth", "uptime_s", "rss_mb"} <= set(samples[-1].fields)


def test_alert_engine_samples_are_declared(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(2)
    lab.rounds(10, down={"rpt-coviolo-nord", *BRANCH_APS})
    lab.rounds(5)
    assert {s.measurement for s in lab.samples} == {"device_status", "alert"}
    assert schema.problems(lab.samples) == []


def test_coverage_samples_are_declared() -> None:
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 1000, 1000)),),
        sites=(site("s", 500, 500),),
        devices=(ap("a", "s"),),
    )
    samples = compute(inv, CoverageConfig(circle_vertices=32)).to_samples(1)
    assert samples and schema.problems(samples) == []


def test_run_once_on_the_sample_stores_only_declared_fields(tmp_path: Path) -> None:
    """Through the CLI and the spool: the types checked are the ones stored, and the
    bundled sample's `inventory` tag is part of what is checked."""
    if os.geteuid() != 0:
        pytest.skip("the demo lab and raw ICMP sockets need root (CI runs as root)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NETAGENT_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "netagent.agent", "run", "--once", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )
    assert r.returncode == 1, r.stderr  # the lab's faulty devices are down
    assert json.loads(r.stdout)["inventory"] == "bundled-sample"
    db = sqlite3.connect(tmp_path / "spool.sqlite")
    try:
        stored = [
            lp.decode(k, f, t) for k, f, t in db.execute("SELECT key, fields, time_ns FROM samples")
        ]
    finally:
        db.close()
    assert {s.measurement for s in stored} >= {"icmp", "snmp_system", "interface", "wifi"}
    assert schema.problems(stored) == []
