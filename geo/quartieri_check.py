"""Quartiere polygons checked against the comune they should tile, before anything uses them.

Official files go wrong in ways that make every figure silently wrong rather than fail:
metres read as degrees, a CRS declared wrongly, latitude and longitude swapped, one
quartiere drawn far away, one missing. Compared with the comune's boundary each of these
shows (the polygons land elsewhere, leave a gap, or stick out), and since the raw
coordinates are kept until the CRS is settled, a misread CRS is told apart from a badly
drawn polygon and the message names the CRS that does fit.

The comune boundary is city data: it is passed in (`Boundary`), never a default here. A
boundary marked `only_if_near` (the bundled Reggio Emilia one) is applied only to polygons
that lie over it, or would with another CRS, so another city's quartieri are not judged
against it. Without a boundary the checks that need none still run: overlaps, holes
inside the union, a quartiere far from all the others.

Tolerances: official boundaries and the simplified ISTAT one differ by thin slivers, so
areas are compared after a morphological opening (`Tolerance.sliver_m`: strips narrower
than twice that vanish) and pieces under `Tolerance.min_km2` are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import ProjError
from shapely.geometry.base import BaseGeometry

from netagent.geo.quartieri import (
    Fields,
    QuartiereError,
    build_quartieri,
    crs_fix,
    read_raw,
    reprojected,
    to_lonlat,
    to_metric,
)
from netagent.inventory.geojson import METRIC_CANDIDATES as _CANDIDATES
from netagent.inventory.geojson import WGS84, Feature, RawFile, describe_crs, is_lonlat, to_wgs84
from netagent.inventory.issues import Issue, Severity
from netagent.inventory.model import Quartiere

# Share of the comune the polygons must cover, read with a CRS, for that CRS to "fit".
_FIT = 0.5
# A quartiere this far from every other one is a misplaced polygon, not an exclave (km).
_OUTLIER_KM = 5.0
# Gaps listed one by one; the rest are summed up.
_MAX_GAPS = 10


@dataclass(frozen=True)
class Boundary:
    """The comune the quartieri should tile, WGS84."""

    label: str  # "the comune (bundled ISTAT boundary of Reggio nell'Emilia)", a file name
    geometry: BaseGeometry
    only_if_near: bool = False  # apply only to polygons over it (or over it with another CRS)


@dataclass(frozen=True)
class Tolerance:
    sliver_m: float = 50.0
    min_km2: float = 0.05


def read_boundary(path: Path, label: str = "", only_if_near: bool = False) -> Boundary:
    """A boundary from a GeoJSON or Shapefile (any CRS): the union of its polygons."""
    path = Path(path)
    geoms = [f.geometry for f in reprojected(read_raw(path), path)]
    union = shapely.union_all([shapely.make_valid(g) for g in geoms])
    if union.is_empty or union.area == 0:
        raise QuartiereError(path, None, "the boundary file has no polygon")
    return Boundary(label or f"the comune boundary {path.name}", union, only_if_near)


def check_file(
    path: Path,
    fields: Fields | None = None,
    boundary: Boundary | None = None,
    tol: Tolerance = Tolerance(),
) -> tuple[list[Quartiere] | None, list[Issue]]:
    """Read and check a quartiere file: (quartieri, issues), quartieri None on an error.

    Never raises for a bad file: every problem is an `Issue` naming the file, the record
    and what to do.
    """
    path = Path(path)
    try:
        raw = read_raw(path)
        crs_issue, applies = _diagnose_crs(raw, path, boundary)
        if crs_issue is not None:
            return None, [crs_issue]
        quartieri, issues, index_of = build_quartieri(
            path, reprojected(raw, path), fields or Fields()
        )
    except QuartiereError as e:
        where = f"record #{e.index}" if e.index is not None else ""
        return None, [Issue(str(e.path), where, "", e.message)]
    origins = {name: (str(path), f"record #{i}") for name, i in index_of.items()}
    layout = check_layout(quartieri, boundary if applies else None, str(path), origins, tol)
    issues += layout
    if layout and boundary is not None and applies:
        issues = _better_crs(raw, path, boundary) + issues
    if any(i.severity is Severity.ERROR for i in issues):
        return None, issues
    return quartieri, issues


# -- the CRS, judged by where it puts the polygons ---------------------------------------


def _swapped(g: BaseGeometry) -> BaseGeometry:
    return shapely.transform(g, lambda c: c[:, ::-1])


def _metric(wgs84: BaseGeometry | None) -> BaseGeometry | None:
    """Polygons read one way, in metres; None when that way puts them off the Earth."""
    if wgs84 is None or not is_lonlat(wgs84.bounds):
        return None
    metric = to_metric(wgs84)
    return shapely.make_valid(metric) if np.isfinite(metric.bounds).all() else None


def _fit(wgs84: BaseGeometry | None, comune: BaseGeometry) -> float:
    """Share of the comune covered by the polygons read one way."""
    metric = _metric(wgs84)
    return 0.0 if metric is None else float(metric.intersection(comune).area / comune.area)


def _misfit_km2(wgs84: BaseGeometry | None, comune: BaseGeometry) -> float | None:
    """Area where the polygons read one way and the comune differ."""
    metric = _metric(wgs84)
    return None if metric is None else _km2(metric.symmetric_difference(comune))


def _readings(raw: RawFile) -> list[tuple[str, CRS, bool]]:
    """The other ways to read the coordinates: (label, CRS, axes swapped)."""
    geographic = raw.crs if raw.crs.is_geographic else WGS84
    readings = [("swap", geographic, True), ("EPSG:4326", WGS84, False)] + [
        (code, CRS.from_user_input(code), False) for code, _ in _CANDIDATES
    ]
    return [r for r in readings if r[2] or not r[1].equals(raw.crs)]


def _raw_union(raw: RawFile) -> BaseGeometry:
    return shapely.union_all([shapely.make_valid(f.geometry) for f in raw.features])


def _read_as(raw_union: BaseGeometry, crs: CRS, swap: bool) -> BaseGeometry | None:
    try:
        g = to_wgs84(_swapped(raw_union) if swap else raw_union, crs)
    except ProjError:  # coordinates the CRS cannot take at all
        return None
    return g if np.isfinite(g.bounds).all() else None


def _diagnose_crs(raw: RawFile, path: Path, boundary: Boundary | None) -> tuple[Issue | None, bool]:
    """(an error when the polygons fit the comune only with another CRS or with the axes
    swapped; whether the boundary applies to this file at all)."""
    if boundary is None or not raw.features:
        return None, False
    comune = shapely.make_valid(to_metric(boundary.geometry))
    raw_union = _raw_union(raw)
    declared = _read_as(raw_union, raw.crs, False)
    declared_fit = _fit(declared, comune)
    if declared_fit >= _FIT:
        return None, True
    fits = [
        (_fit(_read_as(raw_union, crs, swap), comune), label) for label, crs, swap in _readings(raw)
    ]
    best = max(f for f, _ in fits)
    # UTM 32N on WGS84, ETRS89 or RDN2008 differ by a metre: name the most common.
    label = next(code for f, code in fits if f >= best - 0.01)
    if best < _FIT or best <= declared_fit:
        applies = declared_fit > 0 or not boundary.only_if_near
        return None, applies
    on = boundary.label
    if declared is None or not is_lonlat(declared.bounds):
        now = "the coordinates are not lon/lat (they look like metres)"
    elif (km := to_metric(declared).distance(comune) / 1000) > 0:
        now = f"the quartieri fall {km:.1f} km from {on}"
    else:
        now = f"the quartieri cover only {declared_fit:.0%} of {on}"
    if label == "swap":
        msg = (
            f"latitude and longitude are swapped: read as written, {now}; swapped, they "
            f"cover {best:.0%} of it: write longitude first (x = longitude, "
            "y = latitude), as GeoJSON and Shapefile require"
        )
    else:
        problem = "wrong CRS" if raw.crs_given else "the CRS is missing"
        msg = (
            f"{problem}: {raw.declared}, and read so {now}; the coordinates fit "
            f"{describe_crs(label)}, which puts them over {best:.0%} of {on}; set the CRS: "
            f"{crs_fix(path)(label)}"
        )
    return Issue(str(path), "", "crs", msg), True


def _better_crs(raw: RawFile, path: Path, boundary: Boundary) -> list[Issue]:
    """When the polygons lie over the comune but do not match it, a hint if another CRS
    matches it much better: a datum mix-up (ED50 for ETRS89) shifts everything ~150 m."""
    comune = shapely.make_valid(to_metric(boundary.geometry))
    raw_union = _raw_union(raw)
    declared = _misfit_km2(_read_as(raw_union, raw.crs, False), comune)
    scored = [
        (m, label)
        for label, crs, swap in _readings(raw)
        if (m := _misfit_km2(_read_as(raw_union, crs, swap), comune)) is not None
    ]
    if declared is None or not scored:
        return []
    best = min(m for m, _ in scored)
    if best > declared / 2:
        return []
    label = next(code for m, code in scored if m <= best + 0.05)
    how = "with the axes swapped" if label == "swap" else f"as {describe_crs(label)}"
    fix = "" if label == "swap" else f"; if the declared CRS is wrong: {crs_fix(path)(label)}"
    return [
        Issue(
            str(path),
            "",
            "crs",
            (
                f"the quartieri match {boundary.label} better read {how}: {best:.2f} km² "
                f"differ from it instead of {declared:.2f} km² ({raw.declared}){fix}"
            ),
            Severity.WARNING,
        )
    ]


# -- the polygons, against each other and the comune --------------------------------------


def _opened(g: BaseGeometry, tol: Tolerance) -> BaseGeometry:
    """`g` without strips narrower than 2 × sliver_m (differences of simplification)."""
    return shapely.buffer(shapely.buffer(g, -tol.sliver_m), tol.sliver_m)


def _parts(g: BaseGeometry) -> list[BaseGeometry]:
    return [p for p in shapely.get_parts(g) if p.area > 0]


def _km2(g: BaseGeometry) -> float:
    return float(g.area) / 1e6


def _where_point(g: BaseGeometry) -> str:
    p = to_lonlat(g.representative_point())
    return f"around {p.y:.4f}, {p.x:.4f}"


def check_loaded(
    quartieri: Sequence[Quartiere],
    boundary: Boundary | None,
    file: str,
    origins: Mapping[str, tuple[str, str]],
    tol: Tolerance = Tolerance(),
) -> list[Issue]:
    """`check_file` for quartieri already read (from inventory GeoJSON files, in WGS84):
    swapped axes are still told, then the layout is checked."""
    if not quartieri:
        return []
    raw = RawFile(
        WGS84,
        "read as WGS84 lon/lat",
        [Feature(i, q.geometry, {}) for i, q in enumerate(quartieri)],
    )
    crs_issue, applies = _diagnose_crs(raw, Path(file), boundary)
    if crs_issue is not None:
        return [crs_issue]
    return check_layout(quartieri, boundary if applies else None, file, origins, tol)


def check_layout(
    quartieri: Sequence[Quartiere],
    boundary: Boundary | None,
    file: str,
    origins: Mapping[str, tuple[str, str]] | None = None,
    tol: Tolerance = Tolerance(),
) -> list[Issue]:
    """Overlaps between quartieri, gaps, polygons outside the comune (or, without a
    boundary, far from all the others): one located error each, areas in km². `origins`
    gives each quartiere's (file, record); `file` is blamed for what no one record is."""
    origins = origins or {}
    names = [q.name for q in quartieri]
    geoms = [shapely.make_valid(to_metric(q.geometry)) for q in quartieri]

    def issue(name: str, message: str) -> Issue:
        at_file, where = origins.get(name, (file, ""))
        return Issue(at_file, where, name, message)

    issues = []
    tree = shapely.STRtree(geoms)
    for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
        if i < j:
            shared = _opened(geoms[i].intersection(geoms[j]), tol)
            if _km2(shared) >= tol.min_km2:
                issues.append(
                    issue(
                        names[j],
                        f"overlaps quartiere {names[i]!r} by "
                        f"{_km2(shared):.2f} km² ({_where_point(shared)}): the "
                        "comune's totals would count that area twice",
                    )
                )
    union = shapely.union_all(geoms)
    if boundary is None:
        return issues + _holes(union, names, geoms, file, tol) + _outliers(names, geoms, issue)
    comune = shapely.make_valid(to_metric(boundary.geometry))
    for name, g in zip(names, geoms, strict=True):
        if _km2(g.intersection(comune)) < tol.min_km2:
            issues.append(
                issue(
                    name,
                    f"lies outside {boundary.label}, "
                    f"{g.distance(comune) / 1000:.1f} km from it: check its "
                    "coordinates (drawn in another CRS, or moved?)",
                )
            )
            continue
        out = _opened(g.difference(comune), tol)
        if _km2(out) >= tol.min_km2:
            issues.append(
                issue(
                    name,
                    f"{_km2(out):.2f} km² of it lies outside "
                    f"{boundary.label} ({_where_point(out)})",
                )
            )
    gaps = [g for g in _parts(_opened(comune.difference(union), tol)) if _km2(g) >= tol.min_km2]
    gaps.sort(key=lambda g: -g.area)
    covered = _km2(union.intersection(comune))
    for n, gap in enumerate(gaps[:_MAX_GAPS]):
        # The comune's figures once, on the largest gap; a long list is cut.
        summary = (
            f"; the quartieri cover {covered:.2f} km² of the {_km2(comune):.2f} km² of "
            f"{boundary.label}: is a quartiere missing?"
            if n == 0
            else ""
        )
        issues.append(Issue(file, "", "", _gap_message(gap, names, geoms) + summary))
    if len(gaps) > _MAX_GAPS:
        rest = gaps[_MAX_GAPS:]
        issues.append(
            Issue(
                file,
                "",
                "",
                f"and {len(rest)} more gaps, {sum(_km2(g) for g in rest):.2f} km² in all",
            )
        )
    return issues


def _gap_message(gap: BaseGeometry, names: Sequence[str], geoms: Sequence[BaseGeometry]) -> str:
    near = sorted(n for n, g in zip(names, geoms, strict=True) if g.distance(gap) < 1.0)
    bordering = f", bordering {', '.join(near)}" if near else ""
    return f"a gap of {_km2(gap):.2f} km² in no quartiere ({_where_point(gap)}{bordering})"


def _holes(
    union: BaseGeometry,
    names: Sequence[str],
    geoms: Sequence[BaseGeometry],
    file: str,
    tol: Tolerance,
) -> list[Issue]:
    """Without a boundary, a gap shows only as a hole enclosed by the quartieri."""
    issues = []
    for part in _parts(union):
        for ring in getattr(part, "interiors", []):
            hole = _opened(shapely.Polygon(ring), tol)
            if _km2(hole) >= tol.min_km2:
                issues.append(Issue(file, "", "", _gap_message(hole, names, geoms)))
    return issues


def _outliers(
    names: Sequence[str], geoms: Sequence[BaseGeometry], issue: Callable[[str, str], Issue]
) -> list[Issue]:
    if len(geoms) < 3:
        return []
    out = []
    for i, g in enumerate(geoms):
        km = min(g.distance(o) for j, o in enumerate(geoms) if j != i) / 1000
        if km > _OUTLIER_KM:
            out.append(
                issue(
                    names[i],
                    f"lies {km:.1f} km from every other quartiere: check "
                    "its coordinates (drawn in another CRS, or moved?)",
                )
            )
    return out
