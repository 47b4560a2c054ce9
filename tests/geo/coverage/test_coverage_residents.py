"""Residents as an operator meets them: a census-section layer in its own CRS, the known
population beside the comune's, subscribers cut off counted, and never a "-0"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import shapefile
import shapely
from pyproj import CRS, Transformer
from typer.testing import CliRunner

from netagent.agent.cli.coverage_cmd import _fmt
from netagent.agent.cli.main import _register, app
from netagent.geo.coverage import COMUNE, CoverageConfig, compute, engine_for, result_of
from netagent.geo.report import render
from netagent.inventory.load import load_inventory
from netagent.inventory.model import Device, Role, Sector
from netagent.inventory.sample import SAMPLE_PATHS
from tests.agent.cli.test_coverage_cli import store_states
from tests.geo.coverage.test_coverage_world import (
    ap,
    base_station,
    box,
    inventory,
    quartiere,
    site,
)

_register()
runner = CliRunner()


def _two_quartieri(population: int | None = 1000):  # type: ignore[no-untyped-def]
    return inventory(
        quartieri=(
            quartiere("Ovest", box(0, 0, 1000, 1000), population),
            quartiere("Est", box(1000, 0, 2000, 1000), None),
        ),
        sites=(site("s", 500, 500),),
        devices=(ap("a", "s", 200.0),),
    )


def _sections(crs: str) -> tuple[list[shapely.Polygon], list[int]]:
    """Four census sections, 500 m squares over Ovest, in `crs` coordinates."""
    tr = Transformer.from_crs("EPSG:25832", crs, always_xy=True)
    out = []
    for x, y in ((0, 0), (500, 0), (0, 500), (500, 500)):
        sq = shapely.segmentize(box(x, y, x + 500, y + 500), 10)
        out.append(shapely.transform(sq, lambda c: np.column_stack(tr.transform(*c.T))))
    return out, [400, 0, 100, 20]


def test_census_sections_shapefile_in_utm_with_an_istat_field(tmp_path: Path) -> None:
    polys, pops = _sections("EPSG:32632")
    shp = tmp_path / "R08_21_sezioni.shp"
    with shapefile.Writer(str(shp), shapeType=shapefile.POLYGON) as w:
        w.field("SEZ21", "C", size=12)
        w.field("POP21", "N", size=9)
        for i, (p, n) in enumerate(zip(polys, pops, strict=True)):
            w.poly([list(p.exterior.coords)[::-1]])  # shapefile rings clockwise
            w.record(f"35033{i:07d}", n)
    shp.with_suffix(".prj").write_text(CRS("EPSG:32632").to_wkt("WKT1_ESRI"))
    inv = _two_quartieri()
    res = compute(inv, CoverageConfig(population_file=str(shp), population_property="POP21"))
    ovest = next(r for r in res.rows if r.quartiere == "Ovest" and r.technology == "wifi")
    # the 200 m disc at (500, 500) takes a quarter of it in each section
    quarter = math.pi * 200**2 / 4 / 250_000
    assert ovest.population == pytest.approx(520, rel=1e-6)
    assert ovest.residents_covered == pytest.approx(520 * quarter, rel=2e-3)
    assert ovest.residents_basis == "population layer"
    est = next(r for r in res.rows if r.quartiere == "Est" and r.technology == "wifi")
    assert est.population == pytest.approx(0, abs=1e-6)  # the layer knows nobody lives there
    assert "R08_21_sezioni.shp: 4 polygons (census sections" in res.population.line()
    assert "520 residents in the population layer" in res.population.line()


def test_census_sections_geojson_in_gauss_boaga(tmp_path: Path) -> None:
    polys, pops = _sections("EPSG:3003")
    path = tmp_path / "sezioni.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:3003"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"P1": n},
                        "geometry": shapely.geometry.mapping(p),
                    }
                    for p, n in zip(polys, pops, strict=True)
                ],
            }
        )
    )
    res = compute(
        _two_quartieri(), CoverageConfig(population_file=str(path), population_property="P1")
    )
    ovest = next(r for r in res.rows if r.quartiere == "Ovest" and r.technology == "wifi")
    assert ovest.residents_covered == pytest.approx(520 * math.pi * 200**2 / 4 / 250_000, rel=2e-3)


def test_shapefile_without_prj_or_field_is_a_located_error(tmp_path: Path) -> None:
    shp = tmp_path / "s.shp"
    with shapefile.Writer(str(shp), shapeType=shapefile.POLYGON) as w:
        w.field("POP21", "N", size=9)
        w.poly([[(0, 0), (0, 1), (1, 1), (0, 0)]])
        w.record(5)
    with pytest.raises(ValueError, match=r"s\.shp: no s\.prj"):
        compute(_two_quartieri(), CoverageConfig(population_file=str(shp)))
    shp.with_suffix(".prj").write_text(CRS("EPSG:32632").to_wkt("WKT1_ESRI"))
    with pytest.raises(ValueError, match=r"no field 'population' \(fields: POP21\)"):
        compute(_two_quartieri(), CoverageConfig(population_file=str(shp)))


def test_sample_states_the_known_population_beside_the_comunes() -> None:
    inv = load_inventory(SAMPLE_PATHS).inventory
    res = compute(inv, CoverageConfig())
    known = sum(q.population or 0 for q in inv.quartieri)
    assert known == 82_497
    line = res.population.line()
    assert line == (
        "Population known: 82,497 residents in the 25 of 25 quartieri with a "
        "figure (dated 2009-12-31 to 2023-12-31), 48% of the comune's 172,182 "
        "(ISTAT demographic balance, via it.wikipedia 'Reggio Emilia', "
        "2024-08-31)."
    )
    assert {r.residents_basis for r in res.rows} == {"quartiere figure, uniform density"}
    engine = engine_for(inv, CoverageConfig())
    page = render(inv, engine, result_of(engine, False), {})
    assert "82,497" in page and "172,182" in page


def _radio_world():  # type: ignore[no-untyped-def]
    """A base station, a repeater behind it, 6 subscribers on the repeater, 2 on the bs."""
    sites = (
        site("bs", 500, 500),
        site("rep", 1500, 500),
        *(site(f"u{i}", 1300 + 50 * i, 700) for i in range(6)),
        site("v0", 400, 300),
        site("v1", 600, 300),
    )
    rep = Device(
        name="rep",
        site="rep",
        role=Role.BASE_STATION,
        mgmt_ip="127.9.9.2",
        parent="bs",
        sector=Sector(radius_m=400),
    )
    cpes = tuple(
        Device(
            name=f"cpe{i}", site=f"u{i}", role=Role.CPE, mgmt_ip=f"127.9.9.{10 + i}", parent="rep"
        )
        for i in range(6)
    )
    cpes += tuple(
        Device(
            name=f"cpe-v{i}", site=f"v{i}", role=Role.CPE, mgmt_ip=f"127.9.9.{20 + i}", parent="bs"
        )
        for i in range(2)
    )
    return inventory(
        quartieri=(
            quartiere("Ovest", box(0, 0, 1000, 1000), 1000),
            quartiere("Est", box(1000, 0, 2000, 1000), 1000),
        ),
        sites=sites,
        devices=(base_station("bs", "bs", Sector(radius_m=400)), rep, *cpes),
    )


def test_live_counts_subscribers_cut_off_beside_the_area_lost() -> None:
    inv = _radio_world()
    res = compute(inv, CoverageConfig(), down={"rep"})
    est = next(r for r in res.rows if r.quartiere == "Est" and r.technology == "fixed-wireless")
    assert est.subscribers_cut_off == 6 and est.lost_km2 > 0
    ovest = next(r for r in res.rows if r.quartiere == "Ovest" and r.technology == "fixed-wireless")
    assert ovest.subscribers_cut_off == 0
    assert next(r for r in res.totals if r.technology == "fixed-wireless").subscribers_cut_off == 6
    assert res.cut_off_line() == "6 of 8 fixed-wireless subscribers cut off"
    # the base station takes everyone behind it
    assert compute(inv, CoverageConfig(), down={"bs"}).subscribers_cut_off == 8
    planned = compute(inv, CoverageConfig())
    assert planned.subscribers_cut_off is None and planned.cut_off_line() is None
    assert all(r.subscribers_cut_off is None for r in planned.rows)


def test_cli_live_prints_subscribers_cut_off_and_no_negative_zero(tmp_path: Path) -> None:
    inv = load_inventory(SAMPLE_PATHS).inventory
    # a repeater of the sample's Coviolo Wireless is down, everything else up: the rows
    # it does not touch lose 0, shown "0.000", never "-0.000"
    rep = next(
        d
        for d in inv.devices
        if d.role is not Role.CPE
        and any(c.parent == d.name for c in inv.devices if c.role is Role.CPE)
        and d.parent is not None
    )
    behind = sum(1 for d in inv.devices if d.role is Role.CPE and d.parent == rep.name)
    store_states(tmp_path, inv, rep.name)
    r = runner.invoke(app, ["coverage", "--live", "--data-dir", str(tmp_path)])
    assert r.exit_code == 0, r.stdout
    total = sum(1 for d in inv.devices if d.role is Role.CPE)
    assert f"Fixed wireless: {behind} of {total} fixed-wireless subscribers cut off." in r.stdout
    assert "subscribers cut off" in r.stdout and "Population known: 82,497" in r.stdout
    assert "-0.0" not in r.stdout and "−0" not in r.stdout
    r = runner.invoke(app, ["coverage", "--live", "--csv", "--data-dir", str(tmp_path)])
    assert ",-0.0," not in r.stdout and "-0.0\n" not in r.stdout
    r = runner.invoke(
        app, ["coverage", "report", str(tmp_path / "m.html"), "--live", "--data-dir", str(tmp_path)]
    )
    page = (tmp_path / "m.html").read_text()
    assert "-0.0" not in page and "−0" not in page
    assert f"{behind} of {total} fixed-wireless subscribers cut off" in page


def test_formatting_never_shows_a_negative_zero() -> None:
    assert _fmt(-1e-12, 3) == "0.000" and _fmt(-0.0, 0) == "0" and _fmt(-0.0004, 3) == "0.000"
    assert _fmt(-0.5, 1) == "-0.5"  # a real negative stays
    inv = inventory(
        quartieri=(quartiere("Q", box(0, 0, 1000, 1000)),),
        sites=(site("s", 500, 500), site("t", 510, 500)),
        devices=(ap("big", "s", 300.0), ap("small", "t", 50.0)),
    )
    res = compute(inv, CoverageConfig(), down={"small"})
    assert all(math.copysign(1, r.lost_km2) > 0 for r in [*res.rows, *res.totals])
    assert next(r for r in res.totals if r.quartiere == COMUNE).lost_km2 == pytest.approx(
        0, abs=1e-9
    )
