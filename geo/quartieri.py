"""Quartiere polygons: approximations from centres, official files, and point lookup.

No public dataset of quartiere polygons exists for Reggio Emilia, so until the Comune's
official polygons are supplied the project uses a Voronoi partition of the quartiere
centres clipped to the ISTAT boundary, labelled approximate. Metric work (Voronoi,
distances) is done in ETRS89 / UTM 32N (EPSG:25832), where Reggio Emilia lies.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.ops import nearest_points
from shapely.strtree import STRtree

from geo.projection import Projector
from inventory.geojson import WGS84, check_lonlat, read_features, to_wgs84
from inventory.model import Quartiere

log = logging.getLogger(__name__)

VORONOI_SOURCE = "Voronoi of Wikipedia centres, clipped to ISTAT boundary"
# How far inside the boundary a centre lying outside it is moved (metres).
_INSET_M = 100.0

_PROJ = Projector("EPSG:25832")


class QuartiereError(ValueError):
    """A quartiere file or record cannot be used; names the file, record and reason."""

    def __init__(self, path: Path, index: int | None, message: str) -> None:
        self.path, self.index, self.message = path, index, message
        where = f"{path}" if index is None else f"{path}: record #{index}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Centre:
    """The centre of a quartiere or frazione, WGS84."""

    name: str
    lon: float
    lat: float
    ambito: str | None = None
    population: int | None = None


# WGS84 lon/lat <-> EPSG:25832 metres, the same projection coverage uses.
to_metric = _PROJ.to_metric
to_lonlat = _PROJ.to_wgs84


def _oriented(geometry: BaseGeometry) -> BaseGeometry:
    """Exterior rings counter-clockwise: the ISTAT file may wind them clockwise."""
    if isinstance(geometry, Polygon):
        return orient(geometry)
    if isinstance(geometry, MultiPolygon):
        return MultiPolygon([orient(p) for p in geometry.geoms])
    return geometry


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Only the polygonal parts of `geometry` (make_valid/intersection may add lines)."""
    if isinstance(geometry, Polygon | MultiPolygon):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    polys = [p for g in parts for p in (g.geoms if isinstance(g, MultiPolygon) else [g])]
    return MultiPolygon(polys) if len(polys) != 1 else polys[0]


def voronoi_quartieri(centres: Sequence[Centre], boundary: BaseGeometry) -> list[Quartiere]:
    """One approximate polygon per centre: its Voronoi cell, clipped to the boundary.

    A centre outside the boundary (Gaida's is given to ~1 km and falls 232 m outside) is
    moved to the nearest point 100 m inside it, so that it still gets a cell of its own.
    """
    if len(centres) < 2:
        raise ValueError("a Voronoi partition needs at least two centres")
    names = [c.name for c in centres]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate centre names: {dupes}")
    area = shapely.make_valid(_oriented(to_metric(boundary)))
    inner = area.buffer(-_INSET_M)
    points = []
    for c in centres:
        p = to_metric(Point(c.lon, c.lat))
        if not area.contains(p):
            moved = nearest_points(inner, p)[0]
            log.info("centre of %s lies %.0f m outside the boundary; moved inside",
                     c.name, area.distance(p))
            p = moved
        points.append(p)
    cells = shapely.voronoi_polygons(
        MultiPoint(points), extend_to=area.envelope.buffer(1000), ordered=True
    )
    out = []
    for c, cell in zip(centres, cells.geoms, strict=True):
        clipped = _polygonal(_oriented(cell.intersection(area)))
        out.append(Quartiere(
            name=c.name, ambito=c.ambito, population=c.population,
            geometry=to_lonlat(clipped), approximate=True, source=VORONOI_SOURCE,
        ))
    return out


class QuartiereIndex:
    """Which quartiere a point is in, by point-in-polygon over an STRtree.

    A point on a border shared by several quartieri goes to the first of them by name, so
    the answer never depends on input order. A point outside every polygon (a site just
    across a simplified boundary) goes to the nearest within `snap_m` metres, else None.
    """

    def __init__(self, quartieri: Sequence[Quartiere], snap_m: float = 250.0) -> None:
        ordered = sorted(quartieri, key=lambda q: q.name)
        self._names = [q.name for q in ordered]
        self._geoms = [to_metric(q.geometry) for q in ordered]
        for g in self._geoms:
            shapely.prepare(g)
        self._tree = STRtree(self._geoms)
        self._snap_m = snap_m

    def locate(self, lon: float, lat: float) -> str | None:
        """The quartiere containing (lon, lat), the nearest within snap_m, or None."""
        return self.locate_many([lon], [lat])[0]

    def locate_many(self, lons: Sequence[float], lats: Sequence[float]) -> list[str | None]:
        """`locate` for many points at once: one reprojection and one bulk tree query."""
        points = shapely.points(_PROJ.xy(np.asarray(lons, float), np.asarray(lats, float)))
        best = np.full(len(points), len(self._names), dtype=np.int64)
        # query() returns (point index, polygon index) pairs; lowest name index wins.
        pi, gi = self._tree.query(points, predicate="intersects")
        np.minimum.at(best, pi, gi)
        missing = np.flatnonzero(best == len(self._names))
        if len(missing):
            pi, gi = self._tree.query_nearest(
                points[missing], max_distance=self._snap_m, all_matches=True
            )
            np.minimum.at(best, missing[pi], gi)
        return [self._names[i] if i < len(self._names) else None for i in best.tolist()]


# -- official polygons supplied by the user ----------------------------------------------

def _shapefile_records(path: Path) -> list[tuple[int, BaseGeometry, dict[str, Any]]]:
    prj = path.with_suffix(".prj")
    crs = WGS84
    if prj.exists():
        try:
            crs = CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace"))
        except CRSError as e:
            raise QuartiereError(path, None, f"cannot read the CRS in {prj.name}: {e}") from e
    # The .cpg names the DBF's text encoding; Italian GIS exports are often Latin-1.
    cpg = path.with_suffix(".cpg")
    encoding = cpg.read_text(encoding="ascii", errors="replace").strip() if cpg.exists() else ""
    try:
        reader = shapefile.Reader(str(path), encoding=encoding or "utf-8")
    except (shapefile.ShapefileException, OSError, LookupError) as e:
        raise QuartiereError(path, None, f"cannot read the shapefile: {e}") from e
    out: list[tuple[int, BaseGeometry, dict[str, Any]]] = []
    with reader:
        try:
            for i, sr in enumerate(reader.iterShapeRecords()):
                if sr.shape.shapeType == shapefile.NULL:
                    raise QuartiereError(path, i, "the record has no shape")
                geom = to_wgs84(shape(sr.shape.__geo_interface__), crs)
                if not prj.exists():
                    try:
                        check_lonlat(geom, path, i)
                    except ValueError as e:
                        raise QuartiereError(path, i, f"no .prj file and {e}") from e
                out.append((i, geom, sr.record.as_dict()))
        except (shapefile.ShapefileException, UnicodeDecodeError) as e:
            raise QuartiereError(
                path, len(out), f"cannot read the record as {encoding or 'utf-8'}: {e}; "
                "a .cpg file next to it names the DBF's encoding",
            ) from e
    return out


def _records(path: Path) -> list[tuple[int, BaseGeometry, dict[str, Any]]]:
    if path.suffix.lower() == ".shp":
        return _shapefile_records(path)
    return [(f.index, f.geometry, f.properties) for f in read_features(path)]


def _population(value: Any, path: Path, index: int, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        pop = int(float(value))
    except (TypeError, ValueError) as e:
        raise QuartiereError(path, index, f"{field}={value!r} is not a number") from e
    if pop < 0:
        raise QuartiereError(path, index, f"{field}={value!r} is negative")
    return pop


def load_quartieri(
    path: Path,
    name_field: str = "name",
    population_field: str = "population",
    ambito_field: str = "ambito",
) -> tuple[list[Quartiere], list[str]]:
    """Quartiere polygons from a GeoJSON (any declared CRS) or a Shapefile (.prj honoured).

    Returns the quartieri and warnings; an invalid polygon is repaired with make_valid and
    a warning naming it, since official files often carry small self-intersections.
    """
    path = Path(path)
    quartieri: list[Quartiere] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for index, geom, props in _records(path):
        name = props.get(name_field)
        if not isinstance(name, str) or not name.strip():
            raise QuartiereError(path, index, f"missing the name field {name_field!r} "
                                 f"(fields present: {sorted(props)})")
        name = name.strip()
        if name in seen:
            raise QuartiereError(path, index, f"duplicate quartiere name {name!r}")
        seen.add(name)
        if not isinstance(geom, Polygon | MultiPolygon):
            raise QuartiereError(path, index, f"quartiere {name!r}: expected a Polygon or "
                                 f"MultiPolygon, got {geom.geom_type}")
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = _polygonal(shapely.make_valid(geom))
            warnings.append(f"{path}: quartiere {name!r} (record #{index}) had an invalid "
                            f"polygon ({reason}); repaired with make_valid")
        ambito = props.get(ambito_field)
        quartieri.append(Quartiere(
            name=name,
            ambito=(str(ambito).strip() or None) if ambito is not None else None,
            population=_population(props.get(population_field), path, index, population_field),
            geometry=_oriented(geom),
            approximate=bool(props.get("approximate", False)),
            source=str(props.get("source") or path.name),
        ))
    if not quartieri:
        raise QuartiereError(path, None, "no quartiere polygons in the file")
    return quartieri, warnings
