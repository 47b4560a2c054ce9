"""The prober on the host's loopback, where every 127.x address and ::1 answer."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from netagent.agent.cli.main import _register, app
from netagent.collectors.icmp import IcmpConfig, IcmpProber, IcmpTarget

pytestmark = pytest.mark.root


@pytest.fixture
def prober() -> Iterator[IcmpProber]:
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    p = IcmpProber(IcmpConfig(count=1, rate_pps=0, timeout_ms=2000))
    yield p
    p.close()


def loopback(n: int) -> list[IcmpTarget]:
    return [IcmpTarget(f"t{i}", f"127.3.{i // 250 % 250}.{i % 250 + 1}") for i in range(n)]


def test_thousands_of_targets_no_reply_lost(prober: IcmpProber) -> None:
    targets = loopback(3000)
    res = asyncio.run(prober.round(targets))
    assert [r.target for r in res] == targets
    assert sum(r.received for r in res) == 3000
    assert all(r.up and r.loss_pct == 0 and r.duplicates == 0 for r in res)


def test_more_than_65536_echoes_spread_over_identifiers() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    targets = loopback(33_000)  # 66,000 echoes: sequence numbers alone would wrap
    with IcmpProber(IcmpConfig(count=2, interval_ms=0, rate_pps=0, timeout_ms=3000)) as p:
        res = asyncio.run(p.round(targets))
    assert sum(r.received for r in res) == 66_000
    assert sum(r.duplicates for r in res) == 0  # other pings on this host: only `foreign`


def test_empty_round(prober: IcmpProber) -> None:
    assert asyncio.run(prober.round([])) == []


def test_rounds_repeat_on_one_loop_and_across_asyncio_runs(prober: IcmpProber) -> None:
    targets = [IcmpTarget("v4", "127.0.0.1"), IcmpTarget("v6", "::1"), *loopback(50)]

    async def three() -> list[list[int]]:
        return [[r.received for r in await prober.round(targets)] for _ in range(3)]

    assert asyncio.run(three()) == [[1] * 52] * 3
    assert [r.received for r in asyncio.run(prober.round(targets))] == [1] * 52
    assert prober.counters.stale == 0


def test_count_interval_and_pacing() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    p = IcmpProber(IcmpConfig(count=4, interval_ms=5, rate_pps=2000, timeout_ms=1000))
    try:
        res = asyncio.run(p.round(loopback(100)))
    finally:
        p.close()
    assert all((r.sent, r.received, len(r.rtts_ms)) == (4, 4, 4) for r in res)
    assert all(r.jitter_ms is not None for r in res)


def test_overlapping_rounds_are_refused(prober: IcmpProber) -> None:
    async def overlap() -> None:
        first = asyncio.create_task(prober.round(loopback(10)))
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="already running"):
            await prober.round(loopback(10))
        await first

    asyncio.run(overlap())


def test_cli_prints_fping_like_summary_and_json() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (or CAP_NET_RAW) for raw ICMP sockets")
    _register()
    runner = CliRunner()
    out = runner.invoke(app, ["poll", "icmp", "127.0.0.1", "::1", "-n", "2", "--interval", "0.01"])
    assert out.exit_code == 0, out.output
    assert "127.0.0.1" in out.output and "2/2/0%" in out.output and "::1" in out.output
    js = runner.invoke(app, ["poll", "icmp", "127.0.0.1", "-n", "1", "--json"])
    assert '"received": 1' in js.output
    bad = runner.invoke(app, ["poll", "icmp", "127.0.0.1", "127.0.0.2:80"])  # ICMP: no port
    assert bad.exit_code == 2 and "127.0.0.2:80" in bad.output
