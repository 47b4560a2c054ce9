"""Sites are placed in quartieri when the inventory is loaded; outside the comune warns."""

from __future__ import annotations

import json
from pathlib import Path

import shapely
import shapely.geometry

from netagent.agent import inventory_source
from netagent.inventory.issues import Severity
from netagent.inventory.sample import SAMPLE_DIR

QUARTIERI = SAMPLE_DIR / "quartieri.geojson"


def _inv(tmp_path: Path, sites: str) -> Path:
    p = tmp_path / "inv.yaml"
    p.write_text(f"sites: {sites}\nimports: [{{geojson: {QUARTIERI}}}]\n", encoding="utf-8")
    return p


def test_sites_get_their_quartiere_and_far_sites_warn(tmp_path: Path) -> None:
    # Mancasale's centre; a point 1.5 km north of the comune's northern tip (44.7740).
    path = _inv(
        tmp_path, "[{name: M, lat: 44.7215, lon: 10.647481}, {name: Far, lat: 44.79, lon: 10.60}]"
    )
    r = inventory_source.load([path])
    assert r.inventory is not None
    sites = r.inventory.site_by_name
    assert sites["M"].quartiere == "Mancasale"
    assert sites["Far"].quartiere is None
    [w] = r.warnings
    assert (
        w.severity is Severity.WARNING and "Far" in w.message and "outside the comune" in w.message
    )


def test_explicit_quartiere_is_kept(tmp_path: Path) -> None:
    path = _inv(tmp_path, "[{name: M, lat: 44.7215, lon: 10.647481, quartiere: Gavassa}]")
    r = inventory_source.load([path])
    assert r.inventory is not None and r.inventory.site_by_name["M"].quartiere == "Gavassa"


def test_official_polygons_replace_the_approximate_ones(tmp_path: Path) -> None:
    official = tmp_path / "official.geojson"
    square = [[10.60, 44.70], [10.70, 44.70], [10.70, 44.75], [10.60, 44.75], [10.60, 44.70]]
    official.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "Nord", "population": 1000},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    )
    path = _inv(tmp_path, "[{name: M, lat: 44.7215, lon: 10.647481}]")
    # One square is not the comune: the comparison with its boundary is switched off here.
    r = inventory_source.load([path], quartieri=official, boundary=False)
    assert r.inventory is not None
    assert [q.name for q in r.inventory.quartieri] == ["Nord"]
    assert r.inventory.site_by_name["M"].quartiere == "Nord"
    assert not r.inventory.quartieri[0].approximate


def test_the_bundled_sample_loads_clean() -> None:
    r = inventory_source.load()
    assert r.inventory is not None and r.issues == []
    inv = r.inventory
    assert len(inv.devices) >= 150
    assert len({inv.quartiere_of(d) for d in inv.devices}) >= 20
    assert all(inv.quartiere_of(d) is not None for d in inv.devices)


def test_quartieri_inside_inventory_files_are_checked_against_the_comune(tmp_path: Path) -> None:
    """Polygons imported by an inventory YAML meet the same checks as agent.quartieri."""
    doc = json.loads(QUARTIERI.read_text(encoding="utf-8"))
    doc["features"] = [f for f in doc["features"] if f["properties"]["name"] != "Coviolo"]
    (tmp_path / "q.geojson").write_text(json.dumps(doc), encoding="utf-8")
    inv = tmp_path / "inv.yaml"
    inv.write_text(
        "sites: [{name: M, lat: 44.7215, lon: 10.647481}]\nimports: [{geojson: q.geojson}]\n",
        encoding="utf-8",
    )
    r = inventory_source.load([inv])
    assert r.inventory is None
    [e] = r.errors
    assert e.file == str(tmp_path / "q.geojson") and "a gap of 13.1" in e.message
    for f in doc["features"]:  # lat, lon instead of lon, lat
        g = shapely.transform(shapely.geometry.shape(f["geometry"]), lambda c: c[:, ::-1])
        f["geometry"] = shapely.geometry.mapping(g)
    (tmp_path / "q.geojson").write_text(json.dumps(doc), encoding="utf-8")
    [e] = inventory_source.load([inv]).errors
    assert "latitude and longitude are swapped" in e.message
