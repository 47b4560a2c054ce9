"""`netagent run` as the monitoring host runs it: a subprocess on the sample lab.

Short intervals; a real InfluxDB that goes away and comes back; SIGHUP; a second instance;
SIGTERM. Needs root for raw ICMP sockets (the sample's 127.x addresses all answer on the
host's loopback) and influxd.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from netagent.agent.demo.lab import simulated_snmp
from netagent.inventory.load import load_inventory
from netagent.inventory.sample import SAMPLE_PATHS
from tests.fixtures.influx import InfluxServer
from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="raw ICMP sockets need root"),
]

# The sample named explicitly: not the embedded default, so the daemon simulates nothing
# and the test serves the SNMP agents itself.
CONFIG = """
[agent]
data_dir = "{data}"
inventory = ["{sample}"]
stop_timeout_s = 5

[jobs.icmp]
interval_s = 1
jitter_s = 0
[jobs.snmp]
interval_s = 3
jitter_s = 0
[jobs.coverage]
interval_s = 30
[jobs.flush]
interval_s = 1
jitter_s = 0
[jobs.housekeeping]
interval_s = 1
jitter_s = 0
{roles}
[icmp]
count = 1
timeout_ms = 300

[snmp]
device_deadline_s = 2.5

[influxdb]
url = "{influx}"
api = "v1"
database = "netagent"
timeout_s = 2

[spool]
retry_initial_s = 0.2
retry_max_s = 1

[health]
listen = "127.0.0.1:{port}"
"""


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Agent:
    def __init__(self, config: Path, port: int, log: Path) -> None:
        self.config, self.port, self.log = config, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with self.log.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "netagent.agent", "-v", "run", "--config", str(self.config)],
                env=env,
                stdout=log,
                stderr=log,
                cwd=ROOT,
            )

    def metrics(self) -> str:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return ""

    def metric(self, name: str, job: str | None = None) -> float | None:
        """The value of sample `netagent_<name>` (of that job), read as Prometheus does."""
        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == f"netagent_{name}" and sample.labels.get("job") == job:
                    return float(sample.value)
        return None

    def healthz(self) -> tuple[int, dict[str, object]]:
        r = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
        return r.status_code, r.json()

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def snmp_lab() -> Iterator[None]:
    """Every SNMP agent of the sample lab, on its 127.x address and port, in one process."""
    inv = load_inventory(SAMPLE_PATHS).inventory
    assert inv is not None
    with simulated_snmp(inv, None):
        yield


@pytest.fixture
def agent(tmp_path: Path, influxdb: InfluxServer, snmp_lab: None) -> Iterator[Agent]:
    influxdb.create_database()
    port = free_port()
    config = tmp_path / "netagent.toml"
    config.write_text(
        CONFIG.format(
            data=tmp_path / "data", influx=influxdb.url, port=port, roles="", sample=SAMPLE_PATHS[0]
        )
    )
    a = Agent(config, port, tmp_path / "agent.log")
    a.proc = a.start()
    yield a
    if a.proc.poll() is None:
        a.proc.kill()
        a.proc.wait()


def points(influxdb: InfluxServer, measurement: str = "icmp", field: str = "loss_pct") -> int:
    try:
        res = influxdb.query(f"SELECT count({field}) FROM {measurement}")
    except httpx.HTTPError:
        return 0
    series = res["results"][0].get("series")
    return int(series[0]["values"][0][1]) if series else 0


def test_daemon_polls_survives_outage_reloads_locks_and_stops(
    agent: Agent, influxdb: InfluxServer, tmp_path: Path
) -> None:
    assert agent.proc is not None
    wait_for("ICMP points in InfluxDB", lambda: points(influxdb) > 0)
    wait_for("health endpoint", lambda: (agent.metric("job_runs_total", "icmp") or 0) >= 2)
    assert (agent.metric("job_devices", "icmp") or 0) > 100
    # SNMP against the simulated agents: every device answers, rates from the 2nd poll.
    wait_for("two SNMP polls", lambda: (agent.metric("job_runs_total", "snmp") or 0) >= 2)
    assert agent.metric("job_device_failures", "snmp") == 0
    wait_for("interface rates in InfluxDB", lambda: points(influxdb, "interface", "in_bps") > 0)

    # A second agent on the same data directory refuses to start.
    second = agent.start()
    assert second.wait(timeout=60) == 3
    assert "another netagent (pid" in agent.logs()

    # InfluxDB goes away: polls go on into the spool; it comes back: the backlog arrives.
    influxdb.stop()
    before = agent.metric("job_runs_total", "icmp") or 0
    wait_for(
        "polls during the outage",
        lambda: (agent.metric("job_runs_total", "icmp") or 0) >= before + 3,
    )
    wait_for("a backlog in the spool", lambda: (agent.metric("spool_samples") or 0) > 0)
    influxdb.start()
    # Nothing lost: every sample of every round so far reaches InfluxDB.
    devices = int(agent.metric("job_devices", "icmp") or 0)
    produced = int(agent.metric("job_runs_total", "icmp") or 0) * devices
    wait_for(f"{produced} ICMP points in InfluxDB", lambda: points(influxdb) >= produced)
    assert agent.proc.poll() is None

    # SIGHUP: the access points get their own, faster ICMP job; counters carry on.
    runs = agent.metric("job_runs_total", "icmp") or 0
    agent.config.write_text(agent.config.read_text() + "\n[roles.wifi-ap]\nicmp_interval_s = 2\n")
    agent.proc.send_signal(signal.SIGHUP)
    wait_for("the new per-role job", lambda: agent.metric("job_runs_total", "icmp@2s") is not None)
    assert (agent.metric("job_runs_total", "icmp") or 0) >= runs
    assert "reloaded" in agent.logs()

    # A broken config on SIGHUP is refused; the agent keeps running.
    agent.config.write_text(agent.config.read_text() + "\n[jobs.icmp]\nbogus = 1\n")
    agent.proc.send_signal(signal.SIGHUP)
    wait_for("the refusal", lambda: "reload refused" in agent.logs())
    assert agent.proc.poll() is None

    # SIGTERM: a clean stop, exit code 0; the last health point goes out in the last flush.
    stopping_ns = time.time_ns()
    agent.proc.send_signal(signal.SIGTERM)
    assert agent.proc.wait(timeout=60) == 0
    assert "netagent stopped" in agent.logs()
    last = influxdb.query("SELECT last(uptime_s) FROM agent", epoch="ns")
    assert last["results"][0]["series"][0]["values"][0][0] >= stopping_ns
