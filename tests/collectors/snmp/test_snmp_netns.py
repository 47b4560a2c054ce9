"""Polling from inside a network namespace, as the demo lab does: absent means down."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from netagent.agent.demo.simlab import SimDevice, write_lab
from netagent.collectors.snmp import SnmpConfig, SnmpPoller, SnmpTarget

ROOT = Path(__file__).parents[3]


@pytest.mark.root
def test_poll_inside_a_namespace_where_one_device_is_absent(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to create a network namespace")
    ns = f"na-snmp-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        # as netagent.agent.demo.lab does: without 127.0.0.1/8 only the /32s below exist
        subprocess.run(["ip", "-n", ns, "addr", "del", "127.0.0.1/8", "dev", "lo"], check=True)
        subprocess.run(["ip", "-n", ns, "addr", "add", "127.77.0.1/32", "dev", "lo"], check=True)
        lab = write_lab(
            tmp_path,
            [
                SimDevice("127.77.0.1", 16161, "ap", "up-ap"),
                SimDevice("127.77.0.2", 16161, "ap", "absent-ap"),
            ],
        )
        proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, *lab.fast_command],
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout is not None
        assert b"serving 1 simulated SNMP agents (1 addresses" in proc.stdout.readline()
        poller = SnmpPoller(SnmpConfig(device_deadline_s=1.5, request_timeout_s=0.5), netns=ns)
        out = asyncio.run(
            poller.poll(
                [
                    SnmpTarget("up-ap", "127.77.0.1", 16161),
                    SnmpTarget("absent-ap", "127.77.0.2", 16161),
                ]
            )
        )
        poller.close()
        assert out[0].ok and out[0].profile == "unifi", out[0].error
        assert not out[1].ok and out[1].error and out[1].error.startswith("timeout")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        subprocess.run(["ip", "netns", "del", ns], check=False)
