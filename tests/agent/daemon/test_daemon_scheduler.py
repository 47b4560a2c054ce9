"""The job framework: no pile-up, lag and overruns measured, clean stop, health served."""

from __future__ import annotations

import asyncio
import gc
import logging
import re

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from netagent.agent.health import Health, HealthLimits
from netagent.agent.health_http import HealthServer
from netagent.agent.jobs import ROUND_BUDGET, SNMP_DEVICE_S, icmp_round_s
from netagent.agent.scheduler import GC_THRESHOLDS, Job, JobReport, JobRunner, first_run_at
from netagent.collectors.icmp import IcmpConfig
from netagent.collectors.spool_model import SpoolStats
from tests.fixtures.ports import free_port


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_a_job_that_overruns_does_not_pile_up(caplog: pytest.LogCaptureFixture) -> None:
    running = 0
    most = 0

    async def slow() -> JobReport:
        nonlocal running, most
        running += 1
        most = max(most, running)
        report = JobReport(devices=2, failures=1, slowest=[("ap-1", 2.5), ("ap-2", 0.1)])
        with report.phase("probing"):
            await asyncio.sleep(2.0)
        with report.phase("spool"):
            await asyncio.sleep(0.5)
        running -= 1
        return report

    async def scenario() -> Health:
        health = Health()
        runner = JobRunner(health)
        runner.set_jobs([Job("slow", 1.0, slow)])
        runner.start()
        await asyncio.sleep(5.5)
        await runner.stop(timeout_s=5)
        return health

    with caplog.at_level(logging.WARNING):
        health = run(scenario())
    assert isinstance(health, Health)
    stats = health.jobs["slow"]
    assert most == 1
    assert stats.runs >= 2 and stats.overruns == stats.runs
    assert stats.skipped >= 1  # runs due during a long one were skipped, and counted
    assert stats.devices == 2 and stats.failures == 1
    assert "job slow overran its interval" in caplog.text and "ap-1 (2.5 s)" in caplog.text
    # where the time went, so an operator sees whether probing or the disk was slow
    assert re.search(r"2 device\(s\) \(probing 2\.\d s, spool 0\.\d s\)", caplog.text)


def test_stop_waits_for_running_jobs_then_cuts_at_the_deadline() -> None:
    finished: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.3)
        finished.append("quick")

    async def stuck() -> None:
        await asyncio.sleep(3600)
        finished.append("stuck")

    async def scenario() -> tuple[bool, bool]:
        runner = JobRunner(Health())
        runner.set_jobs([Job("quick", 60, quick)])
        runner.start()
        await asyncio.sleep(0.1)
        clean = await runner.stop(timeout_s=5)
        runner2 = JobRunner(Health())
        runner2.set_jobs([Job("stuck", 60, stuck)])
        runner2.start()
        await asyncio.sleep(0.1)
        cut = await runner2.stop(timeout_s=0.3)
        return clean, cut

    assert run(scenario()) == (True, False)
    assert finished == ["quick"]


def test_failing_job_is_counted_and_keeps_its_schedule() -> None:
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("boom")

    async def scenario() -> Health:
        health = Health()
        runner = JobRunner(health)
        runner.set_jobs([Job("broken", 0.5, broken)])
        runner.start()
        while calls < 3:
            await asyncio.sleep(0.05)
        await runner.stop(1)
        return health

    health = run(scenario())
    assert isinstance(health, Health)
    assert health.jobs["broken"].errors >= 3


def test_set_jobs_keeps_unchanged_timings_and_drops_removed_jobs() -> None:
    async def noop() -> None:
        return None

    async def scenario() -> tuple[object, object, set[str]]:
        health = Health()
        runner = JobRunner(health)
        runner.set_jobs([Job("a", 100, noop, first_run_s=50), Job("b", 100, noop)])
        runner.start()
        before = runner.scheduler.get_job("a").next_run_time
        runner.set_jobs([Job("a", 100, noop, first_run_s=0)])
        after = runner.scheduler.get_job("a").next_run_time
        names = {j.id for j in runner.scheduler.get_jobs()}
        await runner.stop(1)
        return before, after, names

    before, after, names = run(scenario())  # type: ignore[misc]
    assert before == after
    assert names == {"a"}


def test_health_endpoint_serves_healthz_and_prometheus_metrics() -> None:
    """What a supervisor and Prometheus read: 503 with the reasons, 200 with the same
    JSON shape once healthy; counters typed as counters, with HELP, parsed by
    prometheus_client's own parser."""
    port = free_port()

    async def scenario() -> list[httpx.Response]:
        health = Health()
        health.job("icmp", 30)
        health.record_run(
            "icmp", cycle_s=1.5, lag_s=0.01, devices=1234567, failures=2, error=None, overran=False
        )
        health.job("snmp", 0.001)  # never completed, interval long past: stale
        health.spool = SpoolStats(10, 1.0, 47, 0, {"interface": 40, "wifi": 7})
        health.snmp = {"counter_resets": 2, "varbinds_served": 900}
        server = HealthServer(health, HealthLimits)
        await server.start("127.0.0.1", port)
        async with httpx.AsyncClient() as client:
            metrics = await client.get(f"http://127.0.0.1:{port}/metrics")
            await asyncio.sleep(0.01)
            bad = await client.get(f"http://127.0.0.1:{port}/healthz")
            del health.jobs["snmp"]
            good = await client.get(f"http://127.0.0.1:{port}/healthz")
            missing = await client.get(f"http://127.0.0.1:{port}/nope")
        await server.stop()
        return [metrics, bad, good, missing]

    metrics, bad, good, missing = run(scenario())  # type: ignore[misc]
    assert metrics.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    runs = families["netagent_job_runs"]
    assert runs.type == "counter" and runs.documentation
    assert [(s.name, s.labels, s.value) for s in runs.samples if s.name.endswith("_total")] == [
        ("netagent_job_runs_total", {"job": "icmp"}, 1.0),
        ("netagent_job_runs_total", {"job": "snmp"}, 0.0),
    ]
    devices = families["netagent_job_devices"]
    assert devices.type == "gauge"
    assert [s.value for s in devices.samples if s.labels == {"job": "icmp"}] == [1234567]
    assert "1.23457e+06" not in metrics.text
    assert all(f.documentation for f in families.values())
    assert families["netagent_healthy"].samples[0].value == 0
    drops = families["netagent_spool_dropped_samples_by_measurement"]
    assert drops.type == "counter"
    assert {
        s.labels["measurement"]: s.value for s in drops.samples if s.name.endswith("_total")
    } == {
        "interface": 40,
        "wifi": 7,
    }
    resets = families["netagent_snmp_counter_resets"]
    assert resets.type == "counter" and resets.samples[0].value == 2
    assert bad.status_code == 503
    assert bad.json()["healthy"] is False
    assert any("job snmp" in r for r in bad.json()["reasons"])
    assert good.status_code == 200
    assert good.json() == {"healthy": True, "reasons": [], "devices": {}}
    assert missing.status_code == 404


def test_a_job_failing_k_runs_in_a_row_turns_the_agent_unhealthy() -> None:
    health = Health()
    health.job("netbox", 60)
    limits = HealthLimits(failed_runs=3)
    for _ in range(3):
        assert health.reasons(limits) == []
        health.record_run(
            "netbox",
            cycle_s=0.1,
            lag_s=0,
            devices=0,
            failures=0,
            error="ConnectError: refused",
            overran=False,
        )
    assert health.reasons(limits) == ["job netbox failed its last 3 runs: ConnectError: refused"]
    health.record_run(
        "netbox", cycle_s=0.1, lag_s=0, devices=0, failures=0, error=None, overran=False
    )
    assert health.reasons(limits) == []


def test_influxdb_refusing_for_longer_than_the_limit_is_a_reason() -> None:
    health = Health()
    limits = HealthLimits(influx_refused_s=300)
    health.influx_result("status 503: unavailable", now=1000.0)
    health.influx_result("status 503: unavailable", now=1200.0)
    assert health.reasons(limits, now=1299.0) == []
    assert health.reasons(limits, now=1300.0) == [
        "InfluxDB has refused writes for 300 s: status 503: unavailable"
    ]
    health.influx_result(None, now=1310.0)
    assert health.reasons(limits, now=1400.0) == []


def test_a_failing_job_logs_its_traceback_once(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> JobReport:
        raise RuntimeError("boom")

    async def scenario() -> Health:
        health = Health()
        runner = JobRunner(health)
        runner.set_jobs([Job("broken", 0.2, broken)])
        runner.start()
        await asyncio.sleep(1.1)
        await runner.stop(timeout_s=1)
        return health

    with caplog.at_level(logging.ERROR):
        health = run(scenario())
    assert isinstance(health, Health) and health.jobs["broken"].errors >= 3
    failures = [r for r in caplog.records if "job broken failed: RuntimeError: boom" in r.message]
    assert len(failures) == health.jobs["broken"].errors
    assert sum(bool(r.exc_info) for r in failures) == 1


def test_what_a_jobs_first_run_built_is_frozen_out_of_the_cyclic_gc() -> None:
    """At 15,000 devices every full collection walked the inventory, the targets and
    each interface's counters again (a fifth of the agent's CPU): what exists after a
    job's first run is frozen (`gc.freeze`), once per job, not at every run."""
    kept: list[list[int]] = []

    async def build() -> None:
        kept.append([len(kept)])  # state a poller keeps between runs

    async def scenario() -> None:
        runner = JobRunner(Health())
        runner.set_jobs([Job("poll", 0.2, build)])
        runner.start()
        while len(kept) < 3:
            await asyncio.sleep(0.02)
        await runner.stop(1)

    def in_reach(obj: object) -> bool:  # what a collection walks (not the frozen)
        return any(o is obj for o in gc.get_objects())

    gc.unfreeze()
    try:
        run(scenario())
        assert not in_reach(kept[0])
        assert in_reach(kept[2])
    finally:
        gc.unfreeze()


def test_the_gc_thresholds_are_raised_while_jobs_run_and_restored_after() -> None:
    """Each round's state reaches the oldest generation; at the default thresholds a full
    collection walked it every 1.7 s at 15,000 devices. The runner raises them while it
    runs and gives the embedding process its own back on stop."""
    seen: list[tuple[int, int, int]] = []

    async def poll() -> None:
        seen.append(gc.get_threshold())

    async def scenario() -> None:
        runner = JobRunner(Health())
        runner.set_jobs([Job("poll", 0.2, poll)])
        runner.start()
        while not seen:
            await asyncio.sleep(0.02)
        await runner.stop(1)

    before = gc.get_threshold()
    gc.set_threshold(500, 5, 5)
    try:
        run(scenario())
        assert seen[0] == GC_THRESHOLDS
        assert gc.get_threshold() == (500, 5, 5)
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def test_a_first_run_that_would_cross_its_slot_waits_for_the_next_one() -> None:
    """Started 20 s into a 30 s slot, a 24 s ICMP round (15,000 devices paced into the
    round's budget) would still run when the next slot fires, and that slot would be
    skipped: it starts at the next slot instead. A short round starts at once."""

    async def nothing() -> None:
        return None

    config = IcmpConfig()
    region = icmp_round_s(15_000, config, 30 * ROUND_BUDGET)
    small = icmp_round_s(238, config, 30 * ROUND_BUDGET)
    assert 20 < region <= 30 * ROUND_BUDGET + config.timeout_ms / 1000 and small < 5
    now = 1_800_000_000.0 + 20  # 20 s into a slot (1.8e9 is a multiple of 30)
    late = Job("icmp", 30, nothing, expected_s=region)
    assert first_run_at(late, now).timestamp() == 1_800_000_030.0
    assert first_run_at(Job("icmp", 30, nothing, expected_s=small), now).timestamp() == now
    early = now - 18  # 2 s into the slot: the round ends before the next one
    assert first_run_at(late, early).timestamp() == early
    # unknown duration: as configured
    assert first_run_at(Job("x", 30, nothing, first_run_s=1.0), now).timestamp() == now + 1


def test_the_first_snmp_cycle_of_a_region_waits_for_a_slot_it_fits_after_icmp() -> None:
    """SNMP's first cycle waits for the first ICMP round. At 15,000 devices that round
    takes ~21 s and the cycle ~30 s, so a cycle begun 1 s after start ends past its
    60 s slot and the next slot is skipped: it starts at the first slot where ICMP's
    round and the cycle both fit. A small network starts 1 s after start as before."""

    async def nothing() -> None:
        return None

    region = icmp_round_s(15_000, IcmpConfig(), 30 * ROUND_BUDGET)
    cycle = 15_000 * SNMP_DEVICE_S
    snmp = Job("snmp", 60, nothing, first_run_s=1.0, expected_s=cycle, after="icmp")
    now = 1_800_000_000.0 + 15  # 15 s into a 60 s slot (1.8e9 is a multiple of 60)
    assert region > 20 and 20 < cycle < 60
    assert first_run_at(snmp, now, ready=now + region).timestamp() == 1_800_000_060.0
    # ICMP's own first run waited for its next slot: still the next SNMP slot fits
    assert first_run_at(snmp, now, ready=now + 25 + region).timestamp() == 1_800_000_060.0
    # ... unless ICMP ends too late for it: then the one after
    assert first_run_at(snmp, now, ready=now + 55 + region).timestamp() == 1_800_000_120.0
    small = Job("snmp", 60, nothing, first_run_s=1.0, expected_s=238 * SNMP_DEVICE_S)
    assert first_run_at(small, now, ready=now + 2).timestamp() == now + 1
    # a cycle that cannot fit in any slot starts as configured
    huge = Job("snmp", 60, nothing, first_run_s=1.0, expected_s=61, after="icmp")
    assert first_run_at(huge, now, ready=now + region).timestamp() == now + 1


def test_set_jobs_schedules_the_first_snmp_cycle_after_the_icmp_round() -> None:
    """Whatever the time of the start, the first SNMP cycle the runner schedules begins
    no earlier than ICMP's first round and ends within its own slot."""

    async def nothing() -> None:
        return None

    region = icmp_round_s(15_000, IcmpConfig(), 30 * ROUND_BUDGET)
    cycle = 15_000 * SNMP_DEVICE_S

    async def scenario() -> tuple[float, float]:
        runner = JobRunner(Health())
        runner.set_jobs(
            [
                Job("icmp", 30, nothing, expected_s=region),
                Job("snmp", 60, nothing, first_run_s=1.0, expected_s=cycle, after="icmp"),
            ]
        )
        icmp = runner.scheduler.get_job("icmp").next_run_time.timestamp()
        snmp = runner.scheduler.get_job("snmp").next_run_time.timestamp()
        return icmp, snmp

    icmp, snmp = run(scenario())  # type: ignore[misc]
    ready = icmp + region
    assert max(snmp, ready) + cycle <= (snmp // 60) * 60 + 60 + 1e-6
