"""The daemon's jobs and the running pieces they share.

`Services` holds what survives a SIGHUP (the spool, collectors with counter state when
their config did not change) and what a reload replaces (inventory, device list).
`build_jobs` turns the config into scheduler jobs: one ICMP and one SNMP job per distinct
interval (per-role overrides), plus NetBox sync, coverage, spool flush and housekeeping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import psutil

from agent.config import AgentConfig
from agent.health import Health
from agent.scheduler import Job, JobFunc, JobReport
from collectors.spool import Spool
from inventory.model import Device, DeviceStatus, Inventory

log = logging.getLogger(__name__)

# Devices not (or no longer) on the network are not polled.
_NOT_POLLED = {DeviceStatus.PLANNED, DeviceStatus.INVENTORY, DeviceStatus.DECOMMISSIONING}


@dataclass
class Services:
    config: AgentConfig
    inventory: Inventory
    spool: Spool
    devices: tuple[Device, ...] = field(default=())

    @classmethod
    def build(cls, config: AgentConfig, previous: Services | None) -> Services:
        inventory = load_configured_inventory(config)
        data_dir = config.agent.resolved_data_dir()
        spool = previous.spool if previous else Spool(data_dir / "spool.sqlite")
        return cls.assemble(config, inventory, spool, previous)

    @classmethod
    def assemble(
        cls, config: AgentConfig, inventory: Inventory, spool: Spool, previous: Services | None
    ) -> Services:
        devices = tuple(
            d for d in config.shard().select(inventory.devices) if d.status not in _NOT_POLLED
        )
        return cls(config, inventory, spool, devices)

    async def final_flush(self) -> None:
        """Deliver what the spool holds, if a writer is configured."""

    def save_health(self, health: Health) -> None:
        self.spool.put(health.to_samples())

    def close(self) -> None:
        self.spool.close()


def load_configured_inventory(config: AgentConfig) -> Inventory:
    from inventory.load import load_inventory
    from inventory.sample import SAMPLE_PATHS

    paths = config.agent.inventory or list(SAMPLE_PATHS)
    result = load_inventory(paths)
    errors = [i for i in result.issues if getattr(i, "severity", "error") == "error"]
    if errors:
        raise ValueError(
            "inventory has errors: " + "; ".join(str(i) for i in errors[:10])
        )
    return result.inventory


def group_by_interval(
    config: AgentConfig, kind: str, devices: Sequence[Device]
) -> dict[float, list[Device]]:
    groups: dict[float, list[Device]] = {}
    for d in devices:
        groups.setdefault(config.interval_for(kind, d.role), []).append(d)
    return groups


def job_name(kind: str, interval_s: float, default_s: float) -> str:
    return kind if interval_s == default_s else f"{kind}@{interval_s:g}s"


def build_jobs(config: AgentConfig, services: Services, health: Health) -> list[Job]:
    jobs: list[Job] = []
    hk = config.jobs.housekeeping
    if hk.enabled:
        jobs.append(Job(
            "housekeeping", hk.interval_s, _housekeeping(services, health),
            hk.jitter_s, hk.grace_s(), first_run_s=min(hk.interval_s, 5.0),
        ))
    return jobs


def _housekeeping(services: Services, health: Health) -> JobFunc:
    process = psutil.Process()

    async def run() -> JobReport:
        health.gauges["rss_mb"] = process.memory_info().rss / 2**20
        cpu = process.cpu_times()
        health.gauges["cpu_s"] = cpu.user + cpu.system
        services.spool.put(health.to_samples(time.time_ns()))
        return JobReport()

    return run

