"""ICMP sweep of loopback targets: netagent's prober beside fping, same list, same run.

    /work/venv/bin/python bench/icmp_bench.py [--targets 5000]

Two races, one echo per target: unpaced (`fping -c1 -i0 -t500 -q` vs rate_pps=0) and
paced at 1 ms (`fping -i1` vs rate_pps=1000). Each side runs as its own process so CPU
and peak RSS are its own. Our CPU is shown twice: the round itself (what the daemon
pays every cycle) and the whole process (Python start-up and the scapy import, paid
once per daemon). The machine is shared: figures are indicative, ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def targets(n: int) -> list[str]:
    return [f"127.1.{i // 250}.{i % 250 + 1}" for i in range(n)]


def measure(cmd: list[str]) -> dict[str, float | str]:
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_mb": r1.ru_maxrss / 1024,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }


def fping(target_file: str, interval_ms: int) -> dict[str, float]:
    m = measure(["fping", "-c1", f"-i{interval_ms}", "-t500", "-q", "-f", target_file])
    got = sum(int(x) for x in re.findall(r"xmt/rcv/%loss = \d+/(\d+)/", str(m["stderr"])))
    return {"wall": float(m["wall"]), "cpu": float(m["cpu"]), "received": got}


def ours(target_file: str, rate: int) -> dict[str, float]:
    m = measure([sys.executable, __file__, "--child", target_file, "--rate", str(rate)])
    if not str(m["stdout"]).strip():
        sys.exit(f"our prober failed:\n{m['stderr']}")
    child = json.loads(str(m["stdout"]))
    return {**child, "process_wall": float(m["wall"]), "process_cpu": float(m["cpu"])}


def child(target_file: str, rate: int) -> None:
    """The measured side: one round, timed from inside (the daemon's steady state)."""
    sys.path.insert(0, str(ROOT))
    from netagent.collectors.icmp import IcmpConfig, IcmpProber, IcmpTarget

    addrs = Path(target_file).read_text().split()
    tg = [IcmpTarget(a, a) for a in addrs]
    prober = IcmpProber(IcmpConfig(count=1, rate_pps=rate, timeout_ms=500))
    c0, w0 = time.process_time(), time.monotonic()
    res = asyncio.run(prober.round(tg))
    wall, cpu = time.monotonic() - w0, time.process_time() - c0
    prober.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"wall": wall, "cpu": cpu, "rss_mb": rss, "received": sum(r.received for r in res)}
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--targets", type=int, default=5000)
    ap.add_argument("--child")
    ap.add_argument("--rate", type=int, default=0)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.rate)
        return
    if os.geteuid() != 0:
        sys.exit("needs root (raw ICMP sockets for both fping and netagent)")
    n = args.targets
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
        f.write("\n".join(targets(n)) + "\n")
        f.flush()
        f0 = fping(f.name, 0)
        o0 = ours(f.name, 0)
        f1 = fping(f.name, 1)
        o1 = ours(f.name, 1000)
    print(f"ICMP sweep, {n} loopback targets, one echo each")
    print(f"{'':32}{'wall s':>8}{'CPU s':>8}{'recv':>7}{'RSS MB':>8}")
    rows = [
        ("fping -c1 -i0 -t500 -q", f0["wall"], f0["cpu"], f0["received"], None),
        ("netagent rate=0 (round)", o0["wall"], o0["cpu"], o0["received"], o0["rss_mb"]),
        ("netagent rate=0 (process)", o0["process_wall"], o0["process_cpu"], None, None),
        ("fping -c1 -i1 -t500 -q", f1["wall"], f1["cpu"], f1["received"], None),
        ("netagent rate=1000 (round)", o1["wall"], o1["cpu"], o1["received"], o1["rss_mb"]),
        ("netagent rate=1000 (process)", o1["process_wall"], o1["process_cpu"], None, None),
    ]
    for name, wall, cpu, recv, rss in rows:
        r = "" if recv is None else f"{recv:>7.0f}"
        m = "" if rss is None else f"{rss:>8.0f}"
        print(f"{name:32}{wall:>8.3f}{cpu:>8.3f}{r:>7}{m}")
    print(
        f"lost: netagent {2 * n - o0['received'] - o1['received']:.0f}, "
        f"fping {2 * n - f0['received'] - f1['received']:.0f}"
    )
    print(
        f"CPU ratio unpaced, round/fping: {o0['cpu'] / f0['cpu']:.2f}x (target <= 3x); "
        f"whole process/fping: {o0['process_cpu'] / f0['cpu']:.2f}x"
    )
    print(
        f"wall ratio at 1 ms pacing, round/fping: {o1['wall'] / f1['wall']:.3f}x "
        f"(target <= 1.05x); whole process: {o1['process_wall'] / f1['wall']:.3f}x"
    )
    print(f"peak RSS: {max(o0['rss_mb'], o1['rss_mb']):.0f} MB (target <= 150 MB)")


if __name__ == "__main__":
    main()
