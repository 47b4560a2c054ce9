"""The `[icmp]` config section: how hard and how long the prober probes."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class IcmpConfig(BaseModel):
    """Defaults suit the daemon's 30 s cycle over a few thousand targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(default=3, ge=1, le=100, description="Echo requests per target per round.")
    interval_ms: float = Field(
        default=500.0, ge=0, description="Spacing between successive echoes to one target (ms)."
    )
    timeout_ms: float = Field(
        default=1000.0,
        gt=0,
        description="How long after sending an echo its reply still counts (ms); a reply "
        "arriving later in the round is counted as late, not received.",
    )
    rate_pps: float = Field(
        default=1000.0,
        ge=0,
        description="Echo requests per second over all targets (0: as fast as the socket "
        "takes them). 1000 is fping's fastest pacing (-i 1).",
    )
    max_rate_pps: float = Field(
        default=5000.0,
        ge=0,
        description="When a round's echoes cannot fit its job's interval at rate_pps, the "
        "rate is raised up to this; past it the echoes per target are reduced (never below "
        "up_threshold), with a warning. 0: never raise the rate.",
    )
    up_threshold: int = Field(
        default=1, ge=1, description="Replies needed in a round for the target to count as up."
    )
    payload_bytes: int = Field(
        default=56,
        ge=8,
        le=1400,
        description="ICMP payload size (bytes, as ping -s); the first 8 carry the match token.",
    )
    recv_buffer_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=65536,
        description="Socket receive buffer, so a burst of thousands of replies is never "
        "dropped by the kernel before the event loop reads it.",
    )

    @model_validator(mode="after")
    def _threshold_reachable(self) -> Self:
        if self.up_threshold > self.count:
            raise ValueError(
                f"up_threshold ({self.up_threshold}) is more than count ({self.count}): "
                "no target could ever be up"
            )
        return self
