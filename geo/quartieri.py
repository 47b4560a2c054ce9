"""Quartiere polygons: approximations from centres, official files, and point lookup.

No public dataset of quartiere polygons exists for Reggio Emilia, so until the Comune's
official polygons are supplied the project uses a Voronoi partition of the quartiere
centres clipped to the ISTAT boundary, labelled approximate. Metric work (Voronoi,
distances) is done in ETRS89 / UTM 32N (EPSG:25832), where Reggio Emilia lies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
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

from netagent.geo.projection import Projector
from netagent.inventory.geojson import (
    AMBITO_FIELDS,
    NAME_FIELDS,
    POPULATION_FIELDS,
    WGS84,
    Feature,
    GeoJSONError,
    RawFile,
    geojson_crs_fix,
    is_lonlat,
    not_lonlat_message,
    pick_field,
    to_wgs84,
)
from netagent.inventory.geojson import read_raw as read_geojson_raw
from netagent.inventory.issues import Issue, Severity
from netagent.inventory.model import Quartiere

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
            log.info(
                "centre of %s lies %.0f m outside the boundary; moved inside",
                c.name,
                area.distance(p),
            )
            p = moved
        points.append(p)
    cells = shapely.voronoi_polygons(
        MultiPoint(points), extend_to=area.envelope.buffer(1000), ordered=True
    )
    out = []
    for c, cell in zip(centres, cells.geoms, strict=True):
        clipped = _polygonal(_oriented(cell.intersection(area)))
        out.append(
            Quartiere(
                name=c.name,
                ambito=c.ambito,
                population=c.population,
                geometry=to_lonlat(clipped),
                approximate=True,
                source=VORONOI_SOURCE,
            )
        )
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


def _shapefile_raw(path: Path) -> RawFile:
    """The records of a Shapefile, coordinates as written, with the CRS of its .prj."""
    prj = path.with_suffix(".prj")
    crs, declared, given = WGS84, "there is no .prj next to it (read as WGS84 lon/lat)", False
    if prj.exists():
        try:
            crs = CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace"))
        except CRSError as e:
            raise QuartiereError(path, None, f"cannot read the CRS in {prj.name}: {e}") from e
        declared, given = f"{prj.name} says {crs.name}", True
    # The .cpg names the DBF's text encoding; Italian GIS exports are often Latin-1.
    cpg = path.with_suffix(".cpg")
    encoding = cpg.read_text(encoding="ascii", errors="replace").strip() if cpg.exists() else ""
    try:
        reader = shapefile.Reader(str(path), encoding=encoding or "utf-8")
    except (shapefile.ShapefileException, OSError, LookupError) as e:
        raise QuartiereError(path, None, f"cannot read the shapefile: {e}") from e
    out: list[Feature] = []
    with reader:
        try:
            for i, sr in enumerate(reader.iterShapeRecords()):
                if sr.shape.shapeType == shapefile.NULL:
                    raise QuartiereError(path, i, "the record has no shape")
                geom = shape(sr.shape.__geo_interface__)
                if not np.isfinite(shapely.get_coordinates(geom)).all():
                    raise QuartiereError(path, i, "a coordinate is not a finite number")
                out.append(Feature(i, geom, sr.record.as_dict()))
        except (shapefile.ShapefileException, UnicodeDecodeError) as e:
            raise QuartiereError(
                path,
                len(out),
                f"cannot read the record as {encoding or 'utf-8'}: {e}; "
                "a .cpg file next to it names the DBF's encoding",
            ) from e
    return RawFile(crs, declared, out, given)


def read_raw(path: Path) -> RawFile:
    """A quartiere file (GeoJSON or Shapefile) as written: coordinates and declared CRS."""
    if path.suffix.lower() == ".shp":
        return _shapefile_raw(path)
    try:
        return read_geojson_raw(path)
    except GeoJSONError as e:
        raise QuartiereError(path, e.index, e.message) from e


def crs_fix(path: Path) -> Callable[[str], str]:
    """How to declare the CRS `code` in this kind of file."""
    if path.suffix.lower() != ".shp":
        return geojson_crs_fix
    return lambda code: (
        f"put a .prj for {code} next to {path.name} (the GIS writes it when "
        "exporting), or export the file again in EPSG:4326"
    )


def reprojected(raw: RawFile, path: Path) -> list[Feature]:
    """The features in WGS84; coordinates that do not come out as lon/lat are refused,
    saying which metric CRS they look like."""
    out = []
    for f in raw.features:
        geom = to_wgs84(f.geometry, raw.crs)
        if not is_lonlat(geom.bounds):
            raise QuartiereError(
                path, f.index, not_lonlat_message(f.geometry.bounds, raw.declared, crs_fix(path))
            )
        out.append(Feature(f.index, geom, f.properties))
    return out


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


def _repaired(geom: BaseGeometry, name: str, path: Path, index: int) -> tuple[BaseGeometry, Issue]:
    """make_valid, and a warning that says how much area the repair changed: a bow-tie
    ring's lobes cancel in the area as drawn, and the repair counts both."""
    reason = shapely.is_valid_reason(geom)
    fixed = _polygonal(shapely.make_valid(geom))
    before, after = abs(to_metric(geom).area) / 1e6, to_metric(fixed).area / 1e6
    return fixed, Issue(
        str(path),
        f"record #{index}",
        name,
        f"invalid polygon ({reason}) repaired with make_valid: {before:.3f} km² as drawn, "
        f"{after:.3f} km² repaired, a change of {after - before:+.3f} km²; check the "
        "quartiere's boundary in the source file",
        Severity.WARNING,
    )


@dataclass(frozen=True)
class Fields:
    """Which property holds each figure; empty: detected
    (`netagent.inventory.geojson.pick_field`)."""

    name: str = ""
    population: str = ""
    ambito: str = ""
    # What to tell the user when a field cannot be told: where to name it.
    hint: str = "set agent.quartieri_name_field"


def build_quartieri(
    path: Path, features: Sequence[Feature], fields: Fields = Fields()
) -> tuple[list[Quartiere], list[Issue], dict[str, int]]:
    """Quartieri from WGS84 features: (quartieri, warnings, record index of each name)."""
    props = [f.properties for f in features]
    if not features:
        raise QuartiereError(path, None, "no quartiere polygons in the file")
    try:
        name_field = pick_field(props, fields.name, NAME_FIELDS, "quartiere name", hint=fields.hint)
        pop_field = pick_field(props, fields.population, POPULATION_FIELDS, "population", False)
        ambito_field = pick_field(props, fields.ambito, AMBITO_FIELDS, "ambito", False)
    except ValueError as e:
        raise QuartiereError(path, None, str(e)) from e
    assert name_field is not None
    quartieri: list[Quartiere] = []
    warnings: list[Issue] = []
    index_of: dict[str, int] = {}
    for f in features:
        index, geom, p = f.index, f.geometry, f.properties
        name = p.get(name_field)
        if not isinstance(name, str | int) or not str(name).strip():
            raise QuartiereError(path, index, f"the name field {name_field!r} is empty")
        name = str(name).strip()
        if name in index_of:
            raise QuartiereError(
                path, index, f"duplicate quartiere name {name!r} (also record #{index_of[name]})"
            )
        index_of[name] = index
        if not isinstance(geom, Polygon | MultiPolygon):
            raise QuartiereError(
                path,
                index,
                f"quartiere {name!r}: expected a Polygon or MultiPolygon, got {geom.geom_type}",
            )
        if not geom.is_valid:
            geom, warning = _repaired(geom, name, path, index)
            warnings.append(warning)
        ambito = p.get(ambito_field) if ambito_field else None
        population = p.get(pop_field) if pop_field else None
        quartieri.append(
            Quartiere(
                name=name,
                ambito=(str(ambito).strip() or None) if ambito is not None else None,
                population=_population(population, path, index, pop_field or ""),
                geometry=_oriented(geom),
                approximate=bool(p.get("approximate", False)),
                source=str(p.get("source") or path.name),
            )
        )
    return quartieri, warnings, index_of


def load_quartieri(
    path: Path,
    name_field: str = "",
    population_field: str = "",
    ambito_field: str = "",
) -> tuple[list[Quartiere], list[str]]:
    """Quartiere polygons from a GeoJSON (any declared CRS) or a Shapefile (.prj honoured).

    Returns the quartieri and warnings; an invalid polygon is repaired with make_valid and
    a warning naming it and the area the repair changed, since official files often carry
    small self-intersections. Property names are detected when not given. The checks
    against the comune boundary are `netagent.geo.quartieri_check`'s.
    """
    path = Path(path)
    features = reprojected(read_raw(path), path)
    quartieri, warnings, _ = build_quartieri(
        path, features, Fields(name_field, population_field, ambito_field)
    )
    return quartieri, [str(w) for w in warnings]
