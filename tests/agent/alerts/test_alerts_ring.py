"""A fibre ring: a device reached the other way round is never blamed on its uplink."""

from __future__ import annotations

from ipaddress import ip_address
from itertools import pairwise
from pathlib import Path

from netagent.inventory.model import Device, FibreSegment, Inventory, Role, Site, WifiSettings
from tests.alerts_lab import Lab

SITES = ("Municipio", "Santa Croce", "Ospizio", "Rosta Nuova")


def ring(closed: bool = True) -> Inventory:
    """core -> sw-a -> sw-b -> sw-c by declared uplinks, fibre along them, and (closed)
    a fibre from sw-c back to core; ap-b hangs off sw-b."""
    sites = tuple(
        Site(name=n, lat=44.69 + i * 0.005, lon=10.63 + i * 0.005, quartiere=n)
        for i, n in enumerate(SITES)
    )
    chain = ["core", "sw-a", "sw-b", "sw-c"]
    devices = [
        Device(
            name=n,
            site=SITES[i],
            role=Role.ROUTER if i == 0 else Role.SWITCH,
            mgmt_ip=ip_address(f"127.40.0.{i + 1}"),
            parent=chain[i - 1] if i else None,
        )
        for i, n in enumerate(chain)
    ]
    devices.append(
        Device(
            name="ap-b",
            site=SITES[2],
            role=Role.WIFI_AP,
            mgmt_ip=ip_address("127.40.1.1"),
            parent="sw-b",
            wifi=WifiSettings(),
        )
    )
    hops = [*pairwise(chain), *([("sw-c", "core")] if closed else [])]
    segments = tuple(
        FibreSegment(
            name=f"{a}-{b}",
            a_site=SITES[chain.index(a)],
            b_site=SITES[chain.index(b)],
            a_device=a,
            b_device=b,
        )
        for a, b in hops
    )
    return Inventory(sites=sites, devices=tuple(devices), segments=segments)


def firing(lab: Lab) -> dict[str, list[str]]:
    return {e.device: [a.device for a in e.affected] for e in lab.sent("firing")}


def test_two_failures_on_a_ring_are_two_incidents(tmp_path: Path) -> None:
    lab = Lab(tmp_path, inv=ring())
    lab.rounds(3, down={"sw-a", "sw-b", "ap-b"})
    # sw-b is still reachable through sw-c: its silence is its own, and ap-b is its loss.
    assert firing(lab) == {"sw-a": [], "sw-b": ["ap-b"]}
    assert lab.engine.shown["ap-b"][0].value == "unreachable"


def test_the_same_failures_on_a_chain_are_one_incident(tmp_path: Path) -> None:
    lab = Lab(tmp_path, inv=ring(closed=False))
    lab.rounds(3, down={"sw-a", "sw-b", "sw-c", "ap-b"})
    assert firing(lab) == {"sw-a": ["sw-b", "sw-c", "ap-b"]}


def test_one_ring_switch_down_cuts_nobody_off(tmp_path: Path) -> None:
    lab = Lab(tmp_path, inv=ring())
    lab.rounds(3, down={"sw-a"})
    assert firing(lab) == {"sw-a": []}
    lab.rounds(2)
    assert [e.device for e in lab.sent("resolved")] == ["sw-a"]
