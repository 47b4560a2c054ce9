"""The daemon's SNMP cycle streams its samples to the spool as each device finishes,
instead of holding every device's to the cycle's end (at 15,000 devices that was the
peak memory and most of the cyclic GC's work): nothing lost, a slow device does not
hold back the others' samples, and a spool that cannot be written is handled as before."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from netagent.agent.health import Health
from netagent.agent.runtime import SampleSink, snmp_cycle
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import SnmpConfig, SnmpPoller, SnmpTarget
from netagent.collectors.spool import Spool, SpoolWriteError
from tests.fixtures.snmp_responder import Faults, interfaces_table, responding

QUICK = ["ap-1", "ap-2", "ap-3", "ap-4"]


class Recorded:
    """The spool as snmp_cycle sees it: what each commit held."""

    def __init__(self) -> None:
        self.puts: list[list[Sample]] = []

    def put(self, samples: Iterable[Sample]) -> int:
        self.puts.append(list(samples))
        return len(self.puts[-1])

    def devices(self, k: int) -> set[str]:
        return {s.tags["device"] for s in self.puts[k]}

    def series(self) -> set[str]:
        return {s.series_key() for batch in self.puts for s in batch}


@asynccontextmanager
async def devices() -> AsyncIterator[list[SnmpTarget]]:
    """Four devices that answer at once and `slow`, whose every answer takes 0.2 s."""
    async with AsyncExitStack() as stack:
        targets = []
        for name in [*QUICK, "slow"]:
            faults = Faults(delay_s=0.2 if name == "slow" else 0.0)
            r = await stack.enter_async_context(responding(interfaces_table(2), faults))
            targets.append(SnmpTarget(name, "127.0.0.1", r.port, tags={"role": "switch"}))
        yield targets


def _poller() -> SnmpPoller:
    return SnmpPoller(SnmpConfig(device_deadline_s=8.0, request_timeout_s=3.0))


def test_samples_reach_the_spool_as_devices_finish_and_nothing_is_lost() -> None:
    async def body() -> None:
        async with devices() as targets:
            streamed, kept = Recorded(), Recorded()
            poller = _poller()
            outcomes, _ = await snmp_cycle(
                poller, targets, streamed, lambda _: True, keep_samples=False, batch=1
            )
            # The run --once way: the outcomes keep their samples (its summary reads them).
            again, _ = await snmp_cycle(poller, targets, kept, lambda _: True)
            poller.close()
        assert [o.device for o in outcomes] == [*QUICK, "slow"] and all(o.ok for o in outcomes)
        assert all(o.samples == [] for o in outcomes)  # the daemon's cycle holds none
        assert all(o.samples for o in again)
        # The quick devices' samples were committed before the slow one answered.
        assert len(streamed.puts) >= 2
        assert streamed.devices(0) <= set(QUICK) and "slow" in streamed.devices(-1)
        assert not any("slow" in streamed.devices(k) for k in range(len(streamed.puts) - 1))
        # Every sample of every device, once.
        assert streamed.series() == kept.series()
        stored = [s for batch in streamed.puts for s in batch]
        assert len(stored) == len(streamed.series()) == sum(len(o.samples) for o in again)

    asyncio.run(body())


def test_a_spool_that_cannot_be_written_costs_the_samples_not_the_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As before streaming: every device polled, every lost sample counted, the agent
    unhealthy with the spool file named."""
    spool = Spool(tmp_path / "spool.db")

    def disk_fails(samples: Iterable[Sample]) -> int:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(spool, "put", disk_fails)
    health = Health()

    async def body() -> None:
        async with devices() as targets:
            poller = _poller()
            kept = Recorded()
            outcomes, _ = await snmp_cycle(
                poller,
                targets,
                SampleSink(spool, health),
                lambda _: True,
                keep_samples=False,
                batch=1,
            )
            again, _ = await snmp_cycle(poller, targets, kept, lambda _: True)
            poller.close()
        assert all(o.ok for o in outcomes) and len(outcomes) == 5
        assert health.samples_lost == sum(len(o.samples) for o in again)
        assert health.storage is not None and "I/O error" in health.storage.error
        assert str(tmp_path / "spool.db") in health.storage.error

    asyncio.run(body())
    spool.close()


def test_a_store_that_raises_stops_the_stream_and_the_cycle_says_so() -> None:
    """`run --once` writes to the bare spool: its error ends the cycle once every device
    is polled, after one failed commit rather than one per batch."""

    class Failing(Recorded):
        def put(self, samples: Iterable[Sample]) -> int:
            super().put(samples)
            raise SpoolWriteError("disk full")

    async def body() -> Failing:
        store = Failing()
        async with devices() as targets:
            poller = _poller()
            with pytest.raises(SpoolWriteError, match="disk full"):
                await snmp_cycle(poller, targets, store, lambda _: True, batch=1)
            poller.close()
        return store

    store = asyncio.run(body())
    assert len(store.puts) == 1
