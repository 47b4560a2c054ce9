"""Lifetime counts of what the SNMP poller had to work around, for the agent's metrics.

One instance per `SnmpPoller` (`SnmpPoller.counters`), shared by its rate keeper, its
walker and its v2c socket, so /metrics reads one object; every field only grows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class SnmpCounters:
    counter_resets: int = 0  # counters re-seeded: reboot, cleared, discontinuity
    counter_wraps: int = 0  # 32-bit counters that wrapped (and the rate was plausible)
    over_speed: int = 0  # rates above the interface's nominal speed (kept, flagged)
    request_splits: int = 0  # requests made smaller after tooBig/genErr/noSuchName
    columns_skipped: int = 0  # columns left out because the agent fails on them
    late_answers: int = 0  # answers that came after the poller gave up on them
    wrong_request_ids: int = 0  # answers from a polled agent with a request-id never sent
    varbinds_served: int = 0  # varbinds the agents sent back
    varbinds_used: int = 0  # of those, inside the objects asked for

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
