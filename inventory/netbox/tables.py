"""The sync's data tables, kept as TOML beside this module: the custom fields it creates
(custom_fields.toml) and the ports of the device models the inventory uses (models.toml)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from netagent.inventory.netbox.kinds import OWNED_OBJECT_TYPES

HERE = Path(__file__).parent
CF_GROUP = "netagent"
CF_ORPHANED = "netagent_orphaned_since"


def _load(name: str) -> dict[str, Any]:
    with (HERE / name).open("rb") as f:
        return tomllib.load(f)


@cache
def custom_fields() -> dict[str, dict[str, Any]]:
    """name -> NetBox custom-field definition (type, object_types, label, description…)."""
    out = {}
    for name, d in _load("custom_fields.toml").items():
        types = [
            t for x in d["object_types"] for t in (OWNED_OBJECT_TYPES if x == "owned" else [x])
        ]
        out[name] = {**d, "object_types": types}
    return out


@cache
def model_ports() -> dict[str, list[dict[str, Any]]]:
    """The model table: "<vendor>/<model>" -> port groups."""
    return {k: list(v["ports"]) for k, v in _load("models.toml").items()}


def ports(vendor: str, model: str) -> list[tuple[str, dict[str, Any]]]:
    """Every port of a model in the table: (name, its group)."""
    return [
        (f"{g['prefix']}{i}", g)
        for g in model_ports().get(f"{vendor}/{model}", ())
        for i in range(1, int(g["count"]) + 1)
    ]


def port_type(vendor: str, model: str, port: str) -> str:
    """A port's NetBox interface type from the model table; "other" when not listed."""
    for group in model_ports().get(f"{vendor}/{model}", ()):
        prefix = str(group["prefix"])
        if port.startswith(prefix) and port[len(prefix) :].isdigit():
            return str(group["type"])
    return "other"
