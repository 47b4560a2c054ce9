"""`netagent run` on the embedded default, and `--lab`: the bundled sample inside its demo
lab namespace.

The lab's faulty devices have no address and no SNMP agent there, so after three rounds
the daemon raises one incident per root cause (the dead switch, the dead Coviolo
repeater, the single APs), never asks SNMP of a device that does not ping, and removes the
namespace when it stops. Needs root (namespace, raw ICMP).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netagent.collectors.spool import Spool
from netagent.inventory.sample import LAB_FAULTS_PATH
from tests.agent.daemon.test_daemon_run import ROOT, Agent, wait_for
from tests.fixtures.ports import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab namespace and raw ICMP need root"),
]


def sample_env(data: Path, port: int) -> dict[str, str]:
    """The daemon on the bundled sample: no configuration file (a file must name an
    inventory), so the test's settings come from the environment."""
    settings = {
        "AGENT__DATA_DIR": str(data),
        "AGENT__STOP_TIMEOUT_S": "5",
        "JOBS__ICMP__INTERVAL_S": "1",
        "JOBS__ICMP__JITTER_S": "0",
        "JOBS__SNMP__INTERVAL_S": "2",
        "JOBS__SNMP__JITTER_S": "0",
        "JOBS__COVERAGE__ENABLED": "false",
        "ICMP__COUNT": "1",
        "ICMP__TIMEOUT_MS": "300",
        "SNMP__DEVICE_DEADLINE_S": "2",
        "HEALTH__LISTEN": f"127.0.0.1:{port}",
    }
    base = {k: v for k, v in os.environ.items() if not k.startswith("NETAGENT")}
    return {**base, "PYTHONPATH": str(ROOT), **{f"NETAGENT_{k}": v for k, v in settings.items()}}


class SampleAgent(Agent):
    """The daemon on the bundled sample (no --config), optionally in its lab namespace."""

    def __init__(self, data: Path, port: int, log: Path, lab: bool = False) -> None:
        super().__init__(Path("/nonexistent"), port, log)
        self.env, self.lab = sample_env(data, port), lab

    def argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "netagent.agent",
            "-v",
            "run",
            *(["--lab"] if self.lab else []),
        ]

    def start(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            return subprocess.Popen(self.argv(), env=self.env, stdout=log, stderr=log, cwd=ROOT)


def alerts(data: Path) -> dict[str, list[dict[str, object]]]:
    r = subprocess.run(
        [sys.executable, "-m", "netagent.agent", "alerts", "--json", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    return json.loads(r.stdout) if r.stdout.strip() else {"open": []}


def test_daemon_on_the_demo_lab_alerts_per_root_cause_and_cleans_up(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    agent = SampleAgent(data, port, tmp_path / "agent.log", lab=True)
    proc = agent.start()
    try:
        wait_for("three SNMP polls", lambda: (agent.metric("job_runs_total", "snmp") or 0) >= 3, 90)
        assert (
            agent.metric("job_device_failures", "snmp") == 0
        )  # the 14 silent devices are not asked
        assert (agent.metric("job_devices", "snmp") or 0) == 224
        assert (agent.metric("job_device_failures", "icmp") or 0) == 14

        def root_causes() -> set[object]:
            return {i["device"] for i in alerts(data)["open"]}

        expected = {
            "sw-parco-del-popolo",
            "cov-rep-fogliano-bh",
            "ap-san-bartolomeo-03",
            "ap-pieve-modolena-01",
            "ap-coviolo-02",
            "ap-buco-del-signore-09",
        }
        wait_for("one incident per root cause", lambda: root_causes() == expected, 60)
        fogliano = next(i for i in alerts(data)["open"] if i["device"] == "cov-rep-fogliano-bh")
        affected = {a["device"] for a in fogliano["affected"]}  # type: ignore[union-attr]
        assert "cov-rep-fogliano" in affected and "cov-cpe-fogliano-06" in affected
        ns = f"netagent-lab-{proc.pid}"
        assert ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        # From the first SNMP run on, a device that did not answer ICMP is never asked.
        faulty = {f["device"] for f in yaml.safe_load(LAB_FAULTS_PATH.read_text())["faults"]}
        asked = {
            ln.split("SNMP ", 1)[1].split(" ", 1)[0]
            for ln in agent.logs().splitlines()
            if "netagent.collectors.snmp.poller" in ln and "SNMP " in ln
        }
        assert not asked & faulty, asked & faulty
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert (
            ns not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_embedded_default_daemon_reads_the_simulated_sample(tmp_path: Path) -> None:
    """No inventory configured, no --lab: every device pings on the host's loopback and
    answers SNMP from the simulated agents, so nothing is degraded."""
    port, data = free_port(), tmp_path / "data"
    agent = SampleAgent(data, port, tmp_path / "agent.log")
    proc = agent.start()
    try:
        wait_for("two SNMP polls", lambda: (agent.metric("job_runs_total", "snmp") or 0) >= 2, 90)
        assert agent.metric("job_device_failures", "snmp") == 0
        assert agent.metric("job_devices", "snmp") == 238
        assert "simulated SNMP agents" in agent.logs() and "host's loopback" in agent.logs()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        # Sample data says so wherever it goes (spool, then InfluxDB).
        spool = Spool(data / "spool.sqlite")
        for measurement in ("icmp", "snmp_system", "agent"):
            samples = spool.latest(measurement) or spool.query(measurement, limit=5)
            assert samples and all(s.tags.get("inventory") == "bundled-sample" for s in samples), (
                measurement
            )
        # its own health points name it (several agents can write one InfluxDB)
        health = spool.query("agent", limit=5)
        assert health and all(s.tags.get("agent") == socket.gethostname() for s in health)
        spool.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_lab_refuses_an_inventory_of_ones_own(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text("sites: []\ndevices: []\n")
    config = tmp_path / "netagent.toml"
    config.write_text(f'[agent]\ndata_dir = "{tmp_path / "d"}"\ninventory = ["{inv}"]\n')
    r = subprocess.run(
        [sys.executable, "-m", "netagent.agent", "run", "--lab", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 2 and "--lab runs the bundled sample only" in r.stderr


def lab_leftovers(record: dict[str, object]) -> list[str]:
    left = []
    ns = str(record["namespace"])
    if ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout:
        left.append(ns)
    cmdline = Path(f"/proc/{record['agent_pid']}/cmdline")
    if cmdline.exists() and b"fakeagent" in cmdline.read_bytes():
        left.append(f"pid {record['agent_pid']}")
    if Path(str(record["tmp_dir"])).exists():
        left.append(str(record["tmp_dir"]))
    return left


def test_a_sigkilled_lab_is_cleaned_up_by_the_next_start(tmp_path: Path) -> None:
    port, data = free_port(), tmp_path / "data"
    log = tmp_path / "agent.log"
    sample = SampleAgent(data, port, log, lab=True)
    env, argv = sample.env, sample.argv()
    record = data / "lab.json"

    def complete() -> bool:
        try:
            return {"namespace", "agent_pid", "tmp_dir"} <= set(json.loads(record.read_text()))
        except (OSError, ValueError):
            return False

    with log.open("ab") as out:
        first = subprocess.Popen(argv, env=env, stdout=out, stderr=out, cwd=ROOT)
    wait_for("the first lab", complete, 60)
    wait_for("the first daemon", lambda: log.read_text().count("netagent 0.") == 1, 60)
    crashed = json.loads(record.read_text())
    first.kill()
    first.wait()
    assert len(lab_leftovers(crashed)) == 3  # what a SIGKILL leaves behind
    with log.open("ab") as out:
        second = subprocess.Popen(argv, env=env, stdout=out, stderr=out, cwd=ROOT)
    try:
        wait_for(
            "the second lab",
            lambda: (
                complete() and json.loads(record.read_text())["namespace"] != crashed["namespace"]
            ),
            60,
        )
        wait_for("the second daemon", lambda: log.read_text().count("netagent 0.") == 2, 60)
        assert lab_leftovers(crashed) == []
        assert "removed what an earlier lab left behind" in log.read_text()
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
        assert not record.exists()  # a clean stop leaves nothing to clean
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
