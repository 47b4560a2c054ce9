"""Plan: read what NetBox holds, compare with the mapped inventory, list what to do.

Reads only. Owned objects are found by tag (one paged read per kind); desired objects not
among them are then looked up by name in chunks, to find untagged objects in the way
(conflicts) — so a resync with nothing new reads each kind once and looks up nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from inventory.model import Inventory
from inventory.netbox.client import NetBoxClient
from inventory.netbox.config import NetBoxConfig
from inventory.netbox.kinds import KIND, KINDS, Ref, Tags, current_value, refs_in, same, show
from inventory.netbox.mapping import CF_ORPHANED, map_inventory


@dataclass
class Change:
    kind: str
    key: str
    action: str  # create | update | orphan | delete | conflict | blocked
    id: int | None = None
    desired: dict[str, Any] = field(
        default_factory=dict
    )  # create: all fields; update: changed ones
    old: dict[str, Any] = field(default_factory=dict)  # update: NetBox's values before
    note: str = ""

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "key": self.key, "action": self.action}
        if self.id is not None:
            d["id"] = self.id
        if self.action == "update":
            d["fields"] = {
                f: {"from": self.old.get(f), "to": show(v)} for f, v in self.desired.items()
            }
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


def _chunks(items: list[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _tag_slugs(obj: dict[str, Any]) -> set[str]:
    return {t["slug"] for t in obj.get("tags") or () if isinstance(t, dict)}


def _orphaned_since(obj: dict[str, Any]) -> float | None:
    raw = (obj.get("custom_fields") or {}).get(CF_ORPHANED)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw)).timestamp()
    except ValueError:
        return None


def read_state(
    client: NetBoxClient, wanted: dict[str, set[str]], tag: str
) -> dict[str, dict[str, dict[str, Any]]]:
    """NetBox's objects per kind and key: all shared ones, owned ones, and those in the way."""
    state: dict[str, dict[str, dict[str, Any]]] = {}
    tag_exists = False
    for kind in KINDS:
        if kind.shared:
            objs = client.read(kind.name)
            if kind.name == "tags":
                tag_exists = any(o["slug"] == tag for o in objs)
        else:
            # Filtering on a tag NetBox doesn't know is a 400: before the first sync, own nothing.
            objs = client.read(kind.name, tag=tag) if tag_exists else []
        found = {kind.key(o): o for o in objs}
        missing = sorted(wanted.get(kind.name, set()) - found.keys())
        if kind.lookup and missing:
            if kind.name == "interfaces":
                devs = sorted(
                    {
                        state["devices"][k.split("/", 1)[0]]["id"]
                        for k in missing
                        if k.split("/", 1)[0] in state["devices"]
                    }
                )
                values: list[Any] = devs
            else:
                values = missing
            for chunk in _chunks(values, client.config.lookup_chunk):
                for o in client.read(kind.name, **{kind.lookup: chunk}):
                    found.setdefault(kind.key(o), o)
        state[kind.name] = found
    return state


def diff(
    mapped_objects: list[Any],
    state: dict[str, dict[str, dict[str, Any]]],
    config: NetBoxConfig,
    now: float,
) -> tuple[list[Change], dict[tuple[str, str], int], list[str]]:
    index = {(k, key): o["id"] for k, objs in state.items() for key, o in objs.items()}
    changes: list[Change] = []
    issues: list[str] = []
    blocked: dict[tuple[str, str], str] = {}

    def ids(r: Ref) -> int | None:
        return index.get((r.kind, r.key))

    desired_keys: dict[str, set[str]] = {}
    for d in mapped_objects:
        kind = KIND[d.kind]
        desired_keys.setdefault(d.kind, set()).add(d.key)
        cause = next(
            (
                blocked[(r.kind, r.key)]
                for f in d.fields.values()
                for r in refs_in(f)
                if (r.kind, r.key) in blocked
            ),
            None,
        )
        if cause:
            blocked[(d.kind, d.key)] = cause
            changes.append(Change(d.kind, d.key, "blocked", note=f"depends on {cause}"))
            continue
        cur = state[d.kind].get(d.key)
        if cur is None:
            changes.append(Change(d.kind, d.key, "create", desired=dict(d.fields)))
            continue
        if not kind.taggable:
            if d.kind == "custom-fields":
                lacking = set(d.fields["object_types"]) - set(cur.get("object_types") or ())
                if lacking:
                    issues.append(
                        f"custom field {d.key} exists without object types {sorted(lacking)}: "
                        "NetBox silently drops its values there; add them in NetBox"
                    )
            continue
        if config.tag not in _tag_slugs(cur):
            if not kind.shared:
                blocked[(d.kind, d.key)] = f"untagged {d.kind} {d.key!r} (id {cur['id']})"
                changes.append(
                    Change(
                        d.kind,
                        d.key,
                        "conflict",
                        id=cur["id"],
                        note=f"exists in NetBox without tag {config.tag!r}: left alone",
                    )
                )
            continue  # shared and not ours: used as it is
        changed: dict[str, Any] = {}
        old: dict[str, Any] = {}
        for f, v in d.fields.items():
            if not same(v, cur.get(f), ids):
                if isinstance(v, Tags):  # keep the tags a technician added
                    v = Tags(v.named | current_value(v, cur.get(f)))
                changed[f] = v
                old[f] = show(current_value(v, cur.get(f)))
        if changed:
            changes.append(Change(d.kind, d.key, "update", id=cur["id"], desired=changed, old=old))
    changes += _release_primaries(changes, state, desired_keys.get("devices", set()), config.tag)

    for kind in KINDS:
        if kind.shared:
            continue
        for key, cur in state[kind.name].items():
            if key in desired_keys.get(kind.name, ()) or config.tag not in _tag_slugs(cur):
                continue
            since = _orphaned_since(cur)
            if since is None:
                changes.append(
                    Change(
                        kind.name, key, "orphan", id=cur["id"], note="no longer in the inventory"
                    )
                )
            elif now - since >= config.prune_delay_s:
                changes.append(
                    Change(
                        kind.name,
                        key,
                        "delete",
                        id=cur["id"],
                        note=f"orphaned since {datetime.fromtimestamp(since, UTC).isoformat()}",
                    )
                )
    return changes, index, issues


def _release_primaries(
    changes: list[Change], state: dict[str, dict[str, dict[str, Any]]], wanted: set[str], tag: str
) -> list[Change]:
    """An IP moving to another device must first stop being the old device's primary IP
    (NetBox refuses the move otherwise): clear it on old devices we own that are leaving."""
    primary_of = {
        o["primary_ip4"]["id"]: (key, o)
        for key, o in state["devices"].items()
        if o.get("primary_ip4")
    }
    out = []
    for c in changes:
        if (
            c.kind != "ip-addresses"
            or c.action != "update"
            or "assigned_object_id" not in c.desired
        ):
            continue
        key, dev = primary_of.get(c.id, ("", {}))
        if key and key not in wanted and tag in _tag_slugs(dev):
            out.append(
                Change(
                    "devices",
                    key,
                    "update",
                    id=dev["id"],
                    desired={"primary_ip4": None},
                    old={"primary_ip4": c.key},
                    note=f"releases {c.key}",
                )
            )
    return out


def plan(inv: Inventory, config: NetBoxConfig, client: NetBoxClient | None = None) -> SyncPlan:
    """What a sync would do; reads only."""
    client = client or NetBoxClient(config)
    reads0 = client.counts["read"]
    mapped = map_inventory(inv, config.tag)
    wanted: dict[str, set[str]] = {}
    for d in mapped.objects:
        wanted.setdefault(d.kind, set()).add(d.key)
    state = read_state(client, wanted, config.tag)
    now = time.time()
    changes, index, issues = diff(mapped.objects, state, config, now)
    return SyncPlan(changes, index, mapped.skipped, issues, client.counts["read"] - reads0, now)
