"""NetBox as a city office really has it: objects it has held for years under its own names
and slugs, a server slower than the client's patience, names that fold to the same slug,
fractional capacities. Each case failed on the first NetBox sync (issue 15)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from netagent.inventory.model import Inventory, Site
from netagent.inventory.netbox import NetBoxConfig, apply, plan
from netagent.inventory.netbox.config import NetBoxAliases
from tests.netbox_double import TOKEN, NetBoxDouble
from tests.netbox_double.inventories import make_inventory


@pytest.fixture
def netbox() -> Iterator[NetBoxDouble]:
    with NetBoxDouble() as nb:
        yield nb
        assert nb.violations == [], "the sync sent requests NetBox would refuse"


def _cfg(nb: NetBoxDouble, **kw: Any) -> NetBoxConfig:
    return NetBoxConfig(url=nb.url, token=SecretStr(TOKEN), backoff_s=0.01, **kw)


def _by(nb: NetBoxDouble, kind: str, field: str = "name") -> dict[str, dict[str, Any]]:
    return {o[field]: o for o in nb.store.tables[kind].values()}


def _with_vendor(inv: Inventory, old: str, new: str) -> Inventory:
    return inv.replace(
        devices=tuple(
            d.model_copy(update={"vendor": new}) if d.vendor == old else d for d in inv.devices
        )
    )


def test_shared_objects_netbox_holds_are_used_as_they_are(netbox: NetBoxDouble) -> None:
    inv = _with_vendor(make_inventory(12), "Cisco", "Cambium")
    s = netbox.store
    held = {
        "switch": ("device-roles", {"name": "Switch", "slug": "switch", "color": "111111"}),
        "ptp": ("device-roles", {"name": "Ponti radio", "slug": "ptp"}),
        "cambium": ("manufacturers", {"name": "Cambium Networks", "slug": "cambium"}),
        "ubnt": ("manufacturers", {"name": "Ubiquiti Inc.", "slug": "ubnt"}),
        "ospizio": ("regions", {"name": "OSPIZIO", "slug": "quartiere-ospizio"}),
    }
    theirs = {k: s.write(kind, dict(fields), None) for k, (kind, fields) in held.items()}
    aliases = NetBoxAliases(manufacturers={"Ubiquiti": "Ubiquiti Inc."}, roles={"ptp-radio": "ptp"})
    cfg = _cfg(netbox, aliases=aliases)
    report = apply(plan(inv, cfg), cfg)
    assert report.ok, report.errors
    for key, (kind, fields) in held.items():  # never tagged, never changed
        assert s.tables[kind][theirs[key]["id"]] == {**fields, "id": theirs[key]["id"]}
    devices = _by(netbox, "devices")
    assert devices["sw-0000"]["role"] == theirs["switch"]["id"]
    assert devices["ptp-0000-a"]["role"] == theirs["ptp"]["id"]
    dtypes = s.tables["device-types"]
    assert dtypes[devices["sw-0000"]["device_type"]]["manufacturer"] == theirs["cambium"]["id"]
    assert dtypes[devices["ap-0000-0"]["device_type"]]["manufacturer"] == theirs["ubnt"]["id"]
    sites = _by(netbox, "sites")
    assert sites[inv.sites[1].name]["region"] == theirs["ospizio"]["id"]  # case-insensitive name
    assert len(_by(netbox, "manufacturers")) == 2 and len(_by(netbox, "device-roles")) == 3
    for kind in ("regions", "manufacturers", "device-types", "device-roles", "platforms"):
        assert all(not o.get("tags") for o in s.tables[kind].values()), kind
    assert not plan(inv, cfg).writes_needed


def test_an_alias_to_nothing_is_one_line_saying_what_to_fix(netbox: NetBoxDouble) -> None:
    inv = make_inventory(6)
    cfg = _cfg(netbox, aliases=NetBoxAliases(manufacturers={"Ubiquiti": "Ubiquity Networks"}))
    p = plan(inv, cfg)
    (conflict,) = p.of("conflict")
    assert conflict.note == (
        "[netbox.aliases.manufacturers] maps 'Ubiquiti' to 'Ubiquity Networks', but NetBox has "
        "no manufacturer with that name or slug: fix the alias"
    )
    assert {c.key for c in p.of("blocked", "devices")} == {
        d.name for d in inv.devices if d.vendor == "Ubiquiti"
    }
    report = apply(p, cfg)
    assert "sw-0000" in _by(netbox, "devices") and not report.ok


def test_a_server_slower_than_the_client_timeout_gets_each_object_once(
    netbox: NetBoxDouble,
) -> None:
    inv = make_inventory(12)
    # The first writes take longer than the client waits; the next one answers 500 after
    # its commit (the first sync's "500, then 400 already exists, 1252 failed").
    cfg = _cfg(netbox, timeout_s=0.3, retries=3)
    p = plan(inv, cfg)
    netbox.slow_writes += [0.8, 0.8]
    netbox.faults_after += [0, 0, 500]  # 0: answer normally
    report = apply(p, cfg)
    assert report.ok, report.errors
    assert len(_by(netbox, "devices")) == 12 and len(netbox.store.tables["tags"]) == 3
    assert len(netbox.store.tables["custom-fields"]) == len(
        {c.key for c in p.of("create", "custom-fields")}
    )
    assert report.counts["devices"]["create"] == {"done": 12, "failed": 0}
    assert report.writes == report.chunks + 3  # three answers lost, read back, not resent
    assert not plan(inv, cfg).writes_needed


def test_bulk_writes_are_chunked_to_hold_a_proxy_timeout(netbox: NetBoxDouble) -> None:
    inv = make_inventory(12)
    cfg = _cfg(netbox, proxy_timeout_s=10, server_s_per_object=1.0)  # 5 objects per request
    assert cfg.chunk_size() == 5
    report = apply(plan(inv, cfg), cfg)
    assert report.ok, report.errors
    posts = [n for m, path, n in netbox.requests if m == "POST" and path == "/api/dcim/devices/"]
    assert posts == [5, 5, 2]
    assert report.chunks == netbox.writes
    assert NetBoxConfig().chunk_size() == 230  # 60 s proxy, 0.13 s per object, half of it


def test_slugs_never_move_and_a_new_colliding_slug_gets_a_suffix(netbox: NetBoxDouble) -> None:
    inv = make_inventory(6)
    cade = Site(name="Centro civico di Cadè", lat=44.7376, lon=10.5182, quartiere="Coviolo")
    inv = inv.replace(sites=(*inv.sites, cade))
    cfg = _cfg(netbox)
    assert apply(plan(inv, cfg), cfg).ok
    assert _by(netbox, "sites")[cade.name]["slug"] == "centro-civico-di-cade"
    plain = cade.model_copy(update={"name": "Centro civico di Cade", "lon": 10.5183})
    more = inv.replace(sites=(*inv.sites, plain))
    p = plan(more, cfg)
    assert p.of("update", "sites") == []  # the existing site keeps its slug
    (create,) = p.of("create", "sites")
    assert create.desired["slug"] == "centro-civico-di-cade-2"
    assert "slug centro-civico-di-cade is taken by 'Centro civico di Cadè'" in create.note
    assert apply(p, cfg).ok
    sites = _by(netbox, "sites")
    assert sites[cade.name]["slug"] == "centro-civico-di-cade"
    assert sites[plain.name]["slug"] == "centro-civico-di-cade-2"
    assert not plan(more, cfg).writes_needed


def test_fractional_capacity_is_stored_exactly(netbox: NetBoxDouble) -> None:
    inv = make_inventory(12)
    inv = inv.replace(
        links=tuple(x.model_copy(update={"capacity_mbps": 0.5}) for x in inv.links),
        segments=tuple(x.model_copy(update={"capacity_mbps": 2.5}) for x in inv.segments),
    )
    cfg = _cfg(netbox)
    assert apply(plan(inv, cfg), cfg).ok
    (link, *_) = netbox.store.tables["wireless-links"].values()
    (cable,) = netbox.store.tables["cables"].values()
    assert math.isclose(link["custom_fields"]["netagent_capacity_mbps"], 0.5)
    assert math.isclose(cable["custom_fields"]["netagent_capacity_mbps"], 2.5)
    faster = inv.replace(
        links=tuple(x.model_copy(update={"capacity_mbps": 0.75}) for x in inv.links)
    )
    changes = plan(faster, cfg).of("update", "wireless-links")
    assert changes and all(
        c.describe()["fields"]
        == {"custom_fields.netagent_capacity_mbps": {"from": 0.5, "to": 0.75}}
        for c in changes
    )


def test_an_integer_capacity_field_of_an_older_sync_is_reported(netbox: NetBoxDouble) -> None:
    netbox.store.write(
        "custom-fields",
        {
            "name": "netagent_capacity_mbps",
            "type": "integer",
            "object_types": ["dcim.cable", "wireless.wirelesslink"],
        },
        None,
    )
    inv = make_inventory(12)
    cfg = _cfg(netbox)
    p = plan(inv, cfg)
    assert any(
        "netagent_capacity_mbps is of type integer in NetBox, netagent writes decimal" in i
        for i in p.issues
    )
    assert apply(p, cfg).ok  # whole capacities still fit
    (cable,) = netbox.store.tables["cables"].values()
    assert cable["custom_fields"]["netagent_capacity_mbps"] == 10000


def test_device_types_get_interface_templates_from_the_model_table(netbox: NetBoxDouble) -> None:
    inv = make_inventory(12)
    s = netbox.store
    ubnt = s.write("manufacturers", {"name": "Ubiquiti", "slug": "ubiquiti"}, None)
    held = s.write(  # the office's own type: used as it is, no templates added
        "device-types", {"manufacturer": ubnt["id"], "model": "UAP-AC-M", "slug": "uap-ac-m"}, None
    )
    cfg = _cfg(netbox)
    report = apply(plan(inv, cfg), cfg)
    assert report.ok, report.errors
    templates = s.tables["interface-templates"].values()
    c9200 = _by(netbox, "device-types", "model")["C9200"]["id"]
    mine = {t["name"]: t["type"] for t in templates if t["device_type"] == c9200}
    assert (
        len(mine) == 52 and mine["Gi1/0/7"] == "1000base-t" and mine["Te1/0/2"] == "10gbase-x-sfpp"
    )
    assert not [t for t in templates if t["device_type"] == held["id"]]
    # Each switch has its ports from the type; the fibre port was taken over, not duplicated.
    sw = _by(netbox, "devices")["sw-0001"]["id"]
    ports = [i for i in s.tables["interfaces"].values() if i["device"] == sw]
    assert len([p for p in ports if p["name"] == "Te1/0/1"]) == 1
    assert len(ports) == 52 + 1  # + mgmt
    te = next(p for p in ports if p["name"] == "Te1/0/1")
    assert {s.tables["tags"][t]["slug"] for t in te["tags"]} == {"netagent"} and te["cable"]
    assert not plan(inv, cfg).writes_needed


def test_progress_is_reported_per_chunk_with_totals(netbox: NetBoxDouble) -> None:
    inv = make_inventory(12)
    cfg = _cfg(netbox, batch_size=5)
    seen: list[tuple[str, int, int]] = []
    assert apply(plan(inv, cfg), cfg, progress=lambda *a: seen.append(a)).ok
    devices = [(done, total) for what, done, total in seen if what == "create devices"]
    assert devices == [(5, 12), (10, 12), (12, 12)]


def test_a_text_uplink_field_of_an_older_sync_still_round_trips(netbox: NetBoxDouble) -> None:
    from netagent.inventory.netbox import pull_inventory

    netbox.store.write(
        "custom-fields",
        {"name": "netagent_parent", "type": "text", "object_types": ["dcim.device"]},
        None,
    )
    inv = make_inventory(12)
    cfg = _cfg(netbox)
    p = plan(inv, cfg)
    assert any(
        "netagent_parent is of type text in NetBox, netagent writes object" in i for i in p.issues
    )
    assert apply(p, cfg).ok
    assert _by(netbox, "devices")["ap-0000-0"]["custom_fields"]["netagent_parent"] == "sw-0000"
    assert pull_inventory(cfg).device_by_name["ap-0000-0"].parent == "sw-0000"
    assert not plan(inv, cfg).writes_needed
