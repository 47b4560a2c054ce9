"""Live coverage kept current by the device coordinator, on the geo engine's incremental path.

The coverage engine is built once per inventory and coverage config and lives across
runs. A device whose state crosses `up_states` (the coordinator tells) makes it
recompute only the cells that device's elements reach, and the new live figures are
written at once (`coverage`, view=live), stamped with the round that saw the change, so
a dashboard shows an outage's cost within a round instead of at the next hourly run.
The hourly coverage job writes planned and live from the same engine; nothing here
reads the spool back.

With shards, the one agent that computes coverage (`shared_jobs_shard`) follows every
other shard's devices through the coordinator (their `device_status` in the shared
InfluxDB): a device another shard sees down reduces live coverage here too, and one
with no fresh state there counts as not serving, as any device without a state does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection, Mapping

from netagent.agent.config import AgentConfig
from netagent.agent.coordinator import Change, DeviceCoordinator
from netagent.agent.device_state import DeviceState
from netagent.agent.runtime import SampleStore
from netagent.collectors.samples import Sample
from netagent.geo.coverage import CoverageConfig, CoverageResult, engine_for, not_serving, result_of
from netagent.geo.coverage_engine import CoverageEngine
from netagent.inventory.model import Inventory

log = logging.getLogger(__name__)


def computed_here(config: AgentConfig) -> bool:
    """Whether this agent computes coverage: it is on, and with shards this is the shard
    that runs the jobs every agent would do alike (`shared_jobs_shard`)."""
    return config.jobs.coverage.enabled and config.runs_shared_jobs()


def _serving(s: DeviceState | None, up_states: Collection[str]) -> bool:
    return s is not None and s.state in up_states


class LiveCoverage:
    def __init__(self, coordinator: DeviceCoordinator, sink: SampleStore) -> None:
        self.coordinator = coordinator
        self.sink = sink  # the running set's (Services.adopt points it at its own)
        self.engine: CoverageEngine | None = None
        self._built: tuple[Inventory, CoverageConfig] | None = None
        # Engine work runs in a thread; one at a time, whoever asks (job or listener).
        self._lock = asyncio.Lock()
        self._pending: int | None = None  # the newest unapplied change's round, ns
        self._task: asyncio.Task[None] | None = None
        coordinator.add_listener(self._changed)

    async def figures(self, inv: Inventory, config: CoverageConfig, now_ns: int) -> list[Sample]:
        """Planned and live samples for the coverage job. The engine is (re)built only
        when the inventory or the coverage config changed, off the event loop."""
        async with self._lock:
            engine, built = self.engine, self._built
            if engine is None or built is None or built[1] != config or not _same(built[0], inv):
                engine = await asyncio.to_thread(engine_for, inv, config)
                self.engine, self._built = engine, (inv, config)
                self.coordinator.follow_remote = True
                await self.coordinator.fetch_remote()  # other shards' devices, now
            return await asyncio.to_thread(_both_views, engine, self._down(), now_ns)

    def stop(self) -> None:
        """Coverage no longer runs here (a reload turned it off or moved it to another
        shard): the engine goes, and changes are no longer followed."""
        self.engine, self._built = None, None
        self.coordinator.follow_remote = False

    async def settle(self) -> None:
        """Wait for a live update under way (the daemon stops: its samples go out too)."""
        if self._task is not None:
            await self._task

    def _down(self) -> frozenset[str]:
        assert self._built is not None
        inv, config = self._built
        states = {n: s.state for n, s in self.coordinator.states().items()}
        return frozenset(not_serving(inv, states, config.up_states))

    def _changed(self, changes: Mapping[str, Change]) -> None:
        """A listener: quick. Only a device that starts or stops serving matters; the
        recompute runs in a task, one at a time, changes meanwhile folded into the next."""
        if self._built is None:
            return  # no engine yet: the coverage job's first run builds it on these states
        up = self._built[1].up_states
        flips = [c for c in changes.values() if _serving(c.before, up) != _serving(c.after, up)]
        if not flips:
            return
        at = max((c.after.time_ns or 0 for c in flips if c.after is not None), default=0)
        self._pending = max(self._pending or 0, at or time.time_ns())
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        while self._pending is not None:
            at, self._pending = self._pending, None
            async with self._lock:
                if (engine := self.engine) is None:
                    continue  # stopped
                if (down := self._down()) == engine.down:
                    continue  # back as it was, or the coverage job got there first
                try:
                    t0 = time.perf_counter()
                    result = await asyncio.to_thread(_live_view, engine, down)
                except Exception as e:  # coverage must not take the daemon down with it
                    log.error("live coverage not updated: %s: %s", type(e).__name__, e)
                    continue
                if self.engine is not engine:
                    continue  # stopped meanwhile: these figures are nobody's now
            log.debug(
                "live coverage: %d device(s) not serving, updated in %.3f s",
                len(down),
                time.perf_counter() - t0,
            )
            await asyncio.to_thread(self.sink.put, result.to_samples(at))


def _same(a: Inventory, b: Inventory) -> bool:
    return a is b or a == b


def _live_view(engine: CoverageEngine, down: frozenset[str]) -> CoverageResult:
    engine.set_down(down)
    return result_of(engine, True)


def _both_views(engine: CoverageEngine, down: frozenset[str], now_ns: int) -> list[Sample]:
    live = _live_view(engine, down)
    return [*result_of(engine, False).to_samples(now_ns), *live.to_samples(now_ns)]
