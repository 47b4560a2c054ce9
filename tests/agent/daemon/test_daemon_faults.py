"""The daemon under the faults a sysadmin meets: a full disk, a SIGHUP that cannot be
applied, a health port already taken.

Everything runs the real daemon as a subprocess on an inventory of one's own whose
devices live in a network namespace the test creates (their addresses exist only there,
so a device "goes down" when its address is removed). Notifications go to a webhook
receiver on 127.0.0.1. Needs root (namespaces, raw ICMP, tmpfs).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.agent.daemon.test_daemon_logs import LINE
from tests.agent.daemon.test_daemon_run import ROOT, Agent, wait_for
from tests.alerts_lab import WebhookReceiver
from tests.fixtures.ports import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="namespaces, tmpfs and raw ICMP need root"),
    pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2"),
]

DEVICES = {"sw-a": "127.77.0.1", "sw-b": "127.77.0.2"}

INVENTORY = """\
sites:
  - {name: s, lat: 44.7, lon: 10.63}
devices:
  - {name: sw-a, site: s, role: switch, mgmt_ip: 127.77.0.1}
  - {name: sw-b, site: s, role: switch, mgmt_ip: 127.77.0.2}
"""

CONFIG = """\
[agent]
data_dir = "{data}"
inventory = ["{inventory}"]
netns = "{netns}"
stop_timeout_s = 3
[jobs.icmp]
interval_s = 1
jitter_s = 0
[jobs.snmp]
enabled = false
[jobs.coverage]
enabled = false
[jobs.flush]
interval_s = 1
jitter_s = 0
[jobs.housekeeping]
interval_s = 1
jitter_s = 0
[icmp]
count = 1
timeout_ms = 300
[alerts]
down_after = 2
[health]
listen = "127.0.0.1:{port}"
[[notify.webhooks]]
name = "oncall"
url = "{webhook}"
"""


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture
def netns() -> Iterator[str]:
    """A namespace whose loopback holds exactly the devices' addresses."""
    name = f"netagent-t-{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    try:
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "addr", "del", "127.0.0.1/8", "dev", "lo")
        for addr in DEVICES.values():
            ip("-n", name, "addr", "add", f"{addr}/32", "dev", "lo")
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


def write_config(
    tmp: Path, netns: str, receiver: WebhookReceiver, data: Path, port: int | None = None
) -> tuple[Path, int]:
    port = port or free_port()
    inventory = tmp / "network.yaml"
    inventory.write_text(INVENTORY)
    config = tmp / "netagent.toml"
    config.write_text(
        CONFIG.format(data=data, inventory=inventory, netns=netns, port=port, webhook=receiver.url)
    )
    return config, port


def healthz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
    except httpx.HTTPError:
        return 0, {}
    return r.status_code, r.json()


def events(receiver: WebhookReceiver) -> list[tuple[str, str, str]]:
    return [(b["device"], b["kind"], b["status"]) for b in receiver.bodies()]


def stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def test_full_disk_alerts_still_fire_and_the_agent_says_it_cannot_store(
    tmp_path: Path, netns: str, receiver: WebhookReceiver
) -> None:
    """The data directory is a 16 MB tmpfs in the daemon's own mount namespace. With it
    full, a switch goes down: its alert reaches the webhook, and so does the agent's own
    alert; /healthz says 503 and why; freeing space clears both."""
    data = tmp_path / "data"
    data.mkdir()
    config, port = write_config(tmp_path, netns, receiver, data)
    log = tmp_path / "agent.log"
    script = 'mount -t tmpfs -o size=16m netagent-test "$0" && exec "$@"'
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                str(data),
                sys.executable,
                "-m",
                "netagent.agent",
                "run",
                "--config",
                str(config),
            ],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=out,
            cwd=ROOT,
        )

    def inside(command: str) -> None:  # in the daemon's mount namespace, where the tmpfs is
        subprocess.run(
            ["nsenter", "-t", str(proc.pid), "-m", "sh", "-c", command],
            capture_output=True,
            timeout=30,
        )

    try:
        wait_for("a healthy agent", lambda: healthz(port)[0] == 200, 60)
        inside(f"cat /dev/zero > {data}/filler")  # ENOSPC ends it: the disk is full
        wait_for("the storage fault in /healthz", lambda: healthz(port)[0] == 503, 60)
        reasons = healthz(port)[1]["reasons"]
        assert any("cannot store samples" in r and "disk full" in r for r in reasons), reasons
        wait_for(
            "the agent's own alert",
            lambda: any(k == "storage" and s == "firing" for _, k, s in events(receiver)),
            30,
        )
        own = next(b for b in receiver.bodies() if b["kind"] == "storage")
        assert own["text"].startswith("netagent cannot store samples: disk full at ")

        ip("-n", netns, "addr", "del", f"{DEVICES['sw-b']}/32", "dev", "lo")  # sw-b dies
        wait_for(
            "sw-b's alert while the disk is full",
            lambda: ("sw-b", "down", "firing") in events(receiver),
            60,
        )
        assert healthz(port)[0] == 503

        inside(f"rm -f {data}/filler")
        wait_for(
            "the all-clear",
            lambda: any(k == "storage" and s == "resolved" for _, k, s in events(receiver)),
            60,
        )
        wait_for("a healthy agent again", lambda: healthz(port)[0] == 200, 60)
        assert stop(proc) == 0
    finally:
        stop(proc)
    text = log.read_text()
    assert text.count("Traceback") == 0, text[-3000:]
    # Logged once a minute, not once per job run (3 jobs a second here).
    stamped = [ln for ln in text.splitlines() if ln[:4].isdigit()]
    minutes = (_seconds(stamped[-1]) - _seconds(stamped[0])) / 60
    faults = [
        ln for ln in text.splitlines() if "netagent.agent.runtime: netagent cannot store" in ln
    ]
    assert 1 <= len(faults) <= minutes + 1, faults


def start_agent(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "netagent.agent", "run", "--config", str(config)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=out,
            cwd=ROOT,
        )


def runs(port: int, job: str = "icmp") -> float:
    return Agent(Path(), port, Path()).metric("job_runs_total", job) or 0.0


def test_failing_reloads_keep_the_running_set(
    tmp_path: Path, netns: str, receiver: WebhookReceiver
) -> None:
    """A SIGHUP naming a namespace that does not exist, then one moving the health port
    onto a busy one: each is refused with one ERROR naming the key, and ICMP rounds and
    /healthz go on as before. A good SIGHUP after them applies."""
    config, port = write_config(tmp_path, netns, receiver, tmp_path / "data")
    good = config.read_text()
    log = tmp_path / "agent.log"
    proc = start_agent(config, log)
    try:
        wait_for("ICMP rounds", lambda: runs(port) >= 2, 60)

        config.write_text(good.replace(f'netns = "{netns}"', 'netns = "netagent-no-such-ns"'))
        proc.send_signal(signal.SIGHUP)
        wait_for(
            "the refusal",
            lambda: (
                "agent.netns: namespace 'netagent-no-such-ns' does not exist" in log.read_text()
            ),
        )
        before = runs(port)
        wait_for("ICMP rounds after the refused reload", lambda: runs(port) >= before + 3)
        assert healthz(port) == (200, {"healthy": True, "reasons": [], "devices": {"up": 2}})

        with socket_on_port() as busy:
            config.write_text(good.replace(f"127.0.0.1:{port}", f"127.0.0.1:{busy}"))
            proc.send_signal(signal.SIGHUP)
            wait_for(
                "the second refusal",
                lambda: f"health.listen: 127.0.0.1:{busy} is in use" in log.read_text(),
            )
        before = runs(port)
        wait_for("ICMP rounds after it", lambda: runs(port) >= before + 3)
        assert healthz(port)[0] == 200

        config.write_text(
            good.replace(
                "interval_s = 1\njitter_s = 0\n[jobs.snmp]",
                "interval_s = 2\njitter_s = 0\n[jobs.snmp]",
            )
        )
        proc.send_signal(signal.SIGHUP)
        wait_for("the good reload", lambda: "reloaded: 2 device(s)" in log.read_text())
        # Not one ICMP round failed through all of it.
        assert Agent(Path(), port, Path()).metric("job_errors_total", "icmp") == 0
        assert stop(proc) == 0
    finally:
        stop(proc)
    text = log.read_text()
    assert "Traceback" not in text and "IcmpProber is closed" not in text, text[-3000:]
    refusals = [ln for ln in text.splitlines() if "reload refused" in ln]
    assert len(refusals) == 2 and all(" ERROR " in ln for ln in refusals), refusals
    # The journal's view: one line per record, a start line that says what runs.
    assert all(LINE.match(ln) for ln in text.splitlines()), text
    [start] = [ln for ln in text.splitlines() if " running: " in ln]
    assert f"config {config}" in start and "network.yaml (2 device(s)" in start
    assert start.endswith("jobs icmp, flush, housekeeping")


def test_a_busy_health_port_at_start_is_one_line_and_exit_3(
    tmp_path: Path, netns: str, receiver: WebhookReceiver
) -> None:
    with socket_on_port() as busy:
        config, _ = write_config(tmp_path, netns, receiver, tmp_path / "data", port=busy)
        r = subprocess.run(
            [sys.executable, "-m", "netagent.agent", "run", "--config", str(config)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert r.returncode == 3
    assert "Traceback" not in r.stderr
    errors = [ln for ln in r.stderr.splitlines() if " ERROR " in ln]
    assert errors == [errors[0]] and f"health.listen: 127.0.0.1:{busy} is in use" in errors[0]
    assert "running:" not in r.stderr  # no job started


@contextlib.contextmanager
def socket_on_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def _seconds(line: str) -> float:
    """Seconds since midnight of a journal-format line's UTC timestamp."""
    hms = line.split("T", 1)[1].split("Z", 1)[0]
    h, m, sec = hms.split(":")
    return int(h) * 3600 + int(m) * 60 + float(sec)
