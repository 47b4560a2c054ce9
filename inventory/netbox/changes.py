"""What a sync plans and what it did: the plan's changes and the apply's report.

One `Change` per object and action; the report counts each change once, done or failed,
however many requests it took, so the plan's totals and the report's add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netagent.inventory.netbox.kinds import show


@dataclass
class Change:
    kind: str
    key: str
    action: str  # create | update | orphan | delete | conflict | blocked
    id: int | None = None
    desired: dict[str, Any] = field(default_factory=dict)  # create: all; update: changed
    old: dict[str, Any] = field(default_factory=dict)  # update: NetBox's values before
    note: str = ""

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "key": self.key, "action": self.action}
        if self.id is not None:
            d["id"] = self.id
        if self.action == "update":
            d["fields"] = {}
            for f, v in self.desired.items():
                if isinstance(v, dict) and f == "custom_fields":
                    old = self.old.get(f) or {}
                    for k, x in v.items():
                        d["fields"][f"{f}.{k}"] = {"from": show(old.get(k)), "to": show(x)}
                else:
                    d["fields"][f] = {"from": show(self.old.get(f)), "to": show(v)}
        elif self.action == "create":
            d["fields"] = {f: show(v) for f, v in self.desired.items()}
        if self.note:
            d["note"] = self.note
        return d


@dataclass
class SyncPlan:
    changes: list[Change]
    index: dict[tuple[str, str], int]  # (kind, key) -> NetBox id, for objects that exist
    skipped: list[tuple[str, str]]  # inventory records NetBox can't hold, and why
    issues: list[str]
    reads: int
    made_at: float
    # Current tags of owned objects (slug, name): an orphan mark keeps them.
    tags_of: dict[tuple[str, str], frozenset[tuple[str, str]]] = field(default_factory=dict)
    # ip-addresses to unassign when orphaned (their device stays, with another IP).
    unassign: set[str] = field(default_factory=set)

    def of(self, action: str, kind: str | None = None) -> list[Change]:
        return [c for c in self.changes if c.action == action and (kind is None or c.kind == kind)]

    @property
    def writes_needed(self) -> bool:
        return any(c.action in ("create", "update", "orphan") for c in self.changes)

    def summary(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for c in self.changes:
            out.setdefault(c.kind, {}).setdefault(c.action, 0)
            out[c.kind][c.action] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "changes": [c.describe() for c in self.changes],
            "skipped": [{"record": r, "why": w} for r, w in self.skipped],
            "issues": self.issues,
            "reads": self.reads,
        }


@dataclass
class SyncReport:
    counts: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=dict
    )  # kind -> action -> done/failed
    errors: list[str] = field(default_factory=list)
    writes: int = 0
    chunks: int = 0  # write requests that went through
    slowest_chunk_s: float = 0.0  # the longest of them, answer included
    skipped_prune: int = 0  # deletions due but not done (no --prune)

    def count(self, kind: str, action: str, outcome: str, n: int = 1) -> None:
        c = self.counts.setdefault(kind, {}).setdefault(action, {"done": 0, "failed": 0})
        c[outcome] += n

    @property
    def failed(self) -> int:
        return sum(c["failed"] for a in self.counts.values() for c in a.values())

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts,
            "errors": self.errors,
            "writes": self.writes,
            "chunks": self.chunks,
            "slowest_chunk_s": round(self.slowest_chunk_s, 3),
            "deletions_waiting_for_prune": self.skipped_prune,
        }
