"""Coverage figures checked against independent geometry (hand-made quartieri in metres)."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from netagent.geo.coverage import (
    COMUNE,
    CoverageConfig,
    CoverageInputError,
    Technology,
    compute,
    engine_for,
    not_serving,
    result_of,
)
from netagent.geo.projection import geodesic_area_km2
from netagent.inventory.model import DeviceStatus, Placement, Quartiere, Sector
from tests.geo.coverage.test_coverage_world import (
    PROJ,
    X0,
    Y0,
    ap,
    base_station,
    box,
    inventory,
    quartiere,
    segment,
    site,
    switch,
    to_wgs84,
)

CFG = CoverageConfig(circle_vertices=128)


def row(result, q, tech="wifi"):  # type: ignore[no-untyped-def]
    rows = result.totals if q == COMUNE else result.rows
    return next(r for r in rows if r.quartiere == q and r.technology == tech)


def lens(r: float, d: float) -> float:
    """Area of the intersection of two discs of radius r, centres d apart."""
    return 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)


def test_square_quartiere_with_known_discs() -> None:
    # two separate discs, and two overlapping ones (overlap counted once)
    sites = (
        site("s1", 500, 500),
        site("s2", 1500, 500),
        site("s3", 1500, 1500),
        site("s4", 1560, 1500),
    )
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 2000, 2000), population=4000),),
        sites=sites,
        devices=(ap("a1", "s1"), ap("a2", "s2"), ap("a3", "s3"), ap("a4", "s4")),
    )
    r = row(compute(inv, CFG), "Q")
    expected = 4 * math.pi * 100**2 - lens(100, 60)
    assert r.area_km2 == pytest.approx(4.0, rel=1e-6)
    assert r.covered_km2 * 1e6 == pytest.approx(expected, rel=2e-3)
    assert r.covered_pct == pytest.approx(100 * expected / 4e6, rel=2e-3)
    assert r.residents_covered == pytest.approx(4000 * expected / 4e6, rel=2e-3)
    assert r.elements == 4


def test_areas_match_geodesic_area() -> None:
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 3000, 2500)),),
        sites=(site("s", 1000, 1000), site("t", 2900, 100)),
        devices=(ap("a", "s", 400.0), ap("b", "t", 300.0)),
    )
    engine = engine_for(inv, CFG)
    r = row(result_of(engine, False), "Q")
    assert r.area_km2 == pytest.approx(geodesic_area_km2(inv.quartieri[0].geometry), rel=5e-3)
    covered = engine.proj.to_wgs84(
        shapely.segmentize(engine.zone_geometry(Technology.WIFI, 0, live=False), 10.0)
    )
    assert r.covered_km2 == pytest.approx(geodesic_area_km2(covered), rel=5e-3)


def test_multipolygon_with_hole_and_ap_in_the_hole() -> None:
    outer = shapely.difference(box(0, 0, 2000, 2000), box(500, 500, 1500, 1500))
    island = box(3000, 0, 3500, 500)
    q = quartiere("Q", shapely.MultiPolygon([outer, island]))
    # the AP is in the hole, 300 m from each edge: its 400 m disc reaches the ring only
    inv = inventory(
        quartieri=(q,),
        sites=(site("s", 1000, 1000), site("i", 3250, 250)),
        devices=(ap("a", "s", 600.0), ap("b", "i", 100.0)),
    )
    r = row(compute(inv, CFG), "Q")
    disc = shapely.Point(X0 + 1000, Y0 + 1000).buffer(600, quad_segs=256)
    expected = disc.difference(box(500, 500, 1500, 1500)).area + math.pi * 100**2
    assert r.area_km2 * 1e6 == pytest.approx(outer.area + island.area, rel=1e-4)
    assert r.covered_km2 * 1e6 == pytest.approx(expected, rel=2e-3)


def test_ap_on_a_border_counts_half_in_each_quartiere() -> None:
    inv = inventory(
        quartieri=(quartiere("W", box(0, 0, 1000, 1000)), quartiere("E", box(1000, 0, 2000, 1000))),
        sites=(site("s", 1000, 500),),
        devices=(ap("a", "s", 200.0),),
    )
    res = compute(inv, CFG)
    half = math.pi * 200**2 / 2
    assert row(res, "W").covered_km2 * 1e6 == pytest.approx(half, rel=2e-3)
    assert row(res, "E").covered_km2 * 1e6 == pytest.approx(half, rel=2e-3)
    assert row(res, COMUNE).covered_km2 * 1e6 == pytest.approx(2 * half, rel=2e-3)
    assert row(res, "W").elements == row(res, "E").elements == 1
    assert row(res, COMUNE).elements == 1


def test_segment_crossing_three_quartieri() -> None:
    qs = tuple(quartiere(n, box(i * 1000, 0, (i + 1) * 1000, 1000)) for i, n in enumerate("ABC"))
    inv = inventory(
        quartieri=qs,
        sites=(site("x", 200, 500), site("y", 2800, 500)),
        segments=(segment("f1", "x", "y"),),
    )
    res = compute(inv, CFG)
    # a 2,600 m line with a 50 m corridor and round ends, cut at x=1000 and x=2000
    a, b, c = (row(res, n, "fibre").covered_km2 * 1e6 for n in "ABC")
    assert b == pytest.approx(1000 * 100, rel=2e-3)
    assert a == pytest.approx(800 * 100 + math.pi * 50**2 / 2, rel=2e-3)
    assert c == pytest.approx(a, rel=2e-3)
    assert [row(res, n, "fibre").elements for n in "ABC"] == [1, 1, 1]
    assert row(res, COMUNE, "fibre").elements == 1


def test_empty_quartiere_and_unknown_population() -> None:
    inv = inventory(
        quartieri=(
            quartiere("Bare", box(0, 0, 1000, 1000)),
            quartiere("Unknown", box(1000, 0, 2000, 1000), population=None),
        ),
        sites=(site("s", 1500, 500),),
        devices=(ap("a", "s"),),
    )
    res = compute(inv, CFG)
    bare, unk = row(res, "Bare"), row(res, "Unknown")
    assert (bare.covered_km2, bare.residents_covered, bare.elements) == (0.0, 0.0, 0)
    assert unk.population is None and unk.residents_covered is None
    assert unk.covered_km2 > 0
    assert row(res, COMUNE).residents_covered is None  # never a partial sum shown as whole
    samples = {s.tags["quartiere"]: s for s in res.to_samples(1) if s.tags["technology"] == "wifi"}
    assert "residents_covered" not in samples["Unknown"].fields
    assert samples["Bare"].fields["residents_covered"] == 0.0


def test_quartiere_with_empty_geometry_has_no_percentage(caplog: pytest.LogCaptureFixture) -> None:
    inv = inventory(
        quartieri=(
            Quartiere(name="Vuoto", population=5, geometry=shapely.Polygon()),
            quartiere("Q", box(0, 0, 1000, 1000)),
        ),
        sites=(site("s", 500, 500),),
        devices=(ap("a", "s"),),
    )
    with caplog.at_level(logging.WARNING):
        res = compute(inv, CFG)
    assert "Vuoto" in caplog.text
    r = row(res, "Vuoto")
    assert (r.area_km2, r.covered_km2, r.covered_pct, r.elements) == (0.0, 0.0, None, 0)
    sample = next(s for s in res.to_samples(1) if s.tags["quartiere"] == "Vuoto")
    assert "area_pct" not in sample.fields
    assert row(res, COMUNE).covered_km2 == pytest.approx(row(res, "Q").covered_km2)


def test_overlapping_quartieri_warn_and_duplicates_are_rejected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a, b = quartiere("Alfa", box(0, 0, 1000, 1000)), quartiere("Beta", box(500, 0, 1500, 1000))
    with caplog.at_level(logging.WARNING):
        compute(inventory(quartieri=(a, b)), CFG)
    assert "'Alfa' and 'Beta' overlap by 0.5000 km²" in caplog.text
    with pytest.raises(CoverageInputError, match="'Alfa' appears twice"):
        compute(inventory(quartieri=(a, a)), CFG)


def test_self_intersecting_quartiere_is_repaired_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 1000, Y0), (X0, Y0 + 1000)])
    q = Quartiere(name="Farfalla", population=10, geometry=PROJ.to_wgs84(bowtie))
    assert not q.geometry.is_valid
    inv = inventory(quartieri=(q,))
    with caplog.at_level(logging.WARNING):
        res = compute(inv, CFG)
    assert "Farfalla" in caplog.text and "repaired" in caplog.text
    assert row(res, "Farfalla").area_km2 == pytest.approx(0.5, rel=1e-3)  # both wings


def test_non_areal_quartiere_is_rejected() -> None:
    q = Quartiere(name="Linea", geometry=shapely.LineString([(10.6, 44.7), (10.7, 44.7)]))
    with pytest.raises(CoverageInputError, match=r"Linea.*LineString"):
        compute(inventory(quartieri=(q,)), CFG)


def test_default_radius_by_placement_and_inactive_devices_ignored() -> None:
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 2000, 2000)),),
        sites=(site("s1", 500, 500), site("s2", 1500, 1500), site("s3", 1000, 1000)),
        devices=(
            ap("in", "s1", None, Placement.INDOOR),
            ap("out", "s2", None),
            ap("planned", "s3", 300.0, status=DeviceStatus.PLANNED),
        ),
    )
    r = row(compute(inv, CFG), "Q")
    assert r.covered_km2 * 1e6 == pytest.approx(math.pi * (30**2 + 100**2), rel=2e-3)
    assert r.elements == 2


def test_sector_points_at_its_azimuth() -> None:
    inv = inventory(
        quartieri=(
            quartiere("W", box(-3000, -3000, 0, 3000)),
            quartiere("E", box(0, -3000, 3000, 3000)),
        ),
        sites=(site("bs", 0, 0),),
        devices=(
            base_station("bs1", "bs", Sector(radius_m=2000, azimuth_deg=90, beamwidth_deg=60)),
        ),
    )
    res = compute(inv, CFG)
    wedge = 2000**2 * math.radians(60) / 2
    assert row(res, "E", "fixed-wireless").covered_km2 * 1e6 == pytest.approx(wedge, rel=3e-3)
    assert row(res, "W", "fixed-wireless").covered_km2 == 0.0


def test_live_subtracts_down_devices_and_fibre_behind_a_down_switch() -> None:
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 2000, 2000), population=2000),),
        sites=(site("s1", 500, 500), site("s2", 1500, 1500), site("p", 100, 1900)),
        devices=(ap("a1", "s1"), ap("a2", "s2"), switch("sw", "p")),
        segments=(segment("f", "p", "s2", a_device="sw"),),
    )
    planned = compute(inv, CFG)
    live = compute(inv, CFG, down={"a1", "sw"})
    disc = math.pi * 100**2
    w = row(live, "Q")
    assert live.live and not planned.live
    assert w.covered_km2 * 1e6 == pytest.approx(disc, rel=2e-3)
    assert w.lost_km2 * 1e6 == pytest.approx(disc, rel=2e-3)
    assert w.lost_residents == pytest.approx(2000 * disc / 4e6, rel=2e-3)
    assert (w.elements, w.elements_planned) == (1, 2)
    assert row(live, "Q", "fibre").covered_km2 == 0.0
    assert row(planned, "Q", "fibre").covered_km2 > 0
    assert row(live, "Q", "all").lost_km2 == pytest.approx(
        row(planned, "Q", "all").covered_km2 - row(live, "Q", "all").covered_km2
    )


def test_not_serving_counts_unknown_and_non_up_states() -> None:
    inv = inventory(
        sites=(site("s", 0, 0),),
        devices=(ap("a1", "s"), ap("a2", "s"), ap("a3", "s"), switch("sw", "s"), ap("a4", "s")),
    )
    states = {"a1": "up", "a2": "down", "sw": "degraded", "a4": "maintenance"}
    assert not_serving(inv, states, CFG.up_states) == {"a2", "a3", "a4"}


def _random_world(seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    qs = tuple(quartiere(f"Q{i}", box(i * 1500, 0, (i + 1) * 1500, 3000)) for i in range(3))
    xy = rng.uniform(0, 4500, (60, 2))
    sites = tuple(site(f"s{i}", x, y) for i, (x, y) in enumerate(xy))
    aps = tuple(ap(f"a{i}", f"s{i}", float(rng.uniform(50, 400))) for i in range(50))
    sws = tuple(switch(f"sw{i}", f"s{i}") for i in range(50, 60))
    segs = tuple(
        segment(f"f{i}", f"s{50 + i}", f"s{51 + i}", a_device=f"sw{50 + i}") for i in range(9)
    )
    return inventory(quartieri=qs, sites=sites, devices=aps + sws, segments=segs)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.sets(st.sampled_from([f"a{i}" for i in range(50)] + ["sw3", "sw7"]), max_size=12),
        min_size=1,
        max_size=4,
    )
)
def test_incremental_live_equals_a_fresh_compute(steps: list[set[str]]) -> None:
    inv = _random_world(7)
    engine = engine_for(inv, CoverageConfig(cell_size_m=700))
    for down in steps:
        engine.set_down(down)
        fresh = compute(inv, CoverageConfig(cell_size_m=700), down=down, live=True)
        inc = result_of(engine, True)
        for a, b in zip(inc.rows, fresh.rows, strict=True):
            assert a.covered_km2 == pytest.approx(b.covered_km2, abs=1e-9)
            assert a.residents_covered == pytest.approx(b.residents_covered, abs=1e-6)
            assert a.elements == b.elements


def test_cell_size_does_not_change_the_figures() -> None:
    inv = _random_world(3)
    big = compute(inv, CoverageConfig(cell_size_m=5000))
    small = compute(inv, CoverageConfig(cell_size_m=333))
    for a, b in zip(big.rows, small.rows, strict=True):
        assert a.covered_km2 == pytest.approx(b.covered_km2, rel=1e-7, abs=1e-9)


def test_population_points_and_polygons_replace_uniform_density(tmp_path: Path) -> None:
    def feat(g, n):  # type: ignore[no-untyped-def]
        return {
            "type": "Feature",
            "properties": {"population": n},
            "geometry": shapely.geometry.mapping(to_wgs84(g)),
        }

    pts = [
        feat(shapely.Point(X0 + 500, Y0 + 500), 40),
        feat(shapely.Point(X0 + 530, Y0 + 500), 2),
        feat(shapely.Point(X0 + 1500, Y0 + 1500), 100),
    ]
    # a block of 50 residents that the disc reaches in part
    block = feat(box(400, 700, 600, 900), 50)
    path = tmp_path / "pop.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [*pts, block]}))
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 2000, 2000), population=None),),
        sites=(site("s", 500, 600),),
        devices=(ap("a", "s", 150.0),),
    )
    res = compute(inv, CoverageConfig(circle_vertices=128, population_file=str(path)))
    r = row(res, "Q")
    assert r.population == pytest.approx(192)
    disc = shapely.Point(X0 + 500, Y0 + 600).buffer(150, quad_segs=256)
    in_block = disc.intersection(box(400, 700, 600, 900)).area / 40000 * 50
    assert in_block > 5
    assert r.residents_covered == pytest.approx(42 + in_block, rel=1e-2)
    assert "population layer pop.geojson" in res.residents_basis
    assert r.residents_basis == "population layer"
    assert "192 residents in the population layer" in res.population.line()
    live = row(
        compute(inv, CoverageConfig(circle_vertices=128, population_file=str(path)), down={"a"}),
        "Q",
    )
    assert live.residents_covered == 0.0
    assert live.lost_residents == pytest.approx(r.residents_covered)


def test_population_point_on_a_border_counts_once(tmp_path: Path) -> None:
    path = tmp_path / "pop.geojson"
    point = shapely.geometry.mapping(to_wgs84(shapely.Point(X0 + 1000, Y0 + 500)))
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"n": 7}, "geometry": point}],
            }
        )
    )
    inv = inventory(
        quartieri=(quartiere("W", box(0, 0, 1000, 1000)), quartiere("E", box(1000, 0, 2000, 1000))),
        sites=(site("s", 1000, 500),),
        devices=(ap("a", "s"),),
    )
    res = compute(
        inv, CoverageConfig(population_file=str(path), population_property="n", cell_size_m=500)
    )
    assert row(res, "W").population + row(res, "E").population == pytest.approx(7)
    assert row(res, COMUNE).residents_covered == pytest.approx(7)


def test_bad_population_file_names_the_feature(tmp_path: Path) -> None:
    path = tmp_path / "pop.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"population": "many"},
                        "geometry": {"type": "Point", "coordinates": [10.6, 44.7]},
                    }
                ],
            }
        )
    )
    with pytest.raises(CoverageInputError, match=r"feature 0.*'population'.*'many'"):
        compute(inventory(), CoverageConfig(population_file=str(path)))


def test_samples_follow_the_contract() -> None:
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 1000, 1000)),),
        sites=(site("s", 500, 500),),
        devices=(ap("a", "s"),),
    )
    samples = compute(inv, CFG).to_samples(123)
    assert {(s.tags["quartiere"], s.tags["technology"]) for s in samples} == {
        (q, t) for q in ("Q", COMUNE) for t in ("wifi", "fibre", "fixed-wireless", "all")
    }
    for s in samples:
        assert s.measurement == "coverage" and s.time_ns == 123
        assert set(s.fields) == {"area_km2", "covered_km2", "area_pct", "residents_covered"}
        assert all(isinstance(v, float) for v in s.fields.values())
