"""`source = "netbox"`: poll targets taken from NetBox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from netagent.inventory.model import DeviceStatus, Role
from netagent.inventory.netbox import NetBoxConfig, apply, plan, pull_inventory
from tests.netbox_double import TOKEN, NetBoxDouble
from tests.netbox_double.inventories import make_inventory, with_device_status


@pytest.fixture(scope="module")
def synced() -> Iterator[NetBoxDouble]:
    inv = make_inventory(12)
    for name, status in (
        ("ap-0000-1", DeviceStatus.PLANNED),
        ("ap-0000-2", DeviceStatus.OFFLINE),
        ("ap-0001-0", DeviceStatus.STAGED),
    ):
        inv = with_device_status(inv, name, status)
    with NetBoxDouble() as nb:
        cfg = NetBoxConfig(url=nb.url, token=SecretStr(TOKEN))
        assert apply(plan(inv, cfg), cfg).ok
        yield nb


def _cfg(nb: NetBoxDouble, **kw: object) -> NetBoxConfig:
    return NetBoxConfig(url=nb.url, token=SecretStr(TOKEN), **kw)  # type: ignore[arg-type]


def test_pull_takes_polled_statuses_with_their_status(synced: NetBoxDouble) -> None:
    inv = pull_inventory(_cfg(synced))
    names = {d.name for d in inv.devices}
    assert "ap-0000-1" not in names and "ap-0001-0" not in names  # planned, staged: not polled
    assert inv.device_by_name["ap-0000-2"].status is DeviceStatus.OFFLINE  # polled, not alerted
    sw = inv.device_by_name["sw-0000"]
    assert (
        sw.snmp_profile == "cisco-ios"
        and sw.role is Role.SWITCH
        and str(sw.mgmt_ip).startswith("127.")
    )
    ap = inv.device_by_name["ap-0000-0"]
    assert ap.parent == "sw-0000" and ap.tags == ["wifi pubblico"] and ap.wifi is not None
    assert inv.site_of(ap).quartiere == "Centro Storico"
    assert inv.site_of(ap).lat == pytest.approx(44.69)


def test_pull_filters_by_role_tag_site_region(synced: NetBoxDouble) -> None:
    assert {d.role for d in pull_inventory(_cfg(synced, roles=["switch"])).devices} == {Role.SWITCH}
    tagged = pull_inventory(_cfg(synced, tags=["wifi-pubblico"])).devices
    assert tagged and all(d.role is Role.WIFI_AP for d in tagged)
    by_site = pull_inventory(_cfg(synced, sites=["sito-0001-via-emilia"])).devices
    assert by_site and {d.site for d in by_site} == {"Sito 0001 Via Émilia"}
    by_region = pull_inventory(_cfg(synced, regions=["re-ospizio"])).devices
    assert {d.name for d in by_region} == {d.name for d in by_site}
    assert len(pull_inventory(_cfg(synced, regions=["emilia-romagna"])).devices) == 10


def test_agent_pull_places_sites_without_a_quartiere_region_by_coordinates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from netagent.agent import inventory_source

    inv = make_inventory(18)  # three sites
    moved = {
        inv.sites[1].name: {"quartiere": None, "lat": 44.692223, "lon": 10.650328},  # Ospizio
        inv.sites[2].name: {"quartiere": None, "lat": 45.5, "lon": 10.0},  # far outside
    }
    inv = inv.replace(sites=tuple(s.model_copy(update=moved.get(s.name, {})) for s in inv.sites))
    with NetBoxDouble() as nb:
        cfg = _cfg(nb)
        assert apply(plan(inv, cfg), cfg).ok
        pulled = inventory_source.pull(cfg)
    by_name = {s.name: s.quartiere for s in pulled.sites}
    assert by_name[inv.sites[0].name] == inv.sites[0].quartiere  # from its NetBox region
    assert by_name[inv.sites[1].name] == "Ospizio"  # from its coordinates
    assert by_name[inv.sites[2].name] is None
    assert len(pulled.quartieri) == 25  # the bundled polygons: coverage works as with files
    assert "1 NetBox site(s) lie outside every quartiere: Sito 0002" in caplog.text
