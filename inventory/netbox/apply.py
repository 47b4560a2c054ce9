"""Apply a plan in dependency order, in bulk requests, one bad object never stopping the rest.

NetBox's bulk POST/PATCH is all-or-nothing: on a 400 the good items are resent without
the bad ones (NetBox says which, item by item; without that the batch is halved).
Fields that point at objects created later (a device's primary IP) are written in a
second pass, once those exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from inventory.netbox.client import NetBoxClient, NetBoxRequestError
from inventory.netbox.config import NetBoxConfig
from inventory.netbox.kinds import KINDS, ORDER, Ref, encode, refs_in, same
from inventory.netbox.mapping import CF_ORPHANED
from inventory.netbox.plan import Change, SyncPlan

log = logging.getLogger(__name__)

Item = tuple[Change, dict[str, Any]]


@dataclass
class SyncReport:
    counts: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=dict
    )  # kind -> action -> done/failed
    errors: list[str] = field(default_factory=list)
    writes: int = 0
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
            "deletions_waiting_for_prune": self.skipped_prune,
        }


def _item_errors(body: Any, n: int) -> list[Any] | None:
    """NetBox's per-item errors of a refused bulk request, if it gave them."""
    if isinstance(body, list) and len(body) == n:
        return body
    return None


def _describe_error(change: Change, err: Any) -> str:
    if isinstance(err, dict):
        parts = [
            f"{f}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for f, v in err.items()
        ]
        return f"{change.kind} {change.key!r}: " + ", ".join(parts)
    return f"{change.kind} {change.key!r}: {err}"


def _waves(creates: list[Change]) -> list[tuple[str, list[Change]]]:
    """Creates in waves, so a region's parent exists before the region is sent."""
    waves: list[tuple[str, list[Change]]] = []
    pending = list(creates)
    while pending:
        keys = {(c.kind, c.key) for c in pending}
        wave = [
            c
            for c in pending
            if not any(
                (r.kind, r.key) in keys and r.key != c.key
                for v in c.desired.values()
                for r in refs_in(v)
            )
        ] or pending  # a cycle: send all, _ready reports what can't resolve
        waves.append(("create", wave))
        pending = [c for c in pending if c not in wave]
    return waves


class _Applier:
    def __init__(self, plan: SyncPlan, client: NetBoxClient, report: SyncReport) -> None:
        self.client, self.report = client, report
        self.index = dict(plan.index)
        self.failed: set[tuple[str, str]] = set()
        self.batch = client.config.batch_size

    def ids(self, r: Ref) -> int:
        return self.index[(r.kind, r.key)]

    def _send(
        self,
        kind: str,
        action: str,
        items: list[Item],
        call: Callable[[str, list[dict[str, Any]]], list[dict[str, Any]]] | None,
    ) -> list[tuple[Item, Any]]:
        """Send in batches; returns (item, NetBox's answer) for the ones that went through."""
        done: list[tuple[Item, Any]] = []
        pending = [items[i : i + self.batch] for i in range(0, len(items), self.batch)]
        while pending:
            batch = pending.pop()
            try:
                if call is None:
                    self.client.delete(kind, [c.id for c, _ in batch if c.id is not None])
                    answers: list[Any] = [None] * len(batch)
                else:
                    answers = call(kind, [p for _, p in batch])
                self.report.writes += 1
                log.info("netbox %s %s: %d in one request", action, kind, len(batch))
            except NetBoxRequestError as e:
                self.report.writes += 1
                per_item = _item_errors(e.body, len(batch)) if e.status == 400 else None
                if per_item:  # NetBox named the bad items: resend the good ones
                    for it, err in zip(batch, per_item, strict=True):
                        if err:
                            self._fail(it[0], action, _describe_error(it[0], err))
                    good = [it for it, err in zip(batch, per_item, strict=True) if not err]
                    if good:
                        pending.append(good)
                elif e.status in (400, 404, 409) and len(batch) > 1:
                    half = len(batch) // 2
                    pending += [batch[:half], batch[half:]]
                else:
                    for it in batch:
                        msg = _describe_error(it[0], e.body) + f" (HTTP {e.status})"
                        self._fail(it[0], action, msg)
                continue
            for it, ans in zip(batch, answers, strict=True):
                done.append((it, ans))
        for (c, payload), ans in done:
            lost = self._not_stored(payload, ans)
            if lost:
                self._fail(
                    c,
                    action,
                    f"{c.kind} {c.key!r}: NetBox did not store custom fields {lost} "
                    "(custom field missing for this object type?)",
                )
            else:
                self.report.count(kind, action, "done")
        return done

    @staticmethod
    def _not_stored(payload: dict[str, Any], answer: Any) -> list[str]:
        """NetBox ignores unknown custom fields with a 200: check what it kept."""
        sent = payload.get("custom_fields")
        if not sent or not isinstance(answer, dict):
            return []
        kept = answer.get("custom_fields") or {}
        return sorted(
            k for k, v in sent.items() if v is not None and not same(v, kept.get(k), lambda r: None)
        )

    def _fail(self, c: Change, action: str, msg: str) -> None:
        self.failed.add((c.kind, c.key))
        self.report.count(c.kind, action, "failed")
        self.report.errors.append(msg)
        log.warning("netbox %s failed: %s", action, msg)

    def _ready(
        self, c: Change, fields: dict[str, Any], action: str, defer: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Split fields into now/later (refs to later kinds).

        None if a ref can't resolve (its target failed).
        """
        now: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for f, v in fields.items():
            refs = refs_in(v)
            if defer and any(ORDER[r.kind] > ORDER[c.kind] for r in refs):
                later[f] = v
                continue
            missing = [r for r in refs if (r.kind, r.key) not in self.index]
            if missing:
                self._fail(
                    c,
                    action,
                    f"{c.kind} {c.key!r}: {missing[0].kind} {missing[0].key!r} was not written",
                )
                return None
            now[f] = encode(v, self.ids)
        return now, later

    def run(self, plan: SyncPlan, prune: bool) -> None:
        deferred: list[tuple[Change, dict[str, Any]]] = []
        stamp = datetime.fromtimestamp(plan.made_at, UTC).isoformat(timespec="seconds")
        for kind in KINDS:
            steps = [
                *_waves(plan.of("create", kind.name)),
                ("update", plan.of("update", kind.name)),
            ]
            for action, changes in steps:
                items: list[Item] = []
                for c in changes:
                    split = self._ready(c, c.desired, action)
                    if split is None:
                        continue
                    now, later = split
                    if later:
                        deferred.append((c, later))
                    if now:
                        items.append((c, {**now, "id": c.id} if action == "update" else now))
                    elif action == "update":
                        self.report.count(kind.name, action, "done")
                call = self.client.create if action == "create" else self.client.update
                for (c, _), ans in self._send(kind.name, action, items, call):
                    if action == "create":
                        self.index[(c.kind, c.key)] = ans["id"]
            marks = [
                (c, {"id": c.id, "custom_fields": {CF_ORPHANED: stamp}})
                for c in plan.of("orphan", kind.name)
            ]
            self._send(kind.name, "orphan", marks, self.client.update)
        # Second pass: fields pointing forward (primary_ip4 -> ip-addresses).
        by_kind: dict[str, list[Item]] = {}
        for c, later in deferred:
            if (c.kind, c.key) in self.failed or (c.kind, c.key) not in self.index:
                continue
            split = self._ready(c, later, "link", defer=False)
            if split is not None:
                by_kind.setdefault(c.kind, []).append(
                    (c, {**split[0], "id": self.index[(c.kind, c.key)]})
                )
        for kind_name, items in by_kind.items():
            self._send(kind_name, "link", items, self.client.update)
        deletes = plan.of("delete")
        if not prune:
            self.report.skipped_prune = len(deletes)
            return
        for kind in reversed(KINDS):
            self._send(kind.name, "delete", [(c, {}) for c in deletes if c.kind == kind.name], None)


def apply(
    plan: SyncPlan, config: NetBoxConfig, prune: bool = False, client: NetBoxClient | None = None
) -> SyncReport:
    """Write the plan to NetBox; deletions only with prune. 401/403 raise NetBoxAuthError."""
    report = SyncReport()
    for c in plan.changes:
        if c.action in ("conflict", "blocked"):
            report.count(c.kind, c.action, "failed")
            report.errors.append(f"{c.kind} {c.key!r}: {c.action}: {c.note}")
    _Applier(plan, client or NetBoxClient(config), report).run(plan, prune)
    return report
