"""`netagent run`: the long-running daemon and its lifecycle.

One process per data directory (flock). Start is ordered: inventory, spool and state,
sockets (namespace entered), HTTP port bound, and only then the jobs; a failure is one
line naming the config key, and exit 3. Under systemd it says READY=1 once started and
pings the watchdog from the event loop that runs the scheduler. SIGTERM/SIGINT stop
cleanly (running polls finish or are cut at a deadline, the last health point and the
spool get a last flush, what could not be delivered stays). SIGHUP re-reads the config
file and the inventory and builds the complete new set (sockets, namespace, port) while
the old one runs; only when all of it stands does it take over, else the old set runs on
and one ERROR line names the key.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Coroutine
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

from netagent.agent import logs, sdnotify
from netagent.agent.config import AgentConfig, ConfigError, load_config
from netagent.agent.exitcodes import ExitCode
from netagent.agent.health import Health, HealthLimits, ReasonsFile
from netagent.agent.health_http import HealthServer, ListenError
from netagent.agent.jobs import build_jobs
from netagent.agent.lock import DataDirLock, LockHeld
from netagent.agent.scheduler import Job, JobRunner
from netagent.agent.secrets import mask_url
from netagent.agent.self_alert import StorageAlarm
from netagent.agent.services import (
    InvalidInventory,
    Services,
    StartError,
    load_configured_inventory,
)
from netagent.collectors.icmp import IcmpPermissionError
from netagent.collectors.netns import NetnsError
from netagent.inventory.model import Inventory

log = logging.getLogger(__name__)

InventoryLoader = Callable[[AgentConfig], Inventory]
ServicesAssembler = Callable[[AgentConfig, Inventory, Services | None, Health], Services]

__all__ = ["Daemon", "StartError", "run_daemon"]


@dataclass
class _Built:
    """A complete set, ready to take over: services, their jobs, the HTTP endpoint."""

    services: Services
    jobs: list[Job]
    http: HealthServer | None
    listening: str


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
        self._alarm = StorageAlarm()
        self._reasons: ReasonsFile | None = None

    def limits(self) -> HealthLimits:
        return HealthLimits.of(self.config.health.model_dump())

    async def run(self) -> int:
        """Until stopped; raises StartError (one line, naming the key) when the pieces
        cannot be built or the port cannot be bound: no job has started then."""
        try:
            self._reasons = ReasonsFile(self.config.agent.resolved_data_dir())
        except OSError as e:  # a full disk must not stop monitoring: /healthz still tells
            log.warning(
                "cannot reserve %s: %s; `netagent status` will not see the health reasons",
                e.filename,
                e.strerror,
            )
        built = await self._build(self.config, None)
        self._commit(built)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._request_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self._request_reload)
        self.runner.start()
        watchdog = self._spawn(self._watchdog())
        assert self.services is not None
        shard = self.config.shard()
        log.info(
            "netagent %s running: config %s, inventory %s (%d device(s)%s), data %s, jobs %s",
            version("netagent"),
            self.config.source or "embedded default",
            _inventory_source(self.config),
            len(self.services.devices),
            f" polled in shard {shard}" if shard.count > 1 else "",  # not "shard 0/1"
            self.config.agent.resolved_data_dir(),
            ", ".join(j.name for j in built.jobs),
        )
        sdnotify.notify("READY=1", f"STATUS=polling {len(self.services.devices)} device(s)")
        await self._stop.wait()
        sdnotify.notify("STOPPING=1")
        watchdog.cancel()
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
        if not self._stop.is_set():
            self._spawn(self.reload())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)  # a task nobody references may be collected mid-flight
        task.add_done_callback(self._tasks.discard)
        return task

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
        except ConfigError as e:  # every problem, located, on the one journal line
            log.error(
                "reload refused, keeping the running configuration: %s", "; ".join(e.problems)
            )
            return
        log_config_warnings(new)
        if new.agent.resolved_data_dir() != self.config.agent.resolved_data_dir():
            log.error(
                "reload refused, keeping the running configuration: agent.data_dir: "
                "a change needs a restart"
            )
            return
        try:
            built = await self._build(new, self.services)
        except StartError as e:
            log.error("reload refused, keeping the running configuration: %s", e)
            return
        self.config = new
        self._commit(built)
        log.info(
            "reloaded: %d device(s), jobs %s",
            len(built.services.devices),
            ", ".join(self.runner.jobs),
        )

    async def adopt_inventory(self, inventory: Inventory) -> None:
        """A new inventory (pulled from NetBox) with the running config."""
        try:
            built = await self._build(self.config, self.services, inventory)
        except StartError as e:
            log.error("NetBox inventory not adopted, keeping the running one: %s", e)
            return
        self._commit(built)

    async def _build(
        self, config: AgentConfig, previous: Services | None, inventory: Inventory | None = None
    ) -> _Built:
        """The complete set for `config`, started (sockets open, port bound) beside the
        running one; on failure everything it opened is closed again and StartError says
        which key is at fault."""
        services: Services | None = None
        http: HealthServer | None = None
        try:
            if inventory is None:
                # Reading files or pulling from NetBox may take a while: off the event loop.
                inventory = await asyncio.to_thread(self._load_inventory, config)
            services = self._assemble(config, inventory, previous, self.health)
            jobs = build_jobs(config, services, self.adopt_inventory, self._check_health)
            listen = config.health.listen
            if listen and listen != self._listening:
                http = HealthServer(self.health, self.limits)
                await http.start(*config.health.address())
        except Exception as e:
            if services is not None and previous is not None:
                services.close_unshared(previous)
            elif services is not None:
                services.close()
            # A ValueError lists the inventory's errors (_located): invalid input.
            error = InvalidInventory if isinstance(e, ValueError) else StartError
            raise error(_located(e, config)) from e
        return _Built(services, jobs, http, listen)

    def _commit(self, built: _Built) -> None:
        """`built` takes over; what the old set does not share is closed."""
        old, self.services = self.services, built.services
        old_inventory = old.inventory if old else None
        built.services.adopt()
        self.runner.set_jobs(built.jobs)
        if old is not None:
            self._spawn(self._retire(old, built.services))
        if built.listening != self._listening and self._http is not None:
            self._spawn(self._http.stop())
            self._http = None
        if built.http is not None:
            self._http = built.http
        self._listening = built.listening
        changed = built.services.inventory != old_inventory
        if changed and "coverage" in self.runner.jobs and self.runner.scheduler.running:
            self.runner.scheduler.modify_job("coverage", next_run_time=datetime.now(UTC))

    async def _retire(self, old: Services, new: Services) -> None:
        """Close what the old set does not share with the new one, once the runs that
        started on it have finished (a round is never cut off from its sockets)."""
        await self.runner.drain()
        old.close_unshared(new)

    async def _check_health(self, running: bool = True) -> None:
        """After each housekeeping run: the agent's own alert, and health.json for status."""
        assert self.services is not None
        await self._alarm.check(self.health, self.services.router.targets, time.time())
        if self._reasons is not None:
            try:
                self._reasons.write(self.health.reasons(self.limits()), running=running)
            except OSError as e:
                log.warning("cannot write %s: %s", self._reasons.path, e.strerror)

    async def _watchdog(self) -> None:
        """WATCHDOG=1 from the event loop that runs the scheduler: a loop that hangs
        (a blocking call, a deadlock) stops the pings and systemd restarts the agent."""
        interval = sdnotify.watchdog_interval_s()
        if interval is None:
            return
        while True:
            sdnotify.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    def _pinned(self, config: AgentConfig) -> AgentConfig:
        if self._netns is None:
            return config
        return config.model_copy(
            update={"agent": config.agent.model_copy(update={"netns": self._netns})}
        )

    async def _finish(self) -> None:
        """The last health point, then the last flush (bounded) which carries it; health
        saved, spool closed: nothing in memory is lost."""
        assert self.services is not None
        self.services.save_health()
        try:
            await asyncio.wait_for(self.services.final_flush(), self.config.agent.stop_timeout_s)
        except TimeoutError:
            log.warning("last flush cut at the deadline; undelivered samples stay in the spool")
        await self._check_health(running=False)
        self.services.close()
        if self._reasons is not None:
            self._reasons.close()
        if self._http is not None:
            await self._http.stop()
        others = self._tasks - {asyncio.current_task()}
        if others:
            await asyncio.wait(others, timeout=1)


def log_config_warnings(config: AgentConfig) -> None:
    """What `config check` marks `!` (a secret written in the file, a secret file every
    user can read, an unused key), in the journal too: a reload runs no preflight. `run
    --once` says it as well: from cron it is the only run an operator may ever look at."""
    for warning in config.warnings:
        log.warning("config: %s", warning)


def _inventory_source(config: AgentConfig) -> str:
    if config.agent.source == "netbox":
        return f"NetBox {mask_url(config.netbox.url)}"
    if config.agent.bundled_sample():
        return "bundled sample"
    return ", ".join(str(p) for p in config.agent.inventory)


def _located(e: Exception, config: AgentConfig) -> str:
    """One line naming the config key behind a failure to build or start."""
    if isinstance(e, StartError | ListenError):
        return str(e)
    if isinstance(e, NetnsError | IcmpPermissionError):
        key = "agent.netns" if config.agent.netns else "icmp"
        return f"{key}: {e}"
    if isinstance(e, ValueError):  # the inventory's errors, listed
        return f"agent.inventory: {e}"
    log.debug("start failed", exc_info=True)
    return f"{type(e).__name__}: {e}"


def run_daemon(config: AgentConfig, demo_lab: bool = False) -> int:
    """Entry point of `netagent run`: lock the data directory, run until stopped.

    On the embedded default (the bundled sample) the sample's SNMP agents are simulated
    for as long as the daemon runs, on the host's loopback; `demo_lab` puts the sample in
    its lab namespace, where some devices are really down. Never with an inventory of
    one's own: that is the production path."""
    logs.for_daemon()
    log_config_warnings(config)
    lock = DataDirLock(config.agent.resolved_data_dir())
    try:
        lock.acquire()
    except LockHeld as e:
        log.error("%s", e)
        return ExitCode.FAILED
    except OSError as e:
        log.error("cannot start: agent.data_dir: %s: %s", e.filename or lock.path, e.strerror)
        return ExitCode.FAILED
    # Until the event loop takes SIGTERM/SIGINT over: unwind (the lab is removed, the
    # lock released) instead of dying where the signal lands.
    before = {
        sig: signal.signal(sig, _stopped_while_starting) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        with ExitStack() as stack:
            netns = None
            if demo_lab or config.agent.bundled_sample():
                # Imported here: an operator's own inventory never loads the demo code.
                from netagent.agent.demo import lab

                if not config.agent.bundled_sample():
                    raise StartError(
                        "--lab runs the bundled sample only: unset [agent] inventory and source"
                    )
                try:
                    netns = stack.enter_context(
                        lab.sample_lab(
                            load_configured_inventory(config),
                            config.agent.resolved_data_dir(),
                            namespace=demo_lab,
                        )
                    )
                except (lab.LabUnavailable, ValueError) as e:
                    raise StartError(str(e)) from e
            return asyncio.run(Daemon(config, netns=netns).run())
    except StartError as e:
        log.error("cannot start: %s", e)
        return ExitCode.PROBLEMS if isinstance(e, InvalidInventory) else ExitCode.FAILED
    except _Stopped:
        log.info("stopped while starting")
        return ExitCode.OK
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
        lock.release()


class _Stopped(Exception):
    """SIGTERM or SIGINT before the daemon's own handlers were in place."""


def _stopped_while_starting(signum: int, frame: object) -> None:
    raise _Stopped()
