"""The devices of the scale bench: loopback addresses, simulated SNMP agents, an inventory.

A region-sized mix (by default for 15,000: 12,500 access points, 2,000 switches, 500
radios; smaller counts keep the proportions) on addresses 127.70.0.1 upwards, each with
its own simulated agent (`netagent.agent.demo.fakeagent`, in a process of its own) on one UDP
port, and the same devices as an inventory file for `netagent run` and as a target list
for Prometheus. The kernel answers ICMP on every 127.0.0.0/8 address; nothing leaves
the host.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from netagent.agent.demo.simlab import SimDevice, write_lab

REPO = Path(__file__).resolve().parents[1]
SNMP_PORT = 26161  # away from the sample lab's ports and from daemon_bench's 16161
FIRST_OCTET = 70  # 127.70.0.0 upwards: no other bench or lab uses it

# (kind in netagent.agent.demo.simlab, inventory role, SNMP profile, share of the 15,000 mix)
MIX = [
    ("ap", "wifi-ap", "unifi", 12_500),
    ("switch", "switch", "switch", 2_000),
    ("airmax", "ptp-radio", "airmax", 500),
]
# Central Reggio Emilia, well inside the bundled quartieri (coverage assigns each site).
LAT0, LON0, SPAN_LAT, SPAN_LON = 44.675, 10.595, 0.045, 0.075


def address(i: int) -> str:
    """The i-th device's loopback address: 127.70.0.1, ... 250 per /24."""
    return f"127.{FIRST_OCTET + i // 62_500}.{(i // 250) % 250}.{i % 250 + 1}"


@dataclass(frozen=True)
class BenchDevice:
    name: str
    address: str
    kind: str
    role: str
    profile: str
    switch: str  # the switch it hangs off (a switch: itself)


def devices(n: int) -> list[BenchDevice]:
    """`n` devices in the region's proportions; every AP and radio behind a switch."""
    total = sum(m[3] for m in MIX)
    counts = [max(1, round(n * m[3] / total)) for m in MIX]
    counts[0] += n - sum(counts)
    switches = counts[1]
    out: list[BenchDevice] = []
    for (kind, role, profile, _), count in zip(MIX, counts, strict=True):
        for k in range(count):
            i = len(out)
            name = f"{kind}-{k:05d}"
            switch = name if kind == "switch" else f"switch-{k % switches:05d}"
            out.append(BenchDevice(name, address(i), kind, role, profile, switch))
    return out


def write_inventory(devs: list[BenchDevice], path: Path) -> None:
    """One YAML file: a site per switch on a grid over the centre, the devices at it."""
    switches = sorted({d.switch for d in devs})
    side = max(1, int(len(switches) ** 0.5) + 1)
    sites = [
        {
            "name": f"site-{s}",
            "lat": round(LAT0 + SPAN_LAT * (k // side) / side, 6),
            "lon": round(LON0 + SPAN_LON * (k % side) / side, 6),
            "kind": "other",
        }
        for k, s in enumerate(switches)
    ]
    records = []
    for d in devs:
        rec: dict[str, object] = {
            "name": d.name,
            "site": f"site-{d.switch}",
            "role": d.role,
            "mgmt_ip": d.address,
            "snmp_port": SNMP_PORT,
            "snmp_profile": d.profile,
        }
        if d.kind != "switch":
            rec["parent"] = d.switch
        if d.role == "wifi-ap":
            rec["wifi"] = {"placement": "outdoor"}
        records.append(rec)
    path.write_text(yaml.safe_dump({"sites": sites, "devices": records}, sort_keys=False))


def start_agents(devs: list[BenchDevice], root: Path) -> subprocess.Popen[str]:
    """The simulated agents, one process; returns once every one of them listens."""
    lab = write_lab(
        root / "snmprec", [SimDevice(d.address, SNMP_PORT, d.kind, d.name) for d in devs]
    )

    def more_files() -> None:  # one UDP socket per device
        resource.setrlimit(resource.RLIMIT_NOFILE, (len(devs) + 1024, len(devs) + 1024))

    proc = subprocess.Popen(
        lab.fast_command,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=sys.stderr,
        text=True,
        preexec_fn=more_files,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "serving N simulated SNMP agents (M addresses absent here)"
    if not line.startswith(f"serving {len(devs)} ") or "(0 addresses" not in line:
        proc.kill()
        raise RuntimeError(f"simulated agents did not all start: {line.strip() or 'no output'}")
    return proc


def agent_config(
    root: Path, inventory: Path, influx_url: str, health_port: int, coverage: bool = True
) -> Path:
    """netagent's own TOML: defaults (ICMP 30 s, SNMP 60 s, alerts, hourly coverage)."""
    path = root / "netagent.toml"
    path.write_text(
        f"""[agent]
data_dir = "{root / "data"}"
inventory = ["{inventory}"]
quartieri = "{REPO / "inventory" / "sample" / "quartieri.geojson"}"

[jobs.icmp]
interval_s = 30.0

[jobs.snmp]
interval_s = 60.0

[jobs.coverage]
enabled = {"true" if coverage else "false"}
interval_s = 3600.0

[jobs.netbox]
enabled = false

[health]
listen = "127.0.0.1:{health_port}"

[influxdb]
url = "{influx_url}"
api = "v1"
database = "netagent"
"""
    )
    return path
