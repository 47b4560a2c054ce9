"""How the inventory becomes NetBox objects (see README, "NetBox sync").

Everything NetBox requires and the inventory does not say (slugs, statuses, interface
types, units) is derived deterministically, so the same inventory always maps to the same
objects and a resync finds nothing to do.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from netagent.inventory.model import (
    Device,
    DeviceStatus,
    FibreSegment,
    Inventory,
    Placement,
    RadioLink,
    Role,
)
from netagent.inventory.netbox.config import NetBoxConfig
from netagent.inventory.netbox.kinds import Ref, Tags, Terminations, link_key
from netagent.inventory.netbox.tables import (
    CF_GROUP,
    CF_ORPHANED,
    custom_fields,
    model_ports,
    port_type,
    ports,
)

REGION_ROOT = "Emilia-Romagna"
REGION_CITY = "Reggio Emilia"
MGMT_IF = "mgmt"
WLAN_IF = "wlan0"
GENERIC_VENDOR = "Generic"

ROLE_COLORS = {
    Role.WIFI_AP: ("WiFi access point", "2196f3"),
    Role.PTP_RADIO: ("PtP radio", "9c27b0"),
    Role.BASE_STATION: ("Base station", "673ab7"),
    Role.CPE: ("CPE", "00bcd4"),
    Role.SWITCH: ("Switch", "4caf50"),
    Role.ROUTER: ("Router", "ff9800"),
}

# Cable and wireless-link statuses are connected|planned|decommissioning.
LINK_STATUS = {
    DeviceStatus.ACTIVE: "connected",
    DeviceStatus.PLANNED: "planned",
    DeviceStatus.STAGED: "planned",
    DeviceStatus.INVENTORY: "planned",
    DeviceStatus.OFFLINE: "decommissioning",
    DeviceStatus.FAILED: "decommissioning",
    DeviceStatus.DECOMMISSIONING: "decommissioning",
}


def slugify(name: str, limit: int = 100) -> str:
    """NetBox slug: letters, digits, '-' and '_' only; accents folded, never empty."""
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_.lower()).strip("-")
    if not slug:
        slug = "x-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return slug[:limit].rstrip("-")


def radio_if_type(band: str) -> str:
    b = band.lower().replace(" ", "")
    if b.startswith("60"):
        return "ieee802.11ad"
    if b.startswith(("5", "2.4", "6")):
        return "ieee802.11ax" if b.startswith("6") else "ieee802.11ac"
    return "other-wireless"


def radio_if_name(link: RadioLink) -> str:
    """One interface per link end: a NetBox interface takes part in one wireless link only."""
    return f"wl-{slugify(link.name, 61)}"


@dataclass
class Desired:
    kind: str
    key: str
    fields: dict[str, Any]


@dataclass
class Mapped:
    objects: list[Desired] = field(default_factory=list)
    # Inventory records NetBox cannot hold as given: (record, why).
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Written, but worth a look: one line each.
    notes: list[str] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def has(self, kind: str, key: str) -> bool:
        return (kind, key) in self._seen

    def add(self, kind: str, key: str, **fields: Any) -> None:
        if (kind, key) not in self._seen:
            self._seen.add((kind, key))
            self.objects.append(Desired(kind, key, fields))


class _Slugs:
    """Unique slug per kind: a second name folding to the same slug gets a hash suffix."""

    def __init__(self) -> None:
        self._used: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, name: str) -> str:
        slug = slugify(name)
        owner = self._used.setdefault((kind, slug), name)
        if owner != name:
            slug = f"{slug[:90]}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
            self._used[(kind, slug)] = name
        return slug


def _model(d: Device) -> tuple[str, str]:
    return d.vendor or GENERIC_VENDOR, d.model or f"{ROLE_COLORS[d.role][0]} (generic)"


def map_inventory(inv: Inventory, config: NetBoxConfig) -> Mapped:
    """The desired NetBox objects for an inventory, in dependency order.

    Shared objects (regions, manufacturers, device types, roles, platforms, wireless LANs)
    carry no tag: NetBox may already hold them, and they are used, never managed.
    """
    m = Mapped()
    slug = _Slugs()
    tag = config.tag
    tags = Tags(frozenset({(tag, tag)}), frozenset({config.orphan_tag}))
    owned_cf = {CF_ORPHANED: None}

    m.add("tags", tag, name=tag, slug=tag, color="3f51b5", description="Managed by netagent")
    m.add(
        "tags",
        config.orphan_tag,
        name=config.orphan_tag,
        slug=config.orphan_tag,
        color="9e9e9e",
        description="netagent: no longer in the inventory; deleted by --prune after the delay",
    )
    for t in sorted({t for d in inv.devices for t in d.tags}):
        m.add("tags", slugify(t), name=t, slug=slugify(t))
    for name, definition in custom_fields().items():
        m.add("custom-fields", name, name=name, group_name=CF_GROUP, **definition)
    if config.owner_tenants:
        for owner in sorted({s.owner for s in inv.segments if s.owner}):
            m.add("tenants", owner, name=owner, slug=slug("tenants", owner))

    m.add("regions", REGION_ROOT, name=REGION_ROOT, slug=slug("regions", REGION_ROOT))
    m.add(
        "regions",
        REGION_CITY,
        name=REGION_CITY,
        slug=slug("regions", REGION_CITY),
        parent=Ref("regions", REGION_ROOT),
    )
    quartieri = sorted(
        {q.name for q in inv.quartieri} | {s.quartiere for s in inv.sites if s.quartiere}
    )
    for q in quartieri:
        m.add(
            "regions",
            q,
            name=q,
            slug=slug("regions", f"re-{q}"),
            parent=Ref("regions", REGION_CITY),
        )

    for d in sorted(inv.devices, key=lambda d: d.name):
        vendor, model = _model(d)
        m.add("manufacturers", vendor, name=vendor, slug=slug("manufacturers", vendor))
        m.add(
            "device-types",
            f"{vendor}/{model}",
            manufacturer=Ref("manufacturers", vendor),
            model=model,
            slug=slug("device-types", f"{vendor}-{model}"),
        )
        for port, group in ports(vendor, model):
            poe = {"poe_mode": group["poe"]} if group.get("poe") else {}
            m.add(
                "interface-templates",
                f"{vendor}/{model}/{port}",
                device_type=Ref("device-types", f"{vendor}/{model}"),
                name=port,
                type=group["type"],
                **poe,
            )
        label, color = ROLE_COLORS[d.role]
        m.add(
            "device-roles",
            d.role.value,
            name=d.role.value,
            slug=d.role.value,
            color=color,
            description=label,
        )
        if d.snmp_profile:
            m.add(
                "platforms",
                d.snmp_profile,
                name=d.snmp_profile,
                slug=slug("platforms", d.snmp_profile),
            )

    for ssid in sorted({x for d in inv.devices if d.wifi for x in d.wifi.ssids}):
        m.add("wireless-lans", ssid, ssid=ssid, status="active")

    for s in sorted(inv.sites, key=lambda s: s.name):
        m.add(
            "sites",
            s.name,
            name=s.name,
            slug=slug("sites", s.name),
            status="active",
            region=Ref("regions", s.quartiere or REGION_CITY),
            latitude=round(s.lat, 6),
            longitude=round(s.lon, 6),
            physical_address=s.address,
            time_zone=config.time_zone,
            tags=tags,
            custom_fields={**owned_cf, "netagent_site_kind": s.kind.value},
        )

    for d in sorted(inv.devices, key=lambda d: d.name):
        _map_device(m, d, tags)
    for link in sorted(inv.links, key=lambda x: x.name):
        _map_link(m, inv, link, tags)
    for seg in sorted(inv.segments, key=lambda x: x.name):
        _map_segment(m, inv, seg, tags, config.owner_tenants)
    return m


def _device_fields(d: Device) -> dict[str, Any]:
    """What coverage and alerting need of a device, as typed custom fields."""
    wifi, sector = d.wifi, d.sector
    return {
        CF_ORPHANED: None,
        "netagent_snmp_profile": d.snmp_profile,
        "netagent_snmp_port": d.snmp_port,
        "netagent_parent": Ref("devices", d.parent) if d.parent else None,
        "netagent_coverage_radius_m": wifi.coverage_radius_m if wifi else None,
        "netagent_indoor": (wifi.placement is Placement.INDOOR) if wifi else None,
        "netagent_sector_radius_m": sector.radius_m if sector else None,
        "netagent_sector_azimuth_deg": sector.azimuth_deg if sector else None,
        "netagent_sector_beamwidth_deg": sector.beamwidth_deg if sector else None,
    }


def _map_device(m: Mapped, d: Device, tags: Tags) -> None:
    vendor, model = _model(d)
    prefix = 32 if d.mgmt_ip.version == 4 else 128
    address = f"{d.mgmt_ip}/{prefix}"
    fields: dict[str, Any] = dict(
        name=d.name,
        site=Ref("sites", d.site),
        role=Ref("device-roles", d.role.value),
        device_type=Ref("device-types", f"{vendor}/{model}"),
        platform=Ref("platforms", d.snmp_profile) if d.snmp_profile else None,
        status=d.status.value,
        tags=Tags(tags.named | {(slugify(t), t) for t in d.tags}, tags.absent),
        custom_fields=_device_fields(d),
    )
    if d.mgmt_ip.version == 4:
        fields["primary_ip4"] = Ref("ip-addresses", address)
    else:
        fields["primary_ip6"] = Ref("ip-addresses", address)
    m.add("devices", d.name, **fields)
    cf = {CF_ORPHANED: None}
    m.add(
        "interfaces",
        f"{d.name}/{MGMT_IF}",
        device=Ref("devices", d.name),
        name=MGMT_IF,
        type="virtual",
        mgmt_only=True,
        tags=tags,
        custom_fields=cf,
    )
    m.add(
        "ip-addresses",
        address,
        address=address,
        status="active",
        assigned_object_type="dcim.interface",
        assigned_object_id=Ref("interfaces", f"{d.name}/{MGMT_IF}"),
        tags=tags,
        custom_fields=cf,
    )
    if d.wifi:
        m.add(
            "interfaces",
            f"{d.name}/{WLAN_IF}",
            device=Ref("devices", d.name),
            name=WLAN_IF,
            type="ieee802.11ac",
            rf_role="ap",
            wireless_lans=[Ref("wireless-lans", s) for s in sorted(set(d.wifi.ssids))],
            tags=tags,
            custom_fields=cf,
        )


def _map_link(m: Mapped, inv: Inventory, link: RadioLink, tags: Tags) -> None:
    ifname = radio_if_name(link)
    cf = {CF_ORPHANED: None}
    for dev in (link.a, link.b):
        extra = {"rf_channel_frequency": link.frequency_mhz} if link.frequency_mhz else {}
        m.add(
            "interfaces",
            f"{dev}/{ifname}",
            device=Ref("devices", dev),
            name=ifname,
            type=radio_if_type(link.band),
            description=f"{link.name} ({link.band})",
            tags=tags,
            custom_fields=cf,
            **extra,
        )
    m.add(
        "wireless-links",
        link_key(link.a, ifname, link.b, ifname),
        interface_a=Ref("interfaces", f"{link.a}/{ifname}"),
        interface_b=Ref("interfaces", f"{link.b}/{ifname}"),
        ssid=link.ssid,
        status=LINK_STATUS[link.status],
        description=link.name,
        distance=round(inv.link_distance_m(link), 2),
        distance_unit="m",
        tags=tags,
        custom_fields={
            CF_ORPHANED: None,
            "netagent_capacity_mbps": link.capacity_mbps,
            "netagent_band": link.band,
        },
    )


def _map_segment(
    m: Mapped, inv: Inventory, seg: FibreSegment, tags: Tags, owner_tenants: bool
) -> None:
    ends = [(seg.a_device, seg.a_port), (seg.b_device, seg.b_port)]
    if any(dev is None or port is None for dev, port in ends):
        m.skipped.append((f"segment {seg.name}", "a NetBox cable needs a switch port at both ends"))
        return
    refs = []
    for dev, port in ends:
        key = f"{dev}/{port}"
        if m.has("interfaces", key):
            m.skipped.append(
                (f"segment {seg.name}", f"port {key} already ends another segment or link")
            )
            return
        refs.append(key)
    for (dev, port), key in zip(ends, refs, strict=True):
        d = inv.device_by_name[str(dev)]
        if port_type(*_model(d), str(port)) == "other" and f"{d.vendor}/{d.model}" in model_ports():
            m.notes.append(
                f"segment {seg.name}: port {key} is not a port of {d.vendor} {d.model} in "
                "inventory/netbox/models.toml: typed 'other'"
            )
        m.add(
            "interfaces",
            key,
            device=Ref("devices", str(dev)),
            name=port,
            type=port_type(*_model(d), str(port)),
            tags=tags,
            custom_fields={CF_ORPHANED: None},
        )
    extra = {"tenant": Ref("tenants", seg.owner)} if owner_tenants and seg.owner else {}
    m.add(
        "cables",
        seg.name,
        label=seg.name,
        type="smf",
        status=LINK_STATUS[seg.status],
        a_terminations=Terminations((Ref("interfaces", refs[0]),)),
        b_terminations=Terminations((Ref("interfaces", refs[1]),)),
        length=round(inv.segment_length_m(seg), 2),
        length_unit="m",
        tags=tags,
        custom_fields={
            CF_ORPHANED: None,
            "netagent_fibre_count": seg.fibre_count,
            "netagent_fibre_owner": seg.owner,
            "netagent_capacity_mbps": seg.capacity_mbps,
            "netagent_fibre_path": [
                [round(lon, 6), round(lat, 6)] for lon, lat in inv.segment_path(seg)
            ],
        },
        **extra,
    )
