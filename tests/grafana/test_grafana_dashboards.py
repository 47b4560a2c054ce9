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


def test_per_device_segment_link_and_station_rows_repeat_over_tag_values() -> None:
    dashes = load_dashboards()
    expected = {
        "ports.json": {"device": ('"interface"', "device"), "segment": ('"interface"', "segment")},
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


def test_a_segments_row_shows_both_its_ends_side_by_side() -> None:
    """The row repeated per fibre segment draws one series per end (side a and b, with
    its device and port) of status, traffic, utilisation and errors, and nothing else."""
    dash = load_dashboards()["ports.json"]
    rows = [p for p in dash["panels"] if p["type"] == "row"]
    start = next(i for i, p in enumerate(dash["panels"]) if p.get("repeat") == "segment")
    end = dash["panels"].index(rows[rows.index(dash["panels"][start]) + 1])
    panels = dash["panels"][start + 1 : end]
    assert [p["title"] for p in panels] == [
        "Status of both ends",
        "Traffic at each end",
        "Utilisation at each end",
        "Errors and discards at each end",
    ]
    assert panels[0]["type"] == "state-timeline"
    # a silent end is a gap after 5 minutes (as the time series bridge up to 5 minutes)
    (override,) = panels[0]["fieldConfig"]["overrides"]
    assert override["properties"] == [{"id": "custom.insertNulls", "value": 300000}]
    assert {p["gridPos"]["y"] for p in panels[1:]} == {panels[1]["gridPos"]["y"]}  # one line
    for p in panels:
        (t,) = p["targets"]
        assert "\"segment\" = '${segment:raw}'" in t["query"], p["title"]
        assert (
            t["query"]
            .rstrip()
            .split("GROUP BY ")[1]
            .startswith('time($__interval), "side", "device", "ifname"')
        )
        assert t["alias"].startswith("$tag_side: $tag_device $tag_ifname"), p["title"]
    (summary,) = [p for p in all_panels(dash["panels"]) if "fibre segment" in p["title"]]
    assert "WHERE \"segment\" != ''" in summary["targets"][0]["query"]


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


def _columns(panel: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Column name -> its override properties ({id: value}), for every selected column."""
    names = re.findall(r'AS "([^"]+)"', panel["targets"][0]["query"])
    props = {
        o["matcher"]["options"]: {p["id"]: p["value"] for p in o["properties"]}
        for o in panel["fieldConfig"]["overrides"]
    }
    return {n: props.get(n, {}) for n in names}


def test_radio_tables_show_the_cambium_fields_where_a_technician_looks() -> None:
    """Issue 16: a PMP 450 SM's session, AP, H/V signal and Canopy figures on its link's
    row; an ePMP AP's stations with host name, IP, downlink signal/SNR, MCS and scores."""
    every = all_panels(load_dashboards()["coviolo-wireless.json"]["panels"])
    panels = {p["title"]: p for p in every}
    links = _columns(panels["Radio links now"])
    assert 'FROM "radio_link"' in panels["Radio links now"]["targets"][0]["query"]
    assert next(iter(links)) == "session"  # first thing looked at: is the SM registered?
    (registered, other) = links["session"]["mappings"]
    assert registered["options"]["REGISTERED"]["color"] == "green"
    assert other["type"] == "regex" and other["options"]["result"]["color"] == "orange"
    for name in ("signal H", "signal V", "SNR H", "SNR V", "beacons", "jitter"):
        assert links[name]["custom.cellOptions"] == {"type": "color-background"}, name
    jitter = [s["color"] for s in links["jitter"]["thresholds"]["steps"]]
    assert jitter == ["green", "orange", "red"]  # less jitter is better
    assert links["modulation X"] == {"unit": "short", "decimals": 0}
    assert links["registered to"] == {"unit": "none"}

    stations = _columns(panels["Stations now"])
    assert list(stations)[:2] == ["host name", "IP"]  # find the house without a MAC lookup
    for name in ("signal DL", "SNR DL", "quality", "capacity score"):
        assert stations[name]["custom.cellOptions"] == {"type": "color-background"}, name
    assert stations["MCS UL"] == stations["MCS DL"] == {"unit": "short", "decimals": 0}
    # the repeated rows chart the new spellings as their own series
    signal = [p for p in every if p["title"] == "Signal strength"]
    queries = " ".join(p["targets"][0]["query"] for p in signal)
    assert all(f'"{f}"' in queries for f in ("rssi_h_dbm", "rssi_v_dbm", "rssi_dl_dbm"))
