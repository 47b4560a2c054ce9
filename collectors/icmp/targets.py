"""ICMP targets from the inventory: one per device, tagged as the `icmp` schema wants."""

from __future__ import annotations

from collections.abc import Iterable

from netagent.collectors.icmp.results import IcmpTarget
from netagent.inventory.model import Device, Inventory


def targets_from_inventory(
    inventory: Inventory, devices: Iterable[Device] | None = None
) -> list[IcmpTarget]:
    """`devices` (default: all) as targets at their management address, with role, site
    and quartiere tags ("outside" when the site lies in no quartiere)."""
    return [
        IcmpTarget(
            d.name,
            str(d.mgmt_ip),
            {
                "role": str(d.role),
                "site": d.site,
                "quartiere": inventory.quartiere_tag(d),
            },
        )
        for d in (inventory.devices if devices is None else devices)
    ]
