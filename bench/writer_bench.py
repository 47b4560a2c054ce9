"""Writer throughput: samples -> durable spool -> InfluxDB, beside a plain HTTP loop.

Peer (baseline): a keep-alive httpx loop POSTing pre-built 5,000-line batches to the v1
/write endpoint of the same influxd, the fastest any client can feed it (the server is
the bottleneck). Ours: collector-sized put()s into the SQLite spool (WAL, synchronous=FULL,
one commit per put) from a producer thread while the Flusher delivers concurrently, called
as the daemon's flush job calls it (`flush(deadline_s=10)`, the default interval), the
next run FLUSH_EVERY_S after one ends; timed until InfluxDB acknowledged the last sample.
Both write the same points (each into its own database) and both counts are checked in
InfluxDB afterwards.

    /work/venv/bin/python bench/writer_bench.py [--points 200000] [--put-size 1000]

Figures are indicative: the machine is shared and the server's CPU is the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netagent.collectors import line_protocol as lp
from netagent.collectors.influx import Flusher, InfluxConfig, make_writer
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolConfig
from tests.fixtures.influx import InfluxServer
from tests.fixtures.ports import free_port

BATCH = 5000
# The pause between flush runs here: short, so the figure is the delivery path's, not the
# wait for the daemon's 10 s schedule.
FLUSH_EVERY_S = 0.05


def make_samples(n: int, t0: int) -> list[Sample]:
    """`interface` samples of 200 devices x 48 ports, one second apart per series."""
    out = []
    for i in range(n):
        dev, port = divmod(i % 9600, 48)
        out.append(
            Sample(
                "interface",
                {"device": f"sw-{dev:03d}", "ifname": f"ge-0/0/{port}"},
                {
                    "in_bps": 1_000_000.0 + i,
                    "out_bps": 250_000.5 + i,
                    "in_errors": 0.0,
                    "out_errors": 0.25,
                    "oper_up": True,
                    "speed_bps": 1e9,
                },
                t0 + (i // 9600) * 1_000_000_000 + i % 9600,
            )
        )
    return out


def baseline(url: str, samples: list[Sample]) -> float:
    lines = [
        lp.line(lp.encode_key(s.measurement, s.tags), lp.encode_fields(s.fields), s.time_ns)
        for s in samples
    ]
    bodies = ["\n".join(lines[i : i + BATCH]).encode() for i in range(0, len(lines), BATCH)]
    with httpx.Client(base_url=url, timeout=60) as client:
        t = time.perf_counter()
        for body in bodies:
            client.post("/write", params={"db": "baseline"}, content=body).raise_for_status()
        return time.perf_counter() - t


async def agent(url: str, samples: list[Sample], put_size: int, spool_path: Path) -> float:
    spool = Spool(spool_path, SpoolConfig(batch_size=BATCH))
    writer = make_writer(InfluxConfig(url=url, api="v1", database="agent", gzip=False))
    assert writer is not None
    flusher = Flusher(spool, writer, spool.config)
    stop = asyncio.Event()

    async def flush_runs() -> None:
        while not stop.is_set():
            await flusher.flush(deadline_s=10.0)
            await asyncio.sleep(FLUSH_EVERY_S)

    def produce() -> None:
        for i in range(0, len(samples), put_size):
            spool.put(samples[i : i + put_size])
        print(f"  (producer done after {time.perf_counter() - t:.2f} s)", file=sys.stderr)

    t = time.perf_counter()
    runner = asyncio.create_task(flush_runs())
    producer = threading.Thread(target=produce)
    producer.start()
    while producer.is_alive() or spool.stats().depth:
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - t
    stop.set()
    await runner
    await writer.close()
    producer.join()
    spool.close()
    return elapsed


def put_only(samples: list[Sample], put_size: int, spool_path: Path) -> float:
    spool = Spool(spool_path)
    t = time.perf_counter()
    for i in range(0, len(samples), put_size):
        spool.put(samples[i : i + put_size])
    elapsed = time.perf_counter() - t
    spool.close()
    return elapsed


async def drain_only(url: str, spool_path: Path) -> float:
    """Deliver a spool filled beforehand (put_only's) into its own database."""
    spool = Spool(spool_path, SpoolConfig(batch_size=BATCH))
    writer = make_writer(InfluxConfig(url=url, api="v1", database="drain", gzip=False))
    assert writer is not None
    t = time.perf_counter()
    report = await Flusher(spool, writer, spool.config).flush()
    elapsed = time.perf_counter() - t
    assert report.remaining == 0, report
    await writer.close()
    spool.close()
    return elapsed


def count(server: InfluxServer, db: str) -> int:
    res = server.query("SELECT count(in_bps) FROM interface", db=db)
    return int(res["results"][0]["series"][0]["values"][0][1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--put-size", type=int, default=1000, help="samples per Spool.put()")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = InfluxServer(Path(tmp) / "influx", free_port(), free_port())
        server.root.mkdir()
        server.start()
        try:
            server.create_database("baseline")
            server.create_database("agent")
            samples = make_samples(args.points, time.time_ns() - 3600 * 10**9)
            base_s = baseline(server.url, samples)
            ours_s = asyncio.run(agent(server.url, samples, args.put_size, Path(tmp) / "spool"))
            server.create_database("drain")
            put_s = put_only(samples, args.put_size, Path(tmp) / "spool2")
            drain_s = asyncio.run(drain_only(server.url, Path(tmp) / "spool2"))
            for db in ("baseline", "agent", "drain"):
                assert count(server, db) == args.points, db
        finally:
            server.stop()
    base, ours = args.points / base_s, args.points / ours_s
    print(f"points: {args.points:,} (interface, 2 tags, 6 fields), batches of {BATCH:,}")
    peer = "baseline  httpx keep-alive loop, pre-built lines"
    mine = f"netagent  put({args.put_size}) -> spool (WAL, FULL) -> v1"
    print(f"{peer:<48}: {base:>9,.0f} points/s ({base_s:.2f} s)")
    print(f"{mine:<48}: {ours:>9,.0f} points/s ({ours_s:.2f} s)")
    print(f"ratio netagent/baseline: {ours / base:.2f}")
    print("stages alone (same run):")
    print(f"  put({args.put_size}) into the spool only  : {args.points / put_s:>9,.0f} samples/s")
    print(f"  drain a filled spool to InfluxDB : {args.points / drain_s:>9,.0f} points/s")


if __name__ == "__main__":
    main()
