"""Quartiere polygons: Voronoi approximation, point lookup, loading official files."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
import shapefile
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from netagent.agent.demo.sample_builder import load_boundary, load_centres
from netagent.geo.quartieri import (
    VORONOI_SOURCE,
    Centre,
    QuartiereError,
    QuartiereIndex,
    load_quartieri,
    to_lonlat,
    to_metric,
    voronoi_quartieri,
)
from netagent.inventory.geojson import GeoJSONError, read_features
from netagent.inventory.model import Quartiere
from netagent.inventory.sample import SAMPLE_DIR

COMUNE_KM2 = 230.18


@pytest.fixture(scope="module")
def centres() -> list[Centre]:
    return load_centres(SAMPLE_DIR)


@pytest.fixture(scope="module")
def boundary() -> BaseGeometry:
    return load_boundary(SAMPLE_DIR)


@pytest.fixture(scope="module")
def quartieri(centres: list[Centre], boundary: BaseGeometry) -> list[Quartiere]:
    return voronoi_quartieri(centres, boundary)


@pytest.fixture(scope="module")
def index(quartieri: list[Quartiere]) -> QuartiereIndex:
    return QuartiereIndex(quartieri)


def test_cells_cover_the_comune_without_overlap(
    quartieri: list[Quartiere], boundary: BaseGeometry
) -> None:
    cells = [to_metric(q.geometry) for q in quartieri]
    total_km2 = sum(c.area for c in cells) / 1e6
    assert total_km2 == pytest.approx(COMUNE_KM2, rel=0.005)
    assert to_metric(boundary).area / 1e6 == pytest.approx(COMUNE_KM2, rel=0.005)
    overlap = sum(a.intersection(b).area for a, b in combinations(cells, 2))
    assert overlap < 1.0  # m²: shared edges only, up to float noise
    assert len(quartieri) == 25
    assert all(q.approximate and q.source == VORONOI_SOURCE for q in quartieri)
    assert all(isinstance(q.geometry, Polygon | MultiPolygon) for q in quartieri)


def test_each_centre_lies_in_its_own_cell(
    quartieri: list[Quartiere], centres: list[Centre], boundary: BaseGeometry, index: QuartiereIndex
) -> None:
    by_name = {q.name: q for q in quartieri}
    for c in centres:
        p = Point(c.lon, c.lat)
        if boundary.contains(p):
            assert by_name[c.name].geometry.contains(p), c.name
    gaida = next(c for c in centres if c.name == "Gaida")
    assert not boundary.contains(Point(gaida.lon, gaida.lat))  # 232 m outside, in the data
    assert by_name["Gaida"].geometry.area > 0
    assert index.locate(gaida.lon, gaida.lat) == "Gaida"  # within the 250 m snap


def test_population_and_ambito_carried(quartieri: list[Quartiere]) -> None:
    by_name = {q.name: q for q in quartieri}
    assert by_name["Pieve Modolena"].population == 10053
    assert by_name["Gavassa"].ambito == "G"
    assert by_name["Sesso (Villa Sesso)"].ambito == "G"  # via the Atlante's name


def test_locate_inside(
    index: QuartiereIndex, centres: list[Centre], quartieri: list[Quartiere]
) -> None:
    ospizio = next(c for c in centres if c.name == "Ospizio")
    assert index.locate(ospizio.lon, ospizio.lat) == "Ospizio"
    for q in quartieri:  # a point well inside each cell
        inner = to_lonlat(to_metric(q.geometry).buffer(-50).representative_point())
        assert index.locate(inner.x, inner.y) == q.name


def test_locate_on_shared_border_is_deterministic(quartieri: list[Quartiere]) -> None:
    # A vertex shared by two cells lies on both polygons: the first name wins, whatever order.
    lon, lat, a, b = next(
        (x, y, a, b)
        for a, b in combinations(quartieri, 2)
        for x, y in shapely.get_coordinates(a.geometry)
        if b.geometry.intersects(Point(x, y))
    )
    for order in (quartieri, list(reversed(quartieri))):
        assert QuartiereIndex(order).locate(lon, lat) == min(a.name, b.name)


def test_locate_just_outside_snaps_to_nearest_far_outside_is_none(
    quartieri: list[Quartiere], boundary: BaseGeometry, index: QuartiereIndex
) -> None:
    area = to_metric(boundary)
    ring = area.buffer(150).exterior
    p = ring.interpolate(0.3, normalized=True)
    assert 140 < area.distance(p) < 160
    nearest = min(quartieri, key=lambda q: to_metric(q.geometry).distance(p)).name
    ll = to_lonlat(p)
    assert index.locate(ll.x, ll.y) == nearest
    far = to_lonlat(area.buffer(1000).exterior.interpolate(0.3, normalized=True))
    assert index.locate(far.x, far.y) is None
    assert QuartiereIndex(quartieri, snap_m=100).locate(ll.x, ll.y) is None


def _project(geom: BaseGeometry, epsg: int) -> BaseGeometry:
    tr = Transformer.from_crs(4326, epsg, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


def _same(loaded: list[Quartiere], original: list[Quartiere]) -> None:
    got = {q.name: q for q in loaded}
    assert set(got) == {q.name for q in original}
    for q in original:
        g = got[q.name]
        assert g.population == q.population and g.ambito == q.ambito
        assert to_metric(g.geometry).hausdorff_distance(to_metric(q.geometry)) < 0.5, q.name


@pytest.mark.parametrize(
    "epsg,crs_name",
    [
        (32632, "urn:ogc:def:crs:EPSG::32632"),
        (3003, "EPSG:3003"),
        (4326, "urn:ogc:def:crs:OGC:1.3:CRS84"),
    ],
)
def test_load_geojson_in_another_crs(
    tmp_path: Path, quartieri: list[Quartiere], epsg: int, crs_name: str
) -> None:
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs_name}},
        "features": [
            {
                "type": "Feature",
                "geometry": mapping(_project(q.geometry, epsg)),
                "properties": {"name": q.name, "population": q.population, "ambito": q.ambito},
            }
            for q in quartieri
        ],
    }
    path = tmp_path / "quartieri.geojson"
    path.write_text(json.dumps(doc))
    loaded, warnings = load_quartieri(path)
    assert warnings == []
    _same(loaded, quartieri)
    assert not any(q.approximate for q in loaded)


def test_load_shapefile_with_prj_and_field_mapping(
    tmp_path: Path, quartieri: list[Quartiere]
) -> None:
    base = tmp_path / "quartieri_ufficiali"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON) as w:
        w.field("NOME", "C", 60)
        w.field("ABITANTI", "N", 10)
        w.field("AMBITO", "C", 2)
        for q in quartieri:
            geom = _project(q.geometry, 32632)
            polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
            rings = []
            for p in polys:  # shapefile rings: exterior clockwise, holes counter-clockwise
                p = orient(p, sign=-1.0)
                rings.append(list(p.exterior.coords))
                rings.extend(list(h.coords) for h in p.interiors)
            w.poly(rings)
            w.record(q.name, q.population, q.ambito or "")
    base.with_suffix(".prj").write_text(CRS.from_epsg(32632).to_wkt("WKT1_ESRI"))
    loaded, warnings = load_quartieri(
        base.with_suffix(".shp"),
        name_field="NOME",
        population_field="ABITANTI",
        ambito_field="AMBITO",
    )
    assert warnings == []
    _same(loaded, quartieri)


def test_self_intersecting_polygon_is_repaired_with_a_warning(tmp_path: Path) -> None:
    bowtie = [[10.60, 44.70], [10.62, 44.72], [10.62, 44.70], [10.60, 44.72], [10.60, 44.70]]
    square = [[10.63, 44.70], [10.64, 44.70], [10.64, 44.71], [10.63, 44.71], [10.63, 44.70]]
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Farfalla"},
                "geometry": {"type": "Polygon", "coordinates": [bowtie]},
            },
            {
                "type": "Feature",
                "properties": {"name": "Quadrato"},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            },
        ],
    }
    path = tmp_path / "q.geojson"
    path.write_text(json.dumps(doc))
    loaded, warnings = load_quartieri(path)
    assert len(warnings) == 1 and "Farfalla" in warnings[0] and "make_valid" in warnings[0]
    # The lobes of a bow-tie cancel in the area as drawn; the repair keeps both: 2 triangles.
    centre = [10.61, 44.71]  # where the ring crosses itself
    lobes = (
        sum(
            to_metric(Polygon(t)).area
            for t in ([*bowtie[1:3], centre], [bowtie[3], bowtie[0], centre])
        )
        / 1e6
    )
    assert re.search(r"0\.0\d\d km² as drawn", warnings[0]), warnings[0]
    assert f"{lobes:.3f} km² repaired" in warnings[0]
    farfalla = next(q for q in loaded if q.name == "Farfalla")
    assert farfalla.geometry.is_valid and farfalla.geometry.area > 0
    assert isinstance(farfalla.geometry, MultiPolygon)


def test_bad_records_name_the_file_and_record(tmp_path: Path) -> None:
    square = [[10.63, 44.70], [10.64, 44.70], [10.64, 44.71], [10.63, 44.70]]
    path = tmp_path / "q.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"etichetta": "X"},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    )
    with pytest.raises(QuartiereError, match=r"no quartiere name field.*etichetta"):
        load_quartieri(path)
    # Metres without a declared CRS: refused rather than read as degrees.
    path.write_text(
        json.dumps(
            {
                "type": "Feature",
                "properties": {"name": "X"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[630000, 4950000], [631000, 4950000], [631000, 4951000], [630000, 4950000]]
                    ],
                },
            }
        )
    )
    with pytest.raises(GeoJSONError, match=r"feature #0.*look like metres.*set the CRS"):
        read_features(path)
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [],
                "crs": {"type": "name", "properties": {"name": "EPSG:999999"}},
            }
        )
    )
    with pytest.raises(GeoJSONError, match="unknown CRS"):
        read_features(path)


def test_shapefile_encoding_from_cpg(tmp_path: Path) -> None:
    base = tmp_path / "latin1"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON, encoding="latin-1") as w:
        w.field("NOME", "C", 40)
        w.poly([[(10.60, 44.70), (10.60, 44.71), (10.61, 44.71), (10.60, 44.70)]])
        w.record("Cadè")
    with pytest.raises(QuartiereError, match=r"record #0.*\.cpg"):
        load_quartieri(base.with_suffix(".shp"), name_field="NOME")
    base.with_suffix(".cpg").write_text("ISO-8859-1")
    loaded, _ = load_quartieri(base.with_suffix(".shp"), name_field="NOME")
    assert [q.name for q in loaded] == ["Cadè"]


def test_locate_many_agrees_with_locate(quartieri: list[Quartiere], index: QuartiereIndex) -> None:
    rng = np.random.default_rng(7)
    lons = rng.uniform(10.47, 10.79, 400)
    lats = rng.uniform(44.61, 44.79, 400)
    many = index.locate_many(lons.tolist(), lats.tolist())
    assert many == [index.locate(x, y) for x, y in zip(lons, lats, strict=True)]
    assert None in many and len({m for m in many if m}) > 15
    for name, x, y in zip(many, lons, lats, strict=True):
        if name is not None:
            q = next(q for q in quartieri if q.name == name)
            assert to_metric(q.geometry).distance(to_metric(Point(x, y))) <= 250
