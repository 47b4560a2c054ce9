"""SIGKILL the agent at random moments mid-batch; restart; nothing accepted is lost.

The driver (this module run as a script) puts numbered samples into the spool while the
daemon's flush job (netagent.agent.jobs.flush_job, at a short interval) delivers them; the test
kills it with SIGKILL several times and restarts it. The
v2 double counts every line it acknowledged, so we check both promises exactly: every
accepted sample arrives, and a replay is never more than the batches in flight at the
kill. The same is checked against a real influxd through the v1 path.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures.influx import InfluxServer

T0 = 1_700_000_000_000_000_000
TOTAL = 3000
CHUNK = 40
BATCH = 100
INTERVAL_S = 0.02  # of the flush job: short, so kills land mid-batch


def drive(spool_path: str, url: str, api: str) -> None:
    """Put samples TOTAL times (resuming after the last one committed) and deliver them."""
    from types import SimpleNamespace

    from pydantic import SecretStr

    from netagent.agent.health import Health
    from netagent.agent.jobs import flush_job
    from netagent.collectors.influx import Flusher, InfluxConfig, make_writer
    from netagent.collectors.samples import Sample
    from netagent.collectors.spool import Spool, SpoolConfig

    config = SpoolConfig(batch_size=BATCH, retry_initial_s=0.05, latest_for=["crash"])
    spool = Spool(Path(spool_path), config)
    influx = InfluxConfig.model_validate(
        {"url": url, "api": api, "token": SecretStr("secret-token"), "org": "comune-re"}
    )
    writer = make_writer(influx)
    assert writer is not None
    done = spool.latest("crash")
    start = done[0].time_ns - T0 + 1 if done else 0

    class NoNotifications:
        async def deliver_pending(self) -> None:
            pass

    services = SimpleNamespace(
        router=NoNotifications(), health=Health(), delivery=Flusher(spool, writer, config)
    )
    job = flush_job(services, INTERVAL_S)  # type: ignore[arg-type]

    async def flush_runs(stop: asyncio.Event) -> None:
        while not stop.is_set():  # the scheduler's part: one run after the other
            await job()
            await asyncio.sleep(INTERVAL_S)

    async def main() -> None:
        stop = asyncio.Event()
        runner = asyncio.create_task(flush_runs(stop))
        for i in range(start, TOTAL, CHUNK):
            spool.put(
                Sample("crash", {"run": "x"}, {"v": j}, T0 + j)
                for j in range(i, min(i + CHUNK, TOTAL))
            )
            print(f"accepted {min(i + CHUNK, TOTAL) - 1}", flush=True)
            await asyncio.sleep(0.01)
        while spool.stats().depth:
            await asyncio.sleep(0.01)
        stop.set()
        await runner

    asyncio.run(main())
    print("drained", flush=True)


def run_with_kills(tmp_path: Path, url: str, api: str, kills: int) -> int:
    """Kill the driver `kills` times mid-run, then let it finish; returns the accepted count."""
    cmd = [sys.executable, __file__, str(tmp_path / "spool.sqlite"), url, api]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    accepted = -1
    rng = random.Random(7)
    for _ in range(kills):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout is not None
        line = proc.stdout.readline()  # working: it has accepted samples
        assert line.startswith("accepted"), line
        time.sleep(rng.uniform(0.02, 0.3))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        for seen in [line, *out.splitlines()]:
            if seen.startswith("accepted"):
                accepted = max(accepted, int(seen.split()[1]))
    final = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert final.returncode == 0, final.stderr
    assert final.stdout.splitlines()[-1] == "drained"
    return accepted


def test_sigkill_mid_batch_loses_nothing_and_replays_at_most_the_batches_in_flight(
    tmp_path: Path,
) -> None:
    from tests.fixtures.influx_v2 import serve

    kills = 4
    with serve() as v2:
        accepted = run_with_kills(tmp_path, v2.url, "v2", kills)
        values = [int(line.split(" ")[1][2:-1]) for line in v2.received if line.startswith("crash")]
    assert accepted >= 0  # at least one kill landed after samples were accepted
    assert sorted(set(values)) == list(range(TOTAL))
    replayed = len(values) - TOTAL
    assert replayed <= kills * 2 * BATCH  # in_flight (2) batches per kill, at most


def test_sigkill_against_real_influxdb(influxdb: InfluxServer, tmp_path: Path) -> None:
    influxdb.create_database()
    run_with_kills(tmp_path, influxdb.url, "v1", kills=3)
    res = influxdb.query("SELECT count(v), sum(v) FROM crash")["results"][0]["series"][0]
    assert res["values"][0][1:] == [TOTAL, TOTAL * (TOTAL - 1) // 2]


if __name__ == "__main__":
    drive(*sys.argv[1:4])
