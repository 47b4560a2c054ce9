"""The daemon's jobs: what runs on the schedule, built from the config.

One ICMP and one SNMP job per distinct interval (per-role overrides put devices into
their own job, named e.g. `icmp@10s`), then spool flush and housekeeping. Each job
writes its samples to the spool (off the event loop: a durable commit waits for fsync)
and returns a JobReport for the health accounting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import psutil

from agent.config import AgentConfig, JobSettings
from agent.health import Health
from agent.scheduler import Job, JobFunc, JobReport
from agent.services import Services
from collectors.icmp import targets_from_inventory as icmp_targets
from collectors.snmp import targets_from_inventory
from inventory.model import Device

log = logging.getLogger(__name__)


def build_jobs(config: AgentConfig, services: Services, health: Health) -> list[Job]:
    """The schedule for this config."""
    jobs: list[Job] = []
    c = config.jobs

    def add(name: str, s: JobSettings, func: JobFunc, interval_s: float | None = None,
            first_run_s: float = 0.0) -> None:
        interval = interval_s or s.interval_s
        grace = s.misfire_grace_s if s.misfire_grace_s is not None else interval
        jobs.append(Job(name, interval, func, s.jitter_s, grace, first_run_s))

    if c.icmp.enabled:
        for interval, group in group_by_interval(config, "icmp", services.devices).items():
            name = job_name("icmp", interval, c.icmp.interval_s)
            add(name, c.icmp, icmp_job(services, name, group), interval)
    if c.snmp.enabled:
        for interval, group in group_by_interval(config, "snmp", services.devices).items():
            name = job_name("snmp", interval, c.snmp.interval_s)
            add(name, c.snmp, snmp_job(services, group), interval, first_run_s=1.0)
    if c.flush.enabled:
        add("flush", c.flush, flush_job(services, c.flush.interval_s), first_run_s=2.0)
    services.keep_probers({j.name for j in jobs})
    if c.housekeeping.enabled:
        add("housekeeping", c.housekeeping, housekeeping_job(services, health),
            first_run_s=min(c.housekeeping.interval_s, 5.0))
    return jobs


def group_by_interval(
    config: AgentConfig, kind: str, devices: Sequence[Device]
) -> dict[float, list[Device]]:
    groups: dict[float, list[Device]] = {}
    for d in devices:
        groups.setdefault(config.interval_for(kind, d.role), []).append(d)
    return groups


def job_name(kind: str, interval_s: float, default_s: float) -> str:
    return kind if interval_s == default_s else f"{kind}@{interval_s:g}s"


def icmp_job(services: Services, name: str, devices: Sequence[Device]) -> JobFunc:
    targets = icmp_targets(services.inventory, devices)
    prober = services.prober(name)  # opened now: no raw socket fails the start, not a round

    async def run() -> JobReport:
        results = await prober.round(targets)
        now = time.time_ns()
        await asyncio.to_thread(services.spool.put, [r.to_sample(now) for r in results])
        # What held the round open: targets that did not answer, then the slowest answers.
        timeout_s = services.config.icmp.timeout_ms / 1000
        slowest = sorted(
            ((r.target.name, r.rtt_max_ms / 1000 if r.rtt_max_ms is not None else timeout_s)
             for r in results if not r.up or (r.rtt_max_ms or 0) >= 100),
            key=lambda x: -x[1],
        )
        return JobReport(len(results), sum(not r.up for r in results), slowest[:5])

    return run


def snmp_job(services: Services, devices: Sequence[Device]) -> JobFunc:
    names = {d.name for d in devices}
    targets = [
        t for t in targets_from_inventory(services.inventory, services.config.snmp)
        if t.name in names
    ]

    async def run() -> JobReport:
        outcomes = await services.snmp.poll(targets)
        samples = [s for o in outcomes for s in o.samples]
        await asyncio.to_thread(services.spool.put, samples)
        failed = [o for o in outcomes if not o.ok]
        for o in failed[:5]:
            log.info("SNMP %s: %s", o.device, o.error)
        slowest = sorted(((o.device, o.duration_s) for o in outcomes), key=lambda x: -x[1])
        return JobReport(len(outcomes), len(failed), slowest[:5])

    return run


def flush_job(services: Services, interval_s: float) -> JobFunc:
    async def run() -> JobReport:
        report = await services.delivery.flush(deadline_s=interval_s)
        if report.error:
            log.warning(
                "InfluxDB write failed (%s); %d sample(s) wait in the spool, retry in %.0f s",
                report.error, report.remaining, report.retry_in_s or 0,
            )
        return JobReport(devices=report.delivered, failures=int(report.error is not None))

    return run


def housekeeping_job(services: Services, health: Health) -> JobFunc:
    process = psutil.Process()

    async def run() -> JobReport:
        health.gauges["rss_mb"] = process.memory_info().rss / 2**20
        cpu = process.cpu_times()
        health.gauges["cpu_s"] = cpu.user + cpu.system
        await asyncio.to_thread(services.save_health, health)
        return JobReport()

    return run
