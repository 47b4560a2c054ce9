"""The demo lab's gear at a fibre segment's end has the ports the inventory names there.

`netagent run --lab` polls the bundled sample's simulated agents; the inventory says a
segment ends on rtr-ospizio's sfp-sfpplus2, so that is the port the simulated router
must have, or every poll says "port not found" and the ports dashboard's segment rows
stay empty. Polled here as the daemon polls the lab: its namespace, its targets, the
real poller. Needs root (the namespace).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from netagent.agent.demo.lab import can_build, sample_lab
from netagent.collectors.snmp import SnmpConfig, SnmpPoller
from netagent.collectors.snmp.config import segment_ends, targets_from_inventory
from netagent.inventory.load import load_inventory
from netagent.inventory.sample import SAMPLE_PATHS
from tests.fixtures.sample_lab import lab_faults

pytestmark = [pytest.mark.slow, pytest.mark.root]


def test_demo_lab_serves_the_segment_ports_the_inventory_names(tmp_path: Path) -> None:
    if (reason := can_build()) is not None:
        pytest.skip(reason)
    inv = load_inventory(SAMPLE_PATHS).inventory
    assert inv is not None
    faults = lab_faults()  # no address in the lab: the daemon does not poll them
    cfg = SnmpConfig(device_deadline_s=15)
    targets = [t for t in targets_from_inventory(inv, cfg) if t.name not in faults]
    with sample_lab(inv, tmp_path, namespace=True) as netns:
        poller = SnmpPoller(cfg, netns=netns)
        try:
            outcomes = asyncio.run(poller.poll(targets))
        finally:
            poller.close()
    assert [(o.device, o.error) for o in outcomes if not o.ok] == []
    not_found = [(o.device, p) for o in outcomes for p in o.problems if "inventory names" in p]
    assert not_found == []
    tagged = {
        (s.tags["device"], s.tags["ifname"]): (s.tags.get("segment"), s.tags.get("side"))
        for o in outcomes
        for s in o.samples
        if s.measurement == "interface"
    }
    ends = {
        (device, port): (tags["segment"], tags["side"])
        for device, ports in segment_ends(inv).items()
        if device not in faults
        for port, tags in ports.items()
    }
    assert ends  # the sample has segment ends on devices the lab runs
    assert {k: tagged.get(k) for k in ends} == ends
