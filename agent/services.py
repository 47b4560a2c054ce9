"""The running pieces the daemon's jobs share, and what a SIGHUP keeps of them.

Built from the config and from the registries of named extensions (inventory sources in
netagent.agent.inventory_sources, notifier types in netagent.agent.notify.registry, writers in
netagent.collectors.influx.writer_types, SNMP table kinds in netagent.collectors.snmp.table_kinds),
which
netagent itself and installed plugins fill alike, through entry points.

On reload a piece whose config section did not change is carried over as it is (the
SNMP poller keeps its counters, so rates continue; the flusher keeps its back-off; the
alert engine keeps its trackers; the spool and the state store are never reopened), and
only the changed ones are rebuilt. A reload is atomic: the new set is built completely
(sockets open, namespace entered) while the old one keeps running; then the daemon
either adopts it and closes what the old set does not share with it, or closes what the
new set opened, and the old set runs on untouched.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from netagent.agent.alerts import AlertEngine, AlertStore, open_store
from netagent.agent.config import AgentConfig
from netagent.agent.coordinator import DeviceCoordinator
from netagent.agent.health import Health
from netagent.agent.inventory_sources import INVENTORY_SOURCES
from netagent.agent.live_coverage import LiveCoverage, computed_here
from netagent.agent.notify import Router
from netagent.agent.notify.router import TargetError
from netagent.agent.runtime import SAMPLE_TAG, SampleSink
from netagent.collectors.icmp import IcmpProber
from netagent.collectors.influx import Flusher, LocalRetention, make_delivery
from netagent.collectors.influx.shared_status import SharedStatus
from netagent.collectors.netns import NETNS_DIR
from netagent.collectors.plugins import UnknownPlugin
from netagent.collectors.snmp import SnmpPoller
from netagent.collectors.spool import Spool
from netagent.inventory.model import Device, Inventory

log = logging.getLogger(__name__)

SNMP_STATE_FILE = "snmp-counters.json"  # counters and request sizes across restarts
STATE_RESERVE = 4 << 20  # bytes kept free inside state.sqlite and its WAL: see reserve_room


class StartError(RuntimeError):
    """What the daemon runs cannot be built; the message names the config key and why."""


class InvalidInventory(StartError):
    """The inventory has errors: invalid input (exit 1, as `run --once` and `config
    check` say it), which no restart can fix, unlike a port in use or a server down."""


@dataclass
class Services:
    config: AgentConfig
    inventory: Inventory
    health: Health
    spool: Spool
    sink: SampleSink  # every sample the daemon stores goes through it
    store: AlertStore
    devices: tuple[Device, ...]
    delivery: Flusher | LocalRetention
    snmp: SnmpPoller
    router: Router
    alerts: AlertEngine
    # The latest state of every device, kept across reloads (netagent.agent.coordinator).
    coordinator: DeviceCoordinator
    coverage: LiveCoverage  # its engine kept across runs and reloads
    # One prober per ICMP job: rounds on one prober must not overlap.
    probers: dict[str, IcmpProber] = field(default_factory=dict)
    # Other shards' device states, for root cause across shards (None: one shard).
    shared_status: SharedStatus | None = None
    _closing: asyncio.Task[None] | None = None

    @classmethod
    def assemble(
        cls,
        config: AgentConfig,
        inventory: Inventory,
        previous: Services | None,
        health: Health,
    ) -> Services:
        """Build from an inventory; reuse from `previous` what the new config did not change.
        Raises StartError naming the key when a piece cannot be built."""
        netns = config.agent.netns or None
        if netns is not None and not (NETNS_DIR / netns).exists():
            raise StartError(
                f"agent.netns: namespace {netns!r} does not exist ({NETNS_DIR / netns})"
            )
        shard = config.shard()
        devices = tuple(shard.select_devices(inventory.polled_devices(), config.agent.shard_by))
        # With shards the engine owns this shard's devices; an uplink another shard polls
        # counts as that shard last wrote it to the shared InfluxDB (shared_status).
        own = {d.name for d in devices} if shard.count > 1 else None
        same = _unchanged(previous, config)
        if previous is None:
            data_dir = config.agent.resolved_data_dir()
            spool = Spool(config.agent.spool_path(), config.spool)
            store = open_store(data_dir)
            reserve_room(store.path)
        else:
            spool, store = previous.spool, previous.store
            if not same("spool"):
                log.warning("[spool] changes take effect at the next restart")
        delivery = (
            previous.delivery
            if previous and same("influxdb", "spool")
            else (make_delivery(spool, config.influxdb, config.spool))
        )
        same_ns = previous is not None and previous.config.agent.netns == config.agent.netns
        snmp = (
            previous.snmp
            if previous and same("snmp") and same_ns
            else SnmpPoller(
                config.snmp,
                netns=netns,
                state_path=config.agent.resolved_data_dir() / SNMP_STATE_FILE,
                replaces=previous.snmp if previous else None,
            )
        )
        probers = dict(previous.probers) if previous and same("icmp") and same_ns else {}
        if previous and same("alerts", "notify"):
            router, alerts = previous.router, previous.alerts  # adopt() gives it the inventory
        else:
            try:  # the targets, built from the notifier types (netagent.agent.notify.registry)
                router = Router.from_config(store.queue, config.notify)
            except TargetError as e:
                raise StartError(str(e)) from None
            alerts = AlertEngine(inventory, config.alerts, store, router, own=own)
        shared = (
            SharedStatus(config.influxdb, config.agent.remote_state_max_age_s)
            if own is not None and config.influxdb.url
            else None
        )
        sink = SampleSink(spool, health, SAMPLE_TAG if config.agent.bundled_sample() else None)
        if previous is None:
            coordinator = DeviceCoordinator(inventory, {d.name for d in devices}, shared)
            health.device_counts = coordinator.counts
            coverage = LiveCoverage(coordinator, sink)
        else:  # adopt() gives it the inventory
            coordinator, coverage = previous.coordinator, previous.coverage
        return cls(
            config,
            inventory,
            health,
            spool,
            sink,
            store,
            devices,
            delivery,
            snmp,
            router,
            alerts,
            coordinator,
            coverage,
            probers,
            shared_status=shared,
        )

    def adopt(self) -> None:
        """This set runs now: a carried-over alert engine and the device coordinator move
        to its inventory; live coverage writes through its sink."""
        own = {d.name for d in self.devices} if self.config.shard().count > 1 else None
        self.alerts.set_inventory(self.inventory, now=time.time(), own=own)
        self.coordinator.set_inventory(
            self.inventory, {d.name for d in self.devices}, self.shared_status
        )
        self.coverage.sink = self.sink
        if not computed_here(self.config):
            self.coverage.stop()

    def prober(self, job: str) -> IcmpProber:
        if job not in self.probers:
            self.probers[job] = IcmpProber(self.config.icmp, netns=self.config.agent.netns or None)
        return self.probers[job]

    def keep_probers(self, jobs: set[str]) -> None:
        """Forget the probers of ICMP jobs that no longer exist (a per-role interval
        changed); the set they came from closes them when it is retired."""
        for name in set(self.probers) - jobs:
            self.probers.pop(name)

    async def final_flush(self) -> None:
        """Deliver what the spool holds now; what cannot be delivered stays in it."""
        await self.coverage.settle()  # a live coverage update under way goes out too
        report = await self.delivery.flush(deadline_s=self.config.agent.stop_timeout_s)
        # Without InfluxDB the spool is the store: nothing is "waiting" there.
        if report.remaining and isinstance(self.delivery, Flusher):
            log.info("%d sample(s) stay in the spool for the next start", report.remaining)

    def save_health(self) -> None:
        """The `agent` points: this run's health, into the spool like any sample."""
        self.health.spool = self.spool.stats()
        self.health.snmp = self.snmp.counters.as_dict()
        self.health.gauges["notify_failures"] = self.router.notify_failures()
        self.health.failing_notifiers = {
            n: self.router.health[n].last_error for n in self.router.failing_targets()
        }
        agent = self.config.agent
        tags = {"agent": agent.name or socket.gethostname()}
        if agent.shard:
            tags["shard"] = agent.shard
        self.sink.put(self.health.to_samples(tags=tags))

    def close(self) -> None:
        for prober in self.probers.values():
            prober.close()
        self.snmp.close()
        self.spool.close()
        self.store.close()

    def close_unshared(self, other: Services) -> None:
        """Close what this set holds and `other` does not share: the old set's leftovers
        once the new one runs, or a new set that could not be started (the old runs on)."""
        for prober in self.probers.values():
            if prober not in other.probers.values():
                prober.close()
        if other.snmp is not self.snmp:
            self.snmp.close()
        if other.delivery is not self.delivery and isinstance(self.delivery, Flusher):
            self._closing = asyncio.get_running_loop().create_task(self.delivery.writer.close())


def reserve_room(db: Path, size: int = STATE_RESERVE) -> None:
    """Make sure the alert state database can commit when the disk is full.

    The alert engine commits every round to state.sqlite, in the same data directory as
    the spool; when the disk fills, alerting must go on. SQLite reuses space it already
    has: free pages in the database file and, after a checkpoint, the WAL file from its
    start. Writing (then dropping) `size` bytes at start leaves both that large, enough
    for a full auto-checkpoint cycle (1000 pages) of the engine's small transactions, so
    its commits need no new disk blocks for as long as the daemon runs."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA busy_timeout=5000")
        con.execute("CREATE TABLE IF NOT EXISTS netagent_reserve(b BLOB)")
        con.execute("INSERT INTO netagent_reserve VALUES (zeroblob(?))", (size,))
        con.execute("DROP TABLE netagent_reserve")
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error as e:  # a full disk at start: monitor anyway, say what is at risk
        log.warning(
            "%s: cannot reserve %d MB (%s); alerts may not be recorded if the disk stays full",
            db,
            size >> 20,
            e,
        )
    finally:
        con.close()


def _unchanged(previous: Services | None, config: AgentConfig) -> Callable[..., bool]:
    def same(*sections: str) -> bool:
        return previous is not None and all(
            getattr(previous.config, s) == getattr(config, s) for s in sections
        )

    return same


def load_configured_inventory(config: AgentConfig) -> Inventory:
    """The inventory to watch, from the source `[agent] source` names (the registry of
    netagent.agent.inventory_sources: netagent's files or NetBox, which place sites in quartieri
    and check the inventory against the configuration, or an installed plugin's). Raises
    ValueError listing what is wrong."""
    try:
        source = INVENTORY_SOURCES.get(config.agent.source)
    except UnknownPlugin as e:  # validated at load; the plugin was removed since
        raise ValueError(f"agent.source: {e}") from None
    return source(config)
