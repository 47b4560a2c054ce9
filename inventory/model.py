"""The inventory model: what the network is made of.

Records are pydantic models so that every loader (YAML, CSV, GeoJSON, NetBox) shares one
definition of what a valid field is; cross-record rules (references, duplicates) live in
`netagent.inventory.validate`, because they need the whole inventory at once.
Coordinates are WGS84 longitude/latitude throughout; metric work happens in `geo`.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, IPvAnyAddress, field_validator
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

_GEOD = Geod(ellps="WGS84")

Name = str  # device, site, link and segment names are free text, unique per kind


class SiteKind(StrEnum):
    SCHOOL = "school"
    LIBRARY = "library"
    SQUARE = "square"
    PARK = "park"
    MUNICIPAL_BUILDING = "municipal-building"
    SPORTS = "sports"
    HEALTH = "health"
    CULTURE = "culture"
    POP = "pop"
    TOWER = "tower"
    INDUSTRIAL = "industrial"
    RESIDENTIAL = "residential"
    OTHER = "other"


class Role(StrEnum):
    WIFI_AP = "wifi-ap"
    PTP_RADIO = "ptp-radio"
    BASE_STATION = "base-station"
    CPE = "cpe"
    SWITCH = "switch"
    ROUTER = "router"


class DeviceStatus(StrEnum):
    """NetBox's device statuses, so a device round-trips through NetBox unchanged."""

    ACTIVE = "active"
    PLANNED = "planned"
    STAGED = "staged"
    OFFLINE = "offline"
    FAILED = "failed"
    INVENTORY = "inventory"
    DECOMMISSIONING = "decommissioning"


# Which devices are polled (ICMP and SNMP): in service, or out of service but present
# (offline, decommissioning, failed: polling shows when they come back; the alert engine
# keeps them in maintenance). Planned, staged and inventory devices are not on the
# network yet. One definition for the files, the NetBox pull and every collector.
POLLED_STATUSES = frozenset(
    {
        DeviceStatus.ACTIVE,
        DeviceStatus.OFFLINE,
        DeviceStatus.DECOMMISSIONING,
        DeviceStatus.FAILED,
    }
)

# The quartiere tag of a device whose site lies in no quartiere.
OUTSIDE = "outside"


class Placement(StrEnum):
    INDOOR = "indoor"
    OUTDOOR = "outdoor"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Site(_Record):
    name: Name = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    kind: SiteKind = SiteKind.OTHER
    address: str = ""
    # Set by the loader from the quartiere polygons unless given explicitly.
    quartiere: str | None = None


class WifiSettings(_Record):
    """What makes a device an access point: the SSIDs it serves and its reach."""

    ssids: list[str] = Field(default_factory=lambda: ["EmiliaRomagnaWiFi wifiprivacy.it"])
    placement: Placement = Placement.OUTDOOR
    # None: the per-placement default from the coverage config applies.
    coverage_radius_m: float | None = Field(default=None, gt=0, le=5000)


class Sector(_Record):
    """The area a base station or repeater serves; no azimuth means omnidirectional."""

    radius_m: float = Field(gt=0, le=30000)
    azimuth_deg: float | None = Field(default=None, ge=0, lt=360)
    beamwidth_deg: float | None = Field(default=None, gt=0, le=360)


class Device(_Record):
    name: Name = Field(min_length=1)
    site: Name
    role: Role
    vendor: str = ""
    model: str = ""
    mgmt_ip: IPvAnyAddress
    # Profile name from collectors' profile table; None: chosen from sysObjectID.
    snmp_profile: str | None = None
    # UDP port of the SNMP agent; the sample lab serves simulated agents on high ports.
    snmp_port: int = Field(default=161, ge=1, le=65535)
    # The device this one hangs off on its way to the core (uplink); None for the core.
    parent: Name | None = None
    status: DeviceStatus = DeviceStatus.ACTIVE
    tags: list[str] = Field(default_factory=list)
    wifi: WifiSettings | None = None
    sector: Sector | None = None

    @field_validator("tags")
    @classmethod
    def _tags_unique(cls, v: list[str]) -> list[str]:
        return sorted(set(v))


class RadioLink(_Record):
    """A point-to-point (or base-station-to-CPE) radio link between two devices."""

    name: Name = Field(min_length=1)
    a: Name
    b: Name
    band: str = "5GHz"
    frequency_mhz: int | None = Field(default=None, gt=0)
    capacity_mbps: float = Field(gt=0)
    ssid: str = ""
    status: DeviceStatus = DeviceStatus.ACTIVE


class FibreSegment(_Record):
    """A fibre run between two sites, ending on a switch port at each end."""

    name: Name = Field(min_length=1)
    a_site: Name
    b_site: Name
    a_device: Name | None = None
    a_port: str | None = None
    b_device: Name | None = None
    b_port: str | None = None
    fibre_count: int = Field(default=24, gt=0, le=10000)
    owner: str = "Lepida"
    capacity_mbps: float = Field(default=10000, gt=0)
    # lon/lat vertices; None: a straight line between the two sites.
    path: list[tuple[float, float]] | None = None
    status: DeviceStatus = DeviceStatus.ACTIVE

    @field_validator("path")
    @classmethod
    def _path_valid(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if v is None:
            return v
        if len(v) < 2:
            raise ValueError("a path needs at least 2 points")
        for lon, lat in v:
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise ValueError(f"({lon}, {lat}) is not a lon/lat coordinate")
        return v


class Quartiere(BaseModel):
    """A neighbourhood or frazione: polygon in WGS84 lon/lat."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str = Field(min_length=1)
    ambito: str | None = None
    population: int | None = Field(default=None, ge=0)
    geometry: BaseGeometry
    # True for the polygons derived from centres: they must be labelled so when shown.
    approximate: bool = False
    source: str = ""


class Inventory(BaseModel):
    """A whole, validated inventory. Build it through `netagent.inventory.load` to get checks."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    sites: tuple[Site, ...] = ()
    devices: tuple[Device, ...] = ()
    links: tuple[RadioLink, ...] = ()
    segments: tuple[FibreSegment, ...] = ()
    quartieri: tuple[Quartiere, ...] = ()

    def replace(self, **changes: object) -> Inventory:
        """A new inventory with some parts replaced (model_copy would keep stale caches)."""
        parts = {name: getattr(self, name) for name in type(self).model_fields}
        return Inventory.model_validate({**parts, **changes})

    @cached_property
    def site_by_name(self) -> dict[str, Site]:
        return {s.name: s for s in self.sites}

    @cached_property
    def device_by_name(self) -> dict[str, Device]:
        return {d.name: d for d in self.devices}

    @cached_property
    def quartiere_by_name(self) -> dict[str, Quartiere]:
        return {q.name: q for q in self.quartieri}

    def site_of(self, device: Device | str) -> Site:
        d = self.device_by_name[device] if isinstance(device, str) else device
        return self.site_by_name[d.site]

    def quartiere_of(self, device: Device | str) -> str | None:
        return self.site_of(device).quartiere

    def quartiere_tag(self, device: Device | str) -> str:
        """The quartiere as a tag value: OUTSIDE when the site lies in none."""
        return self.site_of(device).quartiere or OUTSIDE

    def polled_devices(self) -> list[Device]:
        return [d for d in self.devices if d.status in POLLED_STATUSES]

    def access_points(self) -> Iterator[Device]:
        return (d for d in self.devices if d.role is Role.WIFI_AP)

    def link_distance_m(self, link: RadioLink) -> float:
        """Geodesic distance between the sites of a link's two ends."""
        a, b = self.site_of(link.a), self.site_of(link.b)
        return float(_GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2])

    def segment_path(self, seg: FibreSegment) -> list[tuple[float, float]]:
        if seg.path is not None:
            return list(seg.path)
        a, b = self.site_by_name[seg.a_site], self.site_by_name[seg.b_site]
        return [(a.lon, a.lat), (b.lon, b.lat)]

    def segment_length_m(self, seg: FibreSegment) -> float:
        """Geodesic length of the segment's path (the straight line if it has none)."""
        lons, lats = zip(*self.segment_path(seg), strict=True)
        return float(_GEOD.line_length(lons, lats))
