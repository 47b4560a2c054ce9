"""Coverage elements in the metric CRS: one polygon per AP, fibre segment, base station.

Each element also names the devices whose outage takes it away, so live coverage is the
planned coverage minus the elements that depend on a device that is not up.
Discs and sectors have their exact area and a vertex count chosen from their radius
(netagent.geo.shapes), so thousands of discs cost one numpy expression and one shapely call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, reduce

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_config import CoverageConfig
from netagent.geo.projection import Projector
from netagent.geo.shapes import (
    circle_vertices,
    contained_in,
    corridor_quad_segs,
    disc_colours,
    disc_rings,
    sector_ring,
    touching,
)
from netagent.inventory.model import Device, DeviceStatus, Inventory, Placement, Role, Sector


class Technology(StrEnum):
    WIFI = "wifi"
    FIBRE = "fibre"
    FIXED_WIRELESS = "fixed-wireless"
    ALL = "all"


LAYERS = (Technology.WIFI, Technology.FIBRE, Technology.FIXED_WIRELESS)


class CoverageInputError(ValueError):
    """The inventory or population data cannot be turned into coverage as given."""


@dataclass(frozen=True)
class Elements:
    """The coverage elements of one technology, in the metric CRS."""

    technology: Technology
    names: list[str]
    # The element polygons; None for corridors, buffered from `paths` on first use.
    shapes: NDArray[np.object_] | None
    # Devices (or segment names) whose outage removes the element.
    depends: list[tuple[str, ...]]
    # Corridors: the paths and buffer parameters of their polygons, so the union of
    # several is one buffer of their MultiLineString (one noding, not a cascade), and
    # where a corridor reaches is a distance to its path: the engine never needs the
    # per-segment polygons (5% of a full recompute), only exports and the loop do.
    paths: NDArray[np.object_] | None = None
    corridor_m: float = 0.0
    quad_segs: int = 8
    # Discs: centres, radii and vertex counts, from which `container` and `colours` come.
    discs: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]] | None = None

    @cached_property
    def _touching(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Discs: the pairs that may touch (netagent.geo.shapes.touching)."""
        assert self.discs is not None
        return touching(*self.discs)

    @cached_property
    def container(self) -> NDArray[np.int64] | None:
        """Discs: one disc each lies inside (-1: none). Such a disc adds nothing to a
        union while its container serves, so unions leave it out (a quarter of a dense
        centre). Found on first use: the loop in bench/coverage_bench.py has no use for it.
        """
        return None if self.discs is None else contained_in(*self.discs, self._touching)

    @cached_property
    def colours(self) -> NDArray[np.int64] | None:
        """Discs: a colour each, overlapping discs never the same (-1: a contained disc),
        so `union` overlays one MultiPolygon per colour (netagent.geo.shapes.disc_colours).
        """
        if self.container is None:
            return None
        colours: NDArray[np.int64] = disc_colours(self.container, self._touching)
        return colours

    @cached_property
    def geoms(self) -> NDArray[np.object_]:
        """One polygon per element."""
        if self.shapes is not None:
            return self.shapes
        assert self.paths is not None
        corridors = shapely.buffer(self.paths, self.corridor_m, quad_segs=self.quad_segs)
        return np.asarray(corridors, dtype=object)

    def __len__(self) -> int:
        return len(self.names)

    def extents(self) -> NDArray[np.object_]:
        """What an STRtree of the elements is built on: polygons, or corridors' paths."""
        return self.geoms if self.paths is None else self.paths

    def centres(self) -> NDArray[np.float64]:
        """(N, 2) centre of each element: a disc's own, else its extent's centroid."""
        if self.discs is not None:
            return self.discs[0]
        xy: NDArray[np.float64] = shapely.get_coordinates(shapely.centroid(self.extents()))
        return xy

    def reaching(self, region: BaseGeometry, members: NDArray[np.int64]) -> NDArray[np.int64]:
        """The members whose element intersects `region` (prepared by the caller)."""
        hit: NDArray[np.bool_] = (
            shapely.intersects(region, self.geoms[members])
            if self.paths is None
            else shapely.dwithin(region, self.paths[members], self.corridor_m)
        )
        return members[hit]

    def pairs(self, geoms: NDArray[np.object_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(i, element) for every element reaching geoms[i] (a corridor: within its width
        of its path)."""
        if len(self) == 0 or len(geoms) == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        tree = shapely.STRtree(self.extents())
        found: NDArray[np.int64] = (
            tree.query(geoms, predicate="intersects")
            if self.paths is None
            else tree.query(geoms, predicate="dwithin", distance=self.corridor_m)
        )
        return found[0], found[1]

    def needed(
        self, members: NDArray[np.int64], alive: NDArray[np.bool_] | None
    ) -> NDArray[np.int64]:
        """The members whose union is the union of all of them (see `container`)."""
        if self.container is None:
            return members
        c = self.container[members]
        covered = c >= 0
        if alive is not None:
            covered &= alive[np.maximum(c, 0)]
        return members[~covered]

    def union(
        self, members: NDArray[np.int64], near: tuple[float, float, float, float] | None = None
    ) -> BaseGeometry:
        """Union of the member elements (overlaps counted once).

        near: only the part within this box is wanted: paths are cut a corridor width
        (and a metre) beyond it before buffering, as what lies farther cannot reach it
        (10% of the corridor work in the benchmark).
        """
        if len(members) == 0:
            return shapely.Polygon()
        if self.paths is not None:
            lines = shapely.multilinestrings(self.paths[members])
            if near is not None:
                m = self.corridor_m + 1.0
                x0, y0, x1, y1 = near
                lines = shapely.clip_by_rect(lines, x0 - m, y0 - m, x1 + m, y1 + m)
            return shapely.buffer(lines, self.corridor_m, quad_segs=self.quad_segs)
        if len(members) == 1:
            return self.geoms[members[0]]
        # (discs are not cut first: cutting 400 discs costs more than it saves)
        if self.colours is not None:
            return _union_by_colour(self.geoms[members], self.colours[members])
        # Polygons that overlap nothing else are set aside before the cascade.
        return shapely.disjoint_subset_union_all(self.geoms[members])


def _union_by_colour(geoms: NDArray[np.object_], colours: NDArray[np.int64]) -> BaseGeometry:
    """Union of polygons of which those sharing a colour (>= 0) never overlap.

    Each colour is one MultiPolygon, and they are overlaid one after the other, from the
    highest colour (the few discs of the densest spots) to colour 0 (the most discs),
    so the running union stays small until the biggest overlays. Fewer, larger overlays
    than a cascade's one per polygon: GEOS's cost per overlay barely depends on the
    vertices. Uncoloured polygons (-1) come first, one each.
    """
    group = np.where(colours >= 0, colours, colours.max() + 1 + np.arange(len(colours)))
    order = np.argsort(-group, kind="stable")
    sorted_group = group[order]
    index = np.concatenate([[0], np.cumsum(sorted_group[1:] != sorted_group[:-1])])
    parts = shapely.multipolygons(geoms[order], indices=index)
    return reduce(shapely.union, parts)


def discs(
    centres: NDArray[np.float64],
    radii: NDArray[np.float64],
    cfg: CoverageConfig,
    vertices: NDArray[np.int64] | None = None,
) -> NDArray[np.object_]:
    """Equal-area disc polygons around (N, 2) metric centres, within the rim error
    (vertices: the counts, when the caller has them already)."""
    if len(centres) == 0:
        return np.empty(0, dtype=object)
    n = (
        circle_vertices(radii, cfg.rim_error_m, cfg.circle_vertices)
        if vertices is None
        else vertices
    )
    coords, owner = disc_rings(centres, radii, n)
    discs: NDArray[np.object_] = shapely.polygons(shapely.linearrings(coords, indices=owner))
    return discs


def sector_polygon(
    centre: NDArray[np.float64], sector: Sector, grid_offset_deg: float, cfg: CoverageConfig
) -> shapely.Polygon:
    """The wedge (or disc, without azimuth/beamwidth) a base station serves."""
    bw = sector.beamwidth_deg
    if sector.azimuth_deg is None or bw is None or bw >= 360:
        return discs(centre[None, :], np.array([sector.radius_m]), cfg)[0]
    n = int(circle_vertices(np.array([sector.radius_m]), cfg.rim_error_m, cfg.circle_vertices)[0])
    ring = sector_ring(centre, sector.radius_m, sector.azimuth_deg + grid_offset_deg, bw, n)
    return shapely.Polygon(ring)


def _site_xy(inv: Inventory, proj: Projector, devices: list[Device]) -> NDArray[np.float64]:
    lon, lat = [], []
    for d in devices:
        site = inv.site_by_name.get(d.site)
        if site is None:
            raise CoverageInputError(f"device {d.name!r}: site {d.site!r} is not in the inventory")
        lon.append(site.lon)
        lat.append(site.lat)
    return proj.xy(np.array(lon), np.array(lat)) if devices else np.empty((0, 2))


def wifi_elements(inv: Inventory, cfg: CoverageConfig, proj: Projector) -> Elements:
    aps = [d for d in inv.access_points() if d.status is DeviceStatus.ACTIVE]
    radii = np.array([_ap_radius(d, cfg) for d in aps], dtype=float)
    xy = _site_xy(inv, proj, aps)
    n = circle_vertices(radii, cfg.rim_error_m, cfg.circle_vertices)
    return Elements(
        Technology.WIFI,
        [d.name for d in aps],
        discs(xy, radii, cfg, n),
        [(d.name,) for d in aps],
        discs=(xy, radii, n),
    )


def _ap_radius(ap: Device, cfg: CoverageConfig) -> float:
    if ap.wifi is not None and ap.wifi.coverage_radius_m is not None:
        return ap.wifi.coverage_radius_m
    indoor = ap.wifi is not None and ap.wifi.placement is Placement.INDOOR
    return cfg.ap_radius_indoor_m if indoor else cfg.ap_radius_outdoor_m


def fibre_elements(inv: Inventory, cfg: CoverageConfig, proj: Projector) -> Elements:
    """Corridors around active segments; a segment serves while both end switches are up."""
    segs = [s for s in inv.segments if s.status is DeviceStatus.ACTIVE]
    paths = []
    for s in segs:
        try:
            paths.append(np.asarray(inv.segment_path(s), dtype=float))
        except KeyError as exc:
            raise CoverageInputError(
                f"fibre segment {s.name!r}: site {exc} is not in the inventory"
            ) from exc
    if paths:
        ll = np.vstack(paths)  # one transform for every vertex, then split per segment
        owner = np.repeat(np.arange(len(paths)), [len(p) for p in paths])
        lines = shapely.linestrings(proj.xy(ll[:, 0], ll[:, 1]), indices=owner)
    else:
        lines = np.empty(0, dtype=object)
    # One arc step for every corridor, the one the most demanding needs: an element is
    # then the same polygon whichever cell unions it (cell size never changes a figure).
    quad_segs = int(
        corridor_quad_segs(
            cfg.fibre_corridor_m,
            shapely.length(lines),
            _turns(lines),
            cfg.rim_error_m,
            cfg.circle_vertices,
        ).max(initial=1)
    )
    depends = [(s.name, *(d for d in (s.a_device, s.b_device) if d)) for s in segs]
    return Elements(
        Technology.FIBRE,
        [s.name for s in segs],
        None,
        depends,
        np.asarray(lines, dtype=object),
        cfg.fibre_corridor_m,
        quad_segs,
    )


def _turns(lines: NDArray[np.object_]) -> NDArray[np.float64]:
    """Sum of |turning angle| (radians) at the inner vertices of each line: the arcs of
    its corridor's round joins."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    d = np.diff(xy, axis=0)
    heading = np.arctan2(d[:, 1], d[:, 0])
    turn = np.abs(np.angle(np.exp(1j * np.diff(heading))))
    # a turn between vertices k and k+2 belongs to a line when all three are its own
    same = (owner[:-2] == owner[1:-1]) & (owner[1:-1] == owner[2:])
    return np.bincount(owner[1:-1][same], weights=turn[same], minlength=len(lines)).astype(float)


def fixed_wireless_elements(inv: Inventory, cfg: CoverageConfig, proj: Projector) -> Elements:
    """Sectors of base stations and repeaters (any non-AP device with a sector)."""
    devs = [
        d
        for d in inv.devices
        if d.status is DeviceStatus.ACTIVE
        and d.role is not Role.WIFI_AP
        and (d.sector is not None or d.role is Role.BASE_STATION)
    ]
    xy = _site_xy(inv, proj, devs)
    geoms = []
    for d, centre in zip(devs, xy, strict=True):
        sector = d.sector or Sector(radius_m=cfg.base_station_radius_m)
        site = inv.site_by_name[d.site]
        offset = proj.grid_bearing_offset_deg(site.lon, site.lat)
        geoms.append(sector_polygon(centre, sector, offset, cfg))
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    return Elements(
        Technology.FIXED_WIRELESS, [d.name for d in devs], arr, [(d.name,) for d in devs]
    )


def build_elements(
    inv: Inventory, cfg: CoverageConfig, proj: Projector
) -> dict[Technology, Elements]:
    return {
        Technology.WIFI: wifi_elements(inv, cfg, proj),
        Technology.FIBRE: fibre_elements(inv, cfg, proj),
        Technology.FIXED_WIRELESS: fixed_wireless_elements(inv, cfg, proj),
    }
