"""What a probe round learns about one target, and its `icmp` sample.

Jitter is the mean absolute difference of successive RTTs (RFC 3550's idea, without
its smoothing): it is what a voice or video stream through the access point feels,
while a standard deviation would also count a steady offset.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from netagent.collectors.samples import FieldValue, Sample
from netagent.inventory.model import OUTSIDE

MEASUREMENT = "icmp"


@dataclass(frozen=True)
class IcmpTarget:
    """A host to ping; `tags` carry role, site and quartiere into the sample.

    Hashable by name and address, so callers may key dicts by target.
    """

    name: str
    address: str
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.address)
        except ValueError:
            raise ValueError(
                f"ICMP target {self.name!r}: address {self.address!r} is not an IPv4 or "
                "IPv6 address"
            ) from None


@dataclass(frozen=True)
class IcmpResult:
    """One target's round. `rtts_ms` holds the replies that came in time, in echo order."""

    target: IcmpTarget
    sent: int
    received: int
    rtts_ms: tuple[float, ...]
    duplicates: int = 0
    late: int = 0
    send_errors: int = 0
    up_threshold: int = 1

    @property
    def loss_pct(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 100.0

    @property
    def rtt_min_ms(self) -> float | None:
        return min(self.rtts_ms) if self.rtts_ms else None

    @property
    def rtt_avg_ms(self) -> float | None:
        return sum(self.rtts_ms) / len(self.rtts_ms) if self.rtts_ms else None

    @property
    def rtt_max_ms(self) -> float | None:
        return max(self.rtts_ms) if self.rtts_ms else None

    @property
    def jitter_ms(self) -> float | None:
        """None below two replies: one RTT says nothing about its variation."""
        r = self.rtts_ms
        if len(r) < 2:
            return None
        return sum(abs(b - a) for a, b in pairwise(r)) / (len(r) - 1)

    @property
    def up(self) -> bool:
        return self.received >= self.up_threshold

    def to_sample(self, time_ns: int) -> Sample:
        """The `icmp` point of CONTRACTS.md; RTT fields are absent when nothing answered."""
        t = self.target.tags
        tags = {"device": self.target.name, "quartiere": t.get("quartiere") or OUTSIDE}
        for key in ("role", "site"):
            if t.get(key):
                tags[key] = t[key]
        fields: dict[str, FieldValue] = {
            "loss_pct": self.loss_pct,
            "sent": self.sent,
            "received": self.received,
            "up": self.up,
        }
        for key, value in (
            ("rtt_min_ms", self.rtt_min_ms),
            ("rtt_avg_ms", self.rtt_avg_ms),
            ("rtt_max_ms", self.rtt_max_ms),
            ("jitter_ms", self.jitter_ms),
        ):
            if value is not None:
                fields[key] = value
        return Sample(MEASUREMENT, tags, fields, time_ns)
