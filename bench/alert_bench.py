"""Alert latency and alert volume: netagent's engine vs naive per-device alerting.

100 simulated outages on the bundled Reggio Emilia sample (238 devices): 70 single
access points, 30 branch outages (a switch, base station, repeater or radio with
everything behind it goes dark), plus 100 one-round blips that must not alert. Rounds
are 30 s on a simulated clock, N=3, M=2.

Latency = time from the AP's last answered echo to the webhook receiver (a real HTTP
server on 127.0.0.1) holding the notification = N x round (simulated: the hysteresis by
design) + the measured wall time of the deciding round (engine, SQLite commit, routing,
HTTP POST). The probe's own echo timeout (about 1 s for the ICMP prober) comes on top.

Peer: naive per-device alerting, the way a Telegraf/script set-up often does it: every
device that misses N rounds alerts on its own, no dependency grouping. Printed: the
notifications each sends for the same outages.
Run: /work/venv/bin/python bench/alert_bench.py   (figures are indicative: shared CPU)
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netagent.agent.alerts import AlertEngine, AlertsConfig, Observation, open_store
from netagent.agent.alerts.topology import Topology
from netagent.agent.inventory_source import load
from netagent.agent.notify import NotifyConfig, Router
from netagent.agent.notify.config import LogConfig, WebhookConfig
from netagent.inventory.model import Role
from tests.alerts_lab import WebhookReceiver

ROUND_S, N, M = 30.0, 3, 2
BUDGET_S = N * ROUND_S + 5
# Outages of the same branch closer together than the flap window are (rightly) flapping.
QUIET_ROUNDS = int(AlertsConfig().flap_window_s / ROUND_S)


def naive_notifications(outages: list[set[str]], blips: int) -> int:
    """Per-device alerting with the same N: one firing + one resolved per dark device."""
    del blips  # with N rounds of hysteresis a one-round blip alerts nobody, naive or not
    return sum(2 * len(o) for o in outages)


async def run() -> None:
    rng = random.Random(8)
    inv = load().inventory
    assert inv is not None
    topo = Topology(inv)
    singles = [d.name for d in inv.devices if d.role is Role.WIFI_AP]
    inner = sorted(n for n, p in topo.parent.items() if p is not None and topo.descendants(n))
    outages = [{rng.choice(singles)} for _ in range(70)]
    outages += [{b, *topo.descendants(b)} for b in rng.choices(inner, k=30)]
    rng.shuffle(outages)
    receiver = WebhookReceiver()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp))
        cfg = AlertsConfig(down_after=N, up_after=M)
        notify = NotifyConfig(
            webhooks=[WebhookConfig(url=receiver.url, name="bench")],  # type: ignore[arg-type]
            log=LogConfig(enabled=False),
        )
        t = 1_790_000_000.0
        router = Router.from_config(store.queue, notify, clock=lambda: t)
        engine = AlertEngine(inv, cfg, store, router)
        names = [d.name for d in inv.devices]

        async def round_(down: set[str]) -> float:
            nonlocal t
            t += ROUND_S
            obs = [Observation(n, n not in down, None if n in down else True) for n in names]
            start = time.monotonic()
            await engine.observe_and_notify(obs, t)
            return start

        latencies, round_costs = [], []
        for _ in range(3):
            await round_(set())
        for _ in range(100):  # blips: one missed round each
            await round_({rng.choice(singles)})
            await round_(set())
        blip_alerts = len(receiver.received)
        for dark in outages:
            before = len(receiver.received)
            started = 0.0
            for _ in range(N):  # the last answered echo was the previous round
                r0 = time.monotonic()
                started = await round_(dark)
                round_costs.append(time.monotonic() - r0)
            got = receiver.received[before:]
            assert len(got) == 1, [
                (g.body["device"], g.body["kind"], g.body["status"]) for g in got
            ]
            latencies.append(N * ROUND_S + (got[0].at - started))
            for _ in range(M):
                await round_(set())
            for _ in range(QUIET_ROUNDS):
                await round_(set())
        sent = len(receiver.received)
        store.close()
    receiver.close()
    real = [x - N * ROUND_S for x in latencies]
    q = statistics.quantiles(real, n=100)
    in_branches = sum(len(o) for o in outages if len(o) > 1)
    print(
        f"devices {len(names)}, outages 100 (70 single AP, 30 branches: "
        f"{in_branches} devices), "
        f"100 one-round blips; round {ROUND_S:.0f} s, N={N}, M={M}"
    )
    print(
        f"latency last echo -> webhook received: N x round = {N * ROUND_S:.0f} s + "
        f"p50 {statistics.median(real) * 1000:.1f} ms, p95 {q[94] * 1000:.1f} ms, "
        f"max {max(real) * 1000:.1f} ms  (budget {BUDGET_S:.0f} s: "
        f"{'met' if max(latencies) <= BUDGET_S else 'MISSED'})"
    )
    print(
        f"engine round (observe + commit + deliver) p50 "
        f"{statistics.median(round_costs) * 1000:.1f} ms over {len(names)} devices"
    )
    naive = naive_notifications(outages, 100)
    print(
        f"notifications for the 100 outages: netagent {sent} (blips alerted: {blip_alerts}), "
        f"naive per-device {naive}  -> {naive / max(sent, 1):.1f}x fewer"
    )


if __name__ == "__main__":
    asyncio.run(run())
