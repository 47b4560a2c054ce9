"""The HTML map report and the GeoJSON export, opened by real readers (Chromium, json)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import shapely

from netagent.geo.coverage import CoverageConfig, engine_for, result_of
from netagent.geo.export import (
    COVERAGE_FILE,
    DEVICES_FILE,
    ELEMENTS_FILE,
    QUARTIERI_FILE,
    write_geojson,
)
from netagent.geo.projection import geodesic_area_km2
from netagent.geo.report import render
from netagent.inventory.model import Inventory, Sector
from tests.geo.coverage.test_coverage_world import (
    ap,
    base_station,
    box,
    inventory,
    quartiere,
    segment,
    site,
    switch,
)


def _world() -> Inventory:
    qs = (
        quartiere("Centro Storico", box(0, 0, 2000, 2000), 15000, approximate=True),
        quartiere("Ospizio", box(2000, 0, 4000, 2000), None, approximate=True),
        quartiere(
            "Coviolo",
            shapely.difference(box(0, 2000, 4000, 3500), box(1500, 2500, 2000, 3000)),
            4000,
        ),
    )
    sites = (
        site("duomo", 900, 1000),
        site("teatro", 1300, 1400),
        site("via-emilia", 2600, 900),
        site("pop", 200, 200),
        site("coviolo", 3000, 2700),
    )
    devices = (
        ap("ap-duomo", "duomo", 150.0),
        ap("ap-teatro", "teatro", 120.0),
        ap("ap-emilia", "via-emilia", 200.0),
        switch("sw-pop", "pop"),
        base_station(
            "bs-coviolo", "coviolo", Sector(radius_m=900, azimuth_deg=270, beamwidth_deg=120)
        ),
    )
    segs = (
        segment(
            "f-centro",
            "pop",
            "via-emilia",
            [(200, 200), (1500, 600), (2600, 900)],
            a_device="sw-pop",
        ),
    )
    return inventory(quartieri=qs, sites=sites, devices=devices, segments=segs)


STATES = {
    "ap-duomo": "up",
    "ap-teatro": "down",
    "ap-emilia": "up",
    "sw-pop": "up",
    "bs-coviolo": "unreachable",
}


def _live_page(inv: Inventory) -> str:
    engine = engine_for(inv, CoverageConfig())
    engine.set_down({n for n, s in STATES.items() if s not in ("up", "degraded")})
    return render(inv, engine, result_of(engine, live=True), STATES, title="Copertura")


def test_report_page_holds_quartieri_devices_legend_and_approximate_marks() -> None:
    page = _live_page(_world())
    assert page.count('class="quartiere"') == 3
    assert page.count('class="device"') == 5
    assert 'data-state="down"' in page and 'data-state="unreachable"' in page
    assert 'id="legend"' in page and "approximate boundary" in page
    assert page.count('stroke-dasharray="6 4"') == 2  # the two approximate quartieri
    assert "Centro Storico <em>(approximate)</em>" in page
    assert re.search(r'id="scale-text">500 m<', page)  # a fifth of ~4.2 km, rounded down
    assert 'class="lost"' in page  # the teatro AP and the Coviolo base station are out
    assert "unknown" in page  # Ospizio's population
    assert 'class="north"' in page  # a north arrow
    # both views and every technology's layer are in the one file
    for mode in ("planned", "live"):
        for tech in ("wifi", "fibre", "fixed-wireless"):
            assert f'data-mode="{mode}" data-technology="{tech}"' in page
    assert page.count("<script") == 2  # the figures (JSON) and the inline script, no src
    assert not re.search(r"<script[^>]*src=|https?://(?!www\.w3\.org/2000/svg)", page)


def _layer(path: Path) -> list[dict]:  # type: ignore[type-arg]
    """A layer as QGIS's OGR GeoJSON driver needs it: valid RFC 7946, one flat schema."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["name"] == path.stem
    feats = doc["features"]
    keys = {tuple(f["properties"]) for f in feats}
    assert len(keys) == 1, f"{path.name}: features with different attribute sets"
    for f in feats:
        assert all(
            v is None or isinstance(v, str | int | float | bool) for v in f["properties"].values()
        ), "nested properties"
        g = shapely.geometry.shape(f["geometry"])
        assert g.is_valid, f"{path.name}: {shapely.is_valid_reason(g)}"
        lon, lat = g.centroid.coords[0]
        assert 10.0 < lon < 11.5 and 44.0 < lat < 45.5  # WGS84 lon/lat around Reggio
        for poly in shapely.get_parts(g):
            if isinstance(poly, shapely.Polygon):
                assert poly.exterior.is_ccw, "RFC 7946: exterior rings counter-clockwise"
    return feats


def test_geojson_export_has_three_gis_layers_with_figures_elements_and_devices(
    tmp_path: Path,
) -> None:
    inv = _world()
    engine = engine_for(inv, CoverageConfig())
    engine.set_down({n for n, s in STATES.items() if s not in ("up", "degraded")})
    result = result_of(engine, live=True)
    paths = write_geojson(tmp_path / "out", engine, result, inv, STATES)
    assert sorted(p.name for p in paths) == sorted(
        [QUARTIERI_FILE, ELEMENTS_FILE, DEVICES_FILE, COVERAGE_FILE]
    )
    quartieri = _layer(tmp_path / "out" / QUARTIERI_FILE)
    props = {f["properties"]["quartiere"]: f["properties"] for f in quartieri}
    assert props["Ospizio"]["population"] is None and props["Ospizio"]["approximate"]
    assert props["Ospizio"]["residents_basis"] == "unknown"
    assert props["Coviolo"]["residents_basis"] == "quartiere figure, uniform density"
    assert props["Coviolo"]["fixed_wireless_lost_km2"] > 0  # the base station is out
    # per element: which device, which technology, what state, serving now or not
    elements = {f["properties"]["element"]: f for f in _layer(tmp_path / "out" / ELEMENTS_FILE)}
    assert set(elements) == {"ap-duomo", "ap-teatro", "ap-emilia", "f-centro", "bs-coviolo"}
    teatro = elements["ap-teatro"]["properties"]
    assert (teatro["device"], teatro["technology"], teatro["state"], teatro["serving"]) == (
        "ap-teatro",
        "wifi",
        "down",
        False,
    )
    fibre = elements["f-centro"]["properties"]
    assert (fibre["devices"], fibre["state"], fibre["serving"]) == ("sw-pop", "up", True)
    assert elements["bs-coviolo"]["properties"]["state"] == "unreachable"
    disc = shapely.geometry.shape(elements["ap-teatro"]["geometry"])
    assert geodesic_area_km2(disc) == pytest.approx(math.pi * 0.120**2, rel=2e-3)
    devices = {
        f["properties"]["device"]: f["properties"] for f in _layer(tmp_path / "out" / DEVICES_FILE)
    }
    assert devices["bs-coviolo"]["state"] == "unreachable" and len(devices) == 5
    assert devices["ap-duomo"]["role"] == "wifi-ap"
    cov = _layer(tmp_path / "out" / COVERAGE_FILE)
    rows = {(r.quartiere, r.technology): r for r in result.rows}
    for f in cov:
        g = shapely.geometry.shape(f["geometry"])
        expected = rows[(f["properties"]["quartiere"], f["properties"]["technology"])]
        assert geodesic_area_km2(g) == pytest.approx(expected.covered_km2, rel=5e-3)
