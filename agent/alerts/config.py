"""The `[alerts]` config section: hysteresis, flapping and maintenance windows."""

from __future__ import annotations

from datetime import datetime

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, model_validator


class MaintenanceWindow(BaseModel):
    """A time when some devices are worked on: alerts for them are recorded, not sent.

    Either a fixed `start`/`end`, or a recurring `cron` (5 fields, crontab syntax) with a
    `duration_s`. What it covers: any device matching one of `devices`, `roles`, `sites`,
    `quartieri` (all empty: the whole network).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", description="Shown in `netagent alerts` and logs.")
    devices: list[str] = Field(default_factory=list, description="Device names covered.")
    roles: list[str] = Field(default_factory=list, description="Roles covered (wifi-ap…).")
    sites: list[str] = Field(default_factory=list, description="Site names covered.")
    quartieri: list[str] = Field(default_factory=list, description="Quartieri covered.")
    start: datetime | None = Field(
        default=None,
        description="Start of a one-off window (ISO 8601, with offset; a naive time is UTC).",
    )
    end: datetime | None = Field(default=None, description="End of a one-off window.")
    cron: str | None = Field(
        default=None, description="Recurring start, crontab syntax ('0 2 * * 0': Sundays 02:00)."
    )
    duration_s: float | None = Field(
        default=None, gt=0, description="Length of each recurring window."
    )
    timezone: str = Field(default="Europe/Rome", description="Time zone of `cron`.")

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceWindow:
        fixed = self.start is not None or self.end is not None
        recurring = self.cron is not None or self.duration_s is not None
        if fixed == recurring:
            raise ValueError(
                f"maintenance window {self.name!r}: give either start and end, "
                "or cron and duration_s"
            )
        if fixed and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError(f"maintenance window {self.name!r}: needs start < end")
        if recurring:
            if self.cron is None or self.duration_s is None:
                raise ValueError(f"maintenance window {self.name!r}: cron needs duration_s")
            try:
                self.trigger()
            except (ValueError, LookupError) as e:  # LookupError: unknown time zone
                raise ValueError(
                    f"maintenance window {self.name!r}: bad cron {self.cron!r} "
                    f"or timezone {self.timezone!r}: {e}"
                ) from e
        return self

    def trigger(self) -> CronTrigger:
        assert self.cron is not None
        return CronTrigger.from_crontab(self.cron, timezone=self.timezone)


class AlertsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    down_after: int = Field(
        default=3, ge=1, description="Failed rounds (no ICMP echo) before DOWN."
    )
    up_after: int = Field(
        default=2, ge=1, description="Good rounds before a down device is UP again."
    )
    degraded_after: int = Field(
        default=3, ge=1, description="Rounds with ICMP answering but SNMP failing before DEGRADED."
    )
    flap_changes: int = Field(
        default=6,
        ge=2,
        description="More than this many changes of a "
        "device's round result within flap_window_s: flapping.",
    )
    flap_window_s: float = Field(default=600.0, gt=0, description="Window for counting flaps.")
    maintenance: list[MaintenanceWindow] = Field(
        default_factory=list, description="Maintenance windows."
    )
    maintenance_statuses: list[str] = Field(
        default_factory=lambda: [
            "planned",
            "staged",
            "offline",
            "inventory",
            "decommissioning",
            "failed",
        ],
        description="Device statuses (NetBox's) that mean 'not in service: do not notify'.",
    )
    recent_days: float = Field(default=30.0, gt=0, description="Resolved incidents kept this long.")
