"""Where the agent's inventory comes from, with each site placed in its quartiere.

The inventory package reads and checks files; placing sites in quartieri needs `geo`,
which `inventory` may not import, so the two meet here.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from geo.quartieri import QuartiereIndex, load_quartieri
from inventory.issues import Issue, Severity
from inventory.load import LoadResult, load_inventory
from inventory.model import Inventory
from inventory.netbox import NetBoxConfig, pull_inventory
from inventory.sample import SAMPLE_DIR, SAMPLE_PATHS

log = logging.getLogger(__name__)

# The bundled polygons (approximate: Voronoi cells of the real centres, see SOURCES.md),
# used for a NetBox inventory when no official file is configured.
SAMPLE_QUARTIERI = SAMPLE_DIR / "quartieri.geojson"


def load(paths: Sequence[Path] = (), quartieri: Path | None = None) -> LoadResult:
    """Load inventory files (the bundled sample when none), optionally with official
    quartiere polygons replacing those in the files, and assign every site's quartiere."""
    result = load_inventory(list(paths) or list(SAMPLE_PATHS))
    inv = result.inventory
    if inv is None:
        return result
    issues = list(result.issues)
    if quartieri is not None:
        polygons, warnings = load_quartieri(quartieri)
        issues += [Issue(str(quartieri), "", "", w, Severity.WARNING) for w in warnings]
        inv = inv.replace(quartieri=tuple(polygons))
    inv, placed = place_sites(inv)
    return LoadResult(inv, issues + placed)


def pull(netbox: NetBoxConfig, quartieri: Path | None = None) -> Inventory:
    """Poll targets from NetBox, with quartiere polygons (the official file when given,
    else the bundled ones) so coverage and reports work as with files; a site whose
    NetBox region is not a quartiere is placed by its coordinates."""
    inv = pull_inventory(netbox)
    polygons, _ = load_quartieri(quartieri or SAMPLE_QUARTIERI)
    inv, issues = place_sites(inv.replace(quartieri=tuple(polygons)))
    if issues:  # once per pull, not once per site: the pull repeats every few minutes
        names = ", ".join(i.field.removesuffix(".lat/lon") for i in issues[:5])
        more = f" and {len(issues) - 5} more" if len(issues) > 5 else ""
        log.warning("%d NetBox site(s) lie outside every quartiere: %s%s",
                    len(issues), names, more)
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
                issues.append(Issue("", "", f"{site.name}.lat/lon",
                                    f"site {site.name!r} at {site.lat:.6f}, {site.lon:.6f} lies "
                                    "outside the comune (more than 250 m from every quartiere)",
                                    Severity.WARNING))
            site = site.model_copy(update={"quartiere": found})
        sites.append(site)
    return inv.replace(sites=tuple(sites)), issues
