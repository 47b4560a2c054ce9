"""The committed dashboards and provisioning: generated from code, complete, consistent."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from grafana.build import (
    DASHBOARD_DIR,
    PROVISIONING_DIR,
    build_all,
    datasource_min_interval,
    load_dashboards,
    stale_files,
)
from grafana.links import fibre
from grafana.model import DATASOURCE_UID
from grafana.queries import ALL, Interpolator, panel_queries, variables
from inventory.load import load_inventory
from inventory.model import FibreSegment, Inventory
from inventory.sample import SAMPLE_PATHS


@pytest.fixture(scope="module")
def sample() -> Inventory:
    inv = load_inventory(SAMPLE_PATHS).inventory
    assert inv is not None
    return inv


def all_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in panels:
        out.append(p)
        out += all_panels(p.get("panels", []))
    return out


def test_committed_json_is_what_the_code_generates(sample: Inventory) -> None:
    assert stale_files(sample) == [], "run: python -m grafana generate"
    assert sorted(load_dashboards()) == sorted(build_all(sample))


def test_uids_are_stable_and_unique() -> None:
    uids = {name: d["uid"] for name, d in load_dashboards().items()}
    assert uids == {
        "overview.json": "netagent-overview",
        "access-points.json": "netagent-access-points",
        "fibre.json": "netagent-fibre",
        "coviolo-wireless.json": "netagent-coviolo",
        "coverage.json": "netagent-coverage",
    }


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
        assert p["datasource"]["uid"] == DATASOURCE_UID
        assert p["fieldConfig"]["defaults"]["unit"], p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == DATASOURCE_UID and t["rawQuery"] is True
        if p["type"] == "timeseries":
            assert p["options"]["legend"]["showLegend"] is True
    assert len(ids) == len(set(ids))
    for v in dash["templating"]["list"]:
        assert v["datasource"]["uid"] == DATASOURCE_UID
    (anno,) = dash["annotations"]["list"]
    assert 'FROM "alert"' in anno["query"] and anno["textColumn"] == "text"


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


def test_fibre_rows_follow_the_inventory(sample: Inventory) -> None:
    dash = load_dashboards()["fibre.json"]
    rows = [p for p in dash["panels"] if p["type"] == "row"]
    assert len(rows) == len(sample.segments)
    seg = sample.segments[0]
    assert rows[0]["title"].startswith(seg.name) and rows[0]["collapsed"] is True
    queries = " ".join(t["query"] for p in rows[0]["panels"] for t in p["targets"])
    assert f"\"device\" = '{seg.a_device}' AND \"ifname\" = '{seg.a_port}'" in queries
    assert f"\"device\" = '{seg.b_device}' AND \"ifname\" = '{seg.b_port}'" in queries
    # utilisation is against the segment's own capacity (10 Gbit/s = 1e10 bps)
    assert f"/ {seg.capacity_mbps * 1e6:.0f} * 100" in queries


def test_fibre_segment_without_ports_gets_no_row_and_quotes_are_escaped(sample: Inventory) -> None:
    segs = (
        FibreSegment(name="bare", a_site=sample.sites[0].name, b_site=sample.sites[1].name),
        FibreSegment(
            name="quoted",
            a_site=sample.sites[0].name,
            b_site=sample.sites[1].name,
            a_device="sw-o'brien",
            a_port="ge-0/0/1",
            capacity_mbps=1000,
        ),
    )
    dash = fibre(sample.replace(segments=segs))
    rows = [p for p in dash["panels"] if p["type"] == "row"]
    assert [r["title"].split(" — ")[0] for r in rows] == ["quoted"]
    assert "'sw-o\\'brien'" in dash["panels"][0]["targets"][0]["query"]


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
