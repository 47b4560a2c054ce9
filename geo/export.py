"""GeoJSON (WGS84) of the coverage polygons and of the quartieri with their figures.

Files are written to a temporary name and renamed, so a reader never sees half a file.
Coordinates are rounded to 1e-7 degrees (about 1 cm), which keeps the files small.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geo.coverage import CoverageResult
from geo.coverage_engine import TECHNOLOGIES, CoverageEngine

COVERAGE_FILE = "coverage.geojson"
QUARTIERI_FILE = "quartieri.geojson"


def _wgs84(engine: CoverageEngine, metric: BaseGeometry) -> dict[str, Any]:
    g = shapely.transform(engine.proj.to_wgs84(metric), lambda c: np.round(c, 7))
    return dict(mapping(g))


def coverage_features(engine: CoverageEngine, live: bool) -> list[dict[str, Any]]:
    """One feature per quartiere and technology: the covered area (planned or live)."""
    feats = []
    for tech in TECHNOLOGIES:
        for i, z in enumerate(engine.zones):
            g = engine.zone_geometry(tech, i, live)
            if g.is_empty:
                continue
            feats.append(
                {
                    "type": "Feature",
                    "properties": {
                        "quartiere": z.name,
                        "technology": tech.value,
                        "mode": "live" if live else "planned",
                        "covered_km2": round(g.area / 1e6, 6),
                    },
                    "geometry": _wgs84(engine, g),
                }
            )
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
                "mode": "live" if result.live else "planned",
                "residents_basis": result.residents_basis,
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
    return [
        {"type": "Feature", "properties": by_zone[z.name], "geometry": _wgs84(engine, z.geom)}
        for z in engine.zones
    ]


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def write_geojson(out_dir: Path, engine: CoverageEngine, result: CoverageResult) -> list[Path]:
    """Write coverage.geojson and quartieri.geojson into `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        out_dir / COVERAGE_FILE: coverage_features(engine, result.live),
        out_dir / QUARTIERI_FILE: quartieri_features(engine, result),
    }
    for path, feats in files.items():
        _write_atomic(path, {"type": "FeatureCollection", "features": feats})
    return list(files)
