"""The NetBox object kinds the sync writes, in dependency order, and how values compare.

Desired fields hold plain values or `Ref`s to other desired objects (by kind and key), so a
plan can be made before the referenced objects exist; ids are resolved at apply time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A reference to another synced object, resolved to its NetBox id when written."""

    kind: str
    key: str


@dataclass(frozen=True)
class Terminations:
    """Cable ends: interfaces, written as NetBox's `[{"object_type", "object_id"}]`."""

    refs: tuple[Ref, ...]


@dataclass(frozen=True)
class Tags:
    """Tags (slug, name) the object must carry; other tags a technician added are kept.

    Written as `{"name", "slug"}`: the schema's NestedTagRequest requires both.
    """

    named: frozenset[tuple[str, str]]
    # Tags the object must not carry (the orphan mark, once it is back in the inventory).
    absent: frozenset[str] = frozenset()

    @property
    def slugs(self) -> frozenset[str]:
        return frozenset(s for s, _ in self.named)

    def merged(self, current: frozenset[tuple[str, str]]) -> Tags:
        """Ours plus the tags a technician added, less the absent ones."""
        return Tags(
            frozenset(t for t in self.named | current if t[0] not in self.absent), self.absent
        )


def _name(o: Mapping[str, Any]) -> str:
    return str(o["name"])


def _brief_name(v: Any) -> str:
    return str(v["name"]) if isinstance(v, Mapping) else ""


def _iface_key(o: Mapping[str, Any]) -> str:
    return f"{_brief_name(o['device'])}/{o['name']}"


def _link_key(o: Mapping[str, Any]) -> str:
    a, b = o["interface_a"], o["interface_b"]
    return link_key(_brief_name(a["device"]), a["name"], _brief_name(b["device"]), b["name"])


def link_key(a_dev: str, a_if: str, b_dev: str, b_if: str) -> str:
    return f"{a_dev}/{a_if}<->{b_dev}/{b_if}"


def _device_type_key(o: Mapping[str, Any]) -> str:
    return f"{_brief_name(o['manufacturer'])}/{o['model']}"


def _template_key(o: Mapping[str, Any]) -> str:
    return f"{_device_type_key(o['device_type'])}/{o['name']}"


@dataclass(frozen=True)
class Kind:
    name: str  # pynetbox's endpoint name, e.g. "device-types"
    app: str  # "dcim", "ipam", "wireless", "extras"
    key: Callable[[Mapping[str, Any]], str]  # identity of a NetBox object in the inventory
    object_type: str = ""  # content type, for custom fields
    # Shared objects (regions, manufacturers…) may be used by others: never orphaned/deleted.
    shared: bool = False
    # Kinds without a `tags` field can't carry ownership: they are only ever created.
    taggable: bool = True
    # Filter to look up untagged objects with a desired key (conflicts); None: read all.
    lookup: str | None = None
    # The field holding a shared object's name (matched case-insensitively and by alias).
    name_field: str = "name"
    # False: never read by the plan (only created along with their parent).
    read: bool = True


KINDS: tuple[Kind, ...] = (
    Kind("tags", "extras", lambda o: str(o["slug"]), shared=True, taggable=False),
    Kind("custom-fields", "extras", _name, shared=True, taggable=False),
    Kind("tenants", "tenancy", _name, "tenancy.tenant", shared=True),
    Kind("regions", "dcim", _name, "dcim.region", shared=True),
    Kind("manufacturers", "dcim", _name, "dcim.manufacturer", shared=True),
    Kind(
        "device-types",
        "dcim",
        _device_type_key,
        "dcim.devicetype",
        shared=True,
        name_field="model",
    ),
    # Ports of a device type netagent creates (models.toml); NetBox copies them onto each
    # new device of the type.
    Kind(
        "interface-templates",
        "dcim",
        _template_key,
        shared=True,
        taggable=False,
        lookup="device_type_id",
        read=False,
    ),
    Kind("device-roles", "dcim", _name, "dcim.devicerole", shared=True),
    Kind("platforms", "dcim", _name, "dcim.platform", shared=True),
    Kind(
        "wireless-lans",
        "wireless",
        lambda o: str(o["ssid"]),
        "wireless.wirelesslan",
        shared=True,
        name_field="ssid",
    ),
    Kind("sites", "dcim", _name, "dcim.site", lookup="name"),
    Kind("devices", "dcim", lambda o: str(o["name"] or ""), "dcim.device", lookup="name"),
    Kind("interfaces", "dcim", _iface_key, "dcim.interface", lookup="device_id"),
    Kind("ip-addresses", "ipam", lambda o: str(o["address"]), "ipam.ipaddress", lookup="address"),
    Kind("wireless-links", "wireless", _link_key, "wireless.wirelesslink"),
    Kind("cables", "dcim", lambda o: str(o["label"]), "dcim.cable", lookup="label"),
)
KIND: dict[str, Kind] = {k.name: k for k in KINDS}
ORDER: dict[str, int] = {k.name: i for i, k in enumerate(KINDS)}
OWNED_OBJECT_TYPES = sorted(k.object_type for k in KINDS if k.object_type and not k.shared)


def refs_in(value: Any) -> list[Ref]:
    if isinstance(value, Ref):
        return [value]
    if isinstance(value, Terminations):
        return list(value.refs)
    if isinstance(value, list):
        return [r for v in value for r in refs_in(v)]
    if isinstance(value, Mapping):
        return [r for v in value.values() for r in refs_in(v)]
    return []


def encode(value: Any, ids: Callable[[Ref], int]) -> Any:
    """The JSON NetBox expects for a desired value."""
    if isinstance(value, Ref):
        return ids(value)
    if isinstance(value, Terminations):
        return [{"object_type": "dcim.interface", "object_id": ids(r)} for r in value.refs]
    if isinstance(value, Tags):
        return [{"name": n, "slug": s} for s, n in sorted(value.named)]
    if isinstance(value, list):
        return [encode(v, ids) for v in value]
    if isinstance(value, Mapping):
        return {k: encode(v, ids) for k, v in value.items()}
    return value


def current_value(desired: Any, current: Any) -> Any:
    """Reduce NetBox's answer for a field to the shape of the desired value."""
    if isinstance(desired, Ref):
        return current.get("id") if isinstance(current, Mapping) else current
    if isinstance(desired, Terminations):
        return tuple(t.get("object_id") for t in current or ())
    if isinstance(desired, Tags):
        return frozenset((t["slug"], t["name"]) for t in current or ())
    if isinstance(desired, list) and desired and isinstance(desired[0], Ref):
        return sorted(v["id"] if isinstance(v, Mapping) else v for v in current or ())
    if isinstance(current, Mapping) and "value" in current and not isinstance(desired, Mapping):
        return current["value"]  # a choice: {"value", "label"}
    return current


def same(desired: Any, current: Any, ids: Callable[[Ref], int | None]) -> bool:
    """Whether NetBox already holds the desired value (ids of not-yet-created refs: None)."""
    cur = current_value(desired, current)
    if isinstance(desired, Ref):
        return cur is not None and ids(desired) == cur
    if isinstance(desired, Terminations):
        return bool(tuple(ids(r) for r in desired.refs) == cur)
    if isinstance(desired, Tags):
        slugs = {s for s, _ in cur}
        return desired.slugs <= slugs and not desired.absent & slugs
    if isinstance(desired, list) and desired and isinstance(desired[0], Ref):
        return bool(sorted(ids(r) or -1 for r in desired) == cur)
    if isinstance(desired, Mapping):
        cur = cur if isinstance(cur, Mapping) else {}
        return all(same(v, cur.get(k), ids) for k, v in desired.items())
    if (
        isinstance(desired, float)
        or isinstance(cur, float)
        or (
            isinstance(desired, int) and isinstance(cur, str)  # a decimal field's "450.00"
        )
    ):
        try:
            return math.isclose(float(desired), float(cur), rel_tol=1e-9, abs_tol=1e-6)
        except (TypeError, ValueError):
            return False
    if isinstance(desired, list | tuple) and isinstance(cur, list | tuple):
        return len(desired) == len(cur) and all(
            same(d, c, ids) for d, c in zip(desired, cur, strict=True)
        )
    return bool(desired == cur)


def show(value: Any) -> Any:
    """A printable form of a value, desired or as NetBox holds it: names, never ids."""
    if value is None or value == "":
        return "(none)"
    if isinstance(value, Ref):
        return value.key
    if isinstance(value, Terminations):
        return ", ".join(r.key for r in value.refs)
    if isinstance(value, Tags):
        return ", ".join(sorted(value.slugs))
    if isinstance(value, frozenset):  # tags as NetBox holds them: (slug, name)
        return ", ".join(sorted(s for s, _ in value)) or "(none)"
    if isinstance(value, Mapping):
        if "id" in value:  # a brief object: its name
            for f in ("name", "address", "model", "ssid", "label", "display"):
                if value.get(f):
                    return str(value[f])
        if "value" in value and "label" in value:  # a choice
            return value["value"]
        return {k: show(v) for k, v in value.items()}
    if isinstance(value, list):
        return [show(v) for v in value]
    return value
