"""The `[snmp]` settings an operator writes reach each device's target: version 1,
polling without ping, request sizing per role and device, addresses with ports."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
import yaml

from netagent.agent.cli import addresses
from netagent.collectors.snmp import SnmpConfig, targets_from_inventory
from netagent.collectors.snmp.config import parse_host_port
from netagent.inventory.load import load_inventory

GOOD = Path(__file__).parents[2] / "data" / "inventory" / "good.yaml"


def test_role_and_device_settings_reach_the_targets() -> None:
    cfg = SnmpConfig.model_validate(
        yaml.safe_load(
            """
            max_message_size: 1472
            role_settings:
              wifi-ap: {max_repetitions: 8, poll_without_ping: true}
            device_settings:
              ap-panizzi-1: {max_message_size: 484, poll_without_ping: false}
              sw-centro: {poll_without_ping: true}
            device_credentials:
              rep-1: {version: "1", community: old-radio}
            """
        )
    )
    inv = load_inventory([GOOD]).inventory
    assert inv is not None
    t = {x.name: x for x in targets_from_inventory(inv, cfg)}
    ap1, ap2 = t["ap-prampolini-1"], t["ap-panizzi-1"]
    assert (ap1.poll_without_ping, ap1.max_repetitions, ap1.max_message_size) == (True, 8, 1472)
    assert (ap2.poll_without_ping, ap2.max_repetitions, ap2.max_message_size) == (False, 8, 484)
    assert t["sw-centro"].poll_without_ping and not t["bs-coviolo"].poll_without_ping
    assert t["rep-1"].credentials.version == "1" and t["rep-1"].credentials.level == "v1"


def test_a_message_size_below_the_snmp_minimum_is_refused() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 484"):
        SnmpConfig.model_validate({"device_settings": {"x": {"max_message_size": 100}}})


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        ("10.0.0.1", ("10.0.0.1", 161)),
        ("10.0.0.1:1161", ("10.0.0.1", 1161)),
        ("::1", ("::1", 161)),
        ("[::1]:1161", ("::1", 1161)),
        ("[2001:db8::5]", ("2001:db8::5", 161)),
        ("radio.example:16100", ("radio.example", 16100)),
    ],
)
def test_host_and_port(spec: str, want: tuple[str, int]) -> None:
    assert parse_host_port(spec) == want


@pytest.mark.parametrize("spec", ["[::1]1161", "[::1", "host:0", "host:99999", "h:x", ":161"])
def test_bad_host_and_port_is_named(spec: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_host_port(spec)


SPECS = ["10.0.0.1", "10.0.0.1:1161", "::1", "[::1]:1161", "[2001:db8::5]", "127.0.0.1:161"]
BAD = ["[::1]1161", "[::1", "[::1]:", "host:", "127.0.0.1:0", "127.0.0.1:99999", "h:x", ":161"]


@pytest.mark.parametrize("spec", SPECS + BAD)
def test_the_cli_reads_an_address_as_the_collector_does(spec: str) -> None:
    """One parser of `[v6]:port`: `netagent poll snmp SPEC` and an inventory's address agree,
    on what they accept and on what they refuse."""
    try:
        want: tuple[str, int] | None = parse_host_port(spec)
    except ValueError:
        want = None
    try:
        e = addresses.parse(spec, 161)
        got: tuple[str, int] | None = (e.address, e.port or 0)
    except (typer.BadParameter, addresses.Unresolved):
        got = None
    assert got == want


FIBRE = """
sites:
  - {name: PoP Nord, lat: 44.70, lon: 10.63}
  - {name: Scuola Sud, lat: 44.69, lon: 10.62}
  - {name: Cabina Est, lat: 44.69, lon: 10.64}
devices:
  - {name: rtr-nord, site: PoP Nord, role: router, mgmt_ip: 127.10.0.1}
  - {name: sw-sud, site: Scuola Sud, role: switch, mgmt_ip: 127.10.0.2, parent: rtr-nord}
  - {name: sw-est, site: Cabina Est, role: switch, mgmt_ip: 127.10.0.3, status: planned}
segments:
  - {name: Dorsale Nord / Sud, a_site: PoP Nord, b_site: Scuola Sud,
     a_device: rtr-nord, a_port: sfp-sfpplus1, b_device: sw-sud, b_port: sfp1}
  - {name: Accesso Est, a_site: PoP Nord, b_site: Cabina Est,
     a_device: rtr-nord, a_port: ether2, b_device: sw-est, b_port: sfp1}
  - {name: Scorta, a_site: PoP Nord, b_site: Scuola Sud, status: planned,
     a_device: rtr-nord, a_port: ether3, b_device: sw-sud, b_port: sfp2}
  - {name: Senza porte, a_site: Scuola Sud, b_site: Cabina Est}
"""


def test_fibre_segment_ends_name_their_ports_on_the_targets(tmp_path: Path) -> None:
    """Each end of a segment in service gives its device's port the segment's name and
    side; a planned segment and a device not polled give none; device tags are unchanged."""
    path = tmp_path / "fibre.yaml"
    path.write_text(FIBRE)
    inv = load_inventory([path]).inventory
    assert inv is not None
    t = {x.name: x for x in targets_from_inventory(inv, SnmpConfig())}
    assert sorted(t) == ["rtr-nord", "sw-sud"]
    assert t["rtr-nord"].port_tags == {
        "sfp-sfpplus1": {"segment": "Dorsale Nord / Sud", "side": "a"},
        "ether2": {"segment": "Accesso Est", "side": "a"},
    }
    assert t["sw-sud"].port_tags == {"sfp1": {"segment": "Dorsale Nord / Sud", "side": "b"}}
    assert "segment" not in t["rtr-nord"].tags and "side" not in t["sw-sud"].tags
