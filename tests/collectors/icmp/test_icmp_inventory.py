"""The sample lab's devices as ICMP targets, probed on loopback as the demo does."""

from __future__ import annotations

import asyncio
import os

import pytest

from netagent.collectors.icmp import IcmpConfig, IcmpProber, targets_from_inventory
from netagent.inventory.load import load_inventory
from netagent.inventory.sample import SAMPLE_PATHS


def test_every_sample_device_becomes_a_tagged_target_and_answers() -> None:
    inv = load_inventory(SAMPLE_PATHS).inventory
    assert inv is not None
    targets = targets_from_inventory(inv)
    assert [t.name for t in targets] == [d.name for d in inv.devices]
    ap = next(inv.access_points())
    t = next(t for t in targets if t.name == ap.name)
    assert t.address == str(ap.mgmt_ip)
    assert dict(t.tags) == {
        "role": "wifi-ap",
        "site": ap.site,
        "quartiere": inv.quartiere_of(ap) or "outside",
    }
    if os.geteuid() != 0:
        pytest.skip("probing needs root (or CAP_NET_RAW) for raw ICMP sockets")
    with IcmpProber(IcmpConfig(count=1, timeout_ms=2000)) as prober:
        res = asyncio.run(prober.round(targets))
    assert all(r.up for r in res)  # the host's loopback answers every 127.x address
    s = res[0].to_sample(1)
    assert set(s.tags) == {"device", "role", "site", "quartiere"}
