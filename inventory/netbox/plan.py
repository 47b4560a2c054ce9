"""Plan: read what NetBox holds, compare with the mapped inventory, list what to do.

Reads only. Owned objects are found by tag (one paged read per kind); desired objects not
among them are then looked up by name in chunks, to find untagged objects in the way
(conflicts) — so a resync with nothing new reads each kind once and looks up nothing.
Shared objects (see `shared.py`) are matched to what NetBox already holds and never
changed. Slugs of existing objects never change; a new slug NetBox already has gets a
suffix, and the plan says so.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from netagent.inventory.model import Inventory
from netagent.inventory.netbox.changes import Change, SyncPlan
from netagent.inventory.netbox.client import NetBoxClient
from netagent.inventory.netbox.config import NetBoxConfig
from netagent.inventory.netbox.kinds import KIND, KINDS, Ref, Tags, current_value, refs_in, same
from netagent.inventory.netbox.mapping import Desired, map_inventory
from netagent.inventory.netbox.shared import SharedMatcher
from netagent.inventory.netbox.tables import CF_ORPHANED, custom_fields

# Kinds whose slug NetBox keeps unique and that the sync owns: a new one may collide.
SLUGGED_OWNED = ("sites",)


def _chunks(items: list[Any], n: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def tag_slugs(obj: dict[str, Any]) -> set[str]:
    return {t["slug"] for t in obj.get("tags") or () if isinstance(t, dict)}


def _orphaned_since(obj: dict[str, Any]) -> float | None:
    raw = (obj.get("custom_fields") or {}).get(CF_ORPHANED)
    if not raw:
        return None
    try:
        return datetime.fromisoformat(str(raw)).timestamp()
    except ValueError:
        return None


@dataclass
class State:
    objects: dict[str, dict[str, dict[str, Any]]]  # kind -> key -> NetBox object
    taken_slugs: dict[str, dict[str, str]]  # kind -> slug -> name of the object holding it


def read_state(client: NetBoxClient, mapped: list[Desired], tag: str) -> State:
    """NetBox's objects per kind and key: all shared ones, owned ones, and those in the way."""
    wanted: dict[str, set[str]] = {}
    slugs: dict[str, set[str]] = {}
    for d in mapped:
        wanted.setdefault(d.kind, set()).add(d.key)
        if "slug" in d.fields:
            slugs.setdefault(d.kind, set()).add(d.fields["slug"])
    objects: dict[str, dict[str, dict[str, Any]]] = {}
    taken: dict[str, dict[str, str]] = {}
    tag_exists = False
    for kind in KINDS:
        if (kind.name not in wanted and kind.shared) or not kind.read:
            objects[kind.name] = {}
            continue
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
            values: list[Any] = missing
            if kind.name == "interfaces":
                devices = objects["devices"]
                values = sorted(
                    {
                        devices[k.split("/", 1)[0]]["id"]
                        for k in missing
                        if k.split("/", 1)[0] in devices
                    }
                )
            for chunk in _chunks(values, client.config.lookup_chunk):
                for o in client.read(kind.name, **{kind.lookup: chunk}):
                    found.setdefault(kind.key(o), o)
        if kind.name in SLUGGED_OWNED:
            held = {o["slug"]: kind.key(o) for o in found.values()}
            ask = sorted(slugs.get(kind.name, set()) - held.keys())
            for chunk in _chunks(ask, client.config.lookup_chunk):
                held.update({o["slug"]: kind.key(o) for o in client.read(kind.name, slug=chunk)})
            taken[kind.name] = held
        objects[kind.name] = found
    return State(objects, taken)


def _cf_issues(state: dict[str, dict[str, Any]]) -> tuple[list[str], dict[str, str]]:
    """Existing netagent custom fields lacking an object type or of another type."""
    issues: list[str] = []
    types: dict[str, str] = {}
    for name, definition in custom_fields().items():
        type_, object_types = definition["type"], definition["object_types"]
        cur = state.get(name)
        if cur is None:
            continue
        lacking = set(object_types) - set(cur.get("object_types") or ())
        if lacking:
            issues.append(
                f"custom field {name} exists without object types {sorted(lacking)}: "
                "NetBox silently drops its values there; add them in NetBox"
            )
        have = current_value(type_, cur.get("type"))
        types[name] = str(have)
        if have != type_:
            issues.append(
                f"custom field {name} is of type {have} in NetBox, netagent writes {type_}: "
                f"change its type in NetBox (Customization > Custom Fields) to keep the values "
                "exact"
            )
    return issues, types


def _coerce(cf: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    """Values fitted to custom fields an older netagent created with other types."""
    out = {}
    for k, v in cf.items():
        t = types.get(k)
        if t == "integer" and isinstance(v, float) and v.is_integer():
            v = int(v)
        elif t == "text" and isinstance(v, Ref):
            v = v.key
        out[k] = v
    return out


class _Differ:
    def __init__(self, state: State, config: NetBoxConfig) -> None:
        self.state, self.config = state, config
        self.index = {
            (k, key): o["id"]
            for k, objs in state.objects.items()
            if not KIND[k].shared or k in ("tags", "custom-fields")
            for key, o in objs.items()
        }
        self.changes: list[Change] = []
        self.blocked: dict[tuple[str, str], str] = {}
        self.issues, self.cf_types = _cf_issues(state.objects.get("custom-fields", {}))
        self.shared = SharedMatcher(state.objects, config.aliases)
        self.new_slugs: dict[str, set[str]] = {}
        self.created: set[tuple[str, str]] = set()

    def ids(self, r: Ref) -> int | None:
        return self.index.get((r.kind, r.key))

    def _block(self, d: Desired) -> bool:
        cause = next(
            (
                self.blocked[(r.kind, r.key)]
                for v in d.fields.values()
                for r in refs_in(v)
                if (r.kind, r.key) in self.blocked
            ),
            None,
        )
        if cause:
            self.blocked[(d.kind, d.key)] = cause
            self.changes.append(Change(d.kind, d.key, "blocked", note=f"depends on {cause}"))
        return cause is not None

    def _create(self, d: Desired) -> None:
        fields = dict(d.fields)
        note = ""
        if "slug" in fields:
            taken = self.state.taken_slugs.get(d.kind, {})
            used = self.new_slugs.setdefault(d.kind, set())
            slug, n = fields["slug"], 2
            while (slug in taken and taken[slug] != d.key) or slug in used:
                slug = f"{fields['slug'][:95]}-{n}"
                n += 1
            if slug != fields["slug"]:
                holder = taken.get(fields["slug"], "another new object")
                note = f"slug {fields['slug']} is taken by {holder!r}: using {slug}"
                fields["slug"] = slug
            used.add(slug)
        self.created.add((d.kind, d.key))
        if isinstance(fields.get("custom_fields"), dict):
            fields["custom_fields"] = _coerce(fields["custom_fields"], self.cf_types)
        self.changes.append(Change(d.kind, d.key, "create", desired=fields, note=note))

    def _shared(self, d: Desired) -> None:
        found, problem = self.shared.match(d, self.ids)
        if problem:
            self.blocked[(d.kind, d.key)] = f"{d.kind} {d.key!r}"
            self.changes.append(Change(d.kind, d.key, "conflict", note=problem))
        elif found is not None:
            self.index[(d.kind, d.key)] = found["id"]
        else:
            self._create(d)

    def _update(self, d: Desired, cur: dict[str, Any]) -> None:
        changed: dict[str, Any] = {}
        old: dict[str, Any] = {}
        for f, v in d.fields.items():
            if f == "slug":  # never moves: links and bookmarks use it
                continue
            now = cur.get(f)
            if f == "custom_fields" and isinstance(v, dict):
                v = _coerce(v, self.cf_types)
                held = now if isinstance(now, dict) else {}
                diff = {k: x for k, x in v.items() if not same(x, held.get(k), self.ids)}
                if diff:
                    changed[f], old[f] = diff, {k: held.get(k) for k in diff}
                continue
            if not same(v, now, self.ids):
                if isinstance(v, Tags):  # keep the tags a technician added
                    v = v.merged(current_value(v, now))
                    now = current_value(v, now)
                changed[f], old[f] = v, now
        if changed:
            self.changes.append(
                Change(d.kind, d.key, "update", id=cur["id"], desired=changed, old=old)
            )

    def _ours_port(self, d: Desired, cur: dict[str, Any]) -> bool:
        """An untagged interface on a device we own came from its type's templates: adopt."""
        device = self.state.objects["devices"].get(d.key.split("/", 1)[0])
        return (
            d.kind == "interfaces"
            and device is not None
            and self.config.tag in tag_slugs(device)
            and (cur.get("device") or {}).get("id") == device["id"]
        )

    def run(self, mapped: list[Desired]) -> None:
        for d in mapped:
            kind = KIND[d.kind]
            if self._block(d):
                continue
            if d.kind == "interface-templates":  # only on a device type created now
                if ("device-types", d.fields["device_type"].key) in self.created:
                    self._create(d)
                continue
            if kind.shared and kind.name not in ("tags", "custom-fields"):
                self._shared(d)
                continue
            cur = self.state.objects[d.kind].get(d.key)
            if cur is None:
                self._create(d)
            elif not kind.taggable:
                continue  # tags and custom fields: created, never changed
            elif self.config.tag not in tag_slugs(cur) and not self._ours_port(d, cur):
                self.blocked[(d.kind, d.key)] = f"untagged {d.kind} {d.key!r} (id {cur['id']})"
                self.changes.append(
                    Change(
                        d.kind,
                        d.key,
                        "conflict",
                        id=cur["id"],
                        note=f"exists in NetBox without tag {self.config.tag!r}: left alone",
                    )
                )
            else:
                self._update(d, cur)


def diff(
    mapped_objects: list[Desired], state: State, config: NetBoxConfig, now: float
) -> tuple[list[Change], dict[tuple[str, str], int], list[str], set[str]]:
    differ = _Differ(state, config)
    differ.run(mapped_objects)
    changes = differ.changes
    desired_keys: dict[str, set[str]] = {}
    for d in mapped_objects:
        desired_keys.setdefault(d.kind, set()).add(d.key)
    objects = state.objects
    changes += _release_primaries(changes, objects, desired_keys.get("devices", set()), config.tag)
    unassign: set[str] = set()
    for kind in KINDS:
        if kind.shared:
            continue
        for key, cur in objects[kind.name].items():
            if key in desired_keys.get(kind.name, ()) or config.tag not in tag_slugs(cur):
                continue
            since = _orphaned_since(cur)
            if since is None:
                note = "no longer in the inventory"
                device = ((cur.get("assigned_object") or {}).get("device") or {}).get("name")
                if kind.name == "ip-addresses" and device in desired_keys.get("devices", ()):
                    unassign.add(key)
                    note = f"no longer {device}'s address: unassigned"
                changes.append(Change(kind.name, key, "orphan", id=cur["id"], note=note))
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
    return changes, differ.index, differ.issues, unassign


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
        if key and key not in wanted and tag in tag_slugs(dev):
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
    mapped = map_inventory(inv, config)
    state = read_state(client, mapped.objects, config.tag)
    now = time.time()
    changes, index, issues, unassign = diff(mapped.objects, state, config, now)
    tags_of = {
        (k, key): frozenset((t["slug"], t["name"]) for t in o.get("tags") or ())
        for k, objs in state.objects.items()
        for key, o in objs.items()
        if not KIND[k].shared
    }
    return SyncPlan(
        changes,
        index,
        mapped.skipped,
        mapped.notes + issues,
        client.counts["read"] - reads0,
        now,
        tags_of,
        unassign,
    )
