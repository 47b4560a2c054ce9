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
def test_a_round_keeps_sending_while_the_event_loop_is_held() -> None:
    """In the daemon the event loop also decodes SNMP, which at region scale keeps it busy
    for tens of seconds per cycle; a round paced on that loop fell up to 10 s behind and
    the next one was skipped. The round runs in its own thread: every echo goes out while
    the loop is held in pure Python (holding the GIL but for the switch interval)."""
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    targets = [IcmpTarget(f"t{i}", f"127.4.{i // 250}.{i % 250 + 1}") for i in range(1500)]
    cfg = IcmpConfig(count=1, rate_pps=1000, timeout_ms=500)

    async def scenario(prober: IcmpProber) -> int:
        task = asyncio.create_task(prober.round(targets, budget_s=10.0))
        await asyncio.sleep(0)  # the round has started
        state = prober._round.state  # type: ignore[union-attr]
        give_up = time.monotonic() + 60
        while state.count(0) and time.monotonic() < give_up:  # the loop is held
            pass
        sent_while_held = len(state) - state.count(0)
        results = await task
        assert all(r.sent == 1 and r.up for r in results)
        return sent_while_held

    with IcmpProber(cfg) as prober:
        assert asyncio.run(scenario(prober)) == len(targets)


@pytest.mark.root
def test_a_cancelled_round_stops_its_thread_and_the_prober_goes_on() -> None:
    """A daemon stopping mid-round cancels the job: the thread stops sending, and the
    next round on the same prober (and its sockets) works."""
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    targets = [IcmpTarget(f"t{i}", f"127.4.{i // 250}.{i % 250 + 1}") for i in range(1500)]

    async def scenario(prober: IcmpProber) -> list[int]:
        task = asyncio.create_task(prober.round(targets))  # 1,500 echoes at 100/s: 15 s
        await asyncio.sleep(0.2)
        state = prober._round.state  # type: ignore[union-attr]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        sent = len(state) - state.count(0)
        await asyncio.sleep(0.3)
        assert len(state) - state.count(0) == sent  # nothing more left after the cancel
        return [r.received for r in await prober.round(targets[:10])]

    with IcmpProber(IcmpConfig(count=1, rate_pps=100, timeout_ms=500)) as prober:
        assert asyncio.run(scenario(prober)) == [1] * 10
