"""Profiles are data: they load, resolve includes, pick by sysObjectID, and fail clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from netagent.collectors.snmp import ProfileError, SnmpConfig, SnmpCredentials, load_profiles
from netagent.collectors.snmp.config import targets_from_inventory
from netagent.inventory.model import Device, Inventory, RadioLink, Site


def _dev(**kw: object) -> Device:
    return Device.model_validate(kw)


def _link(**kw: object) -> RadioLink:
    return RadioLink.model_validate(kw)


def test_bundled_profiles_load_and_include_if_mib() -> None:
    p = load_profiles()
    names = ("generic", "switch", "unifi", "airmax", "airfiber", "mikrotik", "epmp")
    assert set(names) <= set(p.resolved)
    for name in names:
        assert "interfaces" in {t.name for t in p[name].tables}
    assert p["switch"].max_repetitions == 50
    assert p.for_platform("routeros") == "mikrotik"


def test_sys_object_id_candidates_most_specific_and_probed_first() -> None:
    p = load_profiles()
    # Ubiquiti's shared id: every candidate has a probe, so all are asked, by name order
    ubnt = ["airfiber", "airfiber-af60", "airmax", "unifi"]
    assert [c.name for c in p.candidates("1.3.6.1.4.1.10002.1")] == ubnt
    assert [c.name for c in p.candidates("1.3.6.1.4.1.14988.1")] == ["mikrotik"]
    assert p.candidates("1.3.6.1.4.1.99999") == []


def test_bad_profile_names_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "name: bad\ntables:\n  - name: t\n    kind: wifi\n    columns: {clients: 1.3.x}\n"
    )
    with pytest.raises(ProfileError, match=r"bad\.yaml(.|\n)*not a numeric OID"):
        load_profiles(tmp_path)


def test_include_cycle_and_unknown_profile(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\ninclude: [b]\n")
    (tmp_path / "b.yaml").write_text("name: b\ninclude: [a]\n")
    with pytest.raises(ProfileError, match="include cycle"):
        load_profiles(tmp_path)
    with pytest.raises(ProfileError, match="unknown SNMP profile 'nope'"):
        load_profiles()["nope"]


def test_targets_from_inventory_credentials_and_link_tags() -> None:
    sites = (Site(name="s", lat=44.7, lon=10.6, quartiere="Centro storico"),)
    devices = (
        _dev(
            name="r1",
            site="s",
            role="ptp-radio",
            mgmt_ip="127.0.10.1",
            snmp_port=16101,
            snmp_profile="airmax",
        ),
        _dev(name="r2", site="s", role="ptp-radio", mgmt_ip="127.0.10.2", tags=["v3"]),
        _dev(name="ap", site="s", role="wifi-ap", mgmt_ip="127.0.10.3"),
        _dev(name="old", site="s", role="wifi-ap", mgmt_ip="127.0.10.4", status="planned"),
    )
    links = (_link(name="coviolo-1", a="r1", b="r2", capacity_mbps=300),)
    inv = Inventory(sites=sites, devices=devices, links=links, quartieri=())
    v3 = SnmpCredentials(version="3", user="u", auth_key=SecretStr("12345678"))
    ap = SnmpCredentials(community=SecretStr("ap-community"))
    cfg = SnmpConfig(tag_credentials={"v3": v3}, role_credentials={"wifi-ap": ap})
    t = {x.name: x for x in targets_from_inventory(inv, cfg)}
    assert set(t) == {"r1", "r2", "ap"}  # planned devices are not polled
    assert (t["r1"].address, t["r1"].port, t["r1"].profile) == ("127.0.10.1", 16101, "airmax")
    assert dict(t["r1"].tags) == {
        "role": "ptp-radio",
        "site": "s",
        "quartiere": "Centro storico",
        "link": "coviolo-1",
        "side": "a",
    }
    assert t["r2"].tags["side"] == "b" and t["r2"].credentials.version == "3"
    assert t["ap"].credentials.community.get_secret_value() == "ap-community"
    assert "ap-community" not in repr(t["ap"])


def test_simulated_lab_for_an_inventory(tmp_path: Path) -> None:
    """The daemon's path: inventory -> simulated agents -> targets -> poll, all loopback."""
    import asyncio
    import socket

    from netagent.agent.demo.simlab import inventory_devices, lab_credentials
    from netagent.collectors.snmp import SnmpPoller
    from tests.fixtures.ports import free_port
    from tests.fixtures.snmpsim import start_lab

    pytest.importorskip("snmpsim")
    port = free_port(socket.SOCK_DGRAM)
    sites = (Site(name="s", lat=44.7, lon=10.6),)
    devices = (
        _dev(name="ap-1", site="s", role="wifi-ap", mgmt_ip="127.0.0.1", snmp_port=port),
        _dev(name="sw-1", site="s", role="switch", mgmt_ip="127.0.0.1", snmp_port=port),
    )
    inv = Inventory(sites=sites, devices=devices)
    running = start_lab(tmp_path, inventory_devices(inv))
    try:
        cfg = SnmpConfig(device_credentials=lab_credentials(running.lab), device_deadline_s=8)
        poller = SnmpPoller(cfg)
        out = {o.device: o for o in asyncio.run(poller.poll(targets_from_inventory(inv, cfg)))}
        poller.close()
    finally:
        running.stop()
    assert out["ap-1"].ok and out["ap-1"].profile == "unifi", out["ap-1"].error
    assert out["sw-1"].ok and out["sw-1"].profile == "switch", out["sw-1"].error


def test_whole_sample_lab_served_fast_and_polled_twice(tmp_path: Path) -> None:
    """The bundled sample: every polled device answers, the second cycle has rates."""
    import asyncio
    import subprocess
    import time

    from netagent.agent.demo.simlab import inventory_devices, write_lab
    from netagent.collectors.snmp import SnmpPoller
    from netagent.inventory.load import load_inventory
    from netagent.inventory.sample import SAMPLE_PATHS

    inv = load_inventory(SAMPLE_PATHS).inventory
    assert inv is not None
    lab = write_lab(tmp_path, inventory_devices(inv))
    proc = subprocess.Popen(lab.fast_command, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and b"serving" in proc.stdout.readline()
        cfg = SnmpConfig(device_deadline_s=15)
        poller = SnmpPoller(cfg)
        targets = targets_from_inventory(inv, cfg)
        asyncio.run(poller.poll(targets))
        time.sleep(1.0)
        out = asyncio.run(poller.poll(targets))
        poller.close()
    finally:
        proc.terminate()
        proc.wait()
    assert [o.error for o in out if not o.ok] == []
    measurements = {s.measurement for o in out for s in o.samples}
    # radio_station: the MikroTik APs' registration tables (mikrotik-ap)
    assert measurements == {"snmp_system", "interface", "wifi", "radio_link", "radio_station"}
    assert any("in_bps" in s.fields for o in out for s in o.samples)
    links = {s.tags["link"] for o in out for s in o.samples if s.measurement == "radio_link"}
    assert links & {lk.name for lk in inv.links}
