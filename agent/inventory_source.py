"""Where the agent's inventory comes from, with each site placed in its quartiere.

`from_files` and `from_netbox` are netagent's two inventory sources, registered by name
like a plugin's (netagent.agent.inventory_sources).

The inventory package reads and checks files; placing sites in quartieri needs `geo`,
and the checks that need the configuration (SNMP profiles, credential entries) need
`collectors`, neither of which `inventory` may import, so they meet here.

Quartiere polygons are checked against the comune they should tile (`netagent.geo.quartieri_check`).
Which comune: `boundary` True (the default) uses the bundled Reggio Emilia boundary, only
for polygons that lie over Reggio Emilia (or would with another CRS, or with the axes
swapped), so another city's quartieri are never judged against it; a Path names the
operator's own comune boundary (GeoJSON or Shapefile, any CRS); False skips the comparison
(overlaps, holes and far-away polygons are still reported).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from netagent.collectors.snmp.config import SnmpConfig
from netagent.collectors.snmp.profiles import PROFILE_DIR, ProfileError, load_profiles
from netagent.geo.quartieri import Fields, QuartiereError, QuartiereIndex
from netagent.geo.quartieri_check import Boundary, check_file, check_loaded, read_boundary
from netagent.inventory.issues import Issue, Severity
from netagent.inventory.load import LoadResult, load_inventory
from netagent.inventory.model import Inventory, Role
from netagent.inventory.netbox import NetBoxConfig, pull_inventory
from netagent.inventory.sample import COMUNE_PATH, SAMPLE_DIR, SAMPLE_PATHS
from netagent.inventory.validate import Origin

if TYPE_CHECKING:
    from netagent.agent.config import AgentConfig

log = logging.getLogger(__name__)

# The bundled polygons (approximate: Voronoi cells of the real centres, see SOURCES.md),
# used for a NetBox inventory when no official file is configured.
SAMPLE_QUARTIERI = SAMPLE_DIR / "quartieri.geojson"


@cache
def _bundled_comune() -> Boundary:
    label = "the comune of Reggio nell'Emilia (bundled ISTAT boundary)"
    return read_boundary(COMUNE_PATH, label, only_if_near=True)


def _boundary(boundary: Path | bool, issues: list[Issue]) -> Boundary | None:
    if boundary is False:
        return None
    if boundary is True:
        return _bundled_comune()
    try:
        return read_boundary(Path(boundary))
    except QuartiereError as e:
        issues.append(Issue(str(e.path), "", "", f"comune boundary: {e.message}"))
        return None


def load(
    paths: Sequence[Path] = (),
    quartieri: Path | None = None,
    name_field: str = "",
    boundary: Path | bool = True,
) -> LoadResult:
    """Load inventory files or directories (the bundled sample when none), optionally with
    official quartiere polygons replacing those in the files (`name_field`: the property
    with the name, detected when empty), check the polygons against the comune (see the
    module docstring) and assign every site's quartiere. Never raises for bad input."""
    result = load_inventory(list(paths) or list(SAMPLE_PATHS))
    inv = result.inventory
    issues = list(result.issues)
    comune = _boundary(boundary, issues)
    if quartieri is not None:
        polygons, found = check_file(quartieri, Fields(name=name_field), comune)
        issues += found
        if polygons is None or inv is None:
            return LoadResult(None, issues)
        inv = inv.replace(quartieri=tuple(polygons))
    elif inv is not None:
        where = {
            name: (o.file, o.where)
            for (kind, name), o in result.origins.items()
            if kind == "quartieri"
        }
        files = ", ".join(sorted({f for f, _ in where.values()}))
        issues += check_loaded(inv.quartieri, comune, files, where)
    if inv is None or any(i.severity is Severity.ERROR for i in issues):
        return LoadResult(None, issues)
    inv, placed = place_sites(inv)
    return LoadResult(inv, issues + placed, result.origins)


def load_configured(config: AgentConfig) -> LoadResult:
    """`load` with what the configuration names, plus `check_config_references`."""
    agent = config.agent
    result = load(agent.inventory, agent.quartieri, agent.quartieri_name_field, agent.boundary())
    if result.inventory is None:
        return result
    issues = result.issues + check_config_references(result.inventory, config, result.origins)
    if any(i.severity is Severity.ERROR for i in issues):
        return LoadResult(None, issues)
    return LoadResult(result.inventory, issues, result.origins)


def from_files(config: AgentConfig) -> Inventory:
    """The `files` inventory source (netagent.agent.inventory_sources): the files the configuration
    names (the bundled sample when none), checked against it. Raises ValueError listing
    what is wrong; warnings are logged."""
    result = load_configured(config)
    for w in result.warnings:
        log.warning("%s", w)
    if result.inventory is None or result.errors:
        raise ValueError("inventory has errors: " + "; ".join(str(i) for i in result.errors[:10]))
    return result.inventory


def from_netbox(config: AgentConfig) -> Inventory:
    """The `netbox` inventory source: pulled from `[netbox]`, with the configured quartieri."""
    agent = config.agent
    return pull(config.netbox, agent.quartieri, agent.quartieri_name_field, agent.boundary())


def pull(
    netbox: NetBoxConfig,
    quartieri: Path | None = None,
    name_field: str = "",
    boundary: Path | bool = True,
) -> Inventory:
    """Poll targets from NetBox, with quartiere polygons (the official file when given,
    else the bundled ones) so coverage and reports work as with files, checked against
    `boundary` as `load` does; a site whose NetBox region is not a quartiere is placed by
    its coordinates. Raises ValueError listing what is wrong with the polygons."""
    inv = pull_inventory(netbox)
    path = quartieri or SAMPLE_QUARTIERI
    problems: list[Issue] = []
    comune = _boundary(boundary, problems)
    polygons, found = check_file(path, Fields(name=name_field), comune)
    problems += found
    if polygons is None or any(i.severity is Severity.ERROR for i in problems):
        raise ValueError("; ".join(str(i) for i in problems if i.severity is Severity.ERROR))
    inv, issues = place_sites(inv.replace(quartieri=tuple(polygons)))
    if issues:  # once per pull, not once per site: the pull repeats every few minutes
        names = ", ".join(i.field.removesuffix(".lat/lon") for i in issues[:5])
        more = f" and {len(issues) - 5} more" if len(issues) > 5 else ""
        log.warning("%d NetBox site(s) lie outside every quartiere: %s%s", len(issues), names, more)
    return inv


def place_sites(inv: Inventory) -> tuple[Inventory, list[Issue]]:
    """Every site without a quartiere placed in the one its coordinates fall in; a
    warning for each that lies in none."""
    issues: list[Issue] = []
    if not inv.quartieri:
        return inv, issues
    index = QuartiereIndex(inv.quartieri)
    sites = []
    for site in inv.sites:
        if site.quartiere is None:
            found = index.locate(site.lon, site.lat)
            if found is None:
                issues.append(
                    Issue(
                        "",
                        "",
                        f"{site.name}.lat/lon",
                        f"site {site.name!r} at {site.lat:.6f}, {site.lon:.6f} lies "
                        "outside the comune (more than 250 m from every quartiere)",
                        Severity.WARNING,
                    )
                )
            site = site.model_copy(update={"quartiere": found})
        sites.append(site)
    return inv.replace(sites=tuple(sites)), issues


def check_config_references(
    inventory: Inventory,
    config: AgentConfig,
    origins: Mapping[tuple[str, str], Origin] | None = None,
) -> list[Issue]:
    """What the configuration says about devices that the inventory contradicts: a device's
    `snmp_profile` that no profile (bundled or in `snmp.profiles_dir`) defines, and
    `[snmp.device_credentials.X]`, `[snmp.role_credentials.X]`, `[snmp.tag_credentials.X]`
    entries that name no device, role or tag (that device would silently get the default
    credentials). Each issue is located at the config file's key, or at the device's record
    when `origins` (`LoadResult.origins`) is given."""
    issues: list[Issue] = []
    origins = origins or {}
    snmp = config.snmp
    source = getattr(config, "source", None)
    cfg_file = str(source) if source is not None else "configuration"
    dirs = [PROFILE_DIR] + ([snmp.profiles_dir] if snmp.profiles_dir is not None else [])
    try:
        known: set[str] | None = set(load_profiles(*dirs).resolved)
    except (ProfileError, OSError) as e:
        issues.append(Issue(cfg_file, "", "snmp.profiles_dir", f"cannot load the profiles: {e}"))
        known = None
    if known is not None:
        for d in inventory.devices:
            if d.snmp_profile is not None and d.snmp_profile not in known:
                at = origins.get(("devices", d.name), Origin("inventory", ""))
                issues.append(
                    Issue(
                        at.file,
                        at.of("snmp_profile"),
                        f"{d.name}.snmp_profile",
                        f"unknown SNMP profile {d.snmp_profile!r}; expected one of: "
                        f"{', '.join(sorted(known))}"
                        + (
                            ""
                            if snmp.profiles_dir
                            else " (a profile of your own goes in snmp.profiles_dir)"
                        ),
                    )
                )
    for u in unknown_credentials(inventory, snmp):
        # A real role no device has yet is harmless; a misspelt one is not.
        hint = _closest(u.name, {r.value for r in Role} if u.kind == "role" else set(u.known))
        cost = "" if u.idle_role else ", and the devices it was meant for get the default ones"
        issues.append(
            Issue(
                cfg_file,
                "",
                f"snmp.{u.table}.{u.name}",
                f"names no {u.kind} of the inventory{hint}; these credentials are never used{cost}",
                Severity.WARNING if u.idle_role else Severity.ERROR,
            )
        )
    for where, what, name, known in unknown_maintenance(inventory, config):
        issues.append(
            Issue(
                cfg_file,
                "",
                where,
                f"{name!r} is no {what} of the inventory{_closest(name, known)}; the window never "
                "covers it, and its alerts are sent during the works",
                Severity.WARNING,
            )
        )
    return issues


def unknown_maintenance(
    inventory: Inventory, config: AgentConfig
) -> list[tuple[str, str, str, set[str]]]:
    """`[[alerts.maintenance]]` entries naming a device, role, site or quartiere the
    inventory does not have (a misspelt `ap-ghots`): (key, kind, name, the known names)."""
    known = {
        "devices": ("device", {d.name for d in inventory.devices}),
        "roles": ("role", {r.value for r in Role}),
        "sites": ("site", {s.name for s in inventory.sites}),
        "quartieri": ("quartiere", {q.name for q in inventory.quartieri}),
    }
    return [
        (f"alerts.maintenance[{i}].{key}", what, name, names)
        for i, window in enumerate(config.alerts.maintenance)
        for key, (what, names) in known.items()
        for name in getattr(window, key)
        if name not in names
    ]


@dataclass(frozen=True)
class UnknownCredential:
    """A `[snmp.<table>.<name>]` entry that names no device, role or tag of the inventory:
    the devices it was meant for silently get the default credentials."""

    table: str  # device_credentials, role_credentials or tag_credentials
    kind: str  # device, role or tag
    name: str
    known: frozenset[str]  # the names of that kind the inventory has
    idle_role: bool  # a real role that no device has yet (harmless)


def unknown_credentials(inventory: Inventory, snmp: SnmpConfig) -> list[UnknownCredential]:
    """The one check behind `check_config_references` and `config check`'s preflight."""
    entries = (
        ("device_credentials", "device", {d.name for d in inventory.devices}),
        ("role_credentials", "role", {d.role.value for d in inventory.devices}),
        ("tag_credentials", "tag", {t for d in inventory.devices for t in d.tags}),
    )
    roles = {r.value for r in Role}
    return [
        UnknownCredential(table, kind, name, frozenset(names), kind == "role" and name in roles)
        for table, kind, names in entries
        for name in sorted(getattr(snmp, table))
        if name not in names
    ]


def _closest(name: str, names: set[str]) -> str:
    near = difflib.get_close_matches(name, sorted(names), n=3)
    return f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
