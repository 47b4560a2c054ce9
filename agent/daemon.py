"""`netagent run`: the long-running daemon and its lifecycle.

One process per data directory (flock), jobs on the scheduler, SIGTERM/SIGINT stop cleanly
(running polls finish or are cut at a deadline, the spool gets a last flush and keeps what
could not be delivered, health is saved), SIGHUP re-reads the config file and the inventory
while the spool, the health counters and the collectors' state carry over.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime

from agent.config import AgentConfig, ConfigError, load_config
from agent.exitcodes import ExitCode
from agent.health import Health
from agent.health_http import HealthServer
from agent.jobs import build_jobs
from agent.lock import DataDirLock, LockHeld
from agent.scheduler import JobRunner
from agent.services import Services, load_configured_inventory
from inventory.model import Inventory

log = logging.getLogger(__name__)

InventoryLoader = Callable[[AgentConfig], Inventory]
ServicesAssembler = Callable[[AgentConfig, Inventory, Services | None], Services]


class StartError(RuntimeError):
    """The daemon could not build what it runs (the message says what and why)."""


class Daemon:
    def __init__(
        self,
        config: AgentConfig,
        load_inventory: InventoryLoader = load_configured_inventory,
        assemble: ServicesAssembler = Services.assemble,
        netns: str | None = None,
    ) -> None:
        self._netns = netns  # the demo lab's namespace: kept across reloads
        self.config = self._pinned(config)
        self.health = Health()
        self.runner = JobRunner(self.health)
        self._load_inventory = load_inventory
        self._assemble = assemble
        self._reloading = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.services: Services | None = None
        self._stop = asyncio.Event()
        self._http: HealthServer | None = None
        self._listening = ""

    async def run(self) -> int:
        """Until stopped; raises StartError when the pieces cannot be built."""
        if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
            # One "Running job…"/"HTTP Request: POST" line per run would drown the journal;
            # skipped and missed runs are logged by the JobRunner, with more to say.
            logging.getLogger("apscheduler").setLevel(logging.ERROR)
            logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            inventory = await asyncio.to_thread(self._load_inventory, self.config)
            self.services = self._assemble(self.config, inventory, None)
            jobs = build_jobs(self.config, self.services, self.health, self.adopt_inventory)
        except Exception as e:  # bad inventory, no raw socket, NetBox unreachable…
            log.debug("start failed", exc_info=True)
            raise StartError(f"{type(e).__name__}: {e}") from e
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._request_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self._request_reload)
        self.runner.set_jobs(jobs)
        self.runner.start()
        await self._start_http()
        log.info(
            "netagent running: %d device(s) in shard %s, jobs %s",
            len(self.services.devices),
            self.config.shard(),
            ", ".join(j.name for j in jobs),
        )
        await self._stop.wait()
        clean = await self.runner.stop(self.config.agent.stop_timeout_s)
        await self._finish()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        log.info("netagent stopped%s", "" if clean else " (some jobs were cut at the deadline)")
        return 0

    def stop(self) -> None:
        """Stop as on SIGTERM (for embedding: benchmarks, tests)."""
        self._stop.set()

    def _request_stop(self, sig: signal.Signals) -> None:
        if not self._stop.is_set():
            log.info("%s received: stopping", sig.name)
        self._stop.set()

    def _request_reload(self) -> None:
        if self._stop.is_set():
            return
        task = asyncio.get_running_loop().create_task(self.reload())
        self._tasks.add(task)  # a task nobody references may be collected mid-flight
        task.add_done_callback(self._tasks.discard)

    async def reload(self) -> None:
        """SIGHUP: new config and inventory, same spool, health and collector state."""
        async with self._reloading:  # two quick SIGHUPs: one reload after the other
            await self._reload()

    async def _reload(self) -> None:
        log.info("SIGHUP received: reloading %s", self.config.source or "the default config")
        try:
            new = self._pinned(
                load_config(self.config.source) if self.config.source else self.config
            )
        except ConfigError as e:
            log.error("reload refused, keeping the running configuration: %s", e)
            return
        if new.agent.resolved_data_dir() != self.config.agent.resolved_data_dir():
            log.error("reload refused: changing agent.data_dir needs a restart")
            return
        try:
            # Reading files or pulling from NetBox may take a while: off the event loop.
            inventory = await asyncio.to_thread(self._load_inventory, new)
            services = self._assemble(new, inventory, self.services)
        except Exception as e:
            log.error("reload refused, keeping the running configuration: %s", e)
            return
        self.config = new
        self._swap(services)
        await self._start_http()
        log.info(
            "reloaded: %d device(s), jobs %s", len(services.devices), ", ".join(self.runner.jobs)
        )

    def _pinned(self, config: AgentConfig) -> AgentConfig:
        if self._netns is None:
            return config
        return config.model_copy(
            update={"agent": config.agent.model_copy(update={"netns": self._netns})}
        )

    async def adopt_inventory(self, inventory: Inventory) -> None:
        """A new inventory (pulled from NetBox) with the running config."""
        self._swap(self._assemble(self.config, inventory, self.services))

    def _swap(self, services: Services) -> None:
        old_inventory = self.services.inventory if self.services else None
        self.services = services
        self.runner.set_jobs(build_jobs(self.config, services, self.health, self.adopt_inventory))
        if services.inventory != old_inventory and "coverage" in self.runner.jobs:
            self.runner.scheduler.modify_job("coverage", next_run_time=datetime.now(UTC))

    async def _start_http(self) -> None:
        listen = self.config.health.listen
        if listen == self._listening:
            return
        if self._http is not None:
            await self._http.stop()
            self._http = None
        self._listening = listen
        if listen:
            self._http = HealthServer(self.health, lambda: self.config.health.stale_after_intervals)
            await self._http.start(*self.config.health.address())

    async def _finish(self) -> None:
        """Last flush (bounded), health saved, spool closed: nothing in memory is lost."""
        assert self.services is not None
        try:
            await asyncio.wait_for(self.services.final_flush(), self.config.agent.stop_timeout_s)
        except TimeoutError:
            log.warning("last flush cut at the deadline; undelivered samples stay in the spool")
        self.services.save_health(self.health)
        self.services.close()
        if self._http is not None:
            await self._http.stop()


def run_daemon(config: AgentConfig, demo_lab: bool = False) -> int:
    """Entry point of `netagent run`: lock the data directory, run until stopped.

    On the embedded default (the bundled sample) the sample's SNMP agents are simulated
    for as long as the daemon runs, on the host's loopback; `demo_lab` puts the sample in
    its lab namespace, where some devices are really down. Never with an inventory of
    one's own: that is the production path."""
    lock = DataDirLock(config.agent.resolved_data_dir())
    try:
        lock.acquire()
    except LockHeld as e:
        log.error("%s", e)
        return ExitCode.FAILED
    try:
        with ExitStack() as stack:
            netns = None
            if demo_lab or config.agent.bundled_sample():
                # Imported here: an operator's own inventory never loads the demo code.
                from agent.demo import lab

                if not config.agent.bundled_sample():
                    raise StartError(
                        "--lab runs the bundled sample only: unset [agent] inventory and source"
                    )
                try:
                    netns = stack.enter_context(
                        lab.sample_lab(load_configured_inventory(config), namespace=demo_lab)
                    )
                except (lab.LabUnavailable, ValueError) as e:
                    raise StartError(str(e)) from e
            return asyncio.run(Daemon(config, netns=netns).run())
    except StartError as e:
        log.error("cannot start: %s", e)
        return ExitCode.FAILED
    finally:
        lock.release()
