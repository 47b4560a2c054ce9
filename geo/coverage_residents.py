"""Residents in a cell's covered area: uniform density per quartiere, or a population layer.

With a layer (netagent.geo.population), its features are cut by cell once, when the engine is
built; a cell's residents covered are then the points inside its coverage plus each
polygon's count times the share of its area covered.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_zones import Cells, Zone
from netagent.geo.population import Population


class CellResidents:
    """Residents per cell (`zone_population`: per zone, NaN where unknown)."""

    def __init__(self, zones: list[Zone], cells: Cells, population: Population | None) -> None:
        self.cells = cells
        self._density = np.array(
            [
                np.nan if z.population is None or z.area_m2 == 0 else z.population / z.area_m2
                for z in zones
            ],
            dtype=float,
        )
        self._pop_cells: list[tuple[NDArray[np.object_], NDArray[np.float64]]] = []
        self.zone_population = np.array(
            [np.nan if z.population is None else float(z.population) for z in zones]
        )
        if population is not None:
            cell_pop = self._cut(population)
            self.zone_population = np.bincount(cells.zone, weights=cell_pop, minlength=len(zones))

    def _cut(self, pop: Population) -> NDArray[np.float64]:
        """The layer's features cut by cell (kept for `of`); residents per cell."""
        n = len(self.cells.geoms)
        parts, src = shapely.get_parts(pop.geoms, return_index=True)
        is_point = shapely.get_type_id(parts) == 0
        # A multi-geometry's count is shared by its parts (points evenly, polygons by area).
        per_feature_area = np.bincount(src, weights=shapely.area(parts), minlength=len(pop.geoms))
        per_feature_parts = np.bincount(src, minlength=len(pop.geoms))
        weight = np.where(
            is_point,
            pop.counts[src] / per_feature_parts[src],
            pop.counts[src] / np.where(per_feature_area[src] > 0, per_feature_area[src], 1),
        )
        tree = shapely.STRtree(parts)
        cell_i, part_i = tree.query(self.cells.geoms, predicate="intersects")
        # a point on a cell or quartiere border belongs to one cell only
        keep = ~is_point[part_i]
        keep[np.unique(np.where(is_point[part_i], part_i, -1), return_index=True)[1]] = True
        cell_i, part_i = cell_i[keep], part_i[keep]
        cell_pop = np.zeros(n)
        for c in range(n):
            sel = part_i[cell_i == c]
            pts = sel[is_point[sel]]
            polys = sel[~is_point[sel]]
            pieces = shapely.intersection(parts[polys], self.cells.geoms[c])
            g = np.concatenate([parts[pts], pieces])
            w = np.concatenate([weight[pts], weight[polys]])
            self._pop_cells.append((g, w))
            cell_pop[c] = weight[pts].sum() + (weight[polys] * shapely.area(pieces)).sum()
        return cell_pop

    def of(self, c: int, g: BaseGeometry, area: float) -> float:
        """Residents in g, the covered part (of `area` m²) of cell c."""
        if area == 0:
            return 0.0
        if not self._pop_cells:
            return float(self._density[self.cells.zone[c]] * area)
        geoms, w = self._pop_cells[c]
        if len(geoms) == 0:
            return 0.0
        shapely.prepare(g)
        pts = shapely.get_type_id(geoms) == 0
        total = float(w[pts][shapely.intersects(g, geoms[pts])].sum())
        if (~pts).any():
            total += float((w[~pts] * shapely.area(shapely.intersection(geoms[~pts], g))).sum())
        return total
