"""The device coordinator in the running daemon: an access point of one's own network
goes down, and its alert, /healthz and the live coverage figure all show it, the last
without the hourly coverage job running again (it reads no store back: it listens).
With shards, an access point another shard polls counts by the state that shard wrote
to the shared InfluxDB: down there, live coverage here loses it.

The real daemon runs as a subprocess on an inventory and quartiere of the test's own;
its devices' addresses exist only in a network namespace the test creates, so a device
goes down when its address is removed. Needs root (namespaces, raw ICMP).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from netagent.agent.shard import Shard
from netagent.collectors.line_protocol import encode_fields, encode_key, line
from netagent.inventory.model import Device, Role
from tests.agent.daemon.test_daemon_faults import (  # noqa: F401 (fixtures)
    events,
    healthz,
    ip,
    netns,
    receiver,
    start_agent,
    stop,
    write_config,
)
from tests.agent.daemon.test_daemon_run import ROOT, Agent, wait_for
from tests.alerts_lab import WebhookReceiver
from tests.cli_operator import QUARTIERE
from tests.fixtures.influx import InfluxServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and raw ICMP need root"),
    pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2"),
]

# Two squares ~450 m apart in the operator's own quartiere; a 100 m outdoor AP on each,
# behind a switch. The namespace holds 127.77.0.1 and .2; the test adds .3.
INVENTORY = """\
sites:
  - {{name: Piazza Prampolini, lat: 44.6983, lon: 10.6311}}
  - {{name: Piazza Fontanesi, lat: 44.7025, lon: 10.6311}}
devices:
  - {{name: sw-a, site: Piazza Prampolini, role: switch, mgmt_ip: 127.77.0.1}}
  - {{name: ap-1, site: Piazza Prampolini, role: wifi-ap, mgmt_ip: 127.77.0.2, parent: sw-a,
     wifi: {{placement: outdoor}}}}
  - {{name: {other}, site: Piazza Fontanesi, role: wifi-ap, mgmt_ip: 127.77.0.3, parent: sw-a,
     wifi: {{placement: outdoor}}}}
"""

DISC_KM2 = 3.14159 * 0.1**2  # a 100 m disc


def write_world(
    tmp: Path, ns: str, hook: WebhookReceiver, other: str, agent: str = "", extra: str = ""
) -> tuple[Path, int]:
    """The faults tests' daemon (1 s ICMP rounds, webhook, /healthz) on this inventory,
    with coverage on: its job runs once at start, then not for an hour."""
    config, port = write_config(tmp, ns, hook, tmp / "data")
    (tmp / "network.yaml").write_text(INVENTORY.format(other=other))
    (tmp / "quartieri.geojson").write_text(json.dumps(QUARTIERE))
    text = config.read_text()
    for old, new in (
        ("[jobs.coverage]\nenabled = false\n", "[jobs.coverage]\ninterval_s = 3600\n"),
        (
            "[agent]\n",
            f'[agent]\nquartieri = "{tmp / "quartieri.geojson"}"\n'
            f'quartieri_boundary = "none"\n{agent}\n',
        ),
    ):
        assert old in text, old
        text = text.replace(old, new)
    config.write_text(text + extra)
    return config, port


def live_wifi_km2(config: Path) -> list[float]:
    """Covered km² of the comune's live wifi figure, oldest first, as `netagent query`
    reads it from the spool (the store of an agent without InfluxDB)."""
    live = ["--tag", "view=live", "--tag", "quartiere=comune", "--tag", "technology=wifi"]
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "netagent.agent",
            "query",
            "coverage",
            "--json",
            "--config",
            str(config),
            *live,
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if r.returncode != 0:
        return []
    rows = sorted(json.loads(r.stdout), key=lambda s: s["time_ns"])
    return [float(s["fields"]["covered_km2"]) for s in rows]


def metric(port: int, name: str, job: str | None = None) -> float:
    return Agent(Path(), port, Path()).metric(name, job) or 0.0


def test_an_ap_going_down_shows_in_its_alert_healthz_and_live_coverage_at_once(
    tmp_path: Path,
    netns: str,  # noqa: F811
    receiver: WebhookReceiver,  # noqa: F811
) -> None:
    ip("-n", netns, "addr", "add", "127.77.0.3/32", "dev", "lo")
    config, port = write_world(tmp_path, netns, receiver, other="ap-2")
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_for("three devices up", lambda: healthz(port)[1].get("devices") == {"up": 3}, 60)
        wait_for(
            "the coverage job's one run", lambda: metric(port, "job_runs_total", "coverage") >= 1
        )
        wait_for("live coverage of both APs", lambda: len(live_wifi_km2(config)) >= 1)
        assert live_wifi_km2(config)[-1] == pytest.approx(2 * DISC_KM2, rel=0.02)

        ip("-n", netns, "addr", "del", "127.77.0.3/32", "dev", "lo")  # ap-2 dies
        wait_for("ap-2's alert", lambda: ("ap-2", "down", "firing") in events(receiver), 60)
        wait_for("ap-2 down in /healthz", lambda: healthz(port)[1]["devices"].get("down") == 1)
        assert healthz(port) == (
            200,
            {"healthy": True, "reasons": [], "devices": {"down": 1, "up": 2}},
        )
        wait_for(
            "live coverage without ap-2",
            lambda: live_wifi_km2(config)[-1] == pytest.approx(DISC_KM2, rel=0.02),
            30,
        )
        # The hourly job ran once, at start: the drop came from the coordinator.
        assert metric(port, "job_runs_total", "coverage") == 1

        ip("-n", netns, "addr", "add", "127.77.0.3/32", "dev", "lo")  # and it comes back
        wait_for(
            "live coverage with ap-2 again",
            lambda: live_wifi_km2(config)[-1] == pytest.approx(2 * DISC_KM2, rel=0.02),
            60,
        )
        assert metric(port, "job_runs_total", "coverage") == 1
        assert stop(proc) == 0
    finally:
        stop(proc)
    text = (tmp_path / "agent.log").read_text()
    assert "Traceback" not in text and " ERROR " not in text, text[-3000:]


def _write_status(influx: InfluxServer, device: str, state: str) -> None:
    body = line(
        encode_key("device_status", {"device": device}),
        encode_fields({"state": state}),
        time.time_ns(),
    )
    httpx.post(
        f"{influx.url}/write", params={"db": "netagent"}, content=body.encode()
    ).raise_for_status()


def _influx_live_wifi_km2(influx: InfluxServer) -> float | None:
    try:
        res = influx.query(
            "SELECT last(covered_km2) FROM coverage WHERE view = 'live' AND "
            "quartiere = 'comune' AND technology = 'wifi'"
        )
    except httpx.HTTPError:
        return None
    series = res["results"][0].get("series")
    return float(series[0]["values"][0][1]) if series else None


def test_a_foreign_shards_ap_down_in_influxdb_reduces_live_coverage(
    tmp_path: Path,
    netns: str,  # noqa: F811
    receiver: WebhookReceiver,  # noqa: F811
    influxdb: InfluxServer,
) -> None:
    """This agent is shard 0 of 2 and computes coverage; ap-3 is shard 1's (no agent runs
    for it here: the test writes what that shard would). Up there: counted; down there:
    live coverage loses its disc, though this agent never probes ap-3."""

    def on(shard: int, name: str) -> bool:
        d = Device(name=name, site="s", role=Role.WIFI_AP, mgmt_ip="127.0.0.1")  # type: ignore[arg-type]
        return bool(Shard(shard, 2).select([d]))

    assert on(0, "sw-a") and on(0, "ap-1") and on(1, "ap-3")
    influxdb.create_database()
    _write_status(influxdb, "ap-3", "up")
    config, port = write_world(
        tmp_path,
        netns,
        receiver,
        other="ap-3",
        agent='shard = "0/2"',
        extra=f'[influxdb]\nurl = "{influxdb.url}"\napi = "v1"\ndatabase = "netagent"\n',
    )
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_for(
            "this shard's two devices up", lambda: healthz(port)[1].get("devices") == {"up": 2}, 60
        )
        wait_for(
            "live coverage counting ap-3 by shard 1's word",
            lambda: _influx_live_wifi_km2(influxdb) == pytest.approx(2 * DISC_KM2, rel=0.02),
            60,
        )
        _write_status(influxdb, "ap-3", "down")
        wait_for(
            "live coverage without ap-3",
            lambda: _influx_live_wifi_km2(influxdb) == pytest.approx(DISC_KM2, rel=0.02),
            60,
        )
        assert metric(port, "job_runs_total", "coverage") == 1
        assert healthz(port)[1]["devices"] == {"up": 2}  # ap-3 is not this agent's
        assert events(receiver) == []  # nor its alert
        assert stop(proc) == 0
    finally:
        stop(proc)
    text = (tmp_path / "agent.log").read_text()
    assert "Traceback" not in text and " ERROR " not in text, text[-3000:]
