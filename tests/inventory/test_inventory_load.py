"""Inventory loading: good files load whole, bad files get every located error, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netagent.inventory.issues import Severity
from netagent.inventory.load import load_inventory
from netagent.inventory.model import Role

DATA = Path(__file__).parents[1] / "data" / "inventory"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_good_yaml_loads_with_computed_distances() -> None:
    r = load_inventory([DATA / "good.yaml"])
    assert r.errors == [], r.issues
    inv = r.inventory
    assert inv is not None
    assert len(inv.devices) == 5
    ap = inv.device_by_name["ap-panizzi-1"]
    assert ap.role is Role.WIFI_AP and ap.wifi is not None  # default wifi settings filled in
    assert ap.wifi.ssids == []  # no city SSID assumed: the inventory names its networks
    # Piazza Prampolini -> Torre Coviolo: about 2.3 km (independent haversine below).
    seg = inv.segments[0]
    assert inv.segment_length_m(seg) == pytest.approx(
        _haversine(44.698333, 10.631111, 44.6833, 10.6166), rel=0.005
    )
    link = inv.links[0]
    assert inv.link_distance_m(link) == pytest.approx(
        _haversine(44.6833, 10.6166, 44.6997, 10.6275), rel=0.005
    )


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    from math import asin, cos, radians, sin, sqrt

    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lon2 - lon1)
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * 6371008.8 * asin(sqrt(a))


FIVE_MISTAKES = """\
sites:
  - {name: Piazza Prampolini, lat: 44.6983, lon: 10.6311, kind: square}
  - {name: Piazza Prampolini, lat: 44.70, lon: 10.63, kind: square}
  - {name: Parco, lat: 144.7, lon: 10.6, kind: park}
devices:
  - name: ap-1
    site: Piazza Prampolini
    role: wifi-ap
    mgmt_ip: 127.20.0.300
  - name: ap-2
    site: Piazza Prampolini
    role: wifi-ap
    mgmt_ip: 127.20.0.2
    parent: sw-missing
links:
  - {name: l1, a: ap-2, b: ap-2, capacity_mbps: 100}
"""


def test_five_mistakes_give_five_located_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", FIVE_MISTAKES)
    r = load_inventory([path])
    assert r.inventory is None
    got = {(e.where, e.field.split(".")[-1]) for e in r.errors}
    assert got == {
        ("line 3", "name"),  # duplicate site name
        ("line 4", "lat"),  # latitude out of range
        ("line 9", "mgmt_ip"),  # invalid IP
        ("line 14", "parent"),  # reference to a device that does not exist
        ("line 16", "b"),  # link whose two ends are the same device
    }
    assert all(e.file == str(path) for e in r.errors)
    messages = " ".join(e.message for e in r.errors)
    assert "first defined at" in messages and "sw-missing" in messages


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("sites: [{name: A, lat: 44.7, lon: 10.6, kind: castle}]", "sites[0].kind", "school"),
        ("sites: [{name: A, lat: 0, lon: 0}]", "A.lat", "missing position"),
        (
            "sites: [{name: A, lat: 44.7, lon: 10.6, colour: red}]",
            "sites[0].colour",
            "unknown key",
        ),
        (
            "devices: [{name: d, site: nowhere, role: switch, mgmt_ip: 127.0.0.9}]",
            "d.site",
            "does not exist",
        ),
        (
            "devices: [{name: d, site: s, role: toaster, mgmt_ip: 127.0.0.9}]",
            "devices[0].role",
            "wifi-ap",
        ),
        (
            "sites: [{name: s, lat: 44.7, lon: 10.6}]\ndevices: [{name: a, site: s, role: switch, mgmt_ip: 127.0.0.9},"
            " {name: b, site: s, role: switch, mgmt_ip: 127.0.0.9}]",
            "b.mgmt_ip",
            "duplicate device mgmt_ip",
        ),
        (
            "sites: [{name: s, lat: 44.7, lon: 10.6}]\ndevices: [{name: a, site: s, role: switch, mgmt_ip: 127.0.0.9, parent: b},"
            " {name: b, site: s, role: switch, mgmt_ip: 127.0.0.8, parent: a}]",
            ".parent",
            "loop",
        ),
        ("segments: [{name: f, a_site: x, b_site: x}]", "f.b_site", "same site"),
        ("bogus: 1", "bogus", "unknown section"),
        ("sites:\n  - {name: A, lat: 44.7, lon: 10.6}\n  - name: [unclosed", "", "not valid YAML"),
        ("sites: [{name: A, lat: 44.7, lat: 44.8, lon: 10.6}]", "sites[0].lat", "duplicate key"),
        (
            "sites:\n  - {name: s, lat: 44.7, lon: 10.6}\ndevices:\n  - {name: a, site: s, role: switch, mgmt_ip: 127.0.0.9,"
            " wifi: {placement: indoor}}",
            "a.wifi",
            "belong to role wifi-ap",
        ),
    ],
)
def test_each_kind_of_mistake_is_named(
    tmp_path: Path, text: str, field: str, expected: str
) -> None:
    r = load_inventory([write(tmp_path, "inv.yaml", text)])
    assert r.inventory is None
    assert any(field in e.field and expected in e.message for e in r.errors), [
        str(e) for e in r.issues
    ]
    assert all(e.where.startswith("line ") for e in r.errors)


def test_another_citys_inventory_gets_no_reggio_emilia_defaults(tmp_path: Path) -> None:
    """An operator elsewhere leaves SSIDs and fibre owner out: none of the sample's appear."""
    text = (
        "sites: [{name: s, lat: 45.46, lon: 9.19}, {name: t, lat: 45.47, lon: 9.2}]\n"
        "devices: [{name: sw, site: s, role: switch, mgmt_ip: 127.0.0.9},"
        " {name: sw2, site: t, role: switch, mgmt_ip: 127.0.0.10},"
        " {name: ap, site: s, role: wifi-ap, mgmt_ip: 127.0.0.8, parent: sw,"
        " wifi: {placement: indoor}}]\n"
        "segments: [{name: f, a_site: s, b_site: t}]"
    )
    r = load_inventory([write(tmp_path, "inv.yaml", text)])
    assert r.inventory is not None, r.issues
    ap = r.inventory.device_by_name["ap"]
    assert ap.wifi is not None and ap.wifi.ssids == []
    assert r.inventory.segments[0].owner == ""


def test_reference_to_an_invalid_record_is_not_reported_twice(tmp_path: Path) -> None:
    text = (
        "sites: [{name: s, lat: 95, lon: 10.6}]\n"
        "devices: [{name: a, site: s, role: switch, mgmt_ip: 127.0.0.9}]"
    )
    r = load_inventory([write(tmp_path, "inv.yaml", text)])
    assert [e.field for e in r.errors] == ["sites[0].lat"]


def test_radio_link_to_a_switch_is_a_warning(tmp_path: Path) -> None:
    text = (
        "sites: [{name: s, lat: 44.7, lon: 10.6}, {name: t, lat: 44.71, lon: 10.61}]\n"
        "devices: [{name: a, site: s, role: switch, mgmt_ip: 127.0.0.9},"
        " {name: b, site: t, role: ptp-radio, mgmt_ip: 127.0.0.8}]\n"
        "links: [{name: l, a: a, b: b, capacity_mbps: 50}]"
    )
    r = load_inventory([write(tmp_path, "inv.yaml", text)])
    assert r.inventory is not None
    assert [w.field for w in r.warnings] == ["l.a"]
    assert r.warnings[0].severity is Severity.WARNING


def test_a_port_that_ends_two_segments_is_a_located_warning_naming_both(tmp_path: Path) -> None:
    """A port takes one fibre: the second segment ending on it is a slip, said with the
    segment whose name the port's interface samples then carry (the first by name)."""
    text = (
        "sites: [{name: s, lat: 44.7, lon: 10.6}, {name: t, lat: 44.71, lon: 10.61}]\n"
        "devices: [{name: a, site: s, role: switch, mgmt_ip: 127.0.0.9},\n"
        "  {name: b, site: t, role: switch, mgmt_ip: 127.0.0.8}]\n"
        "segments:\n"
        "  - {name: f-2, a_site: s, b_site: t, a_device: a, a_port: ge-1, b_device: b, b_port: ge-1}\n"
        "  - {name: f-1, a_site: s, b_site: t, a_device: a, a_port: ge-1, b_device: b, b_port: ge-2}\n"
    )
    r = load_inventory([path := write(tmp_path, "inv.yaml", text)])
    assert r.inventory is not None
    [w] = r.warnings
    assert str(w) == (
        f"{path}:5: warning: f-2.a_port: port 'ge-1' of 'a' also ends segment 'f-1' (at "
        f"{path}:6); a port takes one fibre: its interface samples are tagged segment 'f-1'"
    )
    # the planned segment that replaces one takes its port: no slip
    planned = text.replace("b_port: ge-2}", "b_port: ge-2, status: planned}")
    assert load_inventory([write(tmp_path, "inv.yaml", planned)]).warnings == []


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    r = load_inventory([write(tmp_path, "inv.txt", "x"), tmp_path / "absent.yaml"])
    assert r.inventory is None
    assert len(r.errors) == 2


def test_geojson_path_for_unknown_segment(tmp_path: Path) -> None:
    inv = write(
        tmp_path,
        "inv.yaml",
        "sites: [{name: s, lat: 44.7, lon: 10.6}, {name: t, lat: 44.71, lon: 10.61}]\n"
        "segments: [{name: f1, a_site: s, b_site: t}]\nimports: [{geojson: paths.geojson}]\n",
    )
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"segment": "f1"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[10.6, 44.7], [10.605, 44.705], [10.61, 44.71]],
                },
            },
            {
                "type": "Feature",
                "properties": {"segment": "f9"},
                "geometry": {"type": "LineString", "coordinates": [[10.6, 44.7], [10.61, 44.71]]},
            },
        ],
    }
    write(tmp_path, "paths.geojson", json.dumps(fc))
    r = load_inventory([inv])
    assert r.inventory is None
    assert [(e.where, e.field) for e in r.errors] == [("feature 1", "properties.segment")]
    fc["features"].pop()
    write(tmp_path, "paths.geojson", json.dumps(fc))
    r = load_inventory([inv])
    assert r.inventory is not None
    seg = r.inventory.segments[0]
    assert seg.path is not None and len(seg.path) == 3
    assert r.inventory.segment_length_m(seg) > _haversine(44.7, 10.6, 44.71, 10.61) * 0.999


# --- directories, as operators keep their inventory (/etc/netagent/inventory) -------------

SITES_YAML = "sites: [{name: s1, lat: 44.70, lon: 10.63}, {name: s2, lat: 44.71, lon: 10.64}]\n"
APS_CSV = "device.name,device.mgmt_ip,site.name,site.lat,site.lon\nap-1,127.20.0.1,s3,44.72,10.62\n"


def test_a_directory_loads_every_inventory_file_in_it(tmp_path: Path) -> None:
    inv = tmp_path / "inventory"
    inv.mkdir()
    write(inv, "10-sites.yaml", SITES_YAML)
    write(
        inv,
        "20-devices.yml",
        "devices: [{name: sw-1, site: s1, role: switch, mgmt_ip: 127.10.0.1}]\n",
    )
    write(inv, "30-aps.csv", APS_CSV)
    write(inv, "notes.txt", "a note, not an inventory file")
    write(inv, ".#10-sites.yaml", "editor lock file: {")
    (inv / "drafts").mkdir()
    write(inv / "drafts", "broken.yaml", "sites: [{name: x}]\n")  # not read: not recursive
    r = load_inventory([inv])
    assert r.errors == [], r.issues
    assert r.inventory is not None
    assert {s.name for s in r.inventory.sites} == {"s1", "s2", "s3"}
    assert {d.name for d in r.inventory.devices} == {"sw-1", "ap-1"}


def test_directory_files_load_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "sites: [{name: s1, lat: 44.70, lon: 10.63}]\n")
    write(tmp_path, "a.yaml", "sites: [{name: s1, lat: 44.71, lon: 10.64}]\n")
    r = load_inventory([tmp_path])
    [e] = r.errors
    assert e.file.endswith("b.yaml") and "first defined at" in e.message and "a.yaml" in e.message


def test_a_file_the_directory_yaml_imports_is_loaded_once_with_its_mapping(tmp_path: Path) -> None:
    write(tmp_path, "aps.csv", "Nome;IP;Luogo;Lat;Lon\nap-1;127.20.0.1;Piazza;44,7;10,63\n")
    write(
        tmp_path,
        "network.yaml",
        "imports:\n  - csv: aps.csv\n    mapping: {device.name: Nome, "
        "device.mgmt_ip: IP, site.name: Luogo, site.lat: Lat, site.lon: Lon}\n",
    )
    r = load_inventory([tmp_path])
    assert r.errors == [], r.issues
    assert r.inventory is not None and [d.name for d in r.inventory.devices] == ["ap-1"]


def test_a_directory_without_inventory_files_is_an_error_naming_it(tmp_path: Path) -> None:
    write(tmp_path, "README", "nothing here")
    r = load_inventory([tmp_path])
    [e] = r.errors
    assert e.file == str(tmp_path) and "no inventory file" in e.message and "*.yaml" in e.message
    [e] = load_inventory([tmp_path / "inventory"]).errors  # /etc/netagent/inventory not made
    assert e.file == str(tmp_path / "inventory") and e.message == "no such file or directory"


# --- names NetBox would refuse mid-sync ------------------------------------------------------


def test_names_longer_than_netbox_accepts_are_located_errors(tmp_path: Path) -> None:
    site, device = "S" * 101, "d" * 65
    p = write(
        tmp_path,
        "inv.yaml",
        f"sites: [{{name: {site}, lat: 44.7, lon: 10.6}},\n"
        f"        {{name: {'s' * 100}, lat: 44.71, lon: 10.61}}]\n"
        f"devices: [{{name: {device}, site: {site}, role: switch, mgmt_ip: 127.10.0.1}},\n"
        f"          {{name: {'d' * 64}, site: {site}, role: switch, mgmt_ip: 127.10.0.2}}]\n",
    )
    r = load_inventory([p])
    assert sorted((e.where, e.field, e.message) for e in r.errors) == [
        ("line 1", f"{site}.name", "site name is 101 characters; NetBox accepts at most 100"),
        ("line 3", f"{device}.name", "device name is 65 characters; NetBox accepts at most 64"),
    ]


# --- quartiere polygons inside inventory GeoJSON files ---------------------------------------


def _quartieri_fc(props: list[dict[str, object]]) -> str:
    squares = [
        [
            [10.60 + i * 0.01, 44.70],
            [10.61 + i * 0.01, 44.70],
            [10.61 + i * 0.01, 44.71],
            [10.60 + i * 0.01, 44.71],
            [10.60 + i * 0.01, 44.70],
        ]
        for i in range(len(props))
    ]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": p,
                    "geometry": {"type": "Polygon", "coordinates": [sq]},
                }
                for p, sq in zip(props, squares, strict=True)
            ],
        }
    )


@pytest.mark.parametrize(
    "props",
    [
        [{"NOME": "Centro", "ABITANTI": 100}, {"NOME": "Nord", "ABITANTI": 50}],
        # The project's own export (`netagent coverage export`): 'quartiere', 'population'.
        [
            {"quartiere": "Centro", "population": 100, "wifi_covered_pct": 1.0},
            {"quartiere": "Nord", "population": 50, "wifi_covered_pct": 2.0},
        ],
    ],
)
def test_inventory_geojson_quartieri_with_official_or_exported_names(
    tmp_path: Path, props: list[dict[str, object]]
) -> None:
    p = write(tmp_path, "quartieri.geojson", _quartieri_fc(props))
    r = load_inventory([p])
    assert r.errors == [], r.issues
    assert r.inventory is not None
    assert {q.name: q.population for q in r.inventory.quartieri} == {"Centro": 100, "Nord": 50}


def test_inventory_geojson_without_a_name_field_lists_the_fields(tmp_path: Path) -> None:
    p = write(tmp_path, "quartieri.geojson", _quartieri_fc([{"codice": 1}, {"codice": 2}]))
    [e] = load_inventory([p]).errors
    assert "no quartiere name field" in e.message and "fields present: codice" in e.message


def test_a_csv_in_its_own_layout_is_one_error_saying_to_import_it(tmp_path: Path) -> None:
    write(tmp_path, "export.csv", "Nome;IP;Luogo\nap-1;127.20.0.1;Piazza\n")
    [e] = load_inventory([tmp_path]).errors
    assert e.file.endswith("export.csv") and e.where == "line 1"
    assert "import this file from a YAML with a mapping" in e.message


def test_port_forwarded_devices_share_an_address_on_different_snmp_ports(tmp_path: Path) -> None:
    text = (
        "sites: [{name: s, lat: 44.7, lon: 10.6}]\n"
        "devices: [{name: a, site: s, role: cpe, mgmt_ip: 127.0.0.9, snmp_port: 1161},"
        " {name: b, site: s, role: cpe, mgmt_ip: 127.0.0.9, snmp_port: 2161}]"
    )
    r = load_inventory([write(tmp_path, "inv.yaml", text)])
    assert r.inventory is not None, [str(e) for e in r.errors]
    assert [d.snmp_port for d in r.inventory.devices] == [1161, 2161]
