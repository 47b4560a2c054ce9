"""The prober against hosts in network namespaces: each failure mode reported as such."""

from __future__ import annotations

import asyncio
import shutil
import subprocess

import pytest

from netagent.collectors.icmp import IcmpConfig, IcmpProber, IcmpTarget
from tests.fixtures.netlab import NetLab

pytestmark = pytest.mark.root


def probe(lab: NetLab, targets: list[IcmpTarget], **cfg: float) -> tuple[IcmpProber, list]:
    prober = IcmpProber(IcmpConfig.model_validate(cfg), netns=lab.probe_ns)
    try:
        return prober, asyncio.run(prober.round(targets))
    finally:
        prober.close()


def test_answering_dropping_and_link_down_hosts_each_reported(netlab: NetLab) -> None:
    ok, dropper, down, ok6, dropper6 = (netlab.add_host() for _ in range(5))
    dropper.drop_echo()
    dropper6.drop_echo()
    down.link(False)
    targets = [
        IcmpTarget("ok", ok.addr4),
        IcmpTarget("drops", dropper.addr4),
        IcmpTarget("down", down.addr4),
        IcmpTarget("ok6", ok6.addr6),
        IcmpTarget("drops6", dropper6.addr6),
    ]
    _, res = probe(netlab, targets, count=3, interval_ms=50, timeout_ms=500)
    by = {r.target.name: r for r in res}
    assert [r.target.name for r in res] == [t.name for t in targets]
    for name in ("ok", "ok6"):
        r = by[name]
        assert (r.sent, r.received, r.loss_pct, r.up) == (3, 3, 0.0, True)
        assert r.rtt_min_ms is not None and r.rtt_max_ms is not None
        assert r.rtt_avg_ms is not None
        assert 0 < r.rtt_min_ms <= r.rtt_avg_ms <= r.rtt_max_ms < 500
        assert r.jitter_ms is not None and r.jitter_ms >= 0
    for name in ("drops", "down", "drops6"):
        r = by[name]
        assert (r.sent, r.received, r.loss_pct, r.up) == (3, 0, 100.0, False)
        assert r.rtt_avg_ms is None and r.jitter_ms is None


def test_unroutable_target_is_down_and_does_not_spoil_the_round(netlab: NetLab) -> None:
    host = netlab.add_host()
    # TEST-NET-3, no route to it inside the probe namespace: sendto fails at once
    targets = [IcmpTarget("nowhere", "203.0.113.5"), IcmpTarget("ok", host.addr4)]
    _, (nowhere, ok) = probe(netlab, targets, count=3, interval_ms=20, timeout_ms=500)
    assert (nowhere.sent, nowhere.received, nowhere.send_errors, nowhere.up) == (3, 0, 3, False)
    assert (ok.received, ok.up) == (3, True)


def test_lossy_host_loses_about_30_percent(netlab: NetLab) -> None:
    host = netlab.add_host()
    host.lose(0.3)
    _, res = probe(
        netlab,
        [IcmpTarget("lossy", host.addr4), IcmpTarget("lossy6", host.addr6)],
        count=100,
        interval_ms=2,
        timeout_ms=500,
    )
    for r in res:
        assert r.sent == 100
        assert r.received == len(r.rtts_ms)
        # binomial(100, 0.3): 15..45 is beyond 3 standard deviations either side
        assert 15 <= r.loss_pct <= 45
        assert r.up


def test_slow_host_rtt_is_its_delay_v4_and_v6(netlab: NetLab) -> None:
    host = netlab.add_host()
    host.responder(delay_ms=150)
    _, res = probe(
        netlab,
        [IcmpTarget("slow", host.addr4), IcmpTarget("slow6", host.addr6)],
        count=3,
        interval_ms=20,
        timeout_ms=1000,
    )
    for r in res:
        assert (r.received, r.late, r.up) == (3, 0, True)
        assert r.rtt_min_ms is not None and 150 <= r.rtt_min_ms < 1000


def test_late_replies_counted_late_not_received_nor_in_the_next_round(
    netlab: NetLab,
) -> None:
    host, ok = netlab.add_host(), netlab.add_host()
    host.responder(delay_ms=400)
    targets = [
        IcmpTarget("late", host.addr4),
        IcmpTarget("late6", host.addr6),
        IcmpTarget("ok", ok.addr4),
    ]
    prober = IcmpProber(IcmpConfig(count=3, interval_ms=200, timeout_ms=250), netns=netlab.probe_ns)
    try:

        async def two_rounds() -> tuple[list, list]:
            first = await prober.round(targets)
            await asyncio.sleep(0.6)  # the last late replies arrive between rounds
            return first, await prober.round(targets)

        first, second = asyncio.run(two_rounds())
    finally:
        prober.close()
    for late, late6, ok_result in (first, second):
        for r in (late, late6):
            assert (r.received, r.up, r.loss_pct) == (0, False, 100.0)
            # echo 0 at 0 ms is answered at 400 ms, before the round closes at 650 ms
            assert r.late >= 1
        assert (ok_result.received, ok_result.up) == (3, True)
    assert prober.counters.stale >= 1  # those of round one that came after it closed


def test_duplicates_are_counted_not_received(netlab: NetLab) -> None:
    host = netlab.add_host()
    host.responder(copies=2)
    _, (r,) = probe(
        netlab, [IcmpTarget("dup", host.addr4)], count=3, interval_ms=20, timeout_ms=300
    )
    assert (r.sent, r.received, r.loss_pct) == (3, 3, 0.0)
    # the round closes once every echo is answered: the last echo's copy may come after
    assert r.duplicates in (2, 3)


@pytest.mark.skipif(shutil.which("fping") is None, reason="fping not installed")
def test_replies_to_someone_elses_ping_are_ignored(netlab: NetLab) -> None:
    host, quiet = netlab.add_host(), netlab.add_host()
    quiet.drop_echo()
    other = subprocess.Popen(  # another pinger in the same namespace, same host
        [
            "ip",
            "netns",
            "exec",
            netlab.probe_ns,
            "fping",
            "-q",
            "-c",
            "40",
            "-p",
            "20",
            host.addr4,
            quiet.addr4,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        prober, res = probe(
            netlab,
            [IcmpTarget("h", host.addr4), IcmpTarget("q", quiet.addr4)],
            count=10,
            interval_ms=30,
            timeout_ms=300,
        )
    finally:
        other.wait(timeout=30)
    h, q = res
    assert (h.sent, h.received, h.duplicates) == (10, 10, 0)
    assert (q.received, q.duplicates) == (0, 0)  # fping's replies never count for us
    assert prober.counters.foreign > 0
