"""Fixed-wireless subscribers: who is cut off now, counted per quartiere.

A subscriber (an active CPE) is cut off when any device on its uplink chain — itself,
its repeater, the base station... — is not up. The count is what a planner needs on a
radio network: the area a down repeater leaves uncovered is often covered by the base
station anyway, yet its subscribers have no service.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import shapely
from numpy.typing import NDArray

from netagent.geo.coverage_zones import Zone
from netagent.geo.projection import Projector
from netagent.inventory.model import DeviceStatus, Inventory, Role


class Subscribers:
    """The CPEs of an inventory with their uplink chains and quartiere (-1: none)."""

    def __init__(self, inv: Inventory, zones: list[Zone], proj: Projector) -> None:
        by_name = {d.name: d for d in inv.devices}
        cpes = [d for d in inv.devices if d.role is Role.CPE and d.status is DeviceStatus.ACTIVE]
        self.chains: list[frozenset[str]] = []
        for d in cpes:
            chain, cur = [d.name], d.parent
            while cur is not None and cur not in chain and cur in by_name:
                chain.append(cur)
                cur = by_name[cur].parent
            self.chains.append(frozenset(chain))
        self.n_zones = len(zones)
        self.zone = np.full(len(cpes), -1, dtype=np.int64)
        placed = [(i, s) for i, d in enumerate(cpes) if (s := inv.site_by_name.get(d.site))]
        geoms = np.array([z.geom for z in zones], dtype=object)
        if placed and len(geoms):
            xy = proj.xy(np.array([s.lon for _, s in placed]), np.array([s.lat for _, s in placed]))
            pt_i, zone_i = shapely.STRtree(geoms).query(shapely.points(xy), predicate="within")
            owner = np.array([i for i, _ in placed])
            self.zone[owner[pt_i[::-1]]] = zone_i[::-1]  # first quartiere wins

    def __len__(self) -> int:
        return len(self.chains)

    def cut_off(self, down: Collection[str]) -> tuple[NDArray[np.int64], int]:
        """Subscribers cut off per quartiere, and those whose site is in no quartiere."""
        down = frozenset(down)
        cut = np.array([bool(chain & down) for chain in self.chains], dtype=bool)
        inside = self.zone >= 0
        per_zone = np.bincount(self.zone[cut & inside], minlength=self.n_zones)
        return per_zone, int((cut & ~inside).sum())
