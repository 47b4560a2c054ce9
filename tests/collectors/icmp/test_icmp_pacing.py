"""A round fits its job's interval at any device count: the rate rises, then the echoes
per target fall, with a warning (region scale: 15,000 devices every 30 s)."""

from __future__ import annotations

import asyncio
import logging
import os
import time

import pytest

from netagent.collectors.icmp import IcmpConfig, IcmpProber, IcmpTarget
from netagent.collectors.icmp.prober import plan_pacing


def test_a_round_that_fits_keeps_the_configured_pacing() -> None:
    p = plan_pacing(3000, IcmpConfig(), budget_s=27)
    assert (p.count, p.rate_pps, p.note) == (3, 1000, "")


def test_fifteen_thousand_devices_raise_the_rate_to_fit_the_interval() -> None:
    cfg = IcmpConfig()  # 3 echoes, 1000/s: 45 s of sending, more than a 30 s interval
    p = plan_pacing(15_000, cfg, budget_s=27)
    assert p.count == 3
    assert 15_000 * 3 / p.rate_pps <= 27 - cfg.timeout_ms / 1000
    assert "rate raised" in p.note


def test_past_the_rate_ceiling_fewer_echoes_per_target_never_below_the_threshold() -> None:
    cfg = IcmpConfig(max_rate_pps=2000, up_threshold=1)
    p = plan_pacing(40_000, cfg, budget_s=27)
    assert p.count == 1 and p.rate_pps == 2000
    assert "1 echo(es) per target" in p.note
    p = plan_pacing(100_000, cfg, budget_s=27)  # even one echo each does not fit
    assert p.count == 1 and p.rate_pps > 2000 and "raise it" in p.note
    p = plan_pacing(40_000, IcmpConfig(max_rate_pps=2000, up_threshold=2), budget_s=27)
    assert p.count == 2


def test_no_budget_or_an_unpaced_config_is_left_alone() -> None:
    assert plan_pacing(10**6, IcmpConfig(), None).count == 3
    assert plan_pacing(10**6, IcmpConfig(rate_pps=0), 1.0).rate_pps == 0


@pytest.mark.root
def test_a_loopback_round_adapts_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    targets = [IcmpTarget(f"t{i}", f"127.4.{i // 250}.{i % 250 + 1}") for i in range(1500)]
    cfg = IcmpConfig(count=3, rate_pps=100, max_rate_pps=1000, timeout_ms=1000)
    with IcmpProber(cfg) as prober, caplog.at_level(logging.WARNING):
        first = asyncio.run(prober.round(targets, budget_s=3.0))
        second = asyncio.run(prober.round(targets, budget_s=3.0))
    # 4,500 echoes at 100/s would take 45 s: 1 echo each at 1000/s fits 2 s of sending
    assert {r.sent for r in first + second} == {1}
    assert all(r.up for r in first + second)
    assert sum("ICMP:" in r.message for r in caplog.records) == 1


@pytest.mark.root
def test_a_busy_event_loop_does_not_stretch_the_round_past_its_budget() -> None:
    """In the daemon the ICMP round shares its event loop with SNMP decoding, which holds
    it for tens of milliseconds at a time at region scale: the sender catches up after
    each such stall instead of losing the time (a round stretched past its interval
    makes the scheduler skip the next one)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    targets = [IcmpTarget(f"t{i}", f"127.4.{i // 250}.{i % 250 + 1}") for i in range(1500)]
    cfg = IcmpConfig(count=1, rate_pps=1000, timeout_ms=500)

    async def scenario(prober: IcmpProber) -> float:
        async def busy() -> None:  # the loop is held 40 ms of every 50
            while True:
                time.sleep(0.04)
                await asyncio.sleep(0.01)

        hog = asyncio.create_task(busy())
        t0 = time.monotonic()
        try:
            results = await prober.round(targets, budget_s=3.0)
        finally:
            hog.cancel()
        assert all(r.sent == 1 and r.up for r in results)
        return time.monotonic() - t0

    with IcmpProber(cfg) as prober:
        took = asyncio.run(scenario(prober))
    # 1,500 echoes at 1,000/s: 1.5 s of sending, well inside the budget
    assert took <= 3.0
