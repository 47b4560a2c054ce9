"""Files -> NetBox -> pull: nothing the agent needs is lost on the way (issue 15).

The bundled sample is synced to the NetBox double, pulled back as `source = "netbox"`
does (netagent.agent.inventory_source.pull), and compared: coverage per quartiere and technology
(netagent.geo.coverage, as the agent computes it) and the alert topology (uplinks and the hop
each names).
"""

from __future__ import annotations

import math

import pytest
from pydantic import SecretStr

from netagent.agent import inventory_source
from netagent.agent.alerts.topology import Topology
from netagent.geo.coverage import compute
from netagent.geo.coverage_config import CoverageConfig
from netagent.inventory.model import Inventory
from netagent.inventory.netbox import NetBoxConfig, apply, plan
from tests.netbox_double import TOKEN, NetBoxDouble


@pytest.fixture(scope="module")
def both() -> tuple[Inventory, Inventory]:
    files = inventory_source.load().inventory
    assert files is not None
    with NetBoxDouble() as nb:
        cfg = NetBoxConfig(url=nb.url, token=SecretStr(TOKEN))
        report = apply(plan(files, cfg), cfg)
        assert report.ok, report.errors[:5]
        pulled = inventory_source.pull(cfg)
        assert nb.violations == []
    return files, pulled


def test_coverage_per_quartiere_and_technology_survives_the_round_trip(
    both: tuple[Inventory, Inventory],
) -> None:
    files, pulled = both
    cfg = CoverageConfig()
    want = {(r.quartiere, r.technology): r.covered_km2 for r in compute(files, cfg).rows}
    got = {(r.quartiere, r.technology): r.covered_km2 for r in compute(pulled, cfg).rows}
    assert got.keys() == want.keys()
    assert sum(want.values()) > 0
    off = {
        k: (want[k], got[k])
        for k in want
        if not math.isclose(got[k], want[k], rel_tol=1e-4, abs_tol=1e-9)
    }
    assert off == {}
    for tech in ("wifi", "fibre", "fixed-wireless"):  # each one is really compared
        assert sum(v for (_, t), v in want.items() if t == tech) > 0, tech


def test_the_alert_topology_survives_the_round_trip(both: tuple[Inventory, Inventory]) -> None:
    files, pulled = both
    polled = {d.name for d in files.polled_devices()}
    assert {d.name for d in pulled.devices} == polled
    a, b = Topology(files), Topology(pulled)
    assert {n: a.parent[n] for n in polled} == b.parent
    assert {n: h for n, h in a.hop.items() if n in polled} == b.hop
    assert {n: a.adjacent[n] & polled for n in polled if a.adjacent[n] & polled} == {
        n: s for n, s in b.adjacent.items() if s
    }


def test_what_coverage_reads_of_each_device_comes_back(both: tuple[Inventory, Inventory]) -> None:
    files, pulled = both
    for d in pulled.devices:
        f = files.device_by_name[d.name]
        assert (d.wifi, d.sector, d.parent, d.snmp_port) == (
            f.wifi,
            f.sector,
            f.parent,
            f.snmp_port,
        )
    assert {s.name: s.capacity_mbps for s in pulled.segments} == {
        s.name: s.capacity_mbps for s in files.segments
    }
    assert {x.name: x.capacity_mbps for x in pulled.links} == {
        x.name: x.capacity_mbps
        for x in files.links
        if {x.a, x.b} <= {d.name for d in pulled.devices}
    }
