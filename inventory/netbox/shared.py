"""Shared objects NetBox already holds: regions, manufacturers, device types, roles,
platforms, tenants, wireless LANs.

A city office's NetBox has used these for years, under its own names and slugs; the sync
uses what is there, as it is (never tagged, never changed), and creates only what is
missing. An inventory name is matched, in this order, by slug, by name (exact, then
case-insensitive), then by a configured alias (`[netbox.aliases.<kind>]`). An alias
naming nothing in NetBox is a conflict that says what to configure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netagent.inventory.netbox.config import NetBoxAliases
from netagent.inventory.netbox.kinds import KIND, Ref
from netagent.inventory.netbox.mapping import Desired

ALIAS_SECTION = {"device-roles": "roles"}


class SharedMatcher:
    def __init__(self, state: dict[str, dict[str, dict[str, Any]]], aliases: NetBoxAliases):
        self.state, self.aliases = state, aliases

    def _candidates(self, d: Desired, ids: Callable[[Ref], int | None]) -> list[dict[str, Any]]:
        objs = sorted(self.state.get(d.kind, {}).values(), key=lambda o: o["id"])
        if d.kind == "device-types":  # a model is named within its manufacturer
            mfr = ids(d.fields["manufacturer"])
            objs = [o for o in objs if (o.get("manufacturer") or {}).get("id") == mfr]
        return objs

    def match(
        self, d: Desired, ids: Callable[[Ref], int | None]
    ) -> tuple[dict[str, Any] | None, str]:
        """The object NetBox holds for `d` (None: create it), or a problem to report."""
        kind = KIND[d.kind]
        objs = self._candidates(d, ids)
        name = str(d.fields[kind.name_field])
        slug = d.fields.get("slug")

        def by(pred: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
            return next((o for o in objs if pred(o)), None)

        found = (
            (by(lambda o: o.get("slug") == slug) if slug else None)
            or by(lambda o: o.get(kind.name_field) == name)
            or by(lambda o: str(o.get(kind.name_field, "")).casefold() == name.casefold())
        )
        if found is not None:
            return found, ""
        alias = self.aliases.of(d.kind).get(name)
        if alias is None:
            return None, ""
        found = by(
            lambda o: (
                str(o.get(kind.name_field, "")).casefold() == alias.casefold()
                or o.get("slug") == alias
            )
        )
        if found is not None:
            return found, ""
        section = ALIAS_SECTION.get(d.kind, d.kind.replace("-", "_"))
        return None, (
            f"[netbox.aliases.{section}] maps {name!r} to {alias!r}, but NetBox has no "
            f"{kind.name[:-1].replace('-', ' ')} with that name or slug: fix the alias"
        )
