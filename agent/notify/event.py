"""What one notification says: an incident firing or resolved, with what it cut off.

The event is frozen into JSON when the alert engine enqueues it, in the same transaction
that opens or resolves the incident, so a restart re-sends exactly the same words.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from netagent.agent.notify.config import Severity


@dataclass(frozen=True)
class Affected:
    device: str
    role: str
    quartiere: str


@dataclass(frozen=True)
class AlertEvent:
    incident: int
    status: str  # firing | resolved
    kind: str  # down | degraded | flapping
    severity: Severity
    device: str
    role: str
    site: str
    quartiere: str
    text: str
    root_cause: str
    started_at: float  # unix s
    ended_at: float | None = None
    affected: tuple[Affected, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        """Stable identity of this notification, for receivers that de-duplicate.

        Made of what the incident is (device, kind, the round it started in), not of the
        local incident number: two agents of an HA pair observe the same scheduled rounds
        and so send the same key for the same incident, and the receiver keeps one."""
        what = f"{self.device}\x00{self.kind}\x00{self.started_at:.3f}"
        digest = hashlib.sha256(what.encode("utf-8")).hexdigest()[:20]
        return f"netagent-{digest}-{self.status}"

    def roles(self) -> set[str]:
        return {self.role, *(a.role for a in self.affected)}

    def affected_quartieri(self) -> list[str]:
        return sorted({a.quartiere for a in self.affected})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertEvent:
        d = dict(data)
        d["severity"] = Severity(d["severity"])
        d["affected"] = tuple(Affected(**a) for a in d.get("affected", ()))
        return cls(**d)


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")
