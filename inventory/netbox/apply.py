"""Apply a plan in dependency order, in bulk chunks, one bad object never stopping the rest.

- Chunks: `config.chunk_size()` objects per request, so one request stays well inside the
  proxy's timeout on a slow NetBox (each bulk request is one transaction there).
- A refused chunk (400): NetBox's bulk POST/PATCH is all-or-nothing; the good items are
  resent without the bad ones (NetBox says which, item by item; without that the chunk is
  halved). "Already exists" is read back: ours (by key and tag) is success.
- A chunk whose outcome is unknown (timeout, 5xx, connection lost): NetBox may have
  written it anyway. What exists is read back and only what is missing is resent, after
  a back-off; `retries` times, then the sync stops (a rerun continues).
- Fields pointing at objects created later (a device's primary IP, its uplink) go in a
  second pass; orphans are marked last, once primary IPs have moved.
Each planned change is counted once, done or failed, whatever number of requests it took.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from netagent.inventory.netbox.changes import Change, SyncPlan, SyncReport
from netagent.inventory.netbox.client import (
    NetBoxClient,
    NetBoxError,
    NetBoxRequestError,
    NetBoxUnsure,
)
from netagent.inventory.netbox.config import NetBoxConfig
from netagent.inventory.netbox.kinds import KIND, KINDS, ORDER, Ref, encode, refs_in, same
from netagent.inventory.netbox.plan import tag_slugs
from netagent.inventory.netbox.shared import ALIAS_SECTION
from netagent.inventory.netbox.tables import CF_ORPHANED

log = logging.getLogger(__name__)

Item = tuple[Change, dict[str, Any]]
Progress = Callable[[str, int, int], None]  # (what, done, total)


def _item_errors(body: Any, n: int) -> list[Any] | None:
    """NetBox's per-item errors of a refused bulk request, if it gave them."""
    if isinstance(body, list) and len(body) == n:
        return body
    return None


def _exists_error(err: Any) -> bool:
    return "already exists" in str(err)


def _describe_error(change: Change, err: Any) -> str:
    if isinstance(err, dict):
        parts = [
            f"{f}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for f, v in err.items()
        ]
        text = f"{change.kind} {change.key!r}: " + ", ".join(parts)
    else:
        text = f"{change.kind} {change.key!r}: {err}"
    if KIND[change.kind].shared and _exists_error(err):
        section = ALIAS_SECTION.get(change.kind, change.kind.replace("-", "_"))
        text += (
            f" — NetBox holds it under another name: set [netbox.aliases.{section}] "
            f"{change.key.rsplit('/', 1)[-1]!r} = '<its name or slug in NetBox>'"
        )
    return text


def _waves(creates: list[Change]) -> list[list[Change]]:
    """Creates in waves, so a region's parent exists before the region is sent."""
    waves: list[list[Change]] = []
    pending = list(creates)
    while pending:
        keys = {(c.kind, c.key) for c in pending}
        wave = [
            c
            for c in pending
            if not any(
                (r.kind, r.key) in keys and r.key != c.key
                for f, v in c.desired.items()
                if f != "custom_fields"  # same-kind refs there go in the second pass
                for r in refs_in(v)
            )
        ] or pending  # a cycle: send all, _ready reports what can't resolve
        waves.append(wave)
        pending = [c for c in pending if c not in wave]
    return waves


class _Applier:
    def __init__(
        self, plan: SyncPlan, client: NetBoxClient, report: SyncReport, progress: Progress | None
    ) -> None:
        self.client, self.report, self.plan = client, report, plan
        self.config = client.config
        self.index = dict(plan.index)
        self.failed: dict[tuple[str, str, str], str] = {}
        self.chunk = client.config.chunk_size()
        self.progress = progress
        self.done_items: dict[str, int] = {}
        self.totals: dict[str, int] = {}

    def ids(self, r: Ref) -> int:
        return self.index[(r.kind, r.key)]

    # --- sending ---------------------------------------------------------------------
    def _request(self, kind: str, action: str, batch: list[Item]) -> list[Any]:
        t0 = time.perf_counter()
        if action == "delete":
            self.client.delete(kind, [c.id for c, _ in batch if c.id is not None])
            answers: list[Any] = [None] * len(batch)
        elif action == "create":
            answers = self.client.create(kind, [p for _, p in batch])
        else:
            answers = self.client.update(kind, [p for _, p in batch])
        self.report.chunks += 1
        self.report.slowest_chunk_s = max(self.report.slowest_chunk_s, time.perf_counter() - t0)
        log.info("netbox %s %s: %d in one request", action, kind, len(batch))
        return answers

    def _read_back(self, kind: str, action: str, batch: list[Item]) -> dict[int, Any]:
        """What NetBox holds of a batch whose outcome is unknown: position -> object."""
        k = KIND[kind]
        if action == "create":
            tagged = k.taggable and not k.shared
            objs = self.client.read(kind, tag=self.config.tag) if tagged else self.client.read(kind)
            by_key = {k.key(o): o for o in objs}
            by_slug = {o.get("slug"): o for o in objs if o.get("slug")}
            out = {}
            for i, (c, payload) in enumerate(batch):
                o = by_slug.get(payload["slug"]) if "slug" in payload else by_key.get(c.key)
                if o is not None and (not tagged or self.config.tag in tag_slugs(o)):
                    out[i] = o
            return out
        ids = [c.id for c, _ in batch if c.id is not None]
        there = {o["id"]: o for o in self.client.read(kind, id=ids)} if ids else {}
        if action == "delete":  # gone is done
            return {i: None for i, (c, _) in enumerate(batch) if c.id not in there}
        return {}  # a PATCH is idempotent: resend it whole

    def _send(self, kind: str, action: str, items: list[Item]) -> list[tuple[Item, Any]]:
        """Send in chunks; returns (item, NetBox's answer) for the ones that went through."""
        done: list[tuple[Item, Any]] = []
        what = f"{action} {kind}"
        self.totals[what] = len(items)
        pending = [items[i : i + self.chunk] for i in range(0, len(items), self.chunk)]
        pending.reverse()
        unsure = 0
        while pending:
            batch = pending.pop()
            try:
                answers = self._request(kind, action, batch)
                self.report.writes += 1
            except NetBoxUnsure as e:
                self.report.writes += 1
                unsure += 1
                if unsure > self.config.retries:
                    raise NetBoxError(
                        f"{e}; still no answer after {self.config.retries} retries: stopped "
                        "(what was written stays, a rerun continues)"
                    ) from None
                time.sleep(self.config.backoff_s * 2 ** (unsure - 1))
                there = self._read_back(kind, action, batch)
                log.warning(
                    "netbox %s: %s; %d of %d already there, resending the rest",
                    what,
                    e,
                    len(there),
                    len(batch),
                )
                done += [(batch[i], o) for i, o in there.items()]
                rest = [it for i, it in enumerate(batch) if i not in there]
                if rest:
                    pending.append(rest)
                continue
            except NetBoxRequestError as e:
                self.report.writes += 1
                self._refused(kind, action, batch, e, pending, done)
                continue
            done += list(zip(batch, answers, strict=True))
            self._tick(what, len(batch))
        out = []
        for (c, payload), ans in done:
            lost = self._not_stored(payload, ans)
            if lost:
                self._fail(
                    c,
                    f"{c.kind} {c.key!r}: NetBox did not store custom fields {lost} "
                    "(custom field missing for this object type?)",
                )
            else:
                out.append(((c, payload), ans))
        return out

    def _refused(
        self,
        kind: str,
        action: str,
        batch: list[Item],
        e: NetBoxRequestError,
        pending: list[list[Item]],
        done: list[tuple[Item, Any]],
    ) -> None:
        per_item = _item_errors(e.body, len(batch)) if e.status == 400 else None
        if per_item is None and e.status == 400 and len(batch) == 1 and isinstance(e.body, dict):
            per_item = [e.body]
        if per_item:  # NetBox named the bad items: resend the good ones
            exists = {i for i, err in enumerate(per_item) if err and _exists_error(err)}
            there = (
                self._read_back(kind, action, [batch[i] for i in sorted(exists)])
                if (exists and action == "create")
                else {}
            )
            ours = {sorted(exists)[j]: o for j, o in there.items()}
            done += [(batch[i], o) for i, o in ours.items()]
            for i, (it, err) in enumerate(zip(batch, per_item, strict=True)):
                if err and i not in ours:
                    self._fail(it[0], _describe_error(it[0], err))
            good = [it for it, err in zip(batch, per_item, strict=True) if not err]
            if good:
                pending.append(good)
        elif e.status in (400, 404, 409) and len(batch) > 1:
            half = len(batch) // 2
            pending += [batch[:half], batch[half:]]
        else:
            for it in batch:
                self._fail(it[0], _describe_error(it[0], e.body) + f" (HTTP {e.status})")

    def _tick(self, what: str, n: int) -> None:
        self.done_items[what] = self.done_items.get(what, 0) + n
        if self.progress is not None:
            self.progress(what, self.done_items[what], self.totals[what])

    @staticmethod
    def _not_stored(payload: dict[str, Any], answer: Any) -> list[str]:
        """NetBox ignores unknown custom fields with a 200: check what it kept."""
        sent = payload.get("custom_fields")
        if not sent or not isinstance(answer, dict):
            return []
        kept = answer.get("custom_fields") or {}
        return sorted(
            k
            for k, v in sent.items()
            if v is not None
            and not same(v, kept.get(k), lambda r: None)
            and not (isinstance(v, int) and isinstance(kept.get(k), dict))  # an object link
        )

    def _fail(self, c: Change, msg: str) -> None:
        self.failed[(c.kind, c.key, c.action)] = msg
        self.report.errors.append(msg)
        log.warning("netbox %s failed: %s", c.action, msg)

    # --- preparing -------------------------------------------------------------------
    def _ready(
        self, c: Change, fields: dict[str, Any], defer: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Split fields into now/later (refs to objects not written yet).

        None if a ref can't resolve (its target failed).
        """
        now: dict[str, Any] = {}
        later: dict[str, Any] = {}

        def forward(r: Ref) -> bool:
            return ORDER[r.kind] > ORDER[c.kind] or (
                r.kind == c.kind and r.key != c.key and (r.kind, r.key) not in self.index
            )

        for f, v in fields.items():
            if defer and isinstance(v, dict) and f == "custom_fields":
                late = {k: x for k, x in v.items() if any(forward(r) for r in refs_in(x))}
                if late:
                    later[f] = late
                    v = {k: x for k, x in v.items() if k not in late}
            elif defer and any(forward(r) for r in refs_in(v)):
                later[f] = v
                continue
            missing = [r for r in refs_in(v) if (r.kind, r.key) not in self.index]
            if missing:
                self._fail(
                    c,
                    f"{c.kind} {c.key!r}: {missing[0].kind} {missing[0].key!r} was not written",
                )
                return None
            now[f] = encode(v, self.ids)
        return now, later

    def _write(self, kind: str, action: str, changes: list[Change], deferred: list[Item]) -> None:
        items: list[Item] = []
        for c in changes:
            split = self._ready(c, c.desired)
            if split is None:
                continue
            now, later = split
            if later:
                deferred.append((c, later))
            if now or action == "create":
                items.append((c, {**now, "id": c.id} if action == "update" else now))
        for (c, _), ans in self._send(kind, action, items):
            if action == "create":
                self.index[(c.kind, c.key)] = ans["id"]

    def _adopt_ports(self, creates: list[Change], deferred: list[Item]) -> list[Change]:
        """NetBox gave each new device the ports of its type's templates (untagged): those
        are taken over (PATCH: tag and fields) instead of created; the rest is returned."""
        new = sorted(
            self.index[("devices", c.key)]
            for c in self.plan.of("create", "devices")
            if ("devices", c.key) in self.index
        )
        found: dict[str, int] = {}
        for i in range(0, len(new), self.config.lookup_chunk):
            for o in self.client.read(
                "interfaces", device_id=new[i : i + self.config.lookup_chunk]
            ):
                found[KIND["interfaces"].key(o)] = o["id"]
        items: list[Item] = []
        for c in creates:
            if c.key not in found:
                continue
            split = self._ready(c, c.desired)
            if split is not None:
                if split[1]:
                    deferred.append((c, split[1]))
                items.append((c, {**split[0], "id": found[c.key]}))
        for (c, _), ans in self._send("interfaces", "update", items):
            self.index[(c.kind, c.key)] = ans["id"]
        return [c for c in creates if c.key not in found]

    def _orphans(self, stamp: str) -> None:
        for kind in KINDS:
            marks: list[Item] = []
            for c in self.plan.of("orphan", kind.name):
                tags = self.plan.tags_of.get((c.kind, c.key), frozenset())
                tags |= {(self.config.orphan_tag, self.config.orphan_tag)}
                payload: dict[str, Any] = {
                    "id": c.id,
                    "custom_fields": {CF_ORPHANED: stamp},
                    "tags": [{"name": n, "slug": s} for s, n in sorted(tags)],
                }
                if c.key in self.plan.unassign:
                    payload |= {"assigned_object_type": None, "assigned_object_id": None}
                marks.append((c, payload))
            self._send(kind.name, "orphan", marks)

    def run(self, prune: bool) -> None:
        plan = self.plan
        deferred: list[Item] = []
        stamp = datetime.fromtimestamp(plan.made_at, UTC).isoformat(timespec="seconds")
        for kind in KINDS:
            creates = plan.of("create", kind.name)
            if kind.name == "interfaces":
                creates = self._adopt_ports(creates, deferred)
            for wave in _waves(creates):
                self._write(kind.name, "create", wave, deferred)
            self._write(kind.name, "update", plan.of("update", kind.name), deferred)
        # Second pass: fields pointing forward (primary_ip4 -> ip-addresses, uplinks).
        by_kind: dict[str, list[Item]] = {}
        for c, later in deferred:
            if (c.kind, c.key) not in self.index or any(
                (c.kind, c.key, a) in self.failed for a in ("create", "update")
            ):
                continue
            split = self._ready(c, later, defer=False)
            if split is not None:
                by_kind.setdefault(c.kind, []).append(
                    (c, {**split[0], "id": self.index[(c.kind, c.key)]})
                )
        for kind_name, items in by_kind.items():
            self._send(kind_name, "update", items)
        self._orphans(stamp)
        deletes = plan.of("delete")
        if not prune:
            self.report.skipped_prune = len(deletes)
        else:
            for kind in reversed(KINDS):
                items = [(c, {}) for c in deletes if c.kind == kind.name]
                self._send(kind.name, "delete", items)
        self._count(prune)

    def _count(self, prune: bool) -> None:
        """Each planned change once: failed if any of its requests failed."""
        for c in self.plan.changes:
            if c.action in ("conflict", "blocked") or (c.action == "delete" and not prune):
                continue
            bad = (c.kind, c.key, c.action) in self.failed or (
                c.action == "update" and (c.kind, c.key, "create") in self.failed
            )
            self.report.count(c.kind, c.action, "failed" if bad else "done")


def apply(
    plan: SyncPlan,
    config: NetBoxConfig,
    prune: bool = False,
    client: NetBoxClient | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Write the plan to NetBox; deletions only with prune. 401/403 raise NetBoxAuthError."""
    report = SyncReport()
    for c in plan.changes:
        if c.action in ("conflict", "blocked"):
            report.count(c.kind, c.action, "failed")
            report.errors.append(f"{c.kind} {c.key!r}: {c.action}: {c.note}")
    _Applier(plan, client or NetBoxClient(config), report, progress).run(prune)
    return report
