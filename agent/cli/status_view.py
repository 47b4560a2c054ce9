"""Rendering device states per quartiere, shared by `run --once` and `status`."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from netagent.agent.cli import common
from netagent.agent.device_state import DeviceState, latest_states
from netagent.collectors.spool import Spool
from netagent.inventory.model import OUTSIDE, Inventory

_ORDER = ("up", "down", "unreachable", "degraded", "maintenance", "unknown")
# States that make `status` and `run --once` exit 1 (the README's exit-code table): a
# device in maintenance, or one nobody has probed yet (unknown), is not a problem.
PROBLEM_STATES = frozenset({"down", "unreachable", "degraded"})
_STYLE = {
    "up": "green",
    "down": "bold red",
    "unreachable": "red",
    "degraded": "yellow",
    "maintenance": "blue",
    "unknown": "dim",
}


def per_quartiere_table(states: Mapping[str, DeviceState], approximate: bool) -> Table:
    by_q: dict[str, list[DeviceState]] = defaultdict(list)
    for s in states.values():
        by_q[s.quartiere].append(s)
    seen = Counter(s.state for s in states.values())
    columns = [c for c in _ORDER if seen[c] or c in ("up", "down")]
    note = " (approximate boundaries)" if approximate else ""
    table = Table(title=f"Devices per quartiere{note}", title_justify="left")
    table.add_column("Quartiere", no_wrap=True)
    table.add_column("Devices", justify="right")
    for c in columns:
        table.add_column(c.capitalize(), justify="right", style=_STYLE[c])
    table.add_column("Not up (down unless said)", overflow="fold")
    for q in sorted(by_q, key=lambda n: (n == OUTSIDE, n)):
        rows = by_q[q]
        counts = Counter(s.state for s in rows)
        bad = sorted(
            s.device if s.state == "down" else f"{s.device} ({s.state})"
            for s in rows
            if s.state != "up"
        )
        table.add_row(q, str(len(rows)), *[str(counts[c] or "") for c in columns], ", ".join(bad))
    table.add_section()
    table.add_row("All", str(len(states)), *[str(seen[c]) for c in columns], "")
    return table


def summary(states: Mapping[str, DeviceState]) -> str:
    counts = Counter(s.state for s in states.values())
    parts = ", ".join(f"{counts[c]} {c}" for c in _ORDER if counts[c])
    return f"{len(states)} devices: {parts}"


def as_json(states: Mapping[str, DeviceState]) -> dict[str, Any]:
    counts = Counter(s.state for s in states.values())
    by_q: dict[str, Counter[str]] = defaultdict(Counter)
    for s in states.values():
        by_q[s.quartiere][s.state] += 1
    return {
        "totals": dict(counts),
        "quartieri": {q: dict(c) for q, c in sorted(by_q.items())},
        "devices": [s.to_dict() for s in sorted(states.values(), key=lambda s: s.device)],
    }


def print_states(
    spool: Spool, inv: Inventory, json_out: bool, extra: Mapping[str, Any] | None = None
) -> common.ExitCode:
    """The latest state of every device: JSON (plus `extra`) on request, else the
    per-quartiere table; returns the exit code they deserve (1: some device is not up)."""
    states = latest_states(spool, inv)
    if json_out:
        common.print_json({**as_json(states), **(extra or {})})
    else:
        common.out.print(per_quartiere_table(states, any(q.approximate for q in inv.quartieri)))
        common.out.print(summary(states))
    bad = any(s.state in PROBLEM_STATES for s in states.values())
    return common.ExitCode.PROBLEMS if bad else common.ExitCode.OK
