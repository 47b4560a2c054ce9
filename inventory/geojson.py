"""Reading GeoJSON files into WGS84 shapely geometries, whatever CRS they declare.

Shared by the inventory loaders (fibre paths, quartieri) and `geo.quartieri`, so one place
decides how a declared CRS is honoured: the legacy GeoJSON 2008 `crs` member (a name such
as "EPSG:3003" or "urn:ogc:def:crs:EPSG::32632") is still what GIS desktops write when
exporting in a national grid, and the Comune's own data is likely to come that way.
"""

from __future__ import annotations

import json
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
    geometry: BaseGeometry  # WGS84 lon/lat
    properties: dict[str, Any] = field(default_factory=dict)


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
            path, None, f"'crs' must be {{'type': 'name', 'properties': {{'name': ...}}}}, "
            f"got {value!r}"
        )
    try:
        return CRS.from_user_input(name)
    except CRSError as e:
        raise GeoJSONError(path, None, f"unknown CRS {name!r}: {e}") from e


def check_lonlat(geometry: BaseGeometry, path: Path, index: int | None) -> None:
    """Refuse coordinates that are not lon/lat: usually a projected file without a `crs`."""
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise GeoJSONError(
            path, index,
            f"coordinates {geometry.bounds} are not WGS84 lon/lat; "
            "declare the file's CRS in a 'crs' member or export it in EPSG:4326",
        )


def _feature(raw: Any, index: int, crs: CRS, path: Path) -> Feature:
    if not isinstance(raw, dict) or raw.get("type") != "Feature":
        raise GeoJSONError(path, index, "expected an object with \"type\": \"Feature\"")
    if raw.get("geometry") is None:
        raise GeoJSONError(path, index, "the feature has no geometry")
    try:
        geom = shape(raw["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError) as e:
        raise GeoJSONError(path, index, f"invalid geometry: {e}") from e
    if geom.is_empty:
        raise GeoJSONError(path, index, "the geometry is empty")
    geom = to_wgs84(geom, crs)
    check_lonlat(geom, path, index)
    props = raw.get("properties") or {}
    if not isinstance(props, dict):
        raise GeoJSONError(path, index, "'properties' must be an object")
    return Feature(index=index, geometry=geom, properties=props)


def read_features(path: Path) -> list[Feature]:
    """The features of a FeatureCollection (or a single Feature), geometry in WGS84."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise GeoJSONError(path, None, f"cannot read: {e.strerror or e}") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise GeoJSONError(path, None, f"not valid JSON: {e}") from e
    if not isinstance(doc, dict):
        raise GeoJSONError(path, None, "expected a GeoJSON object")
    crs = parse_crs(doc.get("crs"), path)
    if doc.get("type") == "FeatureCollection":
        raw = doc.get("features")
        if not isinstance(raw, list):
            raise GeoJSONError(path, None, "'features' must be a list")
        return [_feature(f, i, crs, path) for i, f in enumerate(raw)]
    if doc.get("type") == "Feature":
        return [_feature(doc, 0, crs, path)]
    raise GeoJSONError(
        path, None, f"expected a FeatureCollection or Feature, got type {doc.get('type')!r}"
    )
