"""A whole region on one agent: netagent beside Prometheus + exporters, 15,000 devices.

N simulated devices (15,000: 12,500 access points, 2,000 switches, 500 radios; smaller
counts keep the proportions) on loopback addresses 127.70.0.1 upwards, each with its own
simulated SNMP agent (`netagent.agent.demo.fakeagent`, one process of its own); the kernel
answers their ICMP. Then, one after the other on the same devices:

- netagent: `netagent run` with its own TOML and a generated inventory file (ICMP every
  30 s, SNMP every 60 s, alerts and hourly coverage on), writing to a real influxd;
- the peer: Debian's `prometheus` scraping `prometheus-snmp-exporter` (module if_mib)
  every 60 s and `prometheus-blackbox-exporter` (icmp) every 30 s (`bench.scale_prom`).

Each stack warms up (start-up, the first rounds), then is measured over a window that
starts and ends on a minute: CPU seconds of its processes (netagent: the agent alone;
the peer: Prometheus plus both exporters) as seconds per hour and % of a core, peak RSS,
samples missed (netagent: `icmp` and `snmp_system` points in InfluxDB against rounds x
devices; the peer: `probe_success` and `up` from Prometheus against the same), and for
netagent its scheduler lag p99 and skipped rounds (from its /metrics) and the cadence
each device was really sampled at (the window over its delivered samples).
netagent's hourly coverage run falls in the warm-up; its duration is added once to the
CPU per hour. Load average beside each figure: the machine may be shared.

Traffic goes only to 127.0.0.0/8. Everything started is stopped on exit, Ctrl-C or error.
Needs root (raw ICMP for both stacks, RLIMIT_NOFILE for 15,000 sockets) and influxd.

    sudo .venv/bin/python -m bench.scale_bench [--devices 1000 15000] [--minutes 4]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale_lab import (
    SNMP_PORT,
    BenchDevice,
    agent_config,
    devices,
    start_agents,
    write_inventory,
)
from bench.scale_prom import PromStack, ensure_installed
from tests.fixtures.influx import InfluxServer
from tests.fixtures.ports import free_port, wait_port

ICMP_S, SNMP_S = 30, 60


@dataclass
class Window:
    """CPU and load of some processes over [start, end): two round boundaries (Unix
    time), so that samples are counted over exactly the rounds measured."""

    pids: dict[str, int]
    start: float = 0.0
    end: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float] = (0.0, 0.0)

    def measure(
        self, start: float, minutes: float, probe: Callable[[], None] = lambda: None
    ) -> None:
        """Sleep to `start`, then through whole minutes; `probe` runs at both ends."""
        self.start, self.end = start, start + SNMP_S * max(1, round(minutes))
        sleep_until(self.start)
        cpu0, load0 = self._cpu(), os.getloadavg()[0]
        probe()
        sleep_until(self.end)
        cpu1 = self._cpu()
        probe()
        self.cpu = {k: cpu1[k] - cpu0[k] for k in cpu1}
        self.load = (load0, os.getloadavg()[0])

    def _cpu(self) -> dict[str, float]:
        return {k: sum(psutil.Process(p).cpu_times()[:2]) for k, p in self.pids.items()}

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def per_hour(self, names: list[str] | None = None) -> float:
        total = sum(v for k, v in self.cpu.items() if names is None or k in names)
        return total * 3600 / self.seconds


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the peak resident set of a live process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sleep_until(t: float) -> None:
    while (left := t - time.time()) > 0:
        time.sleep(min(left, 5))


def next_boundary(after: float, step: int = SNMP_S) -> float:
    return math.ceil(after / step) * step


@dataclass
class Result:
    stack: str
    devices: int
    window: Window
    cpu_s_h: float
    rss_mb: float
    missed: dict[str, tuple[int, int]]  # kind -> (missed, expected)
    simulator_s_h: float
    extra: dict[str, str] = field(default_factory=dict)


def metrics(port: int) -> dict[tuple[str, str], float]:
    """netagent's /metrics as {(sample name, job label): value}."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, s.labels.get("job", ""))] = s.value
    return out


def count_ok(
    influx: InfluxServer, measurement: str, ok_field: str, start: float, end: float
) -> int:
    """Points in [start, end) whose `ok_field` is true: an answered round or poll."""
    q = (
        f'SELECT count("{ok_field}") FROM "{measurement}" WHERE "{ok_field}" = true '
        f"AND time >= {int(start * 1e9)} AND time < {int(end * 1e9)}"
    )
    series = influx.query(q)["results"][0].get("series", [])
    return int(series[0]["values"][0][1]) if series else 0


def run_netagent(
    devs: list[BenchDevice], root: Path, minutes: float, warmup: float, agents: int
) -> Result:
    inventory = root / "inventory.yaml"
    write_inventory(devs, inventory)
    with ExitStack() as stack:
        influx = InfluxServer(root / "influx", free_port(), free_port())
        influx.root.mkdir()
        influx.start()
        stack.callback(influx.stop)
        influx.create_database()
        port = free_port()
        config = agent_config(root, inventory, influx.url, port)
        netagent = Path(sys.executable).with_name("netagent")
        log = (root / "netagent.log").open("w")
        proc = subprocess.Popen([str(netagent), "run", "-c", str(config)], stdout=log, stderr=log)
        stack.callback(_terminate, proc, 60)
        wait_port(port, timeout=120)
        assert influx.proc is not None
        w = Window({"netagent": proc.pid, "simulator": agents, "influxd": influx.proc.pid})
        seen: list[dict[tuple[str, str], float]] = []
        w.measure(next_boundary(time.time() + warmup), minutes, lambda: seen.append(metrics(port)))
        before, after = seen
        rss = peak_rss_mb(proc.pid)
        influx_rss = peak_rss_mb(influx.proc.pid)
        _terminate(proc, 60)  # the last flush delivers what the window's rounds stored
        missed = {}
        for kind, measurement, ok_field, interval in (
            ("icmp", "icmp", "up", ICMP_S),
            ("snmp", "snmp_system", "reachable", SNMP_S),
        ):
            expected = len(devs) * round(w.seconds / interval)
            got = count_ok(influx, measurement, ok_field, w.start, w.end)
            missed[kind] = (expected - got, expected)
    coverage_s = after.get(("netagent_job_duration_seconds", "coverage"), 0.0)
    lag = max(
        after.get(("netagent_job_scheduler_lag_p99_seconds", j), 0.0) for j in ("icmp", "snmp")
    )
    extra = {
        "lag_p99_s": f"{lag:.2f}",
        "coverage_run_s": f"{coverage_s:.1f}",
        "influxd_cpu_s_h": f"{w.per_hour(['influxd']):.0f}",  # the store, as Prometheus's TSDB
        "influxd_rss_mb": f"{influx_rss:.0f}",
    }
    for job in ("icmp", "snmp"):
        skipped = [
            sum(m[(f"netagent_job_{what}_runs_total", job)] for what in ("skipped", "missed"))
            for m in (before, after)
        ]
        m, e = missed[job]
        # The interval each device was really sampled at over the window.
        extra[f"{job}_cadence_s"] = f"{w.seconds * len(devs) / (e - m):.1f}" if e > m else "-"
        extra[f"{job}_skipped"] = f"{skipped[1] - skipped[0]:.0f}"
        extra[f"{job}_skipped_at_start"] = f"{skipped[0]:.0f}"
        extra[f"{job}_last_s"] = f"{after[('netagent_job_duration_seconds', job)]:.1f}"
    extra["late_warnings"] = str((root / "netagent.log").read_text().count("started "))
    return Result(
        "netagent",
        len(devs),
        w,
        w.per_hour(["netagent"]) + coverage_s,
        rss,
        missed,
        w.per_hour(["simulator"]),
        extra,
    )


def run_prometheus(
    devs: list[BenchDevice], root: Path, minutes: float, warmup: float, agents: int
) -> Result:
    with ExitStack() as stack:
        prom = PromStack(root / "prometheus", [d.address for d in devs], SNMP_PORT)
        stack.callback(prom.stop)
        prom.start()
        w = Window({**prom.pids(), "simulator": agents})
        w.measure(next_boundary(time.time() + max(warmup, SNMP_S + 10)), minutes)
        rss = sum(peak_rss_mb(pid) for pid in prom.pids().values())
        time.sleep(15)  # scrapes that started before the end land in the TSDB
        ok = prom.successes(w.start, w.end)
        rss_each = {k: f"{peak_rss_mb(p):.0f}" for k, p in prom.pids().items()}
    missed = {}
    for kind, interval in (("icmp", ICMP_S), ("snmp", SNMP_S)):
        expected = len(devs) * round(w.seconds / interval)
        missed[kind] = (expected - ok[kind], expected)
    names = ["prometheus", "snmp", "blackbox"]
    extra = {f"{k}_cpu_s_h": f"{w.cpu[k] * 3600 / w.seconds:.0f}" for k in names}
    extra.update({f"{k}_rss_mb": v for k, v in rss_each.items()})
    return Result(
        "prometheus", len(devs), w, w.per_hour(names), rss, missed, w.per_hour(["simulator"]), extra
    )


def _terminate(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _missed(r: Result) -> str:
    return ", ".join(f"{k} {m:,}/{e:,}" for k, (m, e) in r.missed.items())


def report(r: Result) -> None:
    """One stack's figures, as soon as it is measured."""
    w = r.window
    print(
        f"  {r.stack}, {r.devices:,} devices: {w.seconds:.0f} s window, load "
        f"{w.load[0]:.1f}-{w.load[1]:.1f}; CPU {r.cpu_s_h:,.0f} s/h "
        f"({100 * r.cpu_s_h / 3600:.1f}% of a core); peak RSS {r.rss_mb:,.0f} MB; "
        f"missed {_missed(r)}; simulator {r.simulator_s_h:,.0f} s/h; "
        + " ".join(f"{k}={v}" for k, v in r.extra.items()),
        flush=True,
    )


def table(rows: list[tuple[Result, Result]]) -> None:
    """The comparison, as the Markdown table of bench/README.md."""
    print(
        "| devices | netagent CPU s/h | stack CPU s/h | ratio | netagent RSS | stack RSS "
        "| ratio | missed netagent | missed stack | lag p99 | load netagent / stack |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for ours, peer in rows:
        lo, lp = ours.window.load, peer.window.load
        print(
            f"| {ours.devices:,} | {ours.cpu_s_h:,.0f} | {peer.cpu_s_h:,.0f} "
            f"| {ours.cpu_s_h / peer.cpu_s_h:.2f}x | {ours.rss_mb:,.0f} MB "
            f"| {peer.rss_mb:,.0f} MB | {ours.rss_mb / peer.rss_mb:.2f}x | {_missed(ours)} "
            f"| {_missed(peer)} | {ours.extra['lag_p99_s']} s "
            f"| {lo[0]:.1f}-{lo[1]:.1f} / {lp[0]:.1f}-{lp[1]:.1f} |",
            flush=True,
        )


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds through every cleanup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[15_000])
    ap.add_argument("--minutes", type=float, default=4.0, help="measured window per stack")
    ap.add_argument("--warmup", type=float, default=90.0, help="seconds before the window")
    ap.add_argument("--stacks", default="netagent,prometheus")
    ap.add_argument("--keep-log", type=Path, help="copy netagent's log here (one per size)")
    args = ap.parse_args()
    stacks = args.stacks.split(",")
    if os.geteuid() != 0 or shutil.which("influxd") is None:
        sys.exit("needs root (raw ICMP sockets) and influxd (Debian package influxdb)")
    if "prometheus" in stacks:
        ensure_installed()
    signal.signal(signal.SIGTERM, _interrupted)
    rows: list[tuple[Result, Result]] = []
    for n in args.devices:
        devs = devices(n)
        root = Path(tempfile.mkdtemp(prefix=f"scale-bench-{n}-"))
        with ExitStack() as stack:
            stack.callback(shutil.rmtree, root, True)
            print(f"{n:,} devices: starting the simulated agents", flush=True)
            agents = start_agents(devs, root)
            stack.callback(_terminate, agents, 10)
            ours = peer = None
            if "netagent" in stacks:
                ours = run_netagent(devs, root, args.minutes, args.warmup, agents.pid)
                report(ours)
                if args.keep_log:
                    args.keep_log.mkdir(parents=True, exist_ok=True)
                    shutil.copy(root / "netagent.log", args.keep_log / f"netagent-{n}.log")
            if "prometheus" in stacks:
                peer = run_prometheus(devs, root, args.minutes, args.warmup, agents.pid)
                report(peer)
            if ours and peer:
                rows.append((ours, peer))
    if rows:
        table(rows)


if __name__ == "__main__":
    main()
