"""The NetBox sync against the schema-checking double: what a technician would see in NetBox."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from ipaddress import IPv4Address

import pytest
from pydantic import SecretStr

from netagent.inventory.model import DeviceStatus, Inventory
from netagent.inventory.netbox import NetBoxAuthError, NetBoxConfig, apply, plan
from netagent.inventory.netbox.kinds import KINDS
from tests.netbox_double import TOKEN, NetBoxDouble
from tests.netbox_double.inventories import make_inventory, with_device_status, without_device


@pytest.fixture
def netbox() -> Iterator[NetBoxDouble]:
    with NetBoxDouble() as nb:
        yield nb
        assert nb.violations == [], "the sync sent requests NetBox would refuse"


@pytest.fixture
def inv() -> Inventory:
    return make_inventory(12)


def _cfg(nb: NetBoxDouble, **kw: object) -> NetBoxConfig:
    return NetBoxConfig(url=nb.url, token=SecretStr(TOKEN), backoff_s=0.01, **kw)  # type: ignore[arg-type]


def _sync(inv: Inventory, cfg: NetBoxConfig, prune: bool = False):  # type: ignore[no-untyped-def]
    return apply(plan(inv, cfg), cfg, prune=prune)


def _tag_slugs(nb: NetBoxDouble, obj: dict) -> set[str]:
    return {nb.store.tables["tags"][t]["slug"] for t in obj.get("tags", [])}


def _by_name(nb: NetBoxDouble, kind: str, field: str = "name") -> dict[str, dict]:
    return {o[field]: o for o in nb.store.tables[kind].values()}


def test_first_sync_creates_everything_in_bulk(netbox: NetBoxDouble, inv: Inventory) -> None:
    report = _sync(inv, _cfg(netbox))
    assert report.ok, report.errors
    devices = _by_name(netbox, "devices")
    assert set(devices) == {d.name for d in inv.devices}
    ips = netbox.store.tables["ip-addresses"]
    ap = devices["ap-0000-0"]
    assert ips[ap["primary_ip4"]]["address"] == f"{inv.device_by_name['ap-0000-0'].mgmt_ip}/32"
    regions = _by_name(netbox, "regions")
    assert regions["Reggio Emilia"]["parent"] == regions["Emilia-Romagna"]["id"]
    site = _by_name(netbox, "sites")["Sito 0001 Via Émilia"]
    assert site["slug"] == "sito-0001-via-emilia"
    assert site["region"] == regions["Ospizio"]["id"]
    assert site["latitude"] == round(inv.sites[1].lat, 6)
    (cable,) = netbox.store.tables["cables"].values()
    assert cable["type"] == "smf" and cable["length_unit"] == "m" and cable["length"] > 0
    assert cable["custom_fields"]["netagent_fibre_count"] == 48
    assert len(cable["custom_fields"]["netagent_fibre_path"]) == 2
    (link, *_) = netbox.store.tables["wireless-links"].values()
    assert (
        link["ssid"] == "bridge-0"
        and link["status"] == "connected"
        and link["distance_unit"] == "m"
    )
    wlans = _by_name(netbox, "wireless-lans", "ssid")
    assert "EmiliaRomagnaWiFi wifiprivacy.it" in wlans
    # Bulk: a handful of requests per kind, not one per object.
    objects = sum(len(t) for t in netbox.store.tables.values())
    assert netbox.writes <= len(KINDS) + 3 < objects / 4


def test_resync_without_change_writes_nothing(netbox: NetBoxDouble, inv: Inventory) -> None:
    cfg = _cfg(netbox)
    assert _sync(inv, cfg).ok
    netbox.reset_counts()
    p = plan(inv, cfg)
    assert not p.writes_needed, p.to_json()
    report = apply(p, cfg)
    assert report.ok and netbox.writes == 0
    assert netbox.counts["GET"] <= len(KINDS)  # one paged read per kind, no lookups


def test_changed_field_is_one_patch(netbox: NetBoxDouble, inv: Inventory) -> None:
    cfg = _cfg(netbox)
    _sync(inv, cfg)
    netbox.reset_counts()
    p = plan(with_device_status(inv, "ap-0001-1", DeviceStatus.PLANNED), cfg)
    (change,) = p.changes
    assert (change.kind, change.key, change.action) == ("devices", "ap-0001-1", "update")
    assert change.describe()["fields"] == {"status": {"from": "active", "to": "planned"}}
    assert apply(p, cfg).ok
    assert [(m, path) for m, path, _ in netbox.requests if m != "GET"] == [
        ("PATCH", "/api/dcim/devices/")
    ]
    assert _by_name(netbox, "devices")["ap-0001-1"]["status"] == "planned"


def test_removed_ap_is_orphaned_then_pruned_only_after_delay(
    netbox: NetBoxDouble, inv: Inventory
) -> None:
    _sync(inv, _cfg(netbox))
    smaller = without_device(inv, "ap-0000-2")
    report = _sync(smaller, _cfg(netbox), prune=True)  # delay not passed: marked, not deleted
    assert report.ok
    ap = _by_name(netbox, "devices")["ap-0000-2"]
    assert ap["custom_fields"]["netagent_orphaned_since"]
    assert _tag_slugs(netbox, ap) == {"netagent", "netagent-orphaned", "wifi-pubblico"}
    assert plan(smaller, _cfg(netbox)).of("orphan") == []  # already marked: nothing to do
    due = _cfg(netbox, prune_delay_s=0)
    p = plan(smaller, due)
    assert {c.key for c in p.of("delete", "devices")} == {"ap-0000-2"}
    assert {c.key for c in p.of("delete", "ip-addresses")} == {
        f"{inv.device_by_name['ap-0000-2'].mgmt_ip}/32"
    }
    no_prune = apply(p, due)
    assert no_prune.skipped_prune == len(p.of("delete")) and "ap-0000-2" in _by_name(
        netbox, "devices"
    )
    assert apply(plan(smaller, due), due, prune=True).ok
    assert "ap-0000-2" not in _by_name(netbox, "devices")
    assert "ap-0000-1" in _by_name(netbox, "devices")
    assert _by_name(netbox, "regions") and _by_name(
        netbox, "manufacturers"
    )  # shared: never deleted


def test_untagged_object_with_same_name_is_left_alone_and_reported(
    netbox: NetBoxDouble, inv: Inventory
) -> None:
    s = netbox.store
    site = s.write("sites", {"name": "Elsewhere", "slug": "elsewhere"}, None)
    role = s.write("device-roles", {"name": "Core", "slug": "core"}, None)
    mfr = s.write("manufacturers", {"name": "Acme", "slug": "acme"}, None)
    dt = s.write("device-types", {"manufacturer": mfr["id"], "model": "X", "slug": "x"}, None)
    theirs = s.write(
        "devices",
        {
            "name": "ap-0000-0",
            "site": site["id"],
            "role": role["id"],
            "device_type": dt["id"],
            "status": "active",
        },
        None,
    )
    p = plan(inv, _cfg(netbox))
    assert [(c.key, c.action) for c in p.of("conflict")] == [("ap-0000-0", "conflict")]
    assert {c.kind for c in p.of("blocked")} == {"interfaces", "ip-addresses"}
    report = apply(p, _cfg(netbox))
    assert not report.ok and any("ap-0000-0" in e and "without tag" in e for e in report.errors)
    assert netbox.store.tables["devices"][theirs["id"]] == theirs  # untouched
    assert "ap-0000-1" in _by_name(netbox, "devices")


def test_a_400_on_one_object_does_not_stop_the_rest(netbox: NetBoxDouble, inv: Inventory) -> None:
    long_name = "ap-" + "x" * 70  # NetBox device names are at most 64 characters
    bad = inv.devices[1].model_copy(
        update={"name": long_name, "mgmt_ip": inv.devices[1].mgmt_ip + 200}
    )
    inv2 = Inventory(
        sites=inv.sites,
        devices=(*inv.devices, bad),
        links=inv.links,
        segments=inv.segments,
        quartieri=inv.quartieri,
    )
    report = apply(plan(inv2, _cfg(netbox)), _cfg(netbox))
    netbox.violations.clear()  # that one request was refused on purpose
    assert not report.ok
    assert report.counts["devices"]["create"] == {"done": 12, "failed": 1}
    assert any(long_name in e and "name:" in e for e in report.errors)
    assert len(netbox.store.tables["devices"]) == 12
    assert report.counts["ip-addresses"]["create"]["failed"] == 1  # its IP had nowhere to go


def test_503_then_success_is_retried(netbox: NetBoxDouble, inv: Inventory) -> None:
    cfg = _cfg(netbox)
    netbox.faults += [503, 503]  # on reads
    p = plan(inv, cfg)
    netbox.faults += [502, 503]  # on the first bulk POST
    report = apply(p, cfg)
    assert report.ok, report.errors
    assert len(netbox.store.tables["devices"]) == 12
    assert len(netbox.store.tables["tags"]) == 3  # the retried POST created them once
    assert not plan(inv, cfg).writes_needed


def test_bad_token_stops_at_once_and_is_never_logged(
    netbox: NetBoxDouble, inv: Inventory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "f" * 40
    cfg = NetBoxConfig(url=netbox.url, token=SecretStr(secret), backoff_s=0.01)
    with pytest.raises(NetBoxAuthError, match="refused the token") as e:
        plan(inv, cfg)
    assert secret not in str(e.value) and secret not in caplog.text and secret not in repr(cfg)
    assert len(netbox.requests) == 1  # no retry on 403


def test_token_from_file(netbox: NetBoxDouble, inv: Inventory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    cfg = NetBoxConfig(url=netbox.url, token_file=f)
    assert plan(inv, cfg).of("create")


def test_netbox_down_stops_with_a_clear_error(inv: Inventory) -> None:
    from netagent.inventory.netbox import NetBoxError
    from tests.fixtures.ports import free_port

    cfg = NetBoxConfig(
        url=f"http://127.0.0.1:{free_port()}", token=SecretStr(TOKEN), retries=2, backoff_s=0.01
    )
    with pytest.raises(NetBoxError, match="unreachable"):
        plan(inv, cfg)


def test_persistent_5xx_stops_after_retries(netbox: NetBoxDouble, inv: Inventory) -> None:
    from netagent.inventory.netbox import NetBoxError

    netbox.faults += [503] * 3
    with pytest.raises(NetBoxError, match="HTTP 503 after 2 retries"):
        plan(inv, _cfg(netbox, retries=2))


def test_custom_field_missing_for_a_type_is_caught(netbox: NetBoxDouble, inv: Inventory) -> None:
    # A technician made the field for devices only: NetBox would drop cable values with a 200.
    netbox.store.write(
        "custom-fields",
        {"name": "netagent_fibre_count", "type": "integer", "object_types": ["dcim.device"]},
        None,
    )
    p = plan(inv, _cfg(netbox))
    assert any("netagent_fibre_count" in i and "dcim.cable" in i for i in p.issues)
    report = apply(p, _cfg(netbox))
    assert report.counts["cables"]["create"]["failed"] == 1
    assert any("did not store custom fields ['netagent_fibre_count']" in e for e in report.errors)


def test_orphan_that_comes_back_is_unmarked(netbox: NetBoxDouble, inv: Inventory) -> None:
    cfg = _cfg(netbox)
    _sync(inv, cfg)
    _sync(without_device(inv, "ap-0000-2"), cfg)
    p = plan(inv, cfg)
    back = [c for c in p.of("update") if c.key == "ap-0000-2"]
    assert back
    fields = back[0].describe()["fields"]
    assert fields["custom_fields.netagent_orphaned_since"]["to"] == "(none)"
    assert fields["tags"] == {
        "from": "netagent, netagent-orphaned, wifi-pubblico",
        "to": "netagent, wifi-pubblico",
    }
    assert apply(p, cfg).ok
    ap = _by_name(netbox, "devices")["ap-0000-2"]
    assert ap["custom_fields"]["netagent_orphaned_since"] is None
    assert _tag_slugs(netbox, ap) == {"netagent", "wifi-pubblico"}
    assert not plan(inv, cfg).writes_needed


def test_prune_of_a_site_a_technician_still_uses_is_refused_and_the_rest_goes(
    netbox: NetBoxDouble,
) -> None:
    inv = make_inventory(18)  # three sites
    cfg = _cfg(netbox, prune_delay_s=0)
    _sync(inv, cfg)
    used, unused = inv.sites[1].name, inv.sites[2].name
    s = netbox.store
    role = s.write("device-roles", {"name": "Theirs", "slug": "theirs"}, None)
    dtype = next(iter(s.tables["device-types"]))
    site_id = _by_name(netbox, "sites")[used]["id"]
    s.write(
        "devices",
        {"name": "their-ups", "site": site_id, "role": role["id"], "device_type": dtype},
        None,
    )
    smaller = Inventory(
        sites=inv.sites[:1],
        devices=tuple(d for d in inv.devices if d.site == inv.sites[0].name),
        links=inv.links[:1],
        segments=(),
        quartieri=inv.quartieri,
    )
    _sync(smaller, cfg)  # marks orphans
    report = _sync(smaller, cfg, prune=True)
    netbox.violations.clear()  # the site's deletion was refused (409), as NetBox does
    # One bulk DELETE of both sites was refused; split, the unused site went.
    assert report.counts["sites"]["delete"] == {"done": 1, "failed": 1}
    assert any(used in e and "dependent" in e and "HTTP 409" in e for e in report.errors)
    assert set(_by_name(netbox, "sites")) == {inv.sites[0].name, used}
    assert unused not in _by_name(netbox, "sites")
    assert report.counts["devices"]["delete"]["done"] == 12 and not netbox.store.tables["cables"]
    assert set(_by_name(netbox, "devices")) >= {"their-ups", "sw-0000"}


def test_renamed_device_takes_its_ip_along(netbox: NetBoxDouble, inv: Inventory) -> None:
    cfg = _cfg(netbox)
    _sync(inv, cfg)
    renamed = Inventory(
        sites=inv.sites,
        devices=tuple(
            d.model_copy(update={"name": "ap-0000-0-nuovo"}) if d.name == "ap-0000-0" else d
            for d in inv.devices
        ),
        links=inv.links,
        segments=inv.segments,
        quartieri=inv.quartieri,
    )
    p = plan(renamed, cfg)
    assert [c.note for c in p.of("update", "devices")] == [
        f"releases {inv.device_by_name['ap-0000-0'].mgmt_ip}/32"
    ]
    report = apply(p, cfg)
    assert report.ok, report.errors
    devices = _by_name(netbox, "devices")
    ip = netbox.store.tables["ip-addresses"][devices["ap-0000-0-nuovo"]["primary_ip4"]]
    assert ip["address"] == f"{inv.device_by_name['ap-0000-0'].mgmt_ip}/32"
    assert devices["ap-0000-0"]["primary_ip4"] is None
    assert devices["ap-0000-0"]["custom_fields"]["netagent_orphaned_since"]
    assert not plan(renamed, cfg).writes_needed


def test_changed_management_ip_moves_and_the_old_one_is_unassigned_then_orphaned(
    netbox: NetBoxDouble, inv: Inventory
) -> None:
    cfg = _cfg(netbox)
    _sync(inv, cfg)
    old = f"{inv.device_by_name['ap-0000-1'].mgmt_ip}/32"
    moved = inv.replace(
        devices=tuple(
            d.model_copy(update={"mgmt_ip": IPv4Address("127.20.0.1")})
            if d.name == "ap-0000-1"
            else d
            for d in inv.devices
        )
    )
    p = plan(moved, cfg)
    (update,) = p.of("update", "devices")
    assert update.describe()["fields"] == {"primary_ip4": {"from": old, "to": "127.20.0.1/32"}}
    from netagent.inventory.netbox.render import plan_lines

    lines = list(plan_lines(p))
    assert f"~ update   devices         ap-0000-1: primary_ip4: {old} → 127.20.0.1/32" in lines
    assert "plan: 1 create, 1 update, 1 orphan, 0 delete, 0 conflict, 0 blocked (14 reads)" in (
        lines[-1].replace(f"({p.reads} reads)", "(14 reads)")
    )
    report = apply(p, cfg)
    assert report.ok, report.errors
    # Counts add up: one planned change, one count, whatever number of requests.
    assert report.counts["devices"] == {"update": {"done": 1, "failed": 0}}
    assert report.counts["ip-addresses"] == {
        "create": {"done": 1, "failed": 0},
        "orphan": {"done": 1, "failed": 0},
    }
    ips = _by_name(netbox, "ip-addresses", "address")
    assert (
        ips[old]["assigned_object_id"] is None
        and ips[old]["custom_fields"]["netagent_orphaned_since"]
    )
    ap = _by_name(netbox, "devices")["ap-0000-1"]
    assert netbox.store.tables["ip-addresses"][ap["primary_ip4"]]["address"] == "127.20.0.1/32"
    assert not plan(moved, cfg).writes_needed


def test_what_an_admin_sees_on_sites_cables_and_custom_fields(netbox: NetBoxDouble) -> None:
    inv = make_inventory(12)
    cfg = _cfg(netbox, owner_tenants=True)
    netbox.store.write("tenants", {"name": "LEPIDA", "slug": "lepida-spa"}, None)
    assert _sync(inv, cfg).ok
    site = _by_name(netbox, "sites")[inv.sites[0].name]
    assert site["time_zone"] == "Europe/Rome" and "description" not in site
    assert site["custom_fields"]["netagent_site_kind"] == "other"
    (cable,) = netbox.store.tables["cables"].values()
    assert netbox.store.tables["tenants"][cable["tenant"]]["slug"] == "lepida-spa"
    fields = _by_name(netbox, "custom-fields")
    assert {f["group_name"] for f in fields.values()} == {"netagent"}
    assert all(f["description"] for f in fields.values())
    assert fields["netagent_parent"]["type"] == "object"
    assert fields["netagent_parent"]["related_object_type"] == "dcim.device"
    assert fields["netagent_capacity_mbps"]["type"] == "decimal"
    ap = _by_name(netbox, "devices")["ap-0000-0"]
    assert ap["custom_fields"]["netagent_parent"] == _by_name(netbox, "devices")["sw-0000"]["id"]
    # Fibre ports typed from the model table, not from the capacity.
    ifaces = {
        (netbox.store.tables["devices"][i["device"]]["name"], i["name"]): i["type"]
        for i in netbox.store.tables["interfaces"].values()
    }
    assert ifaces[("sw-0000", "Te1/0/2")] == "10gbase-x-sfpp"
