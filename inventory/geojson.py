"""Reading GeoJSON files into WGS84 shapely geometries, whatever CRS they declare.

Shared by the inventory loaders (fibre paths, quartieri) and `netagent.geo.quartieri`, so one place
decides how a declared CRS is honoured: the legacy GeoJSON 2008 `crs` member (a name such
as "EPSG:3003" or "urn:ogc:def:crs:EPSG::32632") is still what GIS desktops write when
exporting in a national grid, and the Comune's own data is likely to come that way.

A file is first read as it is (`read_raw`: coordinates untouched, the CRS it declares and
how), so that a caller can tell a CRS mistake (metres read as degrees, a wrong CRS) from a
drawing mistake; `read_features` is the common path that reprojects to WGS84 and refuses
coordinates that are not lon/lat, saying which metric CRS they look like.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)

# Metric CRSs that Italian GIS offices export in, most common first: the candidates named
# when a file's coordinates are metres but its CRS is missing or says degrees.
METRIC_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("EPSG:3003", "Monte Mario / Italy zone 1"),
    ("EPSG:3004", "Monte Mario / Italy zone 2"),
    ("EPSG:25832", "ETRS89 / UTM 32N"),
    ("EPSG:32632", "WGS 84 / UTM 32N"),
    ("EPSG:7791", "RDN2008 / UTM 32N"),
    ("EPSG:23032", "ED50 / UTM 32N"),
    ("EPSG:25833", "ETRS89 / UTM 33N"),
    ("EPSG:32633", "WGS 84 / UTM 33N"),
    ("EPSG:3857", "WGS 84 / Pseudo-Mercator"),
)
# Where a candidate must put the coordinates to be named: Italy and its surroundings.
_PLAUSIBLE_LON = (5.0, 20.0)
_PLAUSIBLE_LAT = (35.0, 48.0)

# Property names that hold a quartiere's name / population / ambito in the files seen
# (ours, the project's export, the Comune's and ISTAT's), compared case-insensitively.
NAME_FIELDS = (
    "name",
    "nome",
    "quartiere",
    "nome_quart",
    "nome_quartiere",
    "nome_q",
    "denominazione",
    "denominaz",
    "den_quart",
    "quart_nome",
)
POPULATION_FIELDS = ("population", "popolazione", "abitanti", "residenti", "pop")
AMBITO_FIELDS = ("ambito", "nome_ambito")


class GeoJSONError(ValueError):
    """A GeoJSON file or one of its features is not what we can use; says which and why."""

    def __init__(self, path: Path, index: int | None, message: str) -> None:
        self.path = path
        self.index = index
        self.message = message
        where = f"{path}" if index is None else f"{path}: feature #{index}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Feature:
    """One feature: `index` is its position in the file, for error messages."""

    index: int
    geometry: BaseGeometry  # WGS84 lon/lat (in `RawFile.features`: as written in the file)
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RawFile:
    """A file's features with coordinates as written, and the CRS they are said to be in."""

    crs: CRS
    declared: str  # how the CRS was given: "'crs' member EPSG:3003", "no 'crs' member"…
    features: list[Feature]
    crs_given: bool = True  # False: nothing in the file names a CRS (WGS84 by default)


@lru_cache(maxsize=32)
def _transformer(crs: CRS) -> Transformer:
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def to_wgs84(geometry: BaseGeometry, crs: CRS) -> BaseGeometry:
    """Reproject `geometry` from `crs` to WGS84 lon/lat (x = lon), a no-op for WGS84."""
    if crs.equals(WGS84, ignore_axis_order=True):
        return geometry
    tr = _transformer(crs)

    def project(coords: np.ndarray) -> np.ndarray:
        x, y = tr.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, project)


def parse_crs(value: Any, path: Path) -> CRS:
    """The CRS named by a legacy `crs` member, or WGS84 when there is none (RFC 7946)."""
    if value is None:
        return WGS84
    name = value.get("properties", {}).get("name") if isinstance(value, dict) else None
    if not isinstance(name, str):
        raise GeoJSONError(
            path,
            None,
            f"'crs' must be {{'type': 'name', 'properties': {{'name': ...}}}}, got {value!r}",
        )
    try:
        return CRS.from_user_input(name)
    except CRSError as e:
        raise GeoJSONError(path, None, f"unknown CRS {name!r}: {e}") from e


def is_lonlat(bounds: Sequence[float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90)


def metric_guesses(bounds: Sequence[float]) -> list[str]:
    """The candidate CRSs that would put a box of metric coordinates in or near Italy."""
    x = np.array([(bounds[0] + bounds[2]) / 2])
    y = np.array([(bounds[1] + bounds[3]) / 2])
    out = []
    for code, _ in METRIC_CANDIDATES:
        lon, lat = _transformer(CRS.from_user_input(code)).transform(x, y)
        if (
            _PLAUSIBLE_LON[0] <= lon[0] <= _PLAUSIBLE_LON[1]
            and _PLAUSIBLE_LAT[0] <= lat[0] <= _PLAUSIBLE_LAT[1]
        ):
            out.append(code)
    return out


def describe_crs(code: str) -> str:
    return next((f"{c} ({n})" for c, n in METRIC_CANDIDATES if c == code), code)


def not_lonlat_message(bounds: Sequence[float], declared: str, fix: Callable[[str], str]) -> str:
    """What to say when coordinates meant as degrees are not: they look like metres.
    `fix(code)` says how to declare the CRS `code` in this kind of file."""
    box = ", ".join(f"{v:,.0f}" for v in bounds)
    guesses = metric_guesses(bounds)
    guess = f" ({' or '.join(describe_crs(g) for g in guesses[:3])}?)" if guesses else ""
    return (
        f"coordinates ({box}) are not WGS84 lon/lat but {declared}: they look like "
        f"metres{guess}; set the CRS: {fix(guesses[0] if guesses else 'EPSG:NNNN')}"
    )


def geojson_crs_fix(code: str = "EPSG:NNNN") -> str:
    """How to declare a GeoJSON file's CRS."""
    return (
        f'add "crs": {{"type": "name", "properties": {{"name": "{code}"}}}} to the file, '
        "or export it in EPSG:4326"
    )


def _feature(raw: Any, index: int, path: Path) -> Feature:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise GeoJSONError(path, index, 'expected an object with "type": "Feature"')
    if raw.get("geometry") is None:
        raise GeoJSONError(path, index, "the feature has no geometry")
    try:
        with warnings.catch_warnings():  # NaN coordinates: reported below, in the file's words
            warnings.simplefilter("ignore", RuntimeWarning)
            geom = shape(raw["geometry"])
    except (
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        shapely.errors.ShapelyError,
    ) as e:
        raise GeoJSONError(path, index, f"invalid geometry: {e}") from e
    if geom.is_empty:
        raise GeoJSONError(path, index, "the geometry is empty")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise GeoJSONError(path, index, "a coordinate is not a finite number (NaN, Infinity)")
    props = raw.get("properties") or {}
    if not isinstance(props, dict):
        raise GeoJSONError(path, index, "'properties' must be an object")
    return Feature(index=index, geometry=geom, properties=props)


def read_raw(path: Path) -> RawFile:
    """The features of a FeatureCollection (or a single Feature), coordinates as written."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise GeoJSONError(path, None, f"cannot read: {e.strerror or e}") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise GeoJSONError(path, None, f"not valid JSON: {e}") from e
    if not isinstance(doc, dict):
        raise GeoJSONError(path, None, "expected a GeoJSON object")
    crs = parse_crs(doc.get("crs"), path)
    given = doc.get("crs") is not None
    declared = (
        f"the 'crs' member says {doc['crs']['properties']['name']}"
        if given
        else "the file declares no CRS (GeoJSON's default: WGS84 lon/lat)"
    )
    if doc.get("type") == "FeatureCollection":
        raw = doc.get("features")
        if not isinstance(raw, list):
            raise GeoJSONError(path, None, "'features' must be a list")
        return RawFile(crs, declared, [_feature(f, i, path) for i, f in enumerate(raw)], given)
    if doc.get("type") == "Feature":
        return RawFile(crs, declared, [_feature(doc, 0, path)], given)
    raise GeoJSONError(
        path, None, f"expected a FeatureCollection or Feature, got type {doc.get('type')!r}"
    )


def read_features(path: Path) -> list[Feature]:
    """The features of a FeatureCollection (or a single Feature), geometry in WGS84."""
    raw = read_raw(path)
    out = []
    for f in raw.features:
        geom = to_wgs84(f.geometry, raw.crs)
        if not is_lonlat(geom.bounds):
            raise GeoJSONError(
                path, f.index, not_lonlat_message(f.geometry.bounds, raw.declared, geojson_crs_fix)
            )
        out.append(Feature(f.index, geom, f.properties))
    return out


def pick_field(
    properties: Sequence[Mapping[str, Any]],
    configured: str,
    candidates: Sequence[str],
    what: str,
    required: bool = True,
    hint: str = "name it in the configuration",
) -> str | None:
    """The property holding `what` in every feature: `configured` when set, else the one of
    `candidates` (any case) present in the features. Raises ValueError naming the fields
    present when none or several different ones qualify."""
    present = sorted({k for p in properties for k in p})
    if configured:
        if all(configured in p for p in properties):
            return configured
        folded = [k for k in present if k.casefold() == configured.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise ValueError(f"no {what} field {configured!r} (fields present: {', '.join(present)})")
    rank = {c.casefold(): i for i, c in enumerate(candidates)}
    found = sorted(
        (
            k
            for k in present
            if k.casefold() in rank
            and (not required or all(p.get(k) not in (None, "") for p in properties))
        ),
        key=lambda k: rank[k.casefold()],
    )
    if found and not required:
        return found[0]  # an optional figure: the most common name wins
    # Several candidates with the same values in every feature (name and NOME copied) agree.
    distinct = {tuple(str(p.get(k)) for p in properties): k for k in found}
    if len(distinct) == 1:
        return found[0]
    if not found:
        if not required:
            return None
        raise ValueError(
            f"no {what} field found (looked for {', '.join(candidates)}; fields "
            f"present: {', '.join(present)}); {hint}"
        )
    raise ValueError(f"several fields could hold the {what}: {', '.join(found)}; {hint}")
