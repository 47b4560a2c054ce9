"""Where the agent's inventory comes from, with each site placed in its quartiere.

The inventory package reads and checks files; placing sites in quartieri needs `geo`,
which `inventory` may not import, so the two meet here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from geo.quartieri import QuartiereIndex, load_quartieri
from inventory.issues import Issue, Severity
from inventory.load import LoadResult, load_inventory
from inventory.sample import SAMPLE_PATHS


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
    if not inv.quartieri:
        return LoadResult(inv, issues)
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
    return LoadResult(inv.replace(sites=tuple(sites)), issues)
