"""Official quartiere files as an operator meets them: own inventory directory, own config,
the Comune's polygons with a NOME field in EPSG:3003, and every way such a file goes wrong.

The broken files are committed fixtures (tests/data/quartieri, written by its build.py from
the bundled polygons); each must give one located error saying what to do, exit code 1,
and no traceback, from `inventory validate` and from `coverage`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import shapely.geometry
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from netagent.agent import inventory_source
from netagent.geo.quartieri import load_quartieri, to_metric
from netagent.inventory.issues import Severity
from netagent.inventory.sample import COMUNE_PATH

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "quartieri"

SITES = """\
sites:
  - {name: Municipio, lat: 44.6975, lon: 10.6310}
  - {name: Torre Coviolo, lat: 44.6833, lon: 10.6166}
  - {name: Capannone Mancasale, lat: 44.7215, lon: 10.6475}
devices:
  - {name: sw-municipio, site: Municipio, role: switch, mgmt_ip: 127.10.0.1}
  - {name: bs-coviolo, site: Torre Coviolo, role: base-station, mgmt_ip: 127.30.0.1,
     parent: sw-municipio, sector: {radius_m: 2500}}
"""
APS = """\
device.name,device.mgmt_ip,site.name,site.lat,site.lon,device.parent
ap-scuola-1,127.20.0.1,Scuola Pascoli,44.6990,10.6290,sw-municipio
ap-biblioteca-1,127.20.0.2,Biblioteca Ospizio,44.7060,10.6520,sw-municipio
"""


@pytest.fixture
def operator(tmp_path: Path) -> Path:
    """An operator's /etc/netagent: an inventory directory, the Comune's polygons (NOME,
    EPSG:3003) and a config naming both, with the name field."""
    inv = tmp_path / "inventory"
    inv.mkdir()
    (inv / "10-sites.yaml").write_text(SITES, encoding="utf-8")
    (inv / "20-aps.csv").write_text(APS, encoding="utf-8")
    (inv / "README.txt").write_text("not an inventory file\n")
    shutil.copy(FIXTURES / "quartieri_3003.geojson", tmp_path / "quartieri.geojson")
    (tmp_path / "netagent.toml").write_text(
        f'[agent]\ninventory = ["{inv}"]\nquartieri = "{tmp_path / "quartieri.geojson"}"\n'
        f'quartieri_name_field = "NOME"\ndata_dir = "{tmp_path / "data"}"\n',
        encoding="utf-8",
    )
    return tmp_path


def netagent(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETAGENT_")}
    env["COLUMNS"] = "400"  # one issue per line, as a log reader sees it
    return subprocess.run(
        [sys.executable, "-m", "netagent.agent", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_operator_directory_and_official_polygons_validate_and_compute(operator: Path) -> None:
    r = netagent(
        "inventory",
        "validate",
        operator / "inventory",
        "--quartieri",
        operator / "quartieri.geojson",
    )
    assert r.returncode == 0, r.stderr
    assert "valid: 5 sites, 4 devices" in r.stdout and "25 quartieri" in r.stdout
    r = netagent("coverage", "--config", operator / "netagent.toml", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["rows"]
    assert {row["quartiere"] for row in rows} >= {"Coviolo", "Mancasale", "Gavassa"}
    fw = {row["quartiere"]: row for row in rows if row["technology"] == "fixed-wireless"}
    assert fw["Coviolo"]["covered_km2"] > 5  # the base station's 2.5 km disc over its quartiere


def test_exported_quartieri_geojson_reimports(operator: Path) -> None:
    out = operator / "export"
    r = netagent("coverage", "--config", operator / "netagent.toml", "export", out)
    assert r.returncode == 0, r.stderr
    r = netagent(
        "inventory", "validate", operator / "inventory", "--quartieri", out / "quartieri.geojson"
    )
    assert r.returncode == 0, r.stderr
    assert "25 quartieri" in r.stdout and "Traceback" not in r.stderr
    again, _ = load_quartieri(out / "quartieri.geojson")
    official, _ = load_quartieri(FIXTURES / "quartieri_3003.geojson")
    area = {q.name: to_metric(q.geometry).area for q in official}
    assert {q.name for q in again} == set(area)
    for q in again:
        assert to_metric(q.geometry).area == pytest.approx(area[q.name], rel=1e-4)


BROKEN = {
    "no_crs_metres.geojson": [
        r"error \S+/no_crs_metres\.geojson: crs: the CRS is missing",
        r"fit EPSG:3003",
        r'"name": "EPSG:3003"',
    ],
    "no_prj.shp": [
        r"error \S+/no_prj\.shp: crs: the CRS is missing",
        r"no \.prj",
        r"put a \.prj for EPSG:3003 next to no_prj\.shp",
    ],
    "prj_wgs84_over_metres.shp": [
        r"wrong CRS: prj_wgs84_over_metres\.prj says WGS 84",
        r"not lon/lat \(they look like metres\)",
        r"fit EPSG:3003",
    ],
    "wrong_crs.geojson": [
        r"wrong CRS: the 'crs' member says EPSG:32632",
        r"fall \d+\.\d km from the comune",
        r"set the CRS: .*EPSG:3003",
    ],
    "swapped_axes.geojson": [
        r"latitude and longitude are swapped",
        r"swapped, they cover 100%",
        r"write longitude first",
    ],
    "moved_30km.geojson": [
        r"error \S+/moved_30km\.geojson:record #11: Gavassa: lies outside the "
        r"comune .*, 2\d\.\d km from it",
        r"a gap of 12\.8\d km² in no quartiere",
    ],
    "missing_quartiere.geojson": [
        r"a gap of 13\.1\d km² in no quartiere .*bordering .*Canali",
        r"cover 217\.0\d km² of the 230\.18 km²",
        r"is a quartiere missing\?",
    ],
    "self_intersecting.geojson": [
        r"warning \S+/self_intersecting\.geojson:record #12: Mancasale: invalid polygon",
        r"a change of \+1\.44\d km²",
        r"error \S+: a gap of 2\.2\d km² in no quartiere .*Mancasale",
    ],
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_official_file_is_a_located_error(operator: Path, name: str) -> None:
    r = netagent("inventory", "validate", operator / "inventory", "--quartieri", FIXTURES / name)
    err = _one_line(r.stderr)
    assert r.returncode == 1, err
    assert "Traceback" not in r.stderr + r.stdout
    for pattern in BROKEN[name]:
        assert re.search(pattern, err), (pattern, err)
    assert "nothing was loaded" in err


@pytest.mark.parametrize(
    "command,name",
    [
        (["coverage"], "prj_wgs84_over_metres.shp"),  # was an OverflowError in make_cells
        (["coverage"], "missing_quartiere.geojson"),  # was exit 0 with a smaller comune
        (["run", "--once"], "wrong_crs.geojson"),  # was 0% coverage, sites "outside"
    ],
)
def test_coverage_and_run_refuse_a_broken_file_without_a_traceback(
    operator: Path, command: list[str], name: str
) -> None:
    cfg = operator / "netagent.toml"
    text = cfg.read_text().replace(str(operator / "quartieri.geojson"), str(FIXTURES / name))
    cfg.write_text(text)
    r = netagent(*command, "--config", cfg)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr + r.stdout and name in r.stderr


def test_api_reports_every_fixture_as_issues_never_raises() -> None:
    for path in [*FIXTURES.glob("*.geojson"), *FIXTURES.glob("*.shp")]:
        r = inventory_source.load([], quartieri=path)
        good = path.name == "quartieri_3003.geojson"
        assert (r.inventory is not None) == good, (path.name, r.issues)
        assert good or any(i.severity is Severity.ERROR for i in r.issues)


def test_another_city_is_not_judged_against_reggio_emilia(tmp_path: Path) -> None:
    """Quartieri of a city elsewhere (here: the bundled ones moved 150 km south) load: the
    bundled boundary applies only to polygons over Reggio Emilia."""
    official, _ = load_quartieri(FIXTURES / "quartieri_3003.geojson")
    doc = json.loads((FIXTURES / "quartieri_3003.geojson").read_text())
    for f in doc["features"]:
        for ring in _rings(f["geometry"]):
            for pt in ring:
                pt[1] -= 150_000
    moved = tmp_path / "altrove.geojson"
    moved.write_text(json.dumps(doc))
    r = inventory_source.load([], quartieri=moved)
    assert r.inventory is not None, r.issues
    assert len(r.inventory.quartieri) == len(official)
    # Their own comune boundary, when given, is checked: here Reggio's is the wrong one.
    r = inventory_source.load([], quartieri=moved, boundary=COMUNE_PATH)
    assert r.inventory is None and "lies outside the comune boundary" in str(r.issues[0])


def test_without_a_boundary_overlaps_holes_and_strays_are_still_found(tmp_path: Path) -> None:
    square = [[10.60, 44.70], [10.62, 44.70], [10.62, 44.72], [10.60, 44.72], [10.60, 44.70]]
    ring = [[10.63, 44.70], [10.67, 44.70], [10.67, 44.74], [10.63, 44.74], [10.63, 44.70]]
    hole = [[10.64, 44.71], [10.66, 44.71], [10.66, 44.73], [10.64, 44.73], [10.64, 44.71]]
    over = [[10.61, 44.70], [10.63, 44.70], [10.63, 44.72], [10.61, 44.72], [10.61, 44.70]]
    far = [[11.60, 44.70], [11.61, 44.70], [11.61, 44.71], [11.60, 44.71], [11.60, 44.70]]
    feats = [("A", [square]), ("B", [ring, hole]), ("C", [over]), ("Lontano", [far])]
    path = tmp_path / "q.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"NOME_QUART": n},
                        "geometry": {"type": "Polygon", "coordinates": c},
                    }
                    for n, c in feats
                ],
            }
        )
    )
    r = inventory_source.load([], quartieri=path, boundary=False)
    text = "\n".join(map(str, r.issues))
    assert r.inventory is None
    assert re.search(r"record #2: error: C: overlaps quartiere 'A' by 1\.7\d km²", text), text
    assert re.search(r"a gap of 3\.5\d km² in no quartiere .*bordering B", text), text
    assert re.search(r"record #3: error: Lontano: lies 7\d\.\d km from every other", text), text


def test_name_field_is_configured_or_detected_or_the_fields_are_listed(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "quartieri_3003.geojson").read_text())
    for f in doc["features"]:
        f["properties"]["NAME_EN"] = f["properties"]["NOME"].upper()
        f["properties"]["DENOMINAZIONE"] = "x" + f["properties"]["NOME"]
    path = tmp_path / "q.geojson"
    path.write_text(json.dumps(doc))
    r = inventory_source.load([], quartieri=path)
    assert r.inventory is None
    [e] = r.errors
    assert "several fields could hold the quartiere name: NOME, DENOMINAZIONE" in e.message
    assert "agent.quartieri_name_field" in e.message
    r = inventory_source.load([], quartieri=path, name_field="NAME_EN")
    assert r.inventory is not None and "COVIOLO" in r.inventory.quartiere_by_name
    r = inventory_source.load([], quartieri=path, name_field="QUARTIERE")
    assert r.inventory is None and "fields present: ABITANTI, DENOMINAZIONE" in str(r.errors[0])


def _rings(geometry: dict[str, object]) -> list[list[list[float]]]:
    coords = geometry["coordinates"]
    assert isinstance(coords, list)
    return [r for poly in coords for r in poly] if geometry["type"] == "MultiPolygon" else coords


def test_a_quartiere_sticking_out_of_the_comune_is_measured(tmp_path: Path) -> None:
    doc = json.loads((FIXTURES / "quartieri_3003.geojson").read_text())
    [gavassa] = [f for f in doc["features"] if f["properties"]["NOME"] == "Gavassa"]
    grown = shapely.geometry.shape(gavassa["geometry"]).buffer(400)
    gavassa["geometry"] = shapely.geometry.mapping(grown)
    path = tmp_path / "q.geojson"
    path.write_text(json.dumps(doc))
    r = inventory_source.load([], quartieri=path)
    assert r.inventory is None
    text = "\n".join(map(str, r.errors))
    assert re.search(
        r"record #11: error: Gavassa: \d\.\d\d km² of it lies outside the comune", text
    )
    assert re.search(r"error: \w+: overlaps quartiere 'Gavassa' by \d\.\d\d km²", text)


def test_a_datum_mixup_is_named_beside_the_slivers_it_leaves() -> None:
    """ETRS89 coordinates declared as ED50: every polygon ~150 m off, slivers all round."""
    r = inventory_source.load([], quartieri=FIXTURES / "datum_ed50.geojson")
    assert r.inventory is None
    hint = r.issues[0]
    assert hint.severity is Severity.WARNING and hint.field == "crs"
    assert "better read as EPSG:25832 (ETRS89 / UTM 32N)" in hint.message
    assert "the 'crs' member says EPSG:23032" in hint.message
    assert any("lies outside the comune" in e.message for e in r.errors)
    assert any("a gap of" in e.message for e in r.errors)


_number = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**7), 10**7),
    st.sampled_from([10.6, 44.7, 1_630_000.0, 4_950_000.0]),
)
_ring = st.lists(st.lists(_number, min_size=2, max_size=3), min_size=0, max_size=6)
_feature = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["Feature", "Feature", "feature"]),
        "properties": st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(["name", "NOME", "nome", "population", "ABITANTI", "x"]),
                st.one_of(st.text(max_size=5), st.integers(-5, 5), st.none()),
                max_size=3,
            ),
        ),
        "geometry": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString"]),
                    "coordinates": st.lists(_ring, max_size=2),
                }
            ),
        ),
    }
)
_crs = st.one_of(st.none(), st.sampled_from(["EPSG:3003", "EPSG:4326", "EPSG:32632", "nope"]))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(features=st.lists(_feature, max_size=4), crs=_crs)
@example(  # shapely's shape() raised IndexError on it
    features=[
        {
            "type": "Feature",
            "properties": None,
            "geometry": {"type": "MultiPolygon", "coordinates": [[], [[0.0, 0.0]]]},
        }
    ],
    crs=None,
)
@example(  # GEOS refused the NaN deep inside make_valid
    features=[
        {
            "type": "Feature",
            "properties": {"name": "a"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, float("nan")], [1, 1], [0, 0]]],
            },
        }
    ],
    crs=None,
)
def test_any_quartiere_file_gives_quartieri_or_issues_never_an_exception(
    tmp_path: Path, features: list[dict[str, object]], crs: str | None
) -> None:
    doc: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / "q.geojson"
    path.write_text(json.dumps(doc))
    sites = tmp_path / "sites.yaml"
    sites.write_text("sites: [{name: Municipio, lat: 44.6975, lon: 10.6310}]\n")
    for r in (inventory_source.load([sites], quartieri=path), inventory_source.load([path])):
        assert (r.inventory is None) == any(i.severity is Severity.ERROR for i in r.issues)
