"""Pull: poll targets from NetBox (`source = "netbox"`).

Which statuses become targets, and why:
- active: polled and alerted.
- offline, decommissioning, failed: polled but not alerted — the device is known to be
  out of service; polling shows when it comes back, and the alert engine treats any
  status other than active as maintenance (DeviceStatus travels in the inventory).
- planned, staged, inventory: not polled — the device is not in the network yet (or is on
  a shelf); polling it would only produce failures.
Devices without a primary IP (v4, else v6) or with a role netagent does not know are
left out (logged).
"""

from __future__ import annotations

import logging
from ipaddress import ip_interface
from typing import Any

from pydantic import ValidationError

from inventory.model import (
    POLLED_STATUSES,
    Device,
    DeviceStatus,
    Inventory,
    Role,
    Site,
    SiteKind,
    WifiSettings,
)
from inventory.netbox.client import NetBoxClient
from inventory.netbox.config import NetBoxConfig
from inventory.netbox.mapping import REGION_CITY

log = logging.getLogger(__name__)

def _site(o: dict[str, Any], regions: dict[int, dict[str, Any]]) -> Site:
    region = regions.get((o.get("region") or {}).get("id", -1))
    parent = regions.get(((region or {}).get("parent") or {}).get("id", -1))
    # A quartiere is a region whose parent is the city region (see mapping).
    quartiere = region["name"] if region and parent and parent["name"] == REGION_CITY else None
    kinds = {k.value for k in SiteKind}
    kind = o["description"] if o.get("description") in kinds else SiteKind.OTHER.value
    return Site(
        name=o["name"],
        lat=o.get("latitude") or 0.0,
        lon=o.get("longitude") or 0.0,
        kind=SiteKind(kind),
        address=o.get("physical_address") or "",
        quartiere=quartiere,
    )


def _device(o: dict[str, Any], config: NetBoxConfig) -> Device | None:
    role_slug = (o.get("role") or {}).get("slug")
    if role_slug not in {r.value for r in Role}:
        log.warning(
            "netbox device %s: role %r is not one netagent polls; skipped", o["name"], role_slug
        )
        return None
    cf = o.get("custom_fields") or {}
    profile = cf.get(config.snmp_profile_field) or (o.get("platform") or {}).get("slug")
    dtype = o.get("device_type") or {}
    tags = sorted(t["name"] for t in o.get("tags") or () if t["slug"] != config.tag)
    role = Role(role_slug)
    return Device(
        name=o["name"],
        site=o["site"]["name"],
        role=role,
        vendor=(dtype.get("manufacturer") or {}).get("name", ""),
        model=dtype.get("model", ""),
        mgmt_ip=ip_interface((o.get("primary_ip4") or o["primary_ip6"])["address"]).ip,
        snmp_profile=profile,
        snmp_port=cf.get("netagent_snmp_port") or 161,
        parent=cf.get("netagent_parent"),
        status=DeviceStatus(o["status"]["value"]),
        tags=tags,
        wifi=WifiSettings() if role is Role.WIFI_AP else None,
    )


def pull_inventory(config: NetBoxConfig, client: NetBoxClient | None = None) -> Inventory:
    """Devices to poll from NetBox, with their sites (quartiere from the region tree).

    Filters from the config (roles, tags, sites, regions: slugs) are passed to NetBox;
    repeated tags must all match (NetBox ANDs them).
    """
    client = client or NetBoxClient(config)
    filters: dict[str, Any] = {
        "status": [s.value for s in POLLED_STATUSES],
        "has_primary_ip": "true",
    }
    for key, values in (
        ("role", config.roles),
        ("tag", config.tags),
        ("site", config.sites),
        ("region", config.regions),
    ):
        if values:
            filters[key] = list(values)
    devices: list[Device] = []
    site_ids: set[int] = set()
    for o in client.read("devices", **filters):
        if not o.get("name") or not (o.get("primary_ip4") or o.get("primary_ip6")):
            continue
        try:
            d = _device(o, config)
        except (ValidationError, ValueError) as e:
            log.warning("netbox device %s: not usable as a poll target: %s", o.get("name"), e)
            continue
        if d is not None:
            devices.append(d)
            site_ids.add(o["site"]["id"])
    regions = {r["id"]: r for r in client.read("regions")}
    sites: list[Site] = []
    ids = sorted(site_ids)
    for i in range(0, len(ids), client.config.lookup_chunk):
        sites += [
            _site(o, regions)
            for o in client.read("sites", id=ids[i : i + client.config.lookup_chunk])
        ]
    names = {d.name for d in devices}
    devices = [
        d.model_copy(update={"parent": d.parent if d.parent in names else None}) for d in devices
    ]
    return Inventory(sites=tuple(sites), devices=tuple(devices))
