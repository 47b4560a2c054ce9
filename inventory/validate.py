"""Rules that need the whole inventory: names, references, addresses, topology.

Each record's own fields are checked by the pydantic model as it is read; what is left
here is everything that relates records to each other, reported at the record that
breaks the rule (with the other record's location when there is one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from netagent.inventory.issues import Issue, Severity, located
from netagent.inventory.model import (
    POLLED_STATUSES,
    Device,
    FibreSegment,
    Quartiere,
    RadioLink,
    Role,
    Site,
)

_RADIO_ROLES = {Role.PTP_RADIO, Role.BASE_STATION, Role.CPE, Role.ROUTER}
# The longest names NetBox stores (dcim Site.name, Device.name, Cable.label, Region.name):
# a longer one would be refused by NetBox in the middle of a sync.
NETBOX_NAME_LIMITS = {"site": 100, "device": 64, "fibre segment": 100, "quartiere": 100}


@dataclass(frozen=True)
class Origin:
    file: str
    where: str
    # Finer location of one field of the record (a YAML key's own line), when known.
    locate: Callable[[tuple[str | int, ...]], str] | None = None

    def __str__(self) -> str:
        return located(self.file, self.where)

    def of(self, field: str) -> str:
        return self.locate((field,)) if self.locate else self.where


class _Checker:
    def __init__(self, origins: dict[int, Origin], invalid: set[str]) -> None:
        self.origins = origins
        self.invalid = invalid
        self.issues: list[Issue] = []

    def at(
        self, record: object, field: str, message: str, severity: Severity = Severity.ERROR
    ) -> None:
        o = self.origins.get(id(record), Origin("", ""))
        name = getattr(record, "name", "")
        self.issues.append(
            Issue(o.file, o.of(field), f"{name}.{field}" if name else field, message, severity)
        )

    def unique(
        self, kind: str, records: Sequence[BaseModel], key: str = "name", *also: str
    ) -> None:
        """`key` (with the fields `also`) must differ between records."""
        seen: dict[object, BaseModel] = {}
        for r in records:
            value = tuple(getattr(r, k) for k in (key, *also))
            if value in seen:
                what = " ".join(f"{k} {str(v)!r}" for k, v in zip((key, *also), value, strict=True))
                self.at(
                    r,
                    key,
                    f"duplicate {kind} {what}; first defined at "
                    f"{self.origins.get(id(seen[value]))}",
                )
            else:
                seen[value] = r

    def exists(
        self, record: object, field: str, name: str | None, known: dict[str, object], kind: str
    ) -> bool:
        if name is None or name in self.invalid:
            return False
        if name not in known:
            self.at(record, field, f"refers to {kind} {name!r}, which does not exist")
            return False
        return True


def cross_check(
    records: dict[str, list[BaseModel]],
    quartieri: Sequence[Quartiere],
    paths: Sequence[tuple[str, Origin]],
    origins: dict[int, Origin],
    invalid: set[str],
) -> list[Issue]:
    sites = [r for r in records["sites"] if isinstance(r, Site)]
    devices = [r for r in records["devices"] if isinstance(r, Device)]
    links = [r for r in records["links"] if isinstance(r, RadioLink)]
    segments = [r for r in records["segments"] if isinstance(r, FibreSegment)]
    c = _Checker(origins, invalid)
    for kind, recs in (
        ("site", sites),
        ("device", devices),
        ("radio link", links),
        ("fibre segment", segments),
        ("quartiere", quartieri),
    ):
        c.unique(kind, recs)
        limit = NETBOX_NAME_LIMITS.get(kind, 0)
        for r in recs:
            if limit and len(r.name) > limit:
                c.at(
                    r,
                    "name",
                    f"{kind} name is {len(r.name)} characters; NetBox accepts at most {limit}",
                )
    # Port-forwarded devices share an address: their SNMP ports tell them apart.
    c.unique("device", devices, "mgmt_ip", "snmp_port")
    site_names: dict[str, object] = {s.name: s for s in sites}
    dev_names: dict[str, object] = {d.name: d for d in devices}
    q_names = {q.name for q in quartieri}

    for s in sites:
        if s.lat == 0 and s.lon == 0:
            c.at(
                s,
                "lat",
                "coordinates 0, 0 look like a missing position; expected WGS84 lat/lon of the site",
            )
        if s.quartiere is not None and q_names and s.quartiere not in q_names:
            c.at(s, "quartiere", f"quartiere {s.quartiere!r} is not among the loaded quartieri")
    for d in devices:
        c.exists(d, "site", d.site, site_names, "site")
        if d.parent == d.name:
            c.at(d, "parent", "a device cannot be its own uplink")
        else:
            c.exists(d, "parent", d.parent, dev_names, "device")
        if d.wifi is not None and d.role is not Role.WIFI_AP:
            c.at(d, "wifi", f"wifi settings belong to role wifi-ap, not {d.role}")
    _check_parent_cycles(c, devices)
    for link in links:
        ok = [c.exists(link, end, getattr(link, end), dev_names, "device") for end in ("a", "b")]
        if link.a == link.b:
            c.at(link, "b", f"both ends are the same device {link.a!r}; expected two devices")
        elif all(ok):
            for end in ("a", "b"):
                role = dev_names[getattr(link, end)]
                if isinstance(role, Device) and role.role not in _RADIO_ROLES:
                    c.at(
                        link,
                        end,
                        f"device {role.name!r} has role {role.role}, expected a radio "
                        f"({', '.join(sorted(_RADIO_ROLES))})",
                        Severity.WARNING,
                    )
    for seg in segments:
        c.exists(seg, "a_site", seg.a_site, site_names, "site")
        c.exists(seg, "b_site", seg.b_site, site_names, "site")
        if seg.a_site == seg.b_site:
            c.at(seg, "b_site", f"both ends are the same site {seg.a_site!r}")
        for end in ("a", "b"):
            dev, port = getattr(seg, f"{end}_device"), getattr(seg, f"{end}_port")
            if port and not dev:
                c.at(seg, f"{end}_port", f"a port needs {end}_device as well")
            if c.exists(seg, f"{end}_device", dev, dev_names, "device"):
                end_dev = dev_names[dev]
                if isinstance(end_dev, Device) and end_dev.site != getattr(seg, f"{end}_site"):
                    c.at(
                        seg,
                        f"{end}_device",
                        f"device {dev!r} stands at site {end_dev.site!r}, not at the "
                        f"segment's {end} end {getattr(seg, f'{end}_site')!r}",
                        Severity.WARNING,
                    )
    _check_shared_ports(c, segments)
    seg_names = {s.name for s in segments}
    for name, origin in paths:
        if name not in seg_names:
            c.issues.append(
                Issue(
                    origin.file,
                    origin.where,
                    "properties.segment",
                    f"path for segment {name!r}, which does not exist",
                )
            )
    return c.issues


def _check_shared_ports(c: _Checker, segments: Sequence[FibreSegment]) -> None:
    """A port that ends two segments in service: a slip (a port takes one fibre, NetBox
    one cable). Warned, with the one whose name its interface samples carry (the first by
    name, netagent.collectors.snmp.config.segment_ends), not silently resolved. A planned
    segment may reuse the port of the one it replaces."""
    first: dict[tuple[str, str], FibreSegment] = {}
    for seg in sorted(segments, key=lambda s: s.name):
        if seg.status not in POLLED_STATUSES:
            continue
        for end in ("a", "b"):
            dev, port = getattr(seg, f"{end}_device"), getattr(seg, f"{end}_port")
            if not (dev and port):
                continue
            if (other := first.setdefault((dev, port), seg)) is not seg:
                c.at(
                    seg,
                    f"{end}_port",
                    f"port {port!r} of {dev!r} also ends segment {other.name!r} (at "
                    f"{c.origins.get(id(other))}); a port takes one fibre: its interface "
                    f"samples are tagged segment {other.name!r}",
                    Severity.WARNING,
                )


def _check_parent_cycles(c: _Checker, devices: Sequence[Device]) -> None:
    parent = {d.name: d.parent for d in devices}
    by_name = {d.name: d for d in devices}
    reported: set[str] = set()
    for d in devices:
        seen: list[str] = []
        node: str | None = d.name
        while node is not None and node in parent and node not in seen:
            seen.append(node)
            node = parent[node]
        if node is not None and node in seen and node not in reported:
            cycle = seen[seen.index(node) :]
            reported.update(cycle)
            c.at(by_name[node], "parent", f"uplinks form a loop: {' -> '.join([*cycle, node])}")
