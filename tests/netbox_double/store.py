"""The double's object store: NetBox's rules for the objects the sync touches.

Rules come from NOTES.md (what the real 4.4.10 did): slugs, 6-decimal coordinates,
choices, uniqueness, wireless/cable interface types, one cable/link per interface,
primary_ip4 assigned to the device, unknown custom fields dropped, bulk all-or-nothing.
Objects are replaced, never mutated, so a refused bulk request rolls back by restoring
shallow copies of the tables.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

WIRELESS_TYPES = {
    "ieee802.11a",
    "ieee802.11g",
    "ieee802.11n",
    "ieee802.11ac",
    "ieee802.11ad",
    "ieee802.11ax",
    "ieee802.11ay",
    "ieee802.11be",
    "ieee802.15.1",
    "other-wireless",
    "gsm",
    "cdma",
    "lte",
    "4g",
    "5g",
}
VIRTUAL_TYPES = {"virtual", "bridge", "lag"}
# FK fields per kind -> target kind.
FKS: dict[str, dict[str, str]] = {
    "regions": {"parent": "regions"},
    "device-types": {"manufacturer": "manufacturers"},
    "interface-templates": {"device_type": "device-types"},
    "platforms": {"manufacturer": "manufacturers"},
    "sites": {"region": "regions"},
    "devices": {
        "site": "sites",
        "role": "device-roles",
        "device_type": "device-types",
        "platform": "platforms",
        "primary_ip4": "ip-addresses",
        "primary_ip6": "ip-addresses",
    },
    "interfaces": {"device": "devices"},
    "cables": {"tenant": "tenants"},
    "wireless-links": {"interface_a": "interfaces", "interface_b": "interfaces"},
}
CHOICES = {"status", "length_unit", "distance_unit", "rf_role", "mode"}
CHOICE_KINDS_TYPE = {
    "interfaces",
    "custom-fields",
    "interface-templates",
}  # `type` rendered as {value, label} there
UNIQUE: dict[str, list[tuple[str, ...]]] = {
    "tags": [("name",), ("slug",)],
    "custom-fields": [("name",)],
    "regions": [("name", "parent"), ("slug",)],
    "manufacturers": [("name",), ("slug",)],
    "device-types": [("manufacturer", "model"), ("manufacturer", "slug")],
    "device-roles": [("name",), ("slug",)],
    "platforms": [("name",), ("slug",)],
    "sites": [("name",), ("slug",)],
    "tenants": [("name",), ("slug",)],
    "devices": [("site", "name")],
    "interfaces": [("device", "name")],
    "interface-templates": [("device_type", "name")],
}
OBJECT_TYPE = {
    "tenants": "tenancy.tenant",
    "regions": "dcim.region",
    "sites": "dcim.site",
    "manufacturers": "dcim.manufacturer",
    "device-types": "dcim.devicetype",
    "device-roles": "dcim.devicerole",
    "platforms": "dcim.platform",
    "devices": "dcim.device",
    "interfaces": "dcim.interface",
    "ip-addresses": "ipam.ipaddress",
    "wireless-lans": "wireless.wirelesslan",
    "wireless-links": "wireless.wirelesslink",
    "cables": "dcim.cable",
}
KINDS = ["tags", "custom-fields", "interface-templates", *OBJECT_TYPE]
CASE_INSENSITIVE = {"manufacturers", "device-roles", "platforms", "regions", "tenants"}


class Invalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class Protected(Exception):
    """Deleting an object others depend on: NetBox answers 409 for the whole request."""


def _decimals_ok(v: Any, places: int, digits: int) -> bool:
    if v is None:
        return True
    d = Decimal(repr(float(v))).normalize()
    exp = -d.as_tuple().exponent if d.as_tuple().exponent < 0 else 0  # type: ignore[operator]
    whole = len(str(abs(int(d)))) if int(d) else 0
    return exp <= places and whole + places <= digits


class Store:
    def __init__(self) -> None:
        self.tables: dict[str, dict[int, dict[str, Any]]] = {k: {} for k in KINDS}
        self.uniq: dict[tuple[Any, ...], int] = {}
        self.next_id = 1

    # --- transactions -------------------------------------------------------------
    def snapshot(self) -> tuple[Any, ...]:
        return ({k: dict(v) for k, v in self.tables.items()}, dict(self.uniq), self.next_id)

    def restore(self, snap: tuple[Any, ...]) -> None:
        self.tables, self.uniq, self.next_id = snap[0], snap[1], snap[2]

    # --- lookups ----------------------------------------------------------------
    def resolve(self, kind: str, value: Any, field: str) -> int | None:
        if value is None:
            return None
        table = self.tables[kind]
        if isinstance(value, int):
            if value not in table:
                raise Invalid(
                    {field: [f"Related object not found using the provided numeric ID: {value}"]}
                )
            return value
        matches = [i for i, o in table.items() if all(o.get(k) == v for k, v in value.items())]
        if len(matches) != 1:
            raise Invalid(
                {field: [f"Related object not found using the provided attributes: {value}"]}
            )
        return matches[0]

    def cf_defs(self, kind: str) -> dict[str, dict[str, Any]]:
        ot = OBJECT_TYPE.get(kind)
        return {
            c["name"]: c for c in self.tables["custom-fields"].values() if ot in c["object_types"]
        }

    # --- writes -----------------------------------------------------------------
    def write(self, kind: str, data: dict[str, Any], obj_id: int | None) -> dict[str, Any]:
        """Create (obj_id None) or partially update one object; raises Invalid."""
        old = self.tables[kind].get(obj_id) if obj_id is not None else {}
        if old is None:
            raise Invalid({"id": [f"object {obj_id} not found"]})
        obj = dict(old)
        for f, v in data.items():
            if f == "id":
                continue
            if f in FKS.get(kind, {}):
                obj[f] = self.resolve(FKS[kind][f], v, f)
            elif f == "tags":
                obj[f] = sorted({self.resolve("tags", t, "tags") for t in v})
            elif f == "wireless_lans":
                obj[f] = sorted(self.resolve("wireless-lans", t, f) for t in v)
            elif f == "custom_fields":
                defs = self.cf_defs(kind)  # unknown keys: silently ignored, like NetBox
                obj[f] = {
                    **obj.get(f, {}),
                    **{k: self._cf_value(defs[k], x) for k, x in v.items() if k in defs},
                }
            else:
                obj[f] = v
        self._check(kind, obj, old)
        if obj_id is None:
            obj_id = self.next_id
            self.next_id += 1
        obj["id"] = obj_id
        self._reindex(kind, old, obj, obj_id)
        self.tables[kind][obj_id] = obj
        if kind == "devices" and not old:  # NetBox instantiates the type's templates
            for t in list(self.tables["interface-templates"].values()):
                if t["device_type"] == obj["device_type"]:
                    port: dict[str, Any] = {
                        f: t[f] for f in ("name", "type", "poe_mode", "mgmt_only") if f in t
                    }
                    self.write("interfaces", {**port, "device": obj_id}, None)
        return obj

    def _cf_value(self, d: dict[str, Any], v: Any) -> Any:
        """NetBox's CustomField.validate: a value of the field's type, or a 400."""
        t = d.get("type", "text")
        number = isinstance(v, int | float) and not isinstance(v, bool)
        ok = v is None or {
            "integer": isinstance(v, int) and not isinstance(v, bool),
            "decimal": number,
            "boolean": isinstance(v, bool),
            "text": isinstance(v, str),
            "json": True,
            "object": isinstance(v, int) and not isinstance(v, bool),
        }.get(t, True)
        if ok and t == "object" and v is not None:
            target = {v_: k for k, v_ in OBJECT_TYPE.items()}[d["related_object_type"]]
            ok = v in self.tables[target]
        if not ok:
            raise Invalid({"custom_fields": [f"{d['name']}: invalid value for a {t} field: {v!r}"]})
        return v

    @staticmethod
    def ukey(kind: str, cols: tuple[str, ...], obj: dict[str, Any]) -> tuple[Any, ...]:
        """NetBox's unique constraints on names of shared objects ignore case (Lower())."""
        ci = kind in CASE_INSENSITIVE
        return (
            kind,
            cols,
            *(str(obj.get(c)).casefold() if ci and c == "name" else obj.get(c) for c in cols),
        )

    def _reindex(self, kind: str, old: dict[str, Any], obj: dict[str, Any], obj_id: int) -> None:
        for cols in UNIQUE.get(kind, []):
            if old:
                self.uniq.pop(self.ukey(kind, cols, old), None)
            self.uniq[self.ukey(kind, cols, obj)] = obj_id

    def _check(self, kind: str, obj: dict[str, Any], old: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        for cols in UNIQUE.get(kind, []):
            other = self.uniq.get(self.ukey(kind, cols, obj))
            if other is not None and other != obj.get("id"):
                errors.setdefault(cols[-1], []).append(
                    f"{kind} with this {' and '.join(cols)} already exists."
                )
        for f, places, digits in (
            ("latitude", 6, 8),
            ("longitude", 6, 9),
            ("length", 2, 8),
            ("distance", 2, 8),
        ):
            if not _decimals_ok(obj.get(f), places, digits):
                errors.setdefault(f, []).append(
                    f"Ensure that there are no more than {digits} digits in total "
                    f"/ {places} decimal places."
                )
        for f, unit in (("length", "length_unit"), ("distance", "distance_unit")):
            if obj.get(f) is not None and not obj.get(unit):
                errors.setdefault(unit, []).append(f"Must specify a unit when setting a {f}")
        if kind == "custom-fields":
            name = obj.get("name", "")
            if "__" in name or not name.replace("_", "a").isalnum():
                errors.setdefault("name", []).append(
                    "Only alphanumeric characters and underscores are allowed."
                )
        elif kind == "devices":
            for f in ("device_type", "role", "site"):
                if obj.get(f) is None:
                    errors.setdefault(f, []).append("This field is required.")
            ip = self.tables["ip-addresses"].get(obj.get("primary_ip4") or -1)
            if obj.get("primary_ip4") is not None and (
                ip is None
                or ip.get("assigned_object_type") != "dcim.interface"
                or self.tables["interfaces"]
                .get(ip.get("assigned_object_id") or -1, {})
                .get("device")
                != obj.get("id")
            ):
                errors.setdefault("primary_ip4", []).append(
                    f"The specified IP address ({ip and ip['address']}) "
                    "is not assigned to this device."
                )
        elif (
            kind == "ip-addresses"
            and not obj.get("assigned_object_type")
            and any(
                obj.get("id") is not None and d.get("primary_ip4") == obj["id"]
                for d in self.tables["devices"].values()
            )
        ):
            errors.setdefault("interface", []).append(
                "Cannot reassign IP address while it is designated as the primary IP "
                "for the parent object"
            )
        elif kind == "ip-addresses" and obj.get("assigned_object_type"):
            iface = self.tables["interfaces"].get(obj.get("assigned_object_id") or -1)
            if iface is None:
                errors.setdefault("assigned_object_id", []).append("Related object not found.")
            holders = [
                d
                for d in self.tables["devices"].values()
                if obj.get("id") is not None and d.get("primary_ip4") == obj["id"]
            ]
            if iface is not None and any(d["id"] != iface["device"] for d in holders):
                errors.setdefault("interface", []).append(
                    "Cannot reassign IP address while it is designated as the primary IP "
                    "for the parent object"
                )
        elif kind == "wireless-links":
            for f in ("interface_a", "interface_b"):
                iface = self.tables["interfaces"][obj[f]]
                if iface["type"] not in WIRELESS_TYPES:
                    errors.setdefault(f, []).append(f"{iface['type']} is not a wireless interface.")
                other = iface.get("wireless_link")
                if other is not None and other != obj.get("id"):
                    errors.setdefault(f, []).append("Interface already has a wireless link.")
        elif kind == "cables":
            for end in ("a_terminations", "b_terminations"):
                for t in obj.get(end) or []:
                    end_if = self.tables["interfaces"].get(t["object_id"])
                    if t["object_type"] != "dcim.interface" or end_if is None:
                        errors.setdefault(end, []).append("Termination object not found.")
                    elif end_if["type"] in WIRELESS_TYPES | VIRTUAL_TYPES:
                        errors.setdefault(end, []).append(
                            f"Cables cannot be attached to {end_if['type']} interfaces"
                        )
                    elif end_if.get("cable") not in (None, obj.get("id")):
                        errors.setdefault(end, []).append("Duplicate termination found")
        if errors:
            raise Invalid(errors)

    def link_side_effects(self, kind: str, obj: dict[str, Any]) -> None:
        """Mark interfaces as occupied by a new cable or wireless link."""
        if kind == "cables":
            ids = [
                t["object_id"]
                for e in ("a_terminations", "b_terminations")
                for t in obj.get(e) or []
            ]
            for i in ids:
                self.tables["interfaces"][i] = {**self.tables["interfaces"][i], "cable": obj["id"]}
        elif kind == "wireless-links":
            for f in ("interface_a", "interface_b"):
                i = obj[f]
                self.tables["interfaces"][i] = {
                    **self.tables["interfaces"][i],
                    "wireless_link": obj["id"],
                }

    def delete(self, kind: str, obj_id: int) -> None:
        obj = self.tables[kind].pop(obj_id, None)
        if obj is None:
            raise Invalid({"id": [f"object {obj_id} not found"]})
        for cols in UNIQUE.get(kind, []):
            self.uniq.pop(self.ukey(kind, cols, obj), None)
        dependents = [d["name"] for d in self.tables["devices"].values() if d["site"] == obj_id]
        if kind == "sites" and dependents:
            raise Protected(
                f"Unable to delete object. {len(dependents)} dependent objects were found: "
                + ", ".join(dependents)
            )
        if kind == "devices":
            for i in [i for i, x in self.tables["interfaces"].items() if x["device"] == obj_id]:
                self.delete("interfaces", i)
        elif kind == "interfaces":
            for k in ("cables", "wireless-links"):
                for i, x in list(self.tables[k].items()):
                    ends = [
                        t["object_id"]
                        for e in ("a_terminations", "b_terminations")
                        for t in x.get(e) or []
                    ]
                    if obj_id in ends or obj_id in (x.get("interface_a"), x.get("interface_b")):
                        self.delete(k, i)
            for i, ip in list(self.tables["ip-addresses"].items()):
                if ip.get("assigned_object_id") == obj_id:
                    self.tables["ip-addresses"][i] = {
                        **ip,
                        "assigned_object_type": None,
                        "assigned_object_id": None,
                    }
        elif kind == "ip-addresses":  # deleting a primary IP silently clears primary_ip4
            for i, d in list(self.tables["devices"].items()):
                if d.get("primary_ip4") == obj_id:
                    self.tables["devices"][i] = {**d, "primary_ip4": None}
        elif kind in ("cables", "wireless-links"):
            field = "cable" if kind == "cables" else "wireless_link"
            for i, x in list(self.tables["interfaces"].items()):
                if x.get(field) == obj_id:
                    self.tables["interfaces"][i] = {**x, field: None}
