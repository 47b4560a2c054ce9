"""The committed dashboards and provisioning: generated from code, complete, consistent,
independent of the inventory, importable through the UI as well as provisioned."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from netagent.collectors.measurements import MEASUREMENTS
from netagent.grafana import units
from netagent.grafana.build import (
    DASHBOARD_DIR,
    PROVISIONING_DIR,
    build_all,
    datasource_min_interval,
    load_dashboards,
    render,
    stale_files,
)
from netagent.grafana.queries import ALL, Interpolator, panel_queries, variables
from netagent.grafana.sdk import DATASOURCE_UID
from netagent.grafana.units import unit
from netagent.inventory.load import load_inventory
from netagent.inventory.sample import SAMPLE_PATHS

DS = {"type": "influxdb", "uid": "${DS_NETAGENT}"}


def all_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in panels:
        out.append(p)
        out += all_panels(p.get("panels", []))
    return out


def test_committed_json_is_what_the_code_generates() -> None:
    assert stale_files() == [], "run: python -m netagent.grafana generate"
    assert sorted(load_dashboards()) == sorted(build_all())


def test_uids_are_stable_and_unique() -> None:
    uids = {name: d["uid"] for name, d in load_dashboards().items()}
    assert uids == {
        "overview.json": "netagent-overview",
        "access-points.json": "netagent-access-points",
        "ports.json": "netagent-ports",
        "coviolo-wireless.json": "netagent-coviolo",
        "devices.json": "netagent-devices",
        "coverage.json": "netagent-coverage",
    }


def test_no_dashboard_names_anything_of_the_inventory() -> None:
    """A new device, segment or link changes no dashboard: none is named in them."""
    inv = load_inventory(SAMPLE_PATHS).inventory
    assert inv is not None
    names = {d.name for d in inv.devices} | {s.name for s in inv.segments}
    names |= {lk.name for lk in inv.links} | {s.a_port for s in inv.segments if s.a_port}
    text = " ".join(render(d) for d in load_dashboards().values())
    assert sorted(n for n in names if f"'{n}'" in text or f'"{n}"' in text) == []
    assert len(load_dashboards()["ports.json"]) and "fibre.json" not in load_dashboards()


def test_per_device_link_and_station_rows_repeat_over_tag_values() -> None:
    dashes = load_dashboards()
    expected = {
        "ports.json": {"device": ('"interface"', "device")},
        "coviolo-wireless.json": {
            "link": ('"radio_link"', "link"),
            "ap": ('"radio_station"', "device"),
        },
    }
    for name, repeats in expected.items():
        dash = dashes[name]
        rows = {p["repeat"]: p for p in dash["panels"] if p["type"] == "row" and p.get("repeat")}
        assert sorted(rows) == sorted(repeats), name
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        for var, (measurement, key) in repeats.items():
            v = variables[var]
            assert v["query"] == f'SHOW TAG VALUES FROM {measurement} WITH KEY = "{key}"'
            # a city's worth of devices is hundreds of rows: no All, opens on one value
            assert v["multi"] is True and v["includeAll"] is False and "current" not in v
            assert f"${var}" in rows[var]["title"] and rows[var]["collapsed"] is False
        # the panels after a repeated row (up to the next row) are repeated with it
        repeated = [pq for pq in panel_queries(dash) if pq.repeat]
        assert {pq.repeat for pq in repeated} == set(repeats)
        for pq in repeated:
            # one value per copy, compared as a string: a "/" in it cannot end a regex
            assert f"= '${{{pq.repeat}:raw}}'" in pq.query, pq.where


def test_every_panel_unit_comes_from_the_units_table() -> None:
    known = {f.grafana for m in MEASUREMENTS for f in m.fields} | set(units._DERIVED.values())
    for dash in load_dashboards().values():
        for p in all_panels(dash["panels"]):
            if p["type"] == "row":
                continue
            assert p["fieldConfig"]["defaults"]["unit"] in known, p["title"]
            for o in p["fieldConfig"]["overrides"]:
                for prop in o["properties"]:
                    if prop["id"] == "unit":
                        assert prop["value"] in known, (p["title"], o)
    assert (
        unit("radio_station", "rssi_dbm") == "dBm" and unit("sensor", "value:celsius") == "celsius"
    )
    with pytest.raises(KeyError, match=r"'nonsense' of measurement 'host'"):
        unit("host", "nonsense")


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARD_DIR.glob("*.json")))
def test_every_panel_is_titled_described_and_uses_our_datasource(name: str) -> None:
    dash = load_dashboards()[name]
    assert dash["schemaVersion"] >= 36 and dash["title"] and dash["description"]
    ids = []
    for p in all_panels(dash["panels"]):
        ids.append(p["id"])
        assert p["title"].strip() and p["title"] != "Panel Title", p
        if p["type"] == "row":
            continue
        assert p["description"].strip(), p["title"]
        assert p["datasource"] == DS
        assert p["fieldConfig"]["defaults"]["unit"], p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"] == DS and t["rawQuery"] is True
        if p["type"] == "timeseries":
            assert p["options"]["legend"]["showLegend"] is True
    assert len(ids) == len(set(ids))
    for v in dash["templating"]["list"][1:]:
        assert v["datasource"] == DS
    (anno,) = dash["annotations"]["list"]
    assert 'FROM "alert"' in anno["query"] and anno["textColumn"] == "text"
    assert anno["datasource"] == DS


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARD_DIR.glob("*.json")))
def test_a_ui_import_into_another_grafana_points_everything_at_the_chosen_datasource(
    name: str,
) -> None:
    """What Grafana's import UI does: ask for each `__inputs` datasource, then put its
    uid wherever `${DS_NETAGENT}` is written."""
    text = (DASHBOARD_DIR / name).read_text()
    dash = json.loads(text)
    (ds_input,) = dash["__inputs"]
    assert ds_input["type"] == "datasource" and ds_input["pluginId"] == "influxdb"
    imported = json.loads(text.replace("${" + ds_input["name"] + "}", "their-influx"))
    refs = [p["datasource"] for p in all_panels(imported["panels"]) if p["type"] != "row"]
    refs += [t["datasource"] for p in all_panels(imported["panels"]) for t in p.get("targets", [])]
    refs += [v["datasource"] for v in imported["templating"]["list"] if v["type"] == "query"]
    refs += [a["datasource"] for a in imported["annotations"]["list"]]
    assert refs and all(r == {"type": "influxdb", "uid": "their-influx"} for r in refs)
    required = {r["id"] for r in dash["__requires"] if r["type"] == "panel"}
    assert required == {p["type"] for p in all_panels(dash["panels"])} - {"row"}
    assert {"grafana", "influxdb"} <= {r["id"] for r in dash["__requires"]}


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARD_DIR.glob("*.json")))
def test_a_provisioned_dashboard_resolves_its_datasource_to_the_provisioned_one(
    name: str,
) -> None:
    """Provisioning substitutes no `__inputs`: `${DS_NETAGENT}` is resolved by the
    dashboard's datasource variable of that name, set to the provisioned datasource."""
    dash = load_dashboards()[name]
    ds = yaml.safe_load((PROVISIONING_DIR / "datasources" / "netagent.yaml").read_text())
    var = dash["templating"]["list"][0]
    assert (var["type"], var["name"], var["query"]) == ("datasource", "DS_NETAGENT", "influxdb")
    assert var["current"]["value"] == ds["datasources"][0]["uid"] == DATASOURCE_UID


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARD_DIR.glob("*.json")))
def test_every_query_interpolates_with_only_its_own_variables(name: str) -> None:
    dash = load_dashboards()[name]
    it = Interpolator()
    for v in variables(dash):
        it.select(v, ALL, ["x", "y (z)"])
    for pq in panel_queries(dash):
        q = it.interpolate(pq.query, pq.min_interval)  # raises on an unknown variable
        assert "$timeFilter" not in q and "time >= now() - 6h" in q, pq.where


def test_time_series_queries_group_by_the_interval() -> None:
    for dash in load_dashboards().values():
        for p in all_panels(dash["panels"]):
            if p["type"] == "timeseries":
                for t in p["targets"]:
                    assert "GROUP BY time($__interval)" in t["query"], p["title"]


def test_provisioning_points_at_the_datasource_and_dashboards() -> None:
    ds = yaml.safe_load((PROVISIONING_DIR / "datasources" / "netagent.yaml").read_text())
    (source,) = ds["datasources"]
    assert source["uid"] == DATASOURCE_UID and source["type"] == "influxdb"
    assert source["jsonData"]["version"] == "InfluxQL"
    assert datasource_min_interval() == source["jsonData"]["timeInterval"] == "30s"
    # URL, database and token come from the environment, never from the file
    assert re.fullmatch(r"\$\{NETAGENT_INFLUXDB__URL\}", source["url"])
    assert source["jsonData"]["dbName"] == "${NETAGENT_INFLUXDB__DATABASE}"
    assert "${NETAGENT_INFLUXDB__TOKEN}" in source["secureJsonData"]["httpHeaderValue1"]
    dashboards = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "netagent.yaml").read_text())
    (provider,) = dashboards["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]


def _overlaps(panels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(panels):
        for b in panels[i + 1 :]:
            pa, pb = a["gridPos"], b["gridPos"]
            if (
                pa["x"] < pb["x"] + pb["w"]
                and pb["x"] < pa["x"] + pa["w"]
                and pa["y"] < pb["y"] + pb["h"]
                and pb["y"] < pa["y"] + pa["h"]
            ):
                out.append((a["title"], b["title"]))
    return out


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARD_DIR.glob("*.json")))
def test_panels_do_not_overlap_and_fit_the_width(name: str) -> None:
    dash = load_dashboards()[name]
    assert _overlaps(dash["panels"]) == []
    for p in all_panels(dash["panels"]):
        assert p["gridPos"]["x"] + p["gridPos"]["w"] <= 24, p["title"]
        if p["type"] == "row" and p["collapsed"]:
            assert _overlaps(p["panels"]) == [], p["title"]
