"""Live coverage listening to the device coordinator: the engine is built once and kept;
a device that stops (or starts) serving updates the live figures at once, on the cells it
reaches, without the coverage job and without reading any store back."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from pathlib import Path

import pytest

from netagent.agent.config import AgentConfig
from netagent.agent.coordinator import DeviceCoordinator
from netagent.agent.health import Health
from netagent.agent.jobs import coverage_job
from netagent.agent.live_coverage import LiveCoverage
from netagent.agent.services import Services
from netagent.collectors.icmp import IcmpResult, IcmpTarget
from netagent.collectors.samples import Sample
from netagent.geo.coverage import COMUNE, CoverageConfig
from netagent.inventory.model import Inventory
from tests.geo.coverage.test_coverage_world import ap, box, inventory, quartiere, site, switch

CFG = CoverageConfig(rim_error_m=0.01)
T0 = 1_800_000_000 * 10**9
DISC_KM2 = math.pi * 100**2 / 1e6


def discs(n: int) -> float:
    """n disjoint 100 m discs, km² to 100 m² (whatever polygon the engine draws them as)."""
    return round(n * DISC_KM2, 4)


def world(*aps: str) -> Inventory:
    """A 2 km square quartiere, a switch and an AP (100 m) at each of two squares."""
    return inventory(
        quartieri=(quartiere("Q", box(0, 0, 2000, 2000), population=4000),),
        sites=(site("s1", 500, 1000), site("s2", 1500, 1000)),
        devices=(
            switch("sw", "s1"),
            *(ap(n, f"s{i + 1}", parent="sw") for i, n in enumerate(aps or ("a1", "a2"))),
        ),
    )


class Sink:
    def __init__(self) -> None:
        self.samples: list[Sample] = []

    def put(self, samples: Iterable[Sample]) -> int:
        batch = list(samples)
        self.samples += batch
        return len(batch)

    def covered(self, view: str) -> list[tuple[int, float]]:
        """(time, covered km², to 100 m²) of the comune-wide 'all' rows of `view`."""
        return [
            (s.time_ns, round(float(s.fields["covered_km2"]), 4))
            for s in self.samples
            if s.tags == {"quartiere": COMUNE, "technology": "all", "view": view}
        ]


def answers(up: dict[str, bool]) -> list[IcmpResult]:
    return [
        IcmpResult(IcmpTarget(n, "127.0.0.1"), 1, int(ok), (1.0,) if ok else ())
        for n, ok in up.items()
    ]


def round_of(coord: DeviceCoordinator, at: int, **state: str) -> None:
    """One ICMP round as the daemon publishes it: answers plus the alert states."""
    coord.publish_icmp(answers({n: s == "up" for n, s in state.items()}), at, state)


def test_a_device_going_down_updates_live_coverage_at_once_on_the_kept_engine() -> None:
    inv = world()
    coord = DeviceCoordinator(inv, [d.name for d in inv.devices])
    sink = Sink()
    live = LiveCoverage(coord, sink)

    async def scenario() -> None:
        round_of(coord, T0, sw="up", a1="up", a2="up")
        sink.put(await live.figures(inv, CFG, T0 + 1))  # the hourly job's first run
        engine = live.engine
        assert engine is not None
        assert sink.covered("planned") == sink.covered("live") == [(T0 + 1, discs(2))]

        round_of(coord, T0 + 30, sw="up", a1="up", a2="down")
        await live.settle()
        assert sink.covered("live")[1:] == [(T0 + 30, discs(1))]
        assert len(sink.covered("planned")) == 1  # live only: planned did not change
        assert live.engine is engine and engine.down == {"a2"}

        # The same states again, new RTTs: nothing recomputed, nothing written.
        round_of(coord, T0 + 60, sw="up", a1="up", a2="down")
        await live.settle()
        assert len(sink.covered("live")) == 2

        # The switch takes a1 down with it (unreachable is not serving either).
        round_of(coord, T0 + 90, sw="down", a1="unreachable", a2="down")
        await live.settle()
        assert sink.covered("live")[-1] == (T0 + 90, 0.0)

        # Back and down again before the update ran: one update, nothing to write.
        round_of(coord, T0 + 120, sw="up", a1="up", a2="down")
        round_of(coord, T0 + 150, sw="down", a1="unreachable", a2="down")
        await live.settle()
        assert len(sink.covered("live")) == 3

        # The hourly job reads the same engine: no rebuild, the live figure current.
        sink.put(await live.figures(inv, CFG, T0 + 3600))
        assert live.engine is engine
        assert sink.covered("live")[-1] == (T0 + 3600, 0.0)

        # A new inventory (SIGHUP, NetBox): rebuilt once, on the states as they are.
        renamed = world("a1", "a3")
        coord.set_inventory(renamed, [d.name for d in renamed.devices], None)
        sink.put(await live.figures(renamed, CFG, T0 + 7200))
        rebuilt = live.engine
        assert rebuilt is not None and rebuilt is not engine
        assert rebuilt.down == {"sw", "a1", "a3"}  # a3 has no state yet

    asyncio.run(scenario())


def test_a_device_without_any_state_does_not_count_as_serving() -> None:
    inv = world()
    coord = DeviceCoordinator(inv, [d.name for d in inv.devices])
    sink = Sink()
    live = LiveCoverage(coord, sink)

    async def scenario() -> None:
        round_of(coord, T0, sw="up", a1="up")  # a2 never answered anything yet
        sink.put(await live.figures(inv, CFG, T0))
        assert sink.covered("live") == [(T0, discs(1))]
        round_of(coord, T0 + 30, a2="up")
        await live.settle()
        assert sink.covered("live")[-1] == (T0 + 30, discs(2))

    asyncio.run(scenario())


def test_coverage_turned_off_by_a_reload_stops_following_changes(tmp_path: Path) -> None:
    """Coverage moves to another shard (or is turned off): the engine goes, and a device
    going down afterwards writes no live figure here."""
    inv = world()
    on = AgentConfig.model_validate({"agent": {"data_dir": str(tmp_path)}})
    off = AgentConfig.model_validate(
        {"agent": {"data_dir": str(tmp_path)}, "jobs": {"coverage": {"enabled": False}}}
    )

    async def scenario() -> Sink:
        services = Services.assemble(on, inv, None, Health())
        services.adopt()
        sink = Sink()
        services.coverage.sink = sink
        round_of(services.coordinator, T0, sw="up", a1="up", a2="up")
        sink.put(await services.coverage.figures(inv, CFG, T0))
        reloaded = Services.assemble(off, inv, services, services.health)
        reloaded.adopt()
        reloaded.coverage.sink = sink
        # The device states live on across the reload, first round seen and all.
        assert reloaded.coordinator.states()["a2"].state == "up"
        assert reloaded.coordinator.icmp_seen.is_set()
        round_of(reloaded.coordinator, T0 + 30, sw="up", a1="up", a2="down")
        await reloaded.coverage.settle()
        assert reloaded.coverage.engine is None
        services.close()
        return sink

    assert len(asyncio.run(scenario()).covered("live")) == 1


def test_the_coverage_jobs_first_run_waits_for_the_first_icmp_round(tmp_path: Path) -> None:
    """At start every device is unknown: a first run before the first ICMP round would
    write a live figure of nothing. It waits for the round, then counts what answered."""
    inv = world()
    config = AgentConfig.model_validate({"agent": {"data_dir": str(tmp_path)}})

    async def scenario() -> list[Sample]:
        services = Services.assemble(config, inv, None, Health())
        services.adopt()
        job = asyncio.ensure_future(coverage_job(services)())
        await asyncio.wait({job}, timeout=2)  # ample for this world's engine and figures
        assert not job.done()
        round_of(services.coordinator, T0, sw="up", a1="up", a2="up")
        await job
        live = services.spool.query("coverage", tags={"view": "live", "quartiere": COMUNE})
        services.close()
        return live

    [wifi] = [s for s in asyncio.run(scenario()) if s.tags["technology"] == "wifi"]
    assert float(wifi.fields["covered_km2"]) == pytest.approx(2 * DISC_KM2, rel=1e-2)
