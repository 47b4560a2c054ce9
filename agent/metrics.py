"""/metrics: the daemon's `Health` as Prometheus families, through prometheus_client.

prometheus_client gives the exposition format (HELP/TYPE lines, escaping, exact numbers);
a custom collector reads the `Health` at scrape time, so no value is kept twice. Names
follow Prometheus conventions: `netagent_` prefix, base units in the name, `_total` on
counters. The tables below are the mapping; adding a figure is adding a row. A figure that
is also a field of the `agent` measurement takes its HELP text from the schema table
(`netagent.collectors.measurements`), so the two never describe it differently.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from netagent.agent.health import Health, HealthLimits, JobStats
from netagent.collectors import schema


def _about(field: str) -> str:
    """HELP text of a metric that is the `agent` measurement's `field`."""
    return schema.field_of("agent", field).description


# (metric, kind, help, value of one job)
_JOB: list[tuple[str, str, str, Callable[[JobStats], float]]] = [
    ("job_runs", "counter", _about("runs"), lambda s: s.runs),
    ("job_errors", "counter", _about("errors"), lambda s: s.errors),
    ("job_overruns", "counter", _about("overruns"), lambda s: s.overruns),
    (
        "job_skipped_runs",
        "counter",
        _about("skipped"),
        lambda s: s.skipped,
    ),
    (
        "job_missed_runs",
        "counter",
        _about("missed"),
        lambda s: s.missed,
    ),
    ("job_duration_seconds", "gauge", _about("cycle_s"), lambda s: s.cycle_s),
    ("job_devices", "gauge", _about("devices"), lambda s: s.devices),
    ("job_device_failures", "gauge", _about("failures"), lambda s: s.failures),
    (
        "job_scheduler_lag_seconds",
        "gauge",
        _about("scheduler_lag_s"),
        lambda s: s.lag_s,
    ),
    (
        "job_scheduler_lag_p99_seconds",
        "gauge",
        _about("scheduler_lag_p99_s"),
        lambda s: s.lag_p99(),
    ),
    (
        "job_failed_runs_in_a_row",
        "gauge",
        "Consecutive runs that ended in an error.",
        lambda s: s.failed_in_a_row,
    ),
    (
        "job_last_run_end_timestamp_seconds",
        "gauge",
        "When the last run ended (unix time).",
        lambda s: s.last_end or 0.0,
    ),
]

# (metric, kind, help, value of the whole agent; None: not known yet)
_AGENT: list[tuple[str, str, str, Callable[[Health], float | None]]] = [
    (
        "uptime_seconds",
        "gauge",
        _about("uptime_s"),
        lambda h: time.time() - h.started,
    ),
    (
        "process_resident_memory_bytes",
        "gauge",
        _about("rss_mb"),
        lambda h: h.gauges["rss_mb"] * 2**20 if "rss_mb" in h.gauges else None,
    ),
    (
        "process_cpu_seconds",
        "counter",
        _about("cpu_s"),
        lambda h: h.gauges.get("cpu_s"),
    ),
    (
        "spool_samples",
        "gauge",
        _about("spool_depth"),
        lambda h: h.spool.depth if h.spool else None,
    ),
    (
        "spool_oldest_sample_age_seconds",
        "gauge",
        _about("spool_oldest_s"),
        lambda h: h.spool.oldest_age_s if h.spool else None,
    ),
    (
        "spool_dropped_samples",
        "counter",
        _about("dropped_total"),
        lambda h: h.spool.dropped_total if h.spool else None,
    ),
    (
        "spool_dead_letters",
        "gauge",
        _about("dead_letters"),
        lambda h: h.spool.dead_letters if h.spool else None,
    ),
    (
        "storage_write_failures",
        "counter",
        "Spool writes that failed (disk full, I/O error).",
        lambda h: h.storage_failures,
    ),
    (
        "storage_lost_samples",
        "counter",
        "Samples that could not be stored.",
        lambda h: h.samples_lost,
    ),
    (
        "notify_failed_attempts",
        "counter",
        _about("notify_failures"),
        lambda h: h.gauges.get("notify_failures"),
    ),
]


# The SNMP poller's counters (netagent.collectors.snmp.counters.SnmpCounters), named snmp_<field>.
_SNMP_HELP = {
    "counter_resets": "Interface counters that went back and were taken as a reset.",
    "counter_wraps": "32-bit interface counters that wrapped.",
    "over_speed": "Rates above the interface's nominal speed (kept, flagged).",
    "request_splits": "Requests split after tooBig, genErr or noSuchName.",
    "columns_skipped": "Columns skipped because the device fails on them.",
    "late_answers": "Answers that came after the poller gave up on them.",
    "wrong_request_ids": "Answers with a request-id that was never sent.",
    "varbinds_served": "Variable bindings devices sent.",
    "varbinds_used": "Variable bindings that became a field.",
}


class HealthCollector(Collector):
    def __init__(self, health: Health, limits: Callable[[], HealthLimits]) -> None:
        self.health = health
        self.limits = limits

    def collect(self) -> Iterator[Metric]:
        h = self.health
        for name, kind, help_text, value in _JOB:
            family = _family(name, kind, help_text, ["job"])
            for job, stats in sorted(h.jobs.items()):
                family.add_metric([job], float(value(stats)))
            yield family
        for name, kind, help_text, of_agent in _AGENT:
            v = of_agent(h)
            if v is not None:
                family = _family(name, kind, help_text, [])
                family.add_metric([], float(v))
                yield family
        if h.spool is not None:
            dropped = _family(
                "spool_dropped_samples_by_measurement",
                "counter",
                "Samples dropped by the spool's size bound, per measurement (bulk first).",
                ["measurement"],
            )
            for measurement, n in sorted(h.spool.dropped_by_measurement.items()):
                dropped.add_metric([measurement], float(n))
            yield dropped
        for name, n in sorted(h.snmp.items()):
            family = _family(f"snmp_{name}", "counter", _SNMP_HELP.get(name, name), [])
            family.add_metric([], float(n))
            yield family
        healthy = _family("healthy", "gauge", "1 when /healthz answers 200, else 0.", [])
        healthy.add_metric([], 0.0 if h.reasons(self.limits()) else 1.0)
        yield healthy


def _family(
    name: str, kind: str, help_text: str, labels: list[str]
) -> CounterMetricFamily | GaugeMetricFamily:
    full = f"netagent_{name}"
    if kind == "counter":
        return CounterMetricFamily(full, help_text, labels=labels)
    return GaugeMetricFamily(full, help_text, labels=labels)


def metrics_text(health: Health, limits: Callable[[], HealthLimits]) -> bytes:
    """The /metrics page (Prometheus text format 0.0.4)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HealthCollector(health, limits))
    return generate_latest(registry)
