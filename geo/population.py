"""Residents: a population layer (census sections, a grid, points) and what is known.

Residents covered are only as good as the population behind them. Without a layer each
quartiere's own figure is spread uniformly over it; the sample's figures are the 25
named places' (Wikipedia, dated 2009–2023: 82,497 residents of a comune of ~172,000),
so every output puts the known total beside the comune's, with dates. A layer —
ISTAT census sections (polygons with a resident count, any CRS, GeoJSON or Shapefile),
a grid of squares, or points — replaces the uniform assumption wherever it is given.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapefile
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_layers import CoverageInputError
from netagent.geo.projection import Projector
from netagent.inventory.geojson import GeoJSONError, read_features
from netagent.inventory.sample import SAMPLE_DIR

log = logging.getLogger(__name__)

# Dates of the sample quartieri's own figures (copied from the shared Reggio Emilia
# data with its attribution: inventory/sample/SOURCES.md).
_DATES_CSV = SAMPLE_DIR / "quartieri_centroids_meta.csv"


@dataclass(frozen=True)
class Population:
    """Resident counts as points (counted whole) or polygons (spread over their area)."""

    geoms: NDArray[np.object_]  # metric CRS
    counts: NDArray[np.float64]
    source: str


@dataclass(frozen=True)
class ComuneFigure:
    """The comune's official resident count, with its date and source."""

    population: int | None
    date: str
    source: str


@dataclass(frozen=True)
class KnownPopulation:
    """How many residents the figures rest on, beside the comune's own count."""

    known: float  # residents in the quartieri with a figure (or in the layer)
    quartieri_known: int
    quartieri: int
    comune: ComuneFigure
    dates: tuple[str, str] | None  # oldest and newest date of the quartiere figures
    layer: str | None  # the population layer, when one is used

    @property
    def share(self) -> float | None:
        c = self.comune.population
        return self.known / c if c else None

    def line(self) -> str:
        """One sentence for every output: known total, comune total, dates, share."""
        if self.layer:
            what = f"{self.known:,.0f} residents in the population layer ({self.layer})"
        else:
            what = (
                f"{self.known:,.0f} residents in the {self.quartieri_known} of "
                f"{self.quartieri} quartieri with a figure"
            )
            if self.dates:
                lo, hi = self.dates
                what += f" (dated {lo}" + (f" to {hi})" if hi != lo else ")")
        c = self.comune
        if not c.population:
            return f"Population known: {what}; the comune's total is not configured."
        share = f"{100 * self.share:.0f}%" if self.share is not None else "?"
        return (
            f"Population known: {what}, {share} of the comune's {c.population:,} "
            f"({c.source}, {c.date})."
        )


@cache
def sample_population_dates() -> dict[str, str]:
    """Quartiere name -> date of its population figure, for the bundled sample's places."""
    try:
        with _DATES_CSV.open(encoding="utf-8", newline="") as fh:
            return {
                r["name"]: r["population_date"]
                for r in csv.DictReader(fh)
                if r.get("population_date") and r["population_date"] != "undated"
            }
    except OSError:
        return {}


def known_population(
    quartieri: Iterable[tuple[str, float | None]], comune: ComuneFigure, layer: str | None
) -> KnownPopulation:
    """Summarise (name, population) pairs; population None where unknown."""
    pairs = list(quartieri)
    known = [(n, p) for n, p in pairs if p is not None and not math.isnan(p)]
    dates = sorted(d for n, _ in known if (d := sample_population_dates().get(n)))
    return KnownPopulation(
        float(sum(p for _, p in known)),
        len(known),
        len(pairs),
        comune,
        (dates[0], dates[-1]) if dates and not layer else None,
        layer,
    )


# --- reading a population layer ---------------------------------------------------------


def _count(value: Any, where: str, prop: str) -> float:
    if isinstance(value, str):  # DBF numbers may come as text
        with contextlib.suppress(ValueError):
            value = float(value.strip())
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise CoverageInputError(f"{where}: property {prop!r} must be a count >= 0, got {value!r}")
    return float(value)


def _shapefile(path: Path, prop: str) -> tuple[list[BaseGeometry], list[Any], CRS]:
    """Geometries, counts and CRS of a Shapefile (census sections come as these)."""
    prj = path.with_suffix(".prj")
    if not prj.exists():
        raise CoverageInputError(
            f"population file {path}: no {prj.name} next to it: the "
            "CRS of its coordinates is unknown (export it with one)"
        )
    try:
        crs = CRS.from_wkt(prj.read_text(encoding="utf-8", errors="replace"))
        cpg = path.with_suffix(".cpg")
        enc = cpg.read_text(encoding="ascii", errors="replace").strip() if cpg.exists() else ""
        with shapefile.Reader(str(path), encoding=enc or "latin-1") as reader:
            fields = [f[0] for f in reader.fields[1:]]
            if prop not in fields:
                raise CoverageInputError(
                    f"population file {path}: no field {prop!r} (fields: {', '.join(fields)})"
                )
            rows = [
                (shape(sr.shape.__geo_interface__), sr.record[prop])
                for sr in reader.iterShapeRecords()
            ]
    except (CRSError, shapefile.ShapefileException, OSError, LookupError) as exc:
        raise CoverageInputError(f"population file {path}: cannot read it: {exc}") from exc
    return [g for g, _ in rows], [c for _, c in rows], crs


def load_population(path: Path, prop: str, proj: Projector) -> Population:
    """Read points/polygons with a count in `prop`: GeoJSON (any declared CRS, WGS84 by
    default) or a Shapefile with its .prj (ISTAT census sections)."""
    path = Path(path)
    if path.suffix.lower() == ".shp":
        geoms, raw, crs = _shapefile(path, prop)
        to_metric = Transformer.from_crs(crs, proj.crs, always_xy=True)
    else:
        try:
            feats = read_features(path)
        except GeoJSONError as exc:
            raise CoverageInputError(f"population file {exc}") from exc
        geoms = [f.geometry for f in feats]
        raw = [f.properties.get(prop) for f in feats]
        to_metric = None
    counts = []
    for n, (g, value) in enumerate(zip(geoms, raw, strict=True)):
        where = f"population file {path}, feature {n}"
        counts.append(_count(value, where, prop))
        if g.geom_type not in ("Point", "MultiPoint", "Polygon", "MultiPolygon"):
            raise CoverageInputError(
                f"{where}: geometry {g.geom_type}, expected points or polygons"
            )
        if not g.is_valid:
            log.warning("%s: invalid polygon (%s) repaired", where, shapely.is_valid_reason(g))
            g = shapely.make_valid(g)
            geoms[n] = shapely.union_all(
                [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            )
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    if to_metric is None:
        metric = shapely.transform(arr, proj.metric_xy) if len(arr) else arr
    else:

        def project(xy: NDArray[np.float64]) -> NDArray[np.float64]:
            x, y = to_metric.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        metric = shapely.transform(arr, project) if len(arr) else arr
    kind = _kind(arr)
    return Population(metric, np.array(counts, dtype=float), f"{path.name}: {len(geoms)} {kind}")


def _kind(geoms: NDArray[np.object_]) -> str:
    """'census sections / grid cells' (polygons), 'points', or both."""
    types = set(shapely.get_type_id(geoms).tolist()) if len(geoms) else set()
    polys, pts = bool(types & {3, 6}), bool(types & {0, 4})
    if polys and pts:
        return "polygons and points"
    return "points" if pts else "polygons (census sections or grid cells)"
