"""The bundled Reggio Emilia sample: reproducible, valid per the model, and complete."""

from __future__ import annotations

import csv
from collections import Counter
from ipaddress import IPv4Address, ip_network
from typing import Any

import pytest
import yaml
from shapely.geometry import Point

from netagent.agent.demo.sample_builder import load_boundary, render
from netagent.geo.quartieri import QuartiereIndex, load_quartieri
from netagent.inventory.geojson import read_features
from netagent.inventory.model import Device, FibreSegment, RadioLink, Role, Site, WifiSettings
from netagent.inventory.sample import LAB_FAULTS_PATH, SAMPLE_DIR, SAMPLE_PATHS


def test_builder_reproduces_the_committed_files() -> None:
    for name, text in render().items():
        assert (SAMPLE_DIR / name).read_text(encoding="utf-8") == text, (
            f"inventory/sample/{name} differs from what `python -m "
            "netagent.agent.demo.sample_builder` "
            "generates: re-run it and commit"
        )


def _from_csv(imp: dict[str, Any]) -> tuple[list[Site], list[Device]]:
    """Apply the sample's CSV mapping the way the YAML format defines it."""
    with (SAMPLE_DIR / imp["csv"]).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=imp["delimiter"]))
    sites: dict[str, Site] = {}
    devices = []
    for row in rows:
        rec: dict[str, dict[str, Any]] = {"site": {}, "device": {}, "wifi": {}}
        for key, value in imp["defaults"].items():
            part, fld = key.split(".")
            rec[part][fld] = value
        for key, column in imp["mapping"].items():
            part, fld = key.split(".")
            value = row[column]
            rec[part][fld] = imp.get("values", {}).get(key, {}).get(value, value)
        site = Site(**rec["site"])
        assert sites.setdefault(site.name, site) == site, f"{site.name}: rows disagree"
        devices.append(Device(**rec["device"], site=site.name, wifi=WifiSettings(**rec["wifi"])))
    return list(sites.values()), devices


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    assert SAMPLE_PATHS == (SAMPLE_DIR / "network.yaml",)
    net = yaml.safe_load((SAMPLE_DIR / "network.yaml").read_text(encoding="utf-8"))
    csv_sites, aps = _from_csv(net["imports"][0])
    return {
        "sites": [Site(**s) for s in net["sites"]] + csv_sites,
        "devices": [Device(**d) for d in net["devices"]] + aps,
        "links": [RadioLink(**r) for r in net["links"]],
        "segments": [FibreSegment(**s) for s in net["segments"]],
        "aps": aps,
    }


def test_sample_size_and_addresses(sample: dict[str, Any]) -> None:
    devices: list[Device] = sample["devices"]
    assert len(devices) >= 150
    assert len({d.name for d in devices}) == len(devices)
    assert len({s.name for s in sample["sites"]}) == len(sample["sites"])
    ips = [d.mgmt_ip for d in devices]
    assert len(set(ips)) == len(ips)
    assert all(isinstance(ip, IPv4Address) and ip in ip_network("127.0.0.0/8") for ip in ips)
    assert IPv4Address("127.0.0.1") not in ips
    assert all(d.snmp_port >= 16100 for d in devices)
    assert {d.vendor for d in sample["aps"]} == {"Ubiquiti", "MikroTik"}
    assert {d.snmp_profile for d in sample["aps"]} == {"unifi", "mikrotik-ap"}


def test_devices_spread_over_quartieri_and_aps_inside_the_comune(sample: dict[str, Any]) -> None:
    quartieri, warnings = load_quartieri(SAMPLE_DIR / "quartieri.geojson")
    assert warnings == [] and len(quartieri) == 25 and all(q.approximate for q in quartieri)
    index = QuartiereIndex(quartieri)
    site = {s.name: s for s in sample["sites"]}
    per_q = Counter(index.locate(site[d.site].lon, site[d.site].lat) for d in sample["devices"])
    assert None not in per_q
    assert len(per_q) >= 20
    comune = load_boundary(SAMPLE_DIR)
    outside = [
        d.name
        for d in sample["aps"]
        if not comune.contains(Point(site[d.site].lon, site[d.site].lat))
    ]
    assert outside == []


def test_references_and_radio_hops(sample: dict[str, Any]) -> None:
    devices = {d.name: d for d in sample["devices"]}
    sites = {s.name for s in sample["sites"]}
    assert all(d.site in sites for d in devices.values())
    assert all(d.parent is None or d.parent in devices for d in devices.values())
    assert [d.name for d in devices.values() if d.parent is None] == ["rtr-municipio"]
    ends = {frozenset((r.a, r.b)) for r in sample["links"]}
    for d in devices.values():  # every radio hop has its RadioLink
        if d.role in (Role.CPE, Role.PTP_RADIO):
            assert frozenset((d.name, d.parent)) in ends, d.name
    assert 20 <= sum(d.role is Role.CPE for d in devices.values()) <= 40
    assert all(d.sector for d in devices.values() if d.role is Role.BASE_STATION)
    for seg in sample["segments"]:
        assert {seg.a_site, seg.b_site} <= sites
        assert devices[seg.a_device].site == seg.a_site
        assert devices[seg.b_device].site == seg.b_site
    assert {"Lepida", "Comune"} == {s.owner for s in sample["segments"]}
    paths = {f.properties["segment"] for f in read_features(SAMPLE_DIR / "fibre.geojson")}
    assert paths == {s.name for s in sample["segments"]}


def test_lab_faults_name_existing_devices_with_reasons(sample: dict[str, Any]) -> None:
    devices = {d.name: d for d in sample["devices"]}
    faults = yaml.safe_load(LAB_FAULTS_PATH.read_text(encoding="utf-8"))["faults"]
    assert all(f["device"] in devices and f["reason"] for f in faults)
    down = {f["device"] for f in faults}
    # A whole Coviolo branch: the repeater and everything behind it.
    branch = {n for n, d in devices.items() if d.parent in down and d.name.startswith("cov-")}
    assert branch and branch <= down
    # One AP behind a dead access switch, and a few APs failing on their own.
    dead_switches = [n for n in down if devices[n].role is Role.SWITCH]
    assert len(dead_switches) == 1
    lone = [n for n in down if devices[n].role is Role.WIFI_AP and devices[n].parent not in down]
    assert 3 <= len(lone) <= 4


def test_loader_accepts_the_sample() -> None:
    """The integrator's loader, once it is on the branch, must take the sample cleanly."""
    load = pytest.importorskip(
        "netagent.inventory.load", reason="netagent.inventory.load not merged yet"
    )
    result = load.load_inventory(SAMPLE_PATHS)
    assert len(result.inventory.devices) >= 150
    assert len(result.inventory.quartieri) == 25
