"""Without CAP_NET_RAW: ping sockets where ping_group_range allows, else a clear error.

The child runs as root with every capability dropped (empty bounding set, no-root
securebits), inside a namespace of its own, whose ping_group_range the test sets.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.netlab import NetLab

pytestmark = pytest.mark.root

CHILD = """
import asyncio, json, sys
from netagent.collectors.icmp import IcmpConfig, IcmpPermissionError, IcmpProber, IcmpTarget
try:
    prober = IcmpProber(IcmpConfig(count=2, interval_ms=10, timeout_ms=500))
except IcmpPermissionError as e:
    print(json.dumps({"error": str(e)}))
    sys.exit(0)
res = asyncio.run(prober.round([IcmpTarget(a, a) for a in sys.argv[1:]]))
print(json.dumps({"unprivileged": prober.unprivileged,
                  "received": [r.received for r in res]}))
"""
ROOT = Path(__file__).resolve().parents[3]


def run_without_caps(ns: str, *targets: str) -> dict[str, object]:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv (util-linux) not installed")
    out = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ns,
            "setpriv",
            "--bounding-set=-all",
            "--inh-caps=-all",
            "--securebits=+noroot,+noroot_locked",
            sys.executable,
            "-c",
            CHILD,
            *targets,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def set_ping_range(ns: str, value: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv4.ping_group_range={value}"],
        check=True,
    )


def test_no_capability_no_ping_sockets_says_what_to_grant(netlab: NetLab) -> None:
    set_ping_range(netlab.probe_ns, "1 0")
    out = run_without_caps(netlab.probe_ns, "127.0.0.1")
    msg = str(out["error"])
    assert "CAP_NET_RAW" in msg and "ping_group_range" in msg and "'1 0'" in msg


def test_ping_sockets_probe_v4_and_v6_without_capability(netlab: NetLab) -> None:
    host = netlab.add_host()
    set_ping_range(netlab.probe_ns, "0 2147483647")
    out = run_without_caps(netlab.probe_ns, "127.0.0.1", "::1", host.addr4, host.addr6)
    assert out == {"unprivileged": True, "received": [2, 2, 2, 2]}
