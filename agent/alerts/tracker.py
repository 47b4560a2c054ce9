"""The per-device state machine: hysteresis on the way down and up, and flap detection.

Counters count rounds in which the device was actually probed; a round in which it was
unreachable behind a down uplink is not stepped at all, so such rounds neither bring it
closer to DOWN nor to UP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from netagent.agent.alerts.config import AlertsConfig


class State(StrEnum):
    UNKNOWN = "unknown"
    UP = "up"
    DEGRADED = "degraded"
    DOWN = "down"
    # Only as shown, never as a tracker's own state:
    UNREACHABLE = "unreachable"
    MAINTENANCE = "maintenance"


class Health(StrEnum):
    """One round's verdict: OK, DEGRADED (echo answered, SNMP did not), FAIL (no echo)."""

    OK = "ok"
    DEGRADED = "degraded"
    FAIL = "fail"


@dataclass
class Step:
    new_state: State | None = None  # set when the state changed
    flapping: bool | None = None  # True: started flapping, False: stopped


@dataclass
class Tracker:
    device: str
    state: State = State.UNKNOWN
    since: float = 0.0
    fails: int = 0  # consecutive rounds without echo
    answers: int = 0  # consecutive rounds with echo
    oks: int = 0  # consecutive fully good rounds
    degraded: int = 0  # consecutive rounds with echo but no SNMP
    last: Health | None = None
    flips: list[float] = field(default_factory=list)
    flapping: bool = False

    def step(self, h: Health, now: float, cfg: AlertsConfig, hold_down: bool = False) -> Step:
        """Count one probed round; `hold_down`: an uplink is failing too, do not go DOWN yet."""
        out = Step()
        fail = h is Health.FAIL
        # Capped: past every threshold more rounds mean nothing, and a steady device's
        # row then stays unchanged (not rewritten every round).
        cap = max(cfg.down_after, cfg.up_after, cfg.degraded_after)
        self.fails = min(self.fails + 1, cap) if fail else 0
        self.answers = 0 if fail else min(self.answers + 1, cap)
        self.oks = min(self.oks + 1, cap) if h is Health.OK else 0
        self.degraded = min(self.degraded + 1, cap) if h is Health.DEGRADED else 0
        if self.last is not None and h is not self.last:
            self.flips.append(now)
        self.last = h
        self.flips = [t for t in self.flips if t > now - cfg.flap_window_s]
        if not self.flapping and len(self.flips) > cfg.flap_changes:
            self.flapping = out.flapping = True
        elif self.flapping and len(self.flips) <= cfg.flap_changes // 2:
            self.flapping, out.flapping = False, False

        new: State | None = None
        if fail:
            if self.state is not State.DOWN and self.fails >= cfg.down_after and not hold_down:
                new = State.DOWN
        elif self.state is State.DOWN:
            if self.answers >= cfg.up_after:
                new = State.UP
        elif self.state is State.UNKNOWN:
            new = State.UP
        elif self.state is State.UP and self.degraded >= cfg.degraded_after:
            new = State.DEGRADED
        elif self.state is State.DEGRADED and self.oks >= cfg.up_after:
            new = State.UP
        if new is not None:
            self.state, self.since, out.new_state = new, now, new
        return out

    def to_json(self) -> dict[str, Any]:
        # By hand: dataclasses.asdict deep-copies and costs 20x more, every device, every round.
        return {
            "device": self.device,
            "state": self.state.value,
            "since": self.since,
            "fails": self.fails,
            "answers": self.answers,
            "oks": self.oks,
            "degraded": self.degraded,
            "last": self.last.value if self.last else None,
            "flips": list(self.flips),
            "flapping": self.flapping,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Tracker:
        d = dict(d)
        d["state"] = State(d["state"])
        d["last"] = Health(d["last"]) if d.get("last") else None
        return cls(**d)
