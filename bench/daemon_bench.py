"""The daemon at scale: 1,000 devices, ICMP every 30 s, SNMP every 60 s, for an hour.

Time-compressed: every interval is divided by --compress (default 5: ICMP every 6 s,
SNMP every 12 s), so an hour-equivalent of cycles runs in 12 minutes (a round of 3,000
echoes at the prober's 1,000 pps pacing takes ~4 s: more compression overruns it). Devices are real
endpoints on loopback: 1,000 addresses 127.20.x.y that answer ICMP, each served by one
net-snmpd listening on all 1,000 of them (UDP 16161). Samples go to a real influxd when
installed (else the local spool). Needs root (raw ICMP sockets).

Figures: scheduler lag p99 (start minus scheduled time, over every run), CPU of the
agent process (as % of one core at the compressed pace, and at real intervals: the same
work spread over `compress` times longer), RSS at the end.
Peer, measured in the same run: "Telegraf+scripts" done by hand: one `fping -c3` round
over the same 1,000 addresses and one `snmpbulkwalk` of ifEntry per device, as a cron
script would; their CPU per hour of cycles, extrapolated from one ICMP and one SNMP cycle.

    sudo /work/venv/bin/python bench/daemon_bench.py [--devices 1000] [--compress 10] [--hours 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netagent.agent.config import AgentConfig
from netagent.agent.daemon import Daemon
from netagent.agent.health import percentile
from netagent.inventory.model import Device, Inventory, Role, Site
from tests.fixtures.influx import InfluxServer
from tests.fixtures.ports import free_port

SNMP_PORT = 16161
ROLES = [Role.WIFI_AP] * 6 + [Role.SWITCH, Role.CPE, Role.PTP_RADIO, Role.ROUTER]


def address(i: int) -> str:
    return f"127.20.{i // 250}.{i % 250 + 1}"


def inventory(n: int) -> Inventory:
    sites = tuple(Site(name=f"site-{k}", lat=44.69 + k / 1000, lon=10.63) for k in range(20))
    devices = tuple(
        Device(
            name=f"dev-{i:04d}",
            site=f"site-{i % 20}",
            role=ROLES[i % len(ROLES)],
            mgmt_ip=address(i),
            snmp_port=SNMP_PORT,
        )  # type: ignore[arg-type]
        for i in range(n)
    )
    return Inventory(sites=sites, devices=devices)


def start_snmpd(n: int, root: Path) -> subprocess.Popen[bytes]:
    conf = root / "snmpd.conf"
    conf.write_text("rocommunity public 127.0.0.0/8\n")

    def more_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, n + 256))

    endpoints = [f"udp:{address(i)}:{SNMP_PORT}" for i in range(n)]
    proc = subprocess.Popen(
        ["snmpd", "-f", "-Lf", str(root / "snmpd.log"), "-C", "-c", str(conf), *endpoints],
        preexec_fn=more_files,
        env={**os.environ, "MIBS": ""},
    )
    time.sleep(2)
    return proc


def agent_config(data_dir: Path, compress: float, influx_url: str | None) -> AgentConfig:
    raw: dict[str, object] = {
        "agent": {"data_dir": str(data_dir), "stop_timeout_s": 10},
        "jobs": {
            "icmp": {"interval_s": 30 / compress, "jitter_s": 2 / compress},
            "snmp": {"interval_s": 60 / compress, "jitter_s": 5 / compress},
            "coverage": {"enabled": False},
            "flush": {"interval_s": 10 / compress, "jitter_s": 0},
            "housekeeping": {"interval_s": 60 / compress, "jitter_s": 0},
        },
    }
    if influx_url:
        raw["influxdb"] = {"url": influx_url, "api": "v1", "database": "netagent"}
    return AgentConfig.model_validate(raw)


async def run_agent(config: AgentConfig, inv: Inventory, seconds: float) -> Daemon:
    daemon = Daemon(config, load_inventory=lambda cfg: inv)
    loop = asyncio.get_running_loop()
    loop.call_later(seconds, daemon.stop)
    await daemon.run()
    return daemon


def peer_cpu(n: int) -> tuple[float, float, float]:
    """CPU seconds of one fping round, one SNMP cycle of snmpbulkwalk, and its wall time."""

    def children() -> float:
        r = resource.getrusage(resource.RUSAGE_CHILDREN)
        return r.ru_utime + r.ru_stime

    c0 = children()
    targets = "\n".join(address(i) for i in range(n))
    subprocess.run(
        ["fping", "-c3", "-q", "-p500", "-t1000", "-i1"],
        input=targets.encode(),
        capture_output=True,
    )
    c1 = children()
    t0 = time.monotonic()
    walk = ["snmpbulkwalk", "-v2c", "-c", "public", "-Cr25", "-t1", "-r1", "-On"]
    subprocess.run(
        ["xargs", "-P", "16", "-I{}", *walk, "{}", "1.3.6.1.2.1.2.2.1"],
        input="\n".join(f"{address(i)}:{SNMP_PORT}" for i in range(n)).encode(),
        capture_output=True,
        env={**os.environ, "MIBS": ""},
    )
    return c1 - c0, children() - c1, time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--compress", type=float, default=5.0)
    ap.add_argument("--hours", type=float, default=1.0)
    args = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("snmpd"):
        sys.exit("needs root (raw ICMP) and snmpd")
    seconds = args.hours * 3600 / args.compress
    root = Path(tempfile.mkdtemp(prefix="daemon-bench-"))
    snmpd = start_snmpd(args.devices, root)
    influx = None
    if shutil.which("influxd"):
        influx = InfluxServer(root / "influx", free_port(), free_port())
        influx.root.mkdir()
        influx.start()
        influx.create_database()
    try:
        config = agent_config(root / "data", args.compress, influx.url if influx else None)
        me = psutil.Process()
        cpu0, t0 = sum(me.cpu_times()[:2]), time.monotonic()
        print(
            f"{args.devices} devices, intervals /{args.compress:g} (ICMP "
            f"{30 / args.compress:g} s, SNMP {60 / args.compress:g} s), "
            f"{seconds:.0f} s = {args.hours:g} h-equivalent, "
            f"InfluxDB: {'influxd 1.6' if influx else 'none (local spool)'}",
            flush=True,
        )
        daemon = asyncio.run(run_agent(config, inventory(args.devices), seconds))
        cpu, wall = sum(me.cpu_times()[:2]) - cpu0, time.monotonic() - t0
        rss = me.memory_info().rss / 2**20
        lags = [lag for s in daemon.health.jobs.values() for lag in s.lags]
        icmp, snmp = daemon.health.jobs["icmp"], daemon.health.jobs["snmp"]
        icmp_cpu, snmp_cpu, snmp_wall = peer_cpu(args.devices)
    finally:
        if influx:
            influx.stop()
        snmpd.terminate()
        snmpd.wait()
        shutil.rmtree(root, ignore_errors=True)
    hour_rounds = 3600 / 30 * args.hours, 3600 / 60 * args.hours
    peer_cpu_h = icmp_cpu * hour_rounds[0] + snmp_cpu * hour_rounds[1]
    print(
        f"runs: icmp {icmp.runs} (last {icmp.cycle_s:.2f} s, {icmp.devices} devices, "
        f"{icmp.failures} down), snmp {snmp.runs} (last {snmp.cycle_s:.2f} s, "
        f"{snmp.failures} failed), overruns {icmp.overruns + snmp.overruns}, "
        f"skipped {icmp.skipped + snmp.skipped}, missed {icmp.missed + snmp.missed}"
    )
    print(
        f"scheduler lag p50 {percentile(lags, 50) * 1000:.1f} ms, "
        f"p99 {percentile(lags, 99) * 1000:.1f} ms, max {max(lags, default=0) * 1000:.1f} ms"
        f"   (target p99 < 1000 ms)"
    )
    print(
        f"agent CPU {cpu:.1f} s in {wall:.0f} s: {100 * cpu / wall:.1f}% of a core compressed,"
        f" {100 * cpu / (wall * args.compress):.1f}% at real intervals   (target < 50%)"
    )
    print(f"agent RSS at the end {rss:.0f} MB   (target < 250 MB)")
    print(
        f"peer fping+snmpbulkwalk scripts: {icmp_cpu:.2f} s CPU per ICMP round, "
        f"{snmp_cpu:.2f} s per SNMP cycle ({snmp_wall:.1f} s wall, 16 parallel): "
        f"{peer_cpu_h:.0f} s CPU per hour-equivalent vs netagent {cpu:.0f} s "
        f"(ratio netagent/peer {cpu / peer_cpu_h:.2f})"
        if peer_cpu_h
        else ""
    )


if __name__ == "__main__":
    main()
