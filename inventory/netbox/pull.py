"""Pull: the inventory from NetBox (`source = "netbox"`), as complete as the files.

Devices with their sites, plus what coverage and alerting need: AP radius and placement,
sectors, uplinks (typed custom fields, see custom_fields.toml), radio links (wireless
links, with capacity and band) and fibre segments (cables with their path), so coverage
and the alert topology come out as they do from the files.

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

import json
import logging
from ipaddress import ip_interface
from typing import Any

from pydantic import ValidationError

from netagent.inventory.model import (
    POLLED_STATUSES,
    Device,
    DeviceStatus,
    FibreSegment,
    Inventory,
    Placement,
    RadioLink,
    Role,
    Sector,
    Site,
    SiteKind,
    WifiSettings,
)
from netagent.inventory.netbox.client import NetBoxClient, NetBoxInputError, NetBoxRequestError
from netagent.inventory.netbox.config import NetBoxConfig
from netagent.inventory.netbox.mapping import REGION_CITY, slugify

log = logging.getLogger(__name__)

# Link and cable statuses back to the inventory's (see mapping.LINK_STATUS).
LINK_BACK = {
    "connected": DeviceStatus.ACTIVE,
    "planned": DeviceStatus.PLANNED,
    "decommissioning": DeviceStatus.DECOMMISSIONING,
}
FIBRE_CABLE_TYPES = ("smf", "mmf")


def _value(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v


def _number(v: Any) -> float | None:
    """A decimal custom field: NetBox may answer a number or a string."""
    return None if v in (None, "") else float(v)


class _Names:
    """NetBox names back to inventory names, through the configured aliases."""

    def __init__(self, config: NetBoxConfig) -> None:
        self.config = config

    def of(self, kind: str, o: dict[str, Any] | None, field: str = "name") -> str:
        if not o:
            return ""
        name, slug = str(o.get(field) or ""), o.get("slug")
        for ours, theirs in self.config.aliases.of(kind).items():
            if theirs == slug or theirs.casefold() == name.casefold():
                return ours
        return name

    def role(self, o: dict[str, Any] | None) -> Role | None:
        known = {r.value for r in Role}
        for guess in ((o or {}).get("slug"), self.of("device-roles", o).casefold()):
            if guess in known:
                return Role(guess)
        return None


def _site(o: dict[str, Any], regions: dict[int, dict[str, Any]], names: _Names) -> Site:
    region = regions.get((o.get("region") or {}).get("id", -1))
    parent = regions.get(((region or {}).get("parent") or {}).get("id", -1))
    # A quartiere is a region whose parent is the city region (see mapping).
    city = parent is not None and (
        names.of("regions", parent) == REGION_CITY or parent.get("slug") == slugify(REGION_CITY)
    )
    quartiere = names.of("regions", region) if region and city else None
    kinds = {k.value for k in SiteKind}
    cf = o.get("custom_fields") or {}
    kind = next(
        (k for k in (cf.get("netagent_site_kind"), o.get("description")) if k in kinds),
        SiteKind.OTHER.value,
    )
    return Site(
        name=o["name"],
        lat=o.get("latitude") or 0.0,
        lon=o.get("longitude") or 0.0,
        kind=SiteKind(kind),
        address=o.get("physical_address") or "",
        quartiere=quartiere,
    )


def _device(o: dict[str, Any], config: NetBoxConfig, names: _Names) -> Device | None:
    role = names.role(o.get("role"))
    if role is None:
        log.warning(
            "netbox device %s: role %r is not one netagent polls; skipped",
            o["name"],
            (o.get("role") or {}).get("slug"),
        )
        return None
    cf = o.get("custom_fields") or {}
    profile = cf.get(config.snmp_profile_field) or (o.get("platform") or {}).get("slug")
    dtype = o.get("device_type") or {}
    tags = sorted(
        t["name"] for t in o.get("tags") or () if t["slug"] not in (config.tag, config.orphan_tag)
    )
    parent = cf.get("netagent_parent")
    wifi = None
    if role is Role.WIFI_AP:
        wifi = WifiSettings(
            placement=Placement.INDOOR if cf.get("netagent_indoor") else Placement.OUTDOOR,
            coverage_radius_m=_number(cf.get("netagent_coverage_radius_m")),
        )
    sector = None
    if cf.get("netagent_sector_radius_m") not in (None, ""):
        sector = Sector(
            radius_m=float(cf["netagent_sector_radius_m"]),
            azimuth_deg=_number(cf.get("netagent_sector_azimuth_deg")),
            beamwidth_deg=_number(cf.get("netagent_sector_beamwidth_deg")),
        )
    return Device(
        name=o["name"],
        site=o["site"]["name"],
        role=role,
        vendor=names.of("manufacturers", dtype.get("manufacturer")),
        model=names.of("device-types", dtype, "model"),
        mgmt_ip=ip_interface((o.get("primary_ip4") or o["primary_ip6"])["address"]).ip,
        snmp_profile=profile,
        snmp_port=cf.get("netagent_snmp_port") or 161,
        parent=parent.get("name") if isinstance(parent, dict) else parent,
        status=DeviceStatus(_value(o["status"])),
        tags=tags,
        wifi=wifi,
        sector=sector,
    )


def _links(client: NetBoxClient, names: set[str]) -> list[RadioLink]:
    out = []
    for o in client.read("wireless-links"):
        a, b = (
            ((o.get(f) or {}).get("device") or {}).get("name")
            for f in ("interface_a", "interface_b")
        )
        if a not in names or b not in names:
            continue
        cf = o.get("custom_fields") or {}
        try:
            out.append(
                RadioLink(
                    name=o.get("description") or f"{a}<->{b}",
                    a=str(a),
                    b=str(b),
                    band=cf.get("netagent_band") or "5GHz",
                    capacity_mbps=_number(cf.get("netagent_capacity_mbps")) or 100.0,
                    ssid=o.get("ssid") or "",
                    status=LINK_BACK.get(_value(o.get("status")), DeviceStatus.ACTIVE),
                )
            )
        except ValidationError as e:
            log.warning("netbox wireless link %s: not usable: %s", o.get("id"), e)
    return out


def _segments(client: NetBoxClient, devices: dict[str, Device]) -> list[FibreSegment]:
    out = []
    for o in client.read("cables"):
        cf = o.get("custom_fields") or {}
        if _value(o.get("type")) not in FIBRE_CABLE_TYPES and not cf.get("netagent_fibre_path"):
            continue
        ends = []
        for e in ("a_terminations", "b_terminations"):
            t: dict[str, Any] = next(iter(o.get(e) or ()), {})
            iface = t.get("object") or {}
            ends.append((((iface.get("device") or {}).get("name")), iface.get("name")))
        if any(dev not in devices for dev, _ in ends):
            continue
        path = cf.get("netagent_fibre_path")
        if isinstance(path, str):
            path = json.loads(path)
        try:
            out.append(
                FibreSegment(
                    name=o.get("label") or f"cable {o['id']}",
                    a_site=devices[str(ends[0][0])].site,
                    b_site=devices[str(ends[1][0])].site,
                    a_device=ends[0][0],
                    a_port=ends[0][1],
                    b_device=ends[1][0],
                    b_port=ends[1][1],
                    fibre_count=cf.get("netagent_fibre_count") or 24,
                    owner=cf.get("netagent_fibre_owner") or "",
                    capacity_mbps=_number(cf.get("netagent_capacity_mbps")) or 10000.0,
                    path=[(float(x), float(y)) for x, y in path] if path else None,
                    status=LINK_BACK.get(_value(o.get("status")), DeviceStatus.ACTIVE),
                )
            )
        except (ValidationError, ValueError, TypeError) as e:
            log.warning("netbox cable %s: not a usable fibre segment: %s", o.get("label"), e)
    return out


def pull_inventory(config: NetBoxConfig, client: NetBoxClient | None = None) -> Inventory:
    """Devices to poll from NetBox, with their sites (quartiere from the region tree),
    the radio links and fibre segments between them.

    Filters from the config (roles, tags, sites, regions: slugs) are passed to NetBox;
    repeated tags must all match (NetBox ANDs them). A slug NetBox does not know is a
    NetBoxInputError naming the config key.
    """
    client = client or NetBoxClient(config)
    names = _Names(config)
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
    try:
        found = client.read("devices", **filters)
    except NetBoxRequestError as e:
        if e.status != 400 or not isinstance(e.body, dict):
            raise
        keys = {"role": "roles", "tag": "tags", "site": "sites", "region": "regions"}
        what = "; ".join(
            f"netbox.{keys.get(k, k)}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in e.body.items()
        )
        raise NetBoxInputError(f"NetBox refused the filter: {what}") from None
    devices: list[Device] = []
    site_ids: set[int] = set()
    for o in found:
        if not o.get("name") or not (o.get("primary_ip4") or o.get("primary_ip6")):
            continue
        try:
            d = _device(o, config, names)
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
            _site(o, regions, names)
            for o in client.read("sites", id=ids[i : i + client.config.lookup_chunk])
        ]
    by_name = {d.name: d for d in devices}
    devices = [
        d.model_copy(update={"parent": d.parent if d.parent in by_name else None}) for d in devices
    ]
    return Inventory(
        sites=tuple(sites),
        devices=tuple(devices),
        links=tuple(_links(client, set(by_name))),
        segments=tuple(_segments(client, by_name)),
    )
