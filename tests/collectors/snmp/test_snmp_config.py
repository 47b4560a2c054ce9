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
