"""WGS84 <-> metric CRS conversion for shapely geometries.

Coverage is measured in metres, so every lon/lat geometry goes through one `Projector`
(pyproj's transformer, applied to whole coordinate arrays by `shapely.transform`) and
areas are plain planar areas in the metric CRS. ETRS89 / UTM 32N distorts areas around
Reggio Emilia by < 0.05%; `geodesic_area_km2` is the independent check.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
_GEOD = Geod(ellps="WGS84")


class Projector:
    """Forward and inverse transforms between WGS84 lon/lat and one metric CRS."""

    def __init__(self, crs: str) -> None:
        try:
            self.crs = CRS.from_user_input(crs)
        except Exception as exc:  # pyproj raises CRSError, a bare Exception subclass
            raise ValueError(f"coverage crs {crs!r} is not a known CRS: {exc}") from exc
        if not self.crs.is_projected:
            raise ValueError(f"coverage crs {crs!r} is not a projected (metric) CRS")
        self._fwd = Transformer.from_crs(WGS84, self.crs, always_xy=True)
        self._inv = Transformer.from_crs(self.crs, WGS84, always_xy=True)

    def xy(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
        """(N, 2) metric coordinates of N lon/lat pairs."""
        x, y = self._fwd.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])

    def to_metric(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self.metric_xy)

    def to_wgs84(self, geom: BaseGeometry) -> BaseGeometry:
        return shapely.transform(geom, self.lonlat)

    def metric_xy(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        """(N, 2) metric coordinates of (N, 2) lon/lat: the shape `shapely.transform` uses."""
        return self.xy(coords[:, 0], coords[:, 1])

    def lonlat(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        """(N, 2) lon/lat of N metric coordinates."""
        lon, lat = self._inv.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])

    @cached_property
    def name(self) -> str:
        return str(self.crs.to_string())

    def grid_bearing_offset_deg(self, lon: float, lat: float) -> float:
        """Degrees to add to a true (compass) bearing to get the bearing on the map grid.

        Grid north and true north differ by the meridian convergence (about 1.1° at
        Reggio Emilia in UTM 32N); a sector's azimuth is a compass bearing.
        """
        (x0, y0), (x1, y1) = self.xy(np.array([lon, lon]), np.array([lat, lat + 1e-4]))
        return math.degrees(math.atan2(x1 - x0, y1 - y0))


def geodesic_area_km2(geom_wgs84: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid (pyproj.Geod), independent of any projection."""
    area, _ = _GEOD.geometry_area_perimeter(geom_wgs84)
    return abs(float(area)) / 1e6
