"""Polygons for discs, sectors and corridors, exact in area and close to the true rim.

A circle drawn with n straight edges is either too small (vertices on the circle) or,
scaled to the circle's area, partly outside and partly inside it. Both errors shrink
with n², so n is chosen per radius: the smallest count whose edge stays within
`rim_error_m` of the true circle. Discs and sector arcs are scaled to the exact area
(so an element's area is right whatever n); a corridor's round caps and joins come from
GEOS's buffer, which puts its vertices on the circle, so for corridors n is also raised
until the area they lose is under `AREA_REL_ERROR` of the corridor's.

Hand-written because shapely's `buffer` offers neither area correction nor a vertex
count from a distance tolerance; the formulas are those of a regular polygon. The same
formulas tell, with no geometry, which disc polygons may touch, which lie inside another
(`contained_in`), and a colouring in which discs of one colour never touch
(`disc_colours`), so unions can leave discs out and overlay whole colours at once.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

# Largest relative area error an element's polygon may have (0.1%).
AREA_REL_ERROR = 1e-3
MAX_VERTICES = 1024  # per full circle; a 30 km radius at 1 m needs ~330
# Slack (m) on the distance at which two disc polygons might touch (see touching).
TOUCH_M = 1e-6


def equal_area_scale(n: ArrayLike) -> NDArray[np.float64]:
    """Factor on the radius that gives an n-gon (or n-step arc) the circle's area."""
    x = 2 * np.pi / np.asarray(n, dtype=float)
    return np.sqrt(x / np.sin(x))


def rim_error(
    radius: NDArray[np.float64] | float, n: NDArray[np.float64] | float
) -> NDArray[np.float64]:
    """Largest distance (m) between an equal-area n-gon's edge and its circle.

    Vertices lie (scale - 1)·r outside, edge midpoints r - scale·cos(π/n)·r inside.
    """
    s = equal_area_scale(n)
    n = np.asarray(n, dtype=float)
    return np.asarray(radius) * np.maximum(s - 1, 1 - s * np.cos(np.pi / n))


def circle_vertices(
    radius: NDArray[np.float64], rim_error_m: float, minimum: int
) -> NDArray[np.int64]:
    """Vertices per full circle (a multiple of 4) so an equal-area polygon of each radius
    stays within rim_error_m of its circle; at least `minimum`, at most MAX_VERTICES."""
    r = np.atleast_1d(np.asarray(radius, dtype=float))
    # small-angle estimate (error ≈ r·(π/n)²/3 at the vertices), then fixed upwards
    n = np.ceil(np.pi * np.sqrt(r / (3 * rim_error_m)) / 4) * 4
    n = np.clip(np.maximum(n, math.ceil(minimum / 4) * 4), 4, MAX_VERTICES)
    while (bad := (rim_error(r, n) > rim_error_m) & (n < MAX_VERTICES)).any():
        n = np.where(bad, n + 4, n)
    counts: NDArray[np.int64] = n.astype(np.int64)
    return counts


def disc_rings(
    centres: NDArray[np.float64], radii: NDArray[np.float64], vertices: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Coordinates of closed equal-area rings and the ring each coordinate belongs to.

    The shape `shapely.linearrings(coords, indices=owner)` takes: one call for all discs,
    however their vertex counts differ.
    """
    counts = vertices + 1
    owner = np.repeat(np.arange(len(radii)), counts)
    start = np.repeat(np.cumsum(counts) - counts, counts)
    k = np.arange(len(owner)) - start  # vertex number within its ring
    n = vertices[owner]
    k = np.where(k == n, 0, k)  # the closing vertex repeats the first exactly
    angle = 2 * np.pi * k / n
    rho = (np.asarray(radii, dtype=float) * equal_area_scale(vertices))[owner]
    coords = centres[owner] + np.column_stack([np.cos(angle), np.sin(angle)]) * rho[:, None]
    return coords, owner


def sector_ring(
    centre: NDArray[np.float64],
    radius: float,
    azimuth_deg: float,
    beamwidth_deg: float,
    vertices: int,
) -> NDArray[np.float64]:
    """Closed ring of a wedge (compass azimuth, degrees) with the wedge's exact area.

    The arc takes the disc's angular step; its vertices sit at the equal-area radius of
    that step, so the polygon's area is r²·beamwidth/2 and its rim error the disc's.
    """
    steps = max(2, math.ceil(vertices * beamwidth_deg / 360))
    step = math.radians(beamwidth_deg) / steps
    rho = radius * math.sqrt(step / math.sin(step))
    bearings = np.radians(azimuth_deg - beamwidth_deg / 2) + step * np.arange(steps + 1)
    arc = np.column_stack([np.sin(bearings), np.cos(bearings)]) * rho + centre
    return np.vstack([centre, arc, centre])


def corridor_quad_segs(
    half_width: float,
    length: NDArray[np.float64],
    turns: NDArray[np.float64],
    rim_error_m: float,
    minimum: int,
) -> NDArray[np.int64]:
    """GEOS quad_segs (segments per quarter circle) for each corridor.

    Caps and round joins are arcs of total angle 2π + Σ|turn| with vertices on the
    circle: each chord of angle x cuts (r²/2)(x - sin x) off, and its midpoint lies
    r(1 - cos(x/2)) inside. x is made small enough for both the rim error and an area
    loss under AREA_REL_ERROR of the corridor (at least 2rL·½ + πr², a lower bound).
    """
    r = half_width
    arc = 2 * np.pi + np.asarray(turns, dtype=float)
    area = np.pi * r * r + r * np.asarray(length, dtype=float)
    # rim: 1 - cos(x/2) <= e/r  ->  x <= 2 acos(1 - e/r)
    x_rim = 2 * math.acos(max(-1.0, 1 - rim_error_m / r))
    # area: (r²/2)·arc·(1 - sin x / x) <= ε·area, with 1 - sin x / x <= x²/6
    x_area = np.sqrt(6 * 2 * AREA_REL_ERROR * area / (r * r * arc))
    x = np.minimum(x_rim, x_area)
    q = np.ceil((np.pi / 2) / x)
    return np.clip(np.maximum(q, max(1, minimum // 4)), 1, MAX_VERTICES // 4).astype(np.int64)


def touching(
    centres: NDArray[np.float64], radii: NDArray[np.float64], vertices: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every pair (i, j), i < j, of equal-area disc polygons that may touch: their vertex
    circles meet (an arithmetic test on the pairs whose boxes meet). Any disc inside or
    overlapping another is in such a pair, so `contained_in` and `disc_colours` share it.
    """
    outer = radii * equal_area_scale(vertices)
    lo, hi = centres - outer[:, None], centres + outer[:, None]
    boxes = shapely.box(lo[:, 0], lo[:, 1], hi[:, 0], hi[:, 1])
    a, b = shapely.STRtree(boxes).query(boxes)
    keep = a < b
    a, b = a[keep], b[keep]
    # TOUCH_M: vertices computed with cos/sin may lie a rounding error beyond the circle
    near = np.hypot(*(centres[a] - centres[b]).T) <= outer[a] + outer[b] + TOUCH_M
    return a[near], b[near]


def contained_in(
    centres: NDArray[np.float64],
    radii: NDArray[np.float64],
    vertices: NDArray[np.int64],
    pairs: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
) -> NDArray[np.int64]:
    """For each equal-area disc polygon, one disc polygon it lies inside (-1: none).

    Polygon i reaches at most its vertex radius from its centre; polygon j contains the
    circle of its edge midpoints. So d(i, j) + vertex radius of i <= midpoint radius of j
    proves i inside j, with no geometry: pure arithmetic on the candidate pairs
    (`touching`, unless given).
    """
    out = np.full(len(radii), -1, dtype=np.int64)
    a, b = touching(centres, radii, vertices) if pairs is None else pairs
    scale = equal_area_scale(vertices)
    outer = radii * scale
    inner = radii * scale * np.cos(np.pi / vertices)
    i, j = np.concatenate([a, b]), np.concatenate([b, a])
    d = np.hypot(*(centres[i] - centres[j]).T)
    ok = d + outer[i] <= inner[j]
    i, j = i[ok], j[ok]
    # the widest container of each: the likeliest to cover it whatever else is down
    order = np.lexsort((-inner[j], i))
    first = np.unique(i[order], return_index=True)[1]
    out[i[order][first]] = j[order][first]
    return out


def disc_colours(
    container: NDArray[np.int64], pairs: tuple[NDArray[np.int64], NDArray[np.int64]]
) -> NDArray[np.int64]:
    """A colour for each disc polygon, such that two discs of one colour never touch;
    -1 for a disc inside another (`contained_in`), which unions leave out.

    pairs: the discs that may touch (`touching`). Discs of one colour form a valid
    MultiPolygon as they are, with no overlay, so a union of n discs takes one overlay
    per colour instead of n - 1 (a cascade's). Greedy, in index order (the smallest
    colour no earlier neighbour has): hand-written, as no dependency of the project
    colours a graph.
    """
    a, b = pairs
    free = container < 0
    both = free[a] & free[b]
    a, b = a[both], b[both]
    order = np.argsort(b, kind="stable")
    earlier = a[order].tolist()
    ptr = np.searchsorted(b[order], np.arange(len(container) + 1)).tolist()
    col = [-1] * len(container)
    for v in np.flatnonzero(free).tolist():
        used = {col[u] for u in earlier[ptr[v] : ptr[v + 1]]}
        k = 0
        while k in used:
            k += 1
        col[v] = k
    return np.array(col, dtype=np.int64)
