"""Under systemd: READY=1 once started, WATCHDOG=1 from the running loop, STOPPING=1.

The daemon runs as a subprocess with $NOTIFY_SOCKET pointing at a unix datagram socket
this test reads, as systemd's would be; WATCHDOG_USEC asks for a ping every 0.5 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netagent.agent import sdnotify
from tests.agent.daemon.test_daemon_run import ROOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="raw ICMP sockets need root")

CONFIG = """\
[agent]
data_dir = "{data}"
inventory = ["{inventory}"]
stop_timeout_s = 2
[jobs.snmp]
enabled = false
[jobs.coverage]
enabled = false
[jobs.icmp]
interval_s = 1
jitter_s = 0
"""


def messages(sock: socket.socket, until: str, timeout: float = 60) -> list[str]:
    got: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            got += sock.recv(4096).decode().splitlines()
        except TimeoutError:
            break
        if until in got:
            return got
    raise AssertionError(f"no {until} in {got}")


def test_ready_watchdog_and_stopping_reach_the_notify_socket(tmp_path: Path) -> None:
    inventory = tmp_path / "net.yaml"
    inventory.write_text(
        "sites:\n  - {name: s, lat: 44.7, lon: 10.63}\n"
        "devices:\n  - {name: sw, site: s, role: switch, mgmt_ip: 127.0.0.9}\n"
    )
    config = tmp_path / "netagent.toml"
    config.write_text(CONFIG.format(data=tmp_path / "data", inventory=inventory))
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "NOTIFY_SOCKET": str(path),
            "WATCHDOG_USEC": "1000000",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "netagent.agent", "run", "--config", str(config)],
            env=env,
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        try:
            first = messages(sock, "READY=1")
            pings = [m for m in first if m == "WATCHDOG=1"]
            while len(pings) < 3:
                pings += [m for m in messages(sock, "WATCHDOG=1") if m == "WATCHDOG=1"]
            proc.send_signal(signal.SIGTERM)
            messages(sock, "STOPPING=1")
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert any(m.startswith("STATUS=polling 1 device") for m in first)


def test_outside_systemd_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sdnotify.notify("READY=1") is False
    assert sdnotify.watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))  # meant for another process
    assert sdnotify.watchdog_interval_s() is None
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval_s() == 15.0


def test_abstract_notify_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"netagent-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sdnotify.notify("READY=1", "STATUS=x")
        assert sock.recv(100) == b"READY=1\nSTATUS=x"


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv (util-linux)")
def test_a_capped_receive_buffer_is_logged_once_with_the_sysctl_to_set() -> None:
    """As the unit runs it: CAP_NET_RAW but no CAP_NET_ADMIN, so SO_RCVBUFFORCE is refused
    and the kernel caps the buffer at net.core.rmem_max."""
    rmem_max = int(Path("/proc/sys/net/core/rmem_max").read_text())
    if rmem_max >= 16 << 20:
        pytest.skip("net.core.rmem_max already allows 16 MB here")
    code = (
        "import logging; logging.basicConfig(format='%(levelname)s %(message)s')\n"
        "from netagent.collectors.icmp import IcmpConfig, IcmpProber\n"
        "for _ in range(3): IcmpProber(IcmpConfig()).close()\n"
    )
    r = subprocess.run(
        ["setpriv", "--bounding-set=-net_admin", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode == 0, r.stderr
    warnings = [ln for ln in r.stderr.splitlines() if ln.startswith("WARNING")]
    assert len(warnings) == 1, r.stderr
    assert "net.core.rmem_max=16777216" in warnings[0]
