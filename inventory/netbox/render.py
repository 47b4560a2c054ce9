"""A plan as a person reads it: only the fields that change, names instead of ids, and
totals that add up to the lines above them (one line per planned change)."""

from __future__ import annotations

from collections.abc import Iterator

from netagent.inventory.netbox.plan import SyncPlan

MARK = {
    "create": "+",
    "update": "~",
    "orphan": "?",
    "delete": "-",
    "conflict": "!",
    "blocked": "!",
}


def plan_lines(p: SyncPlan) -> Iterator[str]:
    for c in p.changes:
        line = f"{MARK[c.action]} {c.action:<8} {c.kind:<15} {c.key}"
        if c.action == "update":
            line += ": " + ", ".join(
                f"{f}: {d['from']} → {d['to']}" for f, d in c.describe()["fields"].items()
            )
        if c.note:
            line += f"  ({c.note})"
        yield line
    for record, why in p.skipped:
        yield f"  skipped  {record}: {why}"
    for issue in p.issues:
        yield f"  issue    {issue}"
    totals = {a: len(p.of(a)) for a in MARK}
    yield "plan: " + ", ".join(f"{n} {a}" for a, n in totals.items()) + f" ({p.reads} reads)"
