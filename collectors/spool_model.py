"""What the spool hands out: its `[spool]` config section and the values it returns."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

log = logging.getLogger(__name__)

# (id, series key, field set, time_ns): one stored line waiting for delivery.
PendingLine = tuple[int, str, str, int]


class SpoolConfig(BaseModel):
    """The `[spool]` config section: bounds of the local store and delivery batching."""

    model_config = ConfigDict(extra="forbid")

    max_samples: int = Field(
        default=2_000_000,
        gt=0,
        description="Most samples kept waiting (or kept as local history). When full, the "
        "oldest samples of the other measurements are dropped first, those of `priority` "
        "only when nothing else is left; drops are counted per measurement and logged.",
    )
    priority: list[str] = Field(
        default=["icmp", "device_status", "snmp_system", "agent", "alert", "coverage"],
        description="Measurements a full spool keeps while it can drop anything else: the "
        "status an operator reads after an outage, a few points per device and round.",
    )
    retention_s: float = Field(
        default=7 * 86400,
        gt=0,
        description="Local history kept when no InfluxDB is configured, seconds. Never "
        "applied to samples waiting for InfluxDB.",
    )
    latest_for: list[str] = Field(
        default=["icmp", "snmp_system", "device_status", "agent", "coverage"],
        description="Measurements whose newest point per series is kept locally, whatever "
        "was delivered: what `netagent status`, alerts and live coverage read. The bulk "
        "(interface, wifi, radio_link) is left out: keeping it costs every put().",
    )
    batch_size: int = Field(default=5000, gt=0, description="Lines per write request.")
    in_flight: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Write requests on the wire at once (the server "
        "parses one while the next travels).",
    )
    retry_initial_s: float = Field(
        default=1.0, gt=0, description="First back-off after a failed write."
    )
    retry_max_s: float = Field(
        default=120.0,
        gt=0,
        description="Longest back-off; also the pace of retries while InfluxDB "
        "refuses the credentials.",
    )

    @model_validator(mode="before")
    @classmethod
    def _retired_keys(cls, data: Any) -> Any:
        """`max_batch_age_s` (0.1.0) paced a delivery loop the daemon never ran: accepted,
        said to be unused, so a 0.1.0 config file still loads."""
        if isinstance(data, dict) and "max_batch_age_s" in data:
            log.warning(
                "[spool] max_batch_age_s is no longer used: samples leave at every run of "
                "the flush job ([jobs.flush] interval_s); remove the key"
            )
            data = {k: v for k, v in data.items() if k != "max_batch_age_s"}
        return data


@dataclass(frozen=True)
class SpoolStats:
    depth: int  # samples waiting (or held as local history)
    oldest_age_s: float  # age of the oldest of them, 0 when empty
    dropped_total: int  # dropped by the size bound since the spool was created
    dead_letters: int  # lines InfluxDB refused for good, kept aside
    # dropped_total per measurement (counted since this netagent version: an older spool's
    # earlier drops are only in the total)
    dropped_by_measurement: dict[str, int]


@dataclass(frozen=True)
class Batch:
    first_id: int
    last_id: int
    count: int
    oldest_ns: int  # timestamp of its oldest sample
    body: str  # newline-separated lines, timestamps already in the writer's precision


@dataclass(frozen=True)
class DeadLetter:
    line: str
    reason: str
    failed_at_ns: int
