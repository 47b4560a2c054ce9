"""What the spool hands out: its `[spool]` config section and the values it returns."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from collectors.samples import Sample

# (id, series key, field set, time_ns): one stored line waiting for delivery.
PendingLine = tuple[int, str, str, int]


class SpoolConfig(BaseModel):
    """The `[spool]` config section: bounds of the local store and delivery batching."""

    model_config = ConfigDict(extra="forbid")

    max_samples: int = Field(
        default=2_000_000,
        gt=0,
        description="Most samples kept waiting (or kept as local history). When full, the "
        "oldest are dropped, counted (agent.dropped_total) and logged.",
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
    max_batch_age_s: float = Field(
        default=5.0,
        gt=0,
        description="A partial batch is sent once its oldest sample waited this long.",
    )
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


@dataclass(frozen=True)
class SpoolStats:
    depth: int  # samples waiting (or held as local history)
    oldest_age_s: float  # age of the oldest of them, 0 when empty
    dropped_total: int  # dropped by the size bound since the spool was created
    dead_letters: int  # lines InfluxDB refused for good, kept aside

    def to_sample(self, job: str = "spool") -> Sample:
        """The spool's own health as an `agent` point, written like any other sample."""
        return Sample(
            "agent",
            {"job": job},
            {
                "spool_depth": self.depth,
                "spool_oldest_s": float(self.oldest_age_s),
                "dropped_total": self.dropped_total,
                "dead_letters": self.dead_letters,
            },
        )


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
