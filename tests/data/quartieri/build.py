"""Writes the quartiere fixtures of this directory from the bundled (approximate) polygons.

Each file is one way an official quartiere file goes wrong (see README.md here); run
`python -m tests.data.quartieri.build` from the repository to rewrite them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from netagent.geo.quartieri import load_quartieri, to_lonlat, to_metric
from netagent.inventory.model import Quartiere
from netagent.inventory.sample import SAMPLE_DIR

HERE = Path(__file__).resolve().parent


def _projected(epsg: int) -> Callable[[BaseGeometry], BaseGeometry]:
    tr = Transformer.from_crs(4326, epsg, always_xy=True)
    return lambda g: shapely.transform(
        g, lambda c: np.round(np.column_stack(tr.transform(c[:, 0], c[:, 1])), 1)
    )


_3003 = _projected(3003)
_25832 = _projected(25832)


def _wgs84(g: BaseGeometry) -> BaseGeometry:
    return shapely.transform(g, lambda c: np.round(c, 7))


def _props(q: Quartiere) -> dict[str, Any]:
    """The field names of an official export: NOME, ABITANTI."""
    return {"NOME": q.name, "ABITANTI": q.population}


def _geojson(
    name: str,
    quartieri: list[Quartiere],
    geom: Callable[[Quartiere], BaseGeometry],
    crs: str | None,
) -> None:
    doc: dict[str, Any] = {"type": "FeatureCollection"}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    doc["features"] = [
        {"type": "Feature", "properties": _props(q), "geometry": mapping(geom(q))}
        for q in quartieri
    ]
    (HERE / name).write_text(json.dumps(doc, ensure_ascii=False) + "\n", encoding="utf-8")


def _shapefile(base: str, quartieri: list[Quartiere], prj: str | None) -> None:
    with shapefile.Writer(str(HERE / base), shapeType=shapefile.POLYGON) as w:
        w.field("NOME", "C", 60)
        w.field("ABITANTI", "N", 10)
        for q in quartieri:
            g = _3003(q.geometry)
            rings = []
            for p in g.geoms if isinstance(g, MultiPolygon) else [g]:
                p = orient(p, sign=-1.0)  # shapefile: exterior clockwise
                rings.append(list(p.exterior.coords))
                rings.extend(list(h.coords) for h in p.interiors)
            w.poly(rings)
            w.record(q.name, q.population or 0)
    if prj is not None:
        (HERE / f"{base}.prj").write_text(prj)


def _moved(q: Quartiere, east_m: float) -> BaseGeometry:
    return to_lonlat(shapely.affinity.translate(to_metric(q.geometry), xoff=east_m))


def _twisted(g: BaseGeometry) -> BaseGeometry:
    """Two consecutive vertices swapped: the ring crosses itself (a digitising slip)."""
    assert isinstance(g, Polygon)
    c = list(g.exterior.coords)[:-1]
    c[1], c[2] = c[2], c[1]
    return Polygon([*c, c[0]])


def main() -> None:
    qs, _ = load_quartieri(SAMPLE_DIR / "quartieri.geojson")
    qs.sort(key=lambda q: q.name)
    _geojson("quartieri_3003.geojson", qs, lambda q: _3003(q.geometry), "EPSG:3003")
    _geojson("no_crs_metres.geojson", qs, lambda q: _3003(q.geometry), None)
    _geojson("wrong_crs.geojson", qs, lambda q: _3003(q.geometry), "EPSG:32632")
    _geojson(
        "swapped_axes.geojson",
        qs,
        lambda q: _wgs84(shapely.transform(q.geometry, lambda c: c[:, ::-1])),
        None,
    )
    _geojson(
        "moved_30km.geojson",
        qs,
        lambda q: _wgs84(_moved(q, 30_000) if q.name == "Gavassa" else q.geometry),
        None,
    )
    _geojson(
        "missing_quartiere.geojson",
        [q for q in qs if q.name != "Coviolo"],
        lambda q: _wgs84(q.geometry),
        None,
    )
    _geojson(
        "self_intersecting.geojson",
        qs,
        lambda q: _wgs84(_twisted(q.geometry) if q.name == "Mancasale" else q.geometry),
        None,
    )
    # ETRS89 / UTM 32N coordinates declared as ED50 / UTM 32N: everything ~150 m off.
    _geojson("datum_ed50.geojson", qs, lambda q: _25832(q.geometry), "EPSG:23032")
    _shapefile("no_prj", qs, None)
    _shapefile("prj_wgs84_over_metres", qs, CRS.from_epsg(4326).to_wkt("WKT1_ESRI"))


if __name__ == "__main__":
    main()
