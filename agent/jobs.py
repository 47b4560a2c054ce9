"""The daemon's jobs: what runs on the schedule, built from the config.

One ICMP and one SNMP job per distinct interval (per-role overrides put devices into
their own job, named e.g. `icmp@10s`), then coverage, NetBox sync, spool flush and
housekeeping. Each job writes its samples to the spool (off the event loop: a durable
commit waits for fsync) and returns a JobReport for the health accounting. What the ICMP
and SNMP jobs learn about each device goes to the device coordinator (netagent.agent.coordinator);
the jobs read each other's verdicts there; live coverage listens, /healthz reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal

import psutil

from netagent.agent import inventory_source
from netagent.agent.alerts import Observation
from netagent.agent.config import AgentConfig, JobSettings
from netagent.agent.grid import slot_of
from netagent.agent.live_coverage import computed_here
from netagent.agent.runtime import snmp_cycle
from netagent.agent.scheduler import Job, JobFunc, JobReport
from netagent.agent.services import Services
from netagent.collectors.icmp import IcmpConfig, IcmpResult
from netagent.collectors.icmp import targets_from_inventory as icmp_targets
from netagent.collectors.icmp.prober import plan_pacing
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import targets_from_inventory
from netagent.inventory.model import Device, Inventory
from netagent.inventory.netbox import apply, plan

AdoptInventory = Callable[[Inventory], Awaitable[None]]
HealthCheck = Callable[[], Awaitable[None]]

log = logging.getLogger(__name__)

# The share of its interval an ICMP round may take; the rest is margin for the jitter
# and the alert round that follows (netagent.collectors.icmp.prober.plan_pacing fits it).
# 0.8 left 6 s of a 30 s interval: at 15,000 devices the 2 s jitter, the alert round and
# SNMP decoding sharing the event loop overran it in 2 of 8 rounds (scale_bench).
ROUND_BUDGET = 0.7
# CPU an SNMP poll takes per device, for the first cycle's duration before one has run:
# 15,000 simulated devices took 25.5 s a cycle (scale_bench, one core), rounded up.
SNMP_DEVICE_S = 0.002


def build_jobs(
    config: AgentConfig, services: Services, adopt: AdoptInventory, check: HealthCheck
) -> list[Job]:
    """The schedule for this config; `adopt` swaps in an inventory pulled from NetBox;
    `check` runs after each housekeeping run (the agent's own alert, health.json)."""
    jobs: list[Job] = []
    c = config.jobs

    def add(
        name: str,
        s: JobSettings,
        func: JobFunc,
        interval_s: float | None = None,
        first_run_s: float = 0.0,
        expected_s: float = 0.0,
        after: str = "",
    ) -> None:
        interval = interval_s or s.interval_s
        grace = s.misfire_grace_s if s.misfire_grace_s is not None else interval
        jobs.append(Job(name, interval, func, s.jitter_s, grace, first_run_s, expected_s, after))

    # SNMP's first run waits for the first ICMP round (snmp_job): the largest one's.
    first_icmp, most = "", 0
    if c.icmp.enabled:
        for interval, group in group_by_interval(config, "icmp", services.devices).items():
            name = job_name("icmp", interval, c.icmp.interval_s)
            round_s = icmp_round_s(len(group), config.icmp, interval * ROUND_BUDGET)
            add(name, c.icmp, icmp_job(services, name, group, interval), interval, 0.0, round_s)
            if len(group) > most:
                first_icmp, most = name, len(group)
    if c.snmp.enabled:
        for interval, group in group_by_interval(config, "snmp", services.devices).items():
            name = job_name("snmp", interval, c.snmp.interval_s)
            job = snmp_job(services, group, c.icmp.enabled, interval)
            add(name, c.snmp, job, interval, 1.0, len(group) * SNMP_DEVICE_S, first_icmp)
    # With shards, what every agent would write alike (coverage, the NetBox push) runs on
    # one of them only; pulling the devices to poll from NetBox runs on every one.
    if computed_here(config):
        # After the first ICMP round, so the live figure knows what is down.
        add("coverage", c.coverage, coverage_job(services), first_run_s=c.icmp.interval_s / 2)
    if (sync := netbox_sync(config)) is not None:
        pull = sync == "pull"
        first_run_s = c.netbox.interval_s if pull else 0.0  # a pull ran at start already
        add("netbox", c.netbox, netbox_job(services, adopt), first_run_s=first_run_s)
    if c.flush.enabled:
        add("flush", c.flush, flush_job(services, c.flush.interval_s), first_run_s=2.0)
    services.keep_probers({j.name for j in jobs})
    if c.housekeeping.enabled:
        add(
            "housekeeping",
            c.housekeeping,
            housekeeping_job(services, check),
            first_run_s=min(c.housekeeping.interval_s, 5.0),
        )
    return jobs


def netbox_sync(config: AgentConfig) -> Literal["pull", "push"] | None:
    """What this agent's netbox job does: pull its devices (source = "netbox": every
    shard needs its own), push the inventory (the files or an installed source: the
    shared writer only, so N agents never write NetBox N times), or nothing (no URL,
    job off, or the bundled sample, which is never written to NetBox)."""
    if not (config.jobs.netbox.enabled and config.netbox.url):
        return None
    if config.agent.source == "netbox":
        return "pull"
    if config.agent.bundled_sample():
        log.info("netbox job off: the bundled sample is never written to NetBox")
        return None
    return "push" if config.runs_shared_jobs() else None


def group_by_interval(
    config: AgentConfig, kind: str, devices: Sequence[Device]
) -> dict[float, list[Device]]:
    groups: dict[float, list[Device]] = {}
    for d in devices:
        groups.setdefault(config.interval_for(kind, d.role), []).append(d)
    return groups


def job_name(kind: str, interval_s: float, default_s: float) -> str:
    return kind if interval_s == default_s else f"{kind}@{interval_s:g}s"


def icmp_round_s(targets: int, icmp: IcmpConfig, budget_s: float) -> float:
    """How long a round of `targets` takes as it will be paced: its echoes spread at the
    planned rate, then the last echo's timeout."""
    if targets == 0:
        return 0.0
    pacing = plan_pacing(targets, icmp, budget_s)
    spread = targets * pacing.count / pacing.rate_pps if pacing.rate_pps > 0 else 0.0
    return spread + icmp.timeout_ms / 1000


def icmp_job(
    services: Services, name: str, devices: Sequence[Device], interval_s: float
) -> JobFunc:
    targets = icmp_targets(services.inventory, devices)
    prober = services.prober(name)  # opened now: no raw socket fails the start, not a round

    async def run() -> JobReport:
        # Stamped with the round's grid slot, so an HA pair's two agents write one point.
        at = slot_of(time.time(), interval_s)
        report = JobReport()
        # The sink never raises: a spool that cannot be written does not cost the round.
        with report.phase("probing"):
            results = await prober.round(targets, interval_s * ROUND_BUDGET)
        with report.phase("spool"):
            samples = [r.to_sample(int(at * 1e9)) for r in results]
            await asyncio.to_thread(services.sink.put, samples)
        with report.phase("alerts"):
            events = await alert_round(services, results, at)
        with report.phase("spool"):
            await asyncio.to_thread(services.sink.put, events)
        # What held the round open: targets that did not answer, then the slowest answers.
        timeout_s = services.config.icmp.timeout_ms / 1000
        slowest = sorted(
            (
                (r.target.name, r.rtt_max_ms / 1000 if r.rtt_max_ms is not None else timeout_s)
                for r in results
                if not r.up or (r.rtt_max_ms or 0) >= 100
            ),
            key=lambda x: -x[1],
        )
        report.devices, report.failures = len(results), sum(not r.up for r in results)
        report.slowest = slowest[:5]
        return report

    return run


async def alert_round(services: Services, results: Sequence[IcmpResult], at: float) -> list[Sample]:
    """The alert engine's round on these answers, with the last SNMP verdicts and other
    shards' states from the coordinator; the answers and the states the engine then
    shows go back to it as one update. Returns the engine's samples."""
    states = services.coordinator
    observations = [
        Observation(r.target.name, r.up, states.snmp_ok(r.target.name)) for r in results
    ]
    events: list[Sample] = []
    try:
        remote = await states.fetch_remote(services.alerts.foreign_uplinks(observations))
        events, _ = await services.alerts.observe_and_notify(observations, at, remote)
    finally:  # the answers count even when the alert round failed
        states.publish_icmp(results, int(at * 1e9), shown_states(events))
    return events


def snmp_job(
    services: Services, devices: Sequence[Device], icmp: bool, interval_s: float
) -> JobFunc:
    """SNMP asks only devices whose last ICMP answer was yes (with ICMP on): at start it
    waits for the first round rather than spend a deadline on each dead device."""
    names = {d.name for d in devices}
    targets = [
        t
        for t in targets_from_inventory(services.inventory, services.config.snmp)
        if t.name in names
    ]

    async def run() -> JobReport:
        # Stamped with the run's grid slot like ICMP: an HA pair writes one point.
        at_ns = int(slot_of(time.time(), interval_s) * 1e9)
        states = services.coordinator
        if icmp:
            await first_icmp_round(services, interval_s)
        outcomes, _ = await snmp_cycle(
            services.snmp,
            targets,
            services.sink,
            lambda name: states.pings(name, not icmp),
            at_ns,
            keep_samples=False,  # streamed to the spool as each device finishes
        )
        states.publish_snmp((o.device, o.ok) for o in outcomes)
        failed = [o for o in outcomes if not o.ok]
        for o in failed[:5]:
            log.debug("SNMP %s: %s", o.device, o.error)  # the poller warns already
        slowest = sorted(((o.device, o.duration_s) for o in outcomes), key=lambda x: -x[1])
        return JobReport(len(outcomes), len(failed), slowest[:5])

    return run


async def first_icmp_round(services: Services, at_most_s: float) -> None:
    """Wait (at most that long) until the first ICMP round has said who answers."""
    if not services.coordinator.icmp_seen.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(services.coordinator.icmp_seen.wait(), at_most_s)


def shown_states(samples: Sequence[Sample]) -> dict[str, str]:
    """device -> state, from an alert round's `device_status` samples."""
    return {
        s.tags["device"]: str(s.fields["state"])
        for s in samples
        if s.measurement == "device_status"
    }


def coverage_job(services: Services) -> JobFunc:
    """Planned and live coverage (`view` tag) from the engine live coverage keeps (built
    on the first run and after an inventory change); live leaves out what the device
    coordinator says is not serving. Between runs, live coverage follows changes itself.
    The first run waits for the first ICMP round: before it every device is unknown, and
    a live figure of nothing would be written at each start."""
    icmp = services.config.jobs.icmp

    async def run() -> JobReport:
        if icmp.enabled:
            await first_icmp_round(services, icmp.interval_s)
        # shapely work is CPU-bound: LiveCoverage runs it off the loop.
        samples = await services.coverage.figures(
            services.inventory, services.config.coverage, time.time_ns()
        )
        await asyncio.to_thread(services.sink.put, samples)
        return JobReport(devices=len(services.inventory.devices))

    return run


def netbox_job(services: Services, adopt: AdoptInventory) -> JobFunc:
    """source=netbox: pull the devices to poll; a changed inventory is adopted at once.
    Any other source (the files, an installed one): push the inventory to NetBox (plan,
    then apply; never deletes)."""
    cfg = services.config.netbox

    async def run() -> JobReport:
        if services.config.agent.source == "netbox":
            inv = await asyncio.to_thread(inventory_source.from_netbox, services.config)
            if inv != services.inventory:  # devices, and the links and segments it carries
                log.info("NetBox inventory changed: %d device(s)", len(inv.devices))
                await adopt(inv)
            return JobReport(devices=len(inv.devices))
        the_plan = await asyncio.to_thread(plan, services.inventory, cfg)
        report = await asyncio.to_thread(apply, the_plan, cfg)
        for error in report.errors[:10]:
            log.warning("NetBox sync: %s", error)
        return JobReport(devices=len(services.inventory.devices), failures=report.failed)

    return run


def flush_job(services: Services, interval_s: float) -> JobFunc:
    """Both durable queues go out here: samples to InfluxDB, and notifications whose
    delivery failed (so a retry waits at most one flush interval, not one ICMP round)."""

    async def run() -> JobReport:
        await services.router.deliver_pending()
        report = await services.delivery.flush(deadline_s=interval_s)
        # Waiting out a back-off says nothing new; an attempt says failed or succeeded.
        if report.error is not None or report.retry_in_s is None:
            services.health.influx_result(report.error, time.time())
        return JobReport(devices=report.delivered, failures=int(report.error is not None))

    return run


def housekeeping_job(services: Services, check: HealthCheck) -> JobFunc:
    process = psutil.Process()
    health = services.health

    async def run() -> JobReport:
        health.gauges["rss_mb"] = process.memory_info().rss / 2**20
        cpu = process.cpu_times()
        health.gauges["cpu_s"] = cpu.user + cpu.system
        await asyncio.to_thread(services.save_health)
        await check()
        return JobReport()

    return run
