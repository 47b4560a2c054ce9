"""GeoJSON (WGS84) layers for a GIS: quartieri with figures, coverage elements, devices.

Three files, one layer each, so QGIS (or any OGR reader) opens each as it is:

- `quartieri.geojson`: each quartiere with every technology's figures (`wifi_covered_pct`…)
  and its residents basis;
- `coverage_elements.geojson`: one polygon per AP disc, fibre corridor and sector, with
  the element and device names, technology, device state and whether it serves now —
  "which AP covers this street";
- `devices.geojson`: one point per device with role, state and uplink.

`coverage.geojson` keeps the covered area per quartiere × technology (unions), as before.
GeoJSON per RFC 7946: lon/lat, exterior rings counter-clockwise, flat properties with
the same keys on every feature (QGIS builds one attribute table from them). No
GeoPackage: it would need GDAL (fiona/pyogrio), a heavy dependency for one format.
Files are written to a temporary name and renamed, so a reader never sees half a file.
Coordinates are rounded to 1e-7 degrees (about 1 cm), which keeps the files small.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage import CoverageResult
from netagent.geo.coverage_engine import TECHNOLOGIES, CoverageEngine
from netagent.geo.coverage_layers import LAYERS
from netagent.inventory.model import Inventory

COVERAGE_FILE = "coverage.geojson"
QUARTIERI_FILE = "quartieri.geojson"
ELEMENTS_FILE = "coverage_elements.geojson"
DEVICES_FILE = "devices.geojson"
UNKNOWN = "unknown"


def _wgs84(engine: CoverageEngine, metric: BaseGeometry) -> dict[str, Any]:
    g = engine.proj.to_wgs84(metric)
    if isinstance(g, shapely.Polygon | shapely.MultiPolygon):
        g = shapely.orient_polygons(g)  # RFC 7946: exterior rings counter-clockwise
    return dict(mapping(shapely.transform(g, lambda c: np.round(c, 7))))


def _feature(props: dict[str, Any], geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _mode(live: bool) -> str:
    return "live" if live else "planned"


def coverage_features(engine: CoverageEngine, live: bool) -> list[dict[str, Any]]:
    """One feature per quartiere and technology: the covered area (planned or live)."""
    feats = []
    for tech in TECHNOLOGIES:
        for i, z in enumerate(engine.zones):
            g = engine.zone_geometry(tech, i, live)
            if g.is_empty:
                continue
            props = {
                "quartiere": z.name,
                "technology": tech.value,
                "mode": _mode(live),
                "covered_km2": round(g.area / 1e6, 6),
            }
            feats.append(_feature(props, _wgs84(engine, g)))
    return feats


def _state_of(devices: tuple[str, ...], states: Mapping[str, str], known: set[str]) -> str:
    """The element's device state: the first device (in dependency order) not up."""
    own = [states.get(d, UNKNOWN) for d in devices if d in known]
    return next((s for s in own if s not in ("up", "degraded")), own[0] if own else UNKNOWN)


def element_features(
    engine: CoverageEngine, inv: Inventory, states: Mapping[str, str], live: bool
) -> list[dict[str, Any]]:
    """Every coverage element as built (not clipped): names, technology, state, serving."""
    known = {d.name for d in inv.devices}
    feats = []
    for tech in LAYERS:
        el = engine.elements[tech]
        serving = engine.serving(tech)
        for i, name in enumerate(el.names):
            deps = el.depends[i]
            devices = [d for d in deps if d in known]
            g = el.geoms[i]
            props = {
                "element": name,
                "technology": tech.value,
                "device": devices[0] if devices else None,
                "devices": ", ".join(devices),
                "state": _state_of(deps, states, known),
                "serving": bool(serving[i]) if live else None,
                "mode": _mode(live),
                "area_km2": round(g.area / 1e6, 6),
            }
            feats.append(_feature(props, _wgs84(engine, g)))
    return feats


def device_features(inv: Inventory, states: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every device placed at its site, with its role, state and uplink."""
    devs = [d for d in inv.devices if d.site in inv.site_by_name]
    feats = []
    for d in devs:
        site = inv.site_by_name[d.site]
        props = {
            "device": d.name,
            "role": d.role.value,
            "site": d.site,
            "state": states.get(d.name, UNKNOWN),
            "status": d.status.value,
            "parent": d.parent,
            "vendor": d.vendor,
            "model": d.model,
            "mgmt_ip": str(d.mgmt_ip),
        }
        point = {"type": "Point", "coordinates": [round(site.lon, 7), round(site.lat, 7)]}
        feats.append(_feature(props, point))
    return feats


def quartieri_features(engine: CoverageEngine, result: CoverageResult) -> list[dict[str, Any]]:
    """The quartieri with every technology's figures as properties (`wifi_covered_pct`…)."""
    by_zone: dict[str, dict[str, Any]] = {}
    for r in result.rows:
        props = by_zone.setdefault(
            r.quartiere,
            {
                "quartiere": r.quartiere,
                "area_km2": r.area_km2,
                "population": r.population,
                "approximate": r.approximate,
                "mode": _mode(result.live),
                "residents_basis": result.basis_of(r.quartiere),
            },
        )
        key = r.technology.replace("-", "_")
        props |= {
            f"{key}_covered_km2": r.covered_km2,
            f"{key}_covered_pct": r.covered_pct,
            f"{key}_residents_covered": r.residents_covered,
            f"{key}_elements": r.elements,
            f"{key}_lost_km2": r.lost_km2,
            f"{key}_lost_residents": r.lost_residents,
        }
    return [_feature(by_zone[z.name], _wgs84(engine, z.geom)) for z in engine.zones]


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def write_geojson(
    out_dir: Path,
    engine: CoverageEngine,
    result: CoverageResult,
    inv: Inventory,
    states: Mapping[str, str],
) -> list[Path]:
    """Write the four layers into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        out_dir / QUARTIERI_FILE: quartieri_features(engine, result),
        out_dir / ELEMENTS_FILE: element_features(engine, inv, states, result.live),
        out_dir / DEVICES_FILE: device_features(inv, states),
        out_dir / COVERAGE_FILE: coverage_features(engine, result.live),
    }
    for path, feats in files.items():
        name = path.name.removesuffix(".geojson")
        _write_atomic(path, {"type": "FeatureCollection", "name": name, "features": feats})
    return list(files)
