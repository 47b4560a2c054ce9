"""Quartieri in the metric CRS, cut into grid cells, with their residents.

Cells are the unit of (re)computation: each belongs to one quartiere, so a quartiere's
figure is a sum over its cells and one device changing state touches only a few cells.
Invalid polygons are repaired with a warning naming the quartiere; what cannot be
repaired into an area is rejected.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_layers import CoverageInputError
from netagent.geo.projection import Projector
from netagent.inventory.model import Quartiere

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Zone:
    name: str
    geom: BaseGeometry  # metric CRS
    area_m2: float
    population: int | None
    approximate: bool


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the areal parts of a geometry (intersections may leave lines and points)."""
    if isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        return geom
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if isinstance(p, shapely.Polygon | shapely.MultiPolygon)]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def prepare_zone(q: Quartiere, proj: Projector) -> Zone:
    geom = q.geometry
    if not isinstance(geom, shapely.Polygon | shapely.MultiPolygon):
        raise CoverageInputError(
            f"quartiere {q.name!r}: geometry is a {geom.geom_type}, expected (Multi)Polygon"
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        repaired = polygonal(shapely.make_valid(geom))
        if repaired.is_empty:
            raise CoverageInputError(
                f"quartiere {q.name!r}: invalid polygon ({reason}) has no area left after repair"
            )
        log.warning("quartiere %r: invalid polygon (%s) repaired", q.name, reason)
        geom = repaired
    if geom.is_empty:
        log.warning("quartiere %r: empty geometry, its area and coverage are 0", q.name)
    metric = proj.to_metric(geom)
    return Zone(q.name, metric, float(metric.area), q.population, q.approximate)


def prepare_zones(quartieri: Iterable[Quartiere], proj: Projector) -> list[Zone]:
    """All quartieri in the metric CRS; duplicate names are an error, overlaps a warning
    (the comune totals would count an overlap twice)."""
    zones = [prepare_zone(q, proj) for q in quartieri]
    seen: set[str] = set()
    for z in zones:
        if z.name in seen:
            raise CoverageInputError(f"quartiere {z.name!r} appears twice")
        seen.add(z.name)
    geoms = np.array([z.geom for z in zones], dtype=object)
    if len(geoms) > 1:
        tree = shapely.STRtree(geoms)
        a, b = tree.query(geoms, predicate="overlaps")
        for i, j in zip(a, b, strict=True):
            if i < j:
                km2 = shapely.intersection(geoms[i], geoms[j]).area / 1e6
                if km2 > 1e-4:
                    log.warning(
                        "quartieri %r and %r overlap by %.4f km²: the comune totals count it twice",
                        zones[i].name,
                        zones[j].name,
                        km2,
                    )
    return zones


@dataclass(frozen=True)
class Cells:
    geoms: NDArray[np.object_]
    zone: NDArray[np.int64]  # index into the zone list
    area: NDArray[np.float64]
    # True where the cell is a whole grid square (inside its quartiere): clipping to it
    # is a rectangle clip, several times cheaper than a general intersection.
    square: NDArray[np.bool_]


def _quadtree(
    box: tuple[float, float, float, float],
    pts: NDArray[np.float64],
    max_elements: int,
    min_size: float,
) -> list[tuple[float, float, float, float]]:
    """Split a square until each leaf holds at most `max_elements` element centres."""
    x0, y0, x1, y1 = box
    if len(pts) <= max_elements or x1 - x0 <= min_size:
        return [box]
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    out = []
    for b in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
        inside = (pts[:, 0] >= b[0]) & (pts[:, 0] < b[2]) & (pts[:, 1] >= b[1]) & (pts[:, 1] < b[3])
        out += _quadtree(b, pts[inside], max_elements, min_size)
    return out


def make_cells(
    zones: list[Zone], size_m: float, centres: NDArray[np.float64], max_elements: int
) -> Cells:
    """Each zone cut by a grid of `size_m` squares, split into quarters where more than
    `max_elements` coverage elements have their centre; empty pieces dropped.

    Dense areas get small cells (a change recomputes a small union), sparse areas big
    ones (few cells, little clipping overhead).
    """
    geoms: list[BaseGeometry] = []
    owner: list[int] = []
    square: list[bool] = []
    # neighbouring zones share grid squares: each square is split once (a quarter of the
    # calls in the benchmark)
    leaves: dict[tuple[float, float, float, float], list[tuple[float, float, float, float]]] = {}
    for i, z in enumerate(zones):
        if z.geom.is_empty:
            continue
        x0, y0, x1, y1 = z.geom.bounds
        xs = np.arange(math.floor(x0 / size_m) * size_m, x1, size_m)
        ys = np.arange(math.floor(y0 / size_m) * size_m, y1, size_m)
        squares = []
        for x in xs:
            for y in ys:
                box = (float(x), float(y), float(x + size_m), float(y + size_m))
                if box not in leaves:
                    leaves[box] = _quadtree(box, centres, max_elements, size_m / 64)
                squares += leaves[box]
        boxes = shapely.box(*np.array(squares).T)
        shapely.prepare(z.geom)
        boxes = boxes[shapely.intersects(z.geom, boxes)]
        inside = shapely.contains_properly(z.geom, boxes)
        pieces = np.where(inside, boxes, shapely.intersection(boxes, z.geom))
        for p, whole in zip(pieces, inside, strict=True):
            p = polygonal(p)
            if p.area > 0:
                geoms.append(p)
                owner.append(i)
                square.append(bool(whole))
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    return Cells(
        arr,
        np.array(owner, dtype=np.int64),
        shapely.area(arr).astype(float),
        np.array(square, dtype=bool),
    )
