"""Inventories for the NetBox tests and benchmark: a small one and a generated large one."""

from __future__ import annotations

from ipaddress import IPv4Address

from shapely.geometry import box

from netagent.inventory.model import (
    Device,
    DeviceStatus,
    FibreSegment,
    Inventory,
    Quartiere,
    RadioLink,
    Role,
    Site,
    WifiSettings,
)

QUARTIERI = ("Centro Storico", "Ospizio", "Mancasale", "Coviolo")


def make_inventory(n_devices: int = 12) -> Inventory:
    """Per site: one switch, fibre to the previous site's switch, APs and a radio pair."""
    quartieri = tuple(
        Quartiere(
            name=q, geometry=box(10.60 + i * 0.02, 44.68, 10.62 + i * 0.02, 44.72), population=10000
        )
        for i, q in enumerate(QUARTIERI)
    )
    sites: list[Site] = []
    devices: list[Device] = []
    links: list[RadioLink] = []
    segments: list[FibreSegment] = []
    per_site = 6  # switch, 3 APs, 2 radios
    n_sites = max(2, -(-n_devices // per_site))

    def ip(n: int) -> IPv4Address:
        return IPv4Address(0x7F000000 + 0x10000 + n)

    for s in range(n_sites):
        q = QUARTIERI[s % len(QUARTIERI)]
        site = Site(
            name=f"Sito {s:04d} Via Émilia",
            lat=44.69 + s * 0.0001234567,
            lon=10.61 + (s % 4) * 0.02 + s * 1e-7,
            quartiere=q,
            address=f"Via Emilia {s}",
        )
        sites.append(site)
        sw = f"sw-{s:04d}"
        devices.append(
            Device(
                name=sw,
                site=site.name,
                role=Role.SWITCH,
                vendor="Cisco",
                model="C9200",
                mgmt_ip=ip(len(devices) + 1),
                snmp_profile="cisco-ios",
                parent=f"sw-{s - 1:04d}" if s else None,
            )
        )
        if s:
            segments.append(
                FibreSegment(
                    name=f"fibra {s - 1:04d}-{s:04d}",
                    a_site=sites[s - 1].name,
                    b_site=site.name,
                    a_device=f"sw-{s - 1:04d}",
                    a_port="Te1/0/2",
                    b_device=sw,
                    b_port="Te1/0/1",
                    fibre_count=48,
                )
            )
        for a in range(3):
            devices.append(
                Device(
                    name=f"ap-{s:04d}-{a}",
                    site=site.name,
                    role=Role.WIFI_AP,
                    vendor="Ubiquiti",
                    model="UAP-AC-M",
                    mgmt_ip=ip(len(devices) + 1),
                    parent=sw,
                    tags=["wifi pubblico"],
                    wifi=WifiSettings(),
                )
            )
        pa, pb = f"ptp-{s:04d}-a", f"ptp-{s:04d}-b"
        for name in (pa, pb):
            devices.append(
                Device(
                    name=name,
                    site=site.name,
                    role=Role.PTP_RADIO,
                    vendor="Ubiquiti",
                    model="airFiber 5XHD",
                    mgmt_ip=ip(len(devices) + 1),
                    parent=sw,
                )
            )
        links.append(
            RadioLink(name=f"ponte {s:04d}", a=pa, b=pb, capacity_mbps=450, ssid=f"bridge-{s}")
        )
    devices = devices[: max(n_devices, 2)]
    names = {d.name for d in devices}
    links = [x for x in links if x.a in names and x.b in names]
    segments = [x for x in segments if x.a_device in names and x.b_device in names]
    return Inventory(
        sites=tuple(sites),
        devices=tuple(devices),
        links=tuple(links),
        segments=tuple(segments),
        quartieri=quartieri,
    )


def with_device_status(inv: Inventory, name: str, status: DeviceStatus) -> Inventory:
    devices = tuple(
        d.model_copy(update={"status": status}) if d.name == name else d for d in inv.devices
    )
    return _replace(inv, devices)


def without_device(inv: Inventory, name: str) -> Inventory:
    return _replace(inv, tuple(d for d in inv.devices if d.name != name))


def _replace(inv: Inventory, devices: tuple[Device, ...]) -> Inventory:
    return Inventory(
        sites=inv.sites,
        devices=devices,
        links=inv.links,
        segments=inv.segments,
        quartieri=inv.quartieri,
    )
