"""Builders for hand-made coverage worlds in metric coordinates (no tests here).

Shapes are drawn in ETRS89 / UTM 32N around Reggio Emilia, densified and turned into
the WGS84 records the inventory holds, so expected figures are plain geometry.
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from netagent.geo.projection import Projector
from netagent.inventory.model import (
    Device,
    FibreSegment,
    Inventory,
    Placement,
    Quartiere,
    Role,
    Sector,
    Site,
    WifiSettings,
)

PROJ = Projector("EPSG:25832")
X0, Y0 = 632_000.0, 4_950_000.0  # near Piazza Prampolini


def to_wgs84(metric: BaseGeometry) -> BaseGeometry:
    return PROJ.to_wgs84(shapely.segmentize(metric, 20.0))


def box(x0: float, y0: float, x1: float, y1: float) -> BaseGeometry:
    """A box in metres relative to (X0, Y0)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def quartiere(
    name: str, metric: BaseGeometry, population: int | None = 1000, approximate: bool = False
) -> Quartiere:
    return Quartiere(
        name=name, population=population, geometry=to_wgs84(metric), approximate=approximate
    )


def site(name: str, x: float, y: float) -> Site:
    lon, lat = PROJ.to_wgs84(shapely.Point(X0 + x, Y0 + y)).coords[0]
    return Site(name=name, lon=lon, lat=lat)


_ip = iter(range(1, 60000))


def _mgmt() -> str:
    n = next(_ip)
    return f"127.9.{n // 250}.{n % 250 + 1}"


def ap(
    name: str,
    site_name: str,
    radius: float | None = 100.0,
    placement: Placement = Placement.OUTDOOR,
    **kw: object,
) -> Device:
    return Device(
        name=name,
        site=site_name,
        role=Role.WIFI_AP,
        mgmt_ip=_mgmt(),
        wifi=WifiSettings(coverage_radius_m=radius, placement=placement),
        **kw,
    )


def switch(name: str, site_name: str) -> Device:
    return Device(name=name, site=site_name, role=Role.SWITCH, mgmt_ip=_mgmt())


def base_station(name: str, site_name: str, sector: Sector | None) -> Device:
    return Device(name=name, site=site_name, role=Role.BASE_STATION, mgmt_ip=_mgmt(), sector=sector)


def segment(
    name: str, a: str, b: str, path_xy: list[tuple[float, float]] | None = None, **kw: object
) -> FibreSegment:
    path = None
    if path_xy:
        line = PROJ.to_wgs84(shapely.LineString([(X0 + x, Y0 + y) for x, y in path_xy]))
        path = [tuple(c) for c in line.coords]
    return FibreSegment(name=name, a_site=a, b_site=b, path=path, **kw)


def inventory(**kw: object) -> Inventory:
    return Inventory(**kw)  # type: ignore[arg-type]
