"""The double refuses what NetBox 4.4 refuses (NOTES.md), so the sync tests mean something."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.netbox_double import TOKEN, NetBoxDouble

AUTH = {"Authorization": f"Token {TOKEN}"}


@pytest.fixture
def nb() -> Iterator[NetBoxDouble]:
    with NetBoxDouble() as double:
        yield double


def _post(
    nb: NetBoxDouble, path: str, body: Any, headers: dict[str, str] = AUTH
) -> requests.Response:
    return requests.post(f"{nb.url}/api/{path}/", json=body, headers=headers, timeout=10)


def _base(nb: NetBoxDouble) -> dict[str, int]:
    region = _post(nb, "dcim/regions", {"name": "R", "slug": "r"}).json()
    site = _post(nb, "dcim/sites", {"name": "S", "slug": "s", "region": region["id"]}).json()
    mfr = _post(nb, "dcim/manufacturers", {"name": "M", "slug": "m"}).json()
    dt = _post(
        nb, "dcim/device-types", {"manufacturer": mfr["id"], "model": "T", "slug": "t"}
    ).json()
    role = _post(nb, "dcim/device-roles", {"name": "Ro", "slug": "ro"}).json()
    dev = _post(
        nb,
        "dcim/devices",
        {"name": "d1", "site": site["id"], "role": role["id"], "device_type": dt["id"]},
    ).json()
    return {"site": site["id"], "role": role["id"], "device_type": dt["id"], "device": dev["id"]}


def test_auth_token_scheme_only(nb: NetBoxDouble) -> None:
    assert (
        _post(
            nb, "dcim/regions", {"name": "R", "slug": "r"}, {"Authorization": f"Bearer {TOKEN}"}
        ).status_code
        == 403
    )
    assert _post(nb, "dcim/regions", {"name": "R", "slug": "r"}, {}).status_code == 403


def test_schema_rules(nb: NetBoxDouble) -> None:
    assert _post(nb, "dcim/regions", {"name": "R", "slug": "not a slug"}).status_code == 400
    assert _post(nb, "dcim/sites", {"name": "S"}).status_code == 400  # slug required
    assert (
        _post(nb, "dcim/sites", {"name": "S", "slug": "s", "status": "Active"}).status_code == 400
    )
    r = _post(
        nb, "extras/custom-fields", {"name": "x", "type": "text", "content_types": ["dcim.cable"]}
    )
    assert r.status_code == 400
    assert (
        _post(nb, "dcim/sites", {"name": "S", "slug": "s", "unknown_field": 1}).status_code == 400
    )


def test_coordinates_at_most_six_decimals(nb: NetBoxDouble) -> None:
    r = _post(nb, "dcim/sites", {"name": "S", "slug": "s", "latitude": 52.379999999999995})
    assert r.status_code == 400 and "latitude" in r.json()
    assert _post(nb, "dcim/sites", {"name": "S", "slug": "s", "latitude": 52.38}).status_code == 201


def test_bulk_post_is_all_or_nothing(nb: NetBoxDouble) -> None:
    r = _post(nb, "dcim/manufacturers", [{"name": "A", "slug": "a"}, {"name": "B", "slug": "b b"}])
    assert r.status_code == 400 and r.json()[0] == {} and "slug" in r.json()[1]
    assert nb.store.tables["manufacturers"] == {}


def test_interfaces_cables_links_and_primary_ip(nb: NetBoxDouble) -> None:
    ids = _base(nb)
    r = _post(nb, "dcim/interfaces", {"device": ids["device"], "name": "e0"})
    assert r.status_code == 400  # type required
    wl = _post(
        nb,
        "dcim/interfaces",
        [
            {"device": ids["device"], "name": n, "type": t}
            for n, t in (
                ("w0", "ieee802.11ac"),
                ("e0", "10gbase-x-sfpp"),
                ("e1", "10gbase-x-sfpp"),
                ("v0", "virtual"),
            )
        ],
    ).json()
    w0, e0, e1, v0 = (i["id"] for i in wl)
    term = {"object_type": "dcim.interface"}
    r = _post(
        nb,
        "dcim/cables",
        {
            "a_terminations": [{**term, "object_id": w0}],
            "b_terminations": [{**term, "object_id": e1}],
        },
    )
    assert r.status_code == 400  # no cable on a wireless interface
    r = _post(
        nb,
        "dcim/cables",
        {
            "a_terminations": [{**term, "object_id": e0}],
            "b_terminations": [{**term, "object_id": e1}],
            "length": 10,
        },
    )
    assert r.status_code == 400  # length needs a unit
    r = _post(nb, "wireless/wireless-links", {"interface_a": e0, "interface_b": e1})
    assert r.status_code == 400  # wireless links only between wireless interfaces
    ip = _post(nb, "ipam/ip-addresses", {"address": "127.0.0.9/32"}).json()
    r = requests.patch(
        f"{nb.url}/api/dcim/devices/",
        json=[{"id": ids["device"], "primary_ip4": ip["id"]}],
        headers=AUTH,
        timeout=10,
    )
    assert r.status_code == 400 and "primary_ip4" in r.json()[0]
    requests.patch(
        f"{nb.url}/api/ipam/ip-addresses/",
        json=[{"id": ip["id"], "assigned_object_type": "dcim.interface", "assigned_object_id": v0}],
        headers=AUTH,
        timeout=10,
    )
    r = requests.patch(
        f"{nb.url}/api/dcim/devices/",
        json=[{"id": ids["device"], "primary_ip4": ip["id"]}],
        headers=AUTH,
        timeout=10,
    )
    assert r.status_code == 200 and r.json()[0]["primary_ip4"]["address"] == "127.0.0.9/32"


def test_unknown_custom_fields_are_silently_dropped(nb: NetBoxDouble) -> None:
    r = _post(nb, "dcim/regions", {"name": "R", "slug": "r", "custom_fields": {"nope": 1}})
    assert r.status_code == 201 and r.json()["custom_fields"] == {}


def test_limit_zero_pages_by_1000_and_unknown_filters_refused(nb: NetBoxDouble) -> None:
    _post(nb, "dcim/manufacturers", [{"name": f"M{i}", "slug": f"m{i}"} for i in range(1005)])
    page = requests.get(
        f"{nb.url}/api/dcim/manufacturers/?limit=0", headers=AUTH, timeout=10
    ).json()
    assert page["count"] == 1005 and len(page["results"]) == 1000 and page["next"]
    default = requests.get(f"{nb.url}/api/dcim/manufacturers/", headers=AUTH, timeout=10).json()
    assert len(default["results"]) == 50
    r = requests.get(f"{nb.url}/api/dcim/manufacturers/?colour=red", headers=AUTH, timeout=10)
    assert r.status_code == 400
    r = requests.get(f"{nb.url}/api/dcim/devices/?tag=nosuchtag", headers=AUTH, timeout=10)
    assert r.status_code == 400


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("sites", "dcim/sites"),
        ("devices", "dcim/devices"),
        ("ip-addresses", "ipam/ip-addresses"),
        ("cables", "dcim/cables"),
        ("wireless-links", "wireless/wireless-links"),
    ],
)
def test_answers_have_the_shape_of_the_real_samples(kind: str, path: str) -> None:
    from pydantic import SecretStr

    from netagent.inventory.netbox import NetBoxConfig, apply, plan
    from tests.netbox_double.inventories import make_inventory
    from tests.netbox_double.server import SAMPLES

    sample = json.loads((SAMPLES / f"{kind}.json").read_text())["results"][0]
    with NetBoxDouble() as nb:
        cfg = NetBoxConfig(url=nb.url, token=SecretStr(TOKEN))
        apply(plan(make_inventory(12), cfg), cfg)
        ours = requests.get(f"{nb.url}/api/{path}/?limit=1", headers=AUTH, timeout=10).json()
    (obj,) = ours["results"]
    assert set(obj) == set(sample)
    for key, value in sample.items():
        if isinstance(value, dict) and isinstance(obj[key], dict) and key != "custom_fields":
            assert set(obj[key]) <= set(value), key  # brief nested objects: no invented keys
