"""Coverage figures per quartiere and technology, planned or live: the public entry point.

`compute(inv, config, down)` answers the planners' question — how much of each quartiere
is covered, by what, for how many residents, and what the current outages cost — and
turns the answer into `coverage` samples for InfluxDB/Grafana.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netagent.collectors.samples import Sample
from netagent.geo.coverage_config import CoverageConfig
from netagent.geo.coverage_engine import TECHNOLOGIES, CoverageEngine
from netagent.geo.coverage_layers import CoverageInputError, Technology
from netagent.geo.population import ComuneFigure, KnownPopulation, known_population, load_population
from netagent.geo.projection import Projector
from netagent.inventory.model import Inventory

__all__ = [
    "COMUNE",
    "CoverageConfig",
    "CoverageInputError",
    "CoverageResult",
    "CoverageRow",
    "Technology",
    "compute",
    "engine_for",
    "not_serving",
    "result_of",
]

COMUNE = "comune"  # the quartiere tag of the comune-wide totals
UNIFORM = "uniform density: residents covered = population × covered share of the quartiere"
# Per quartiere: where its residents figure comes from.
BASIS_LAYER = "population layer"
BASIS_UNIFORM = "quartiere figure, uniform density"
BASIS_UNKNOWN = "unknown"


@dataclass(frozen=True)
class CoverageRow:
    quartiere: str
    technology: str
    area_km2: float
    covered_km2: float
    covered_pct: float | None  # None: the quartiere has no area
    population: float | None  # None: unknown (never shown as 0)
    residents_covered: float | None
    elements: int  # APs / segments / base stations reaching the quartiere (serving now if live)
    planned_covered_km2: float
    lost_km2: float  # planned - live: what the current outages cost (0 when planned)
    lost_residents: float | None
    elements_planned: int
    approximate: bool
    residents_basis: str  # BASIS_LAYER, BASIS_UNIFORM or BASIS_UNKNOWN
    # Live fixed-wireless (and all) rows: subscribers (CPEs) cut off by a device not up
    # on their way to the core; None in planned figures and for the other technologies.
    subscribers_cut_off: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CoverageResult:
    rows: list[CoverageRow]
    totals: list[CoverageRow]  # one per technology, quartiere = COMUNE
    live: bool
    down: frozenset[str]
    residents_basis: str
    crs: str
    population: KnownPopulation
    subscribers: int  # fixed-wireless subscribers (CPEs) in the inventory
    subscribers_cut_off: int | None  # live only

    def basis_of(self, quartiere: str) -> str:
        """The residents basis of one quartiere (as in its rows)."""
        return next(
            (r.residents_basis for r in self.rows if r.quartiere == quartiere), BASIS_UNKNOWN
        )

    def cut_off_line(self) -> str | None:
        """'6 of 30 fixed-wireless subscribers cut off', live only."""
        if self.subscribers_cut_off is None or not self.subscribers:
            return None
        return (
            f"{self.subscribers_cut_off} of {self.subscribers} fixed-wireless subscribers cut off"
        )

    def to_samples(self, time_ns: int) -> list[Sample]:
        """`coverage` samples (CONTRACTS.md) for every row and the comune totals.

        residents_covered is left out when the population is unknown, never sent as 0;
        area_pct when the quartiere has no area.
        """
        out = []
        for r in [*self.rows, *self.totals]:
            fields: dict[str, float] = {"area_km2": r.area_km2, "covered_km2": r.covered_km2}
            if r.covered_pct is not None:
                fields["area_pct"] = r.covered_pct
            if r.residents_covered is not None:
                fields["residents_covered"] = r.residents_covered
            out.append(
                Sample(
                    "coverage",
                    {
                        "quartiere": r.quartiere,
                        "technology": r.technology,
                        "view": "live" if self.live else "planned",
                    },
                    fields,
                    time_ns,
                )
            )
        return out


def _num(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _lost(v: float) -> float:
    """A loss is never negative: planned - live can be -1e-10 in floating point."""
    return max(0.0, float(v))


def _lost_or_none(v: float) -> float | None:
    return None if math.isnan(v) else _lost(v)


def _pct(covered: float, area: float) -> float | None:
    return float(100.0 * covered / area) if area > 0 else None


def result_of(engine: CoverageEngine, live: bool) -> CoverageResult:
    """Figures from the engine's current planned (or live) state."""
    rows: list[CoverageRow] = []
    totals: list[CoverageRow] = []
    areas = np.array([z.area_m2 for z in engine.zones], dtype=float)
    basis = [
        BASIS_LAYER if engine.population else BASIS_UNKNOWN if math.isnan(p) else BASIS_UNIFORM
        for p in engine.zone_population
    ]
    cut, cut_outside = engine.subscribers.cut_off(engine.down) if live else (None, 0)
    for tech in TECHNOLOGIES:
        counts_cpe = tech in (Technology.FIXED_WIRELESS, Technology.ALL) and cut is not None
        p_cov, p_res = engine.zone_sums(engine.planned, tech)
        cov, res = engine.zone_sums(engine.live, tech) if live else (p_cov, p_res)
        n_el = engine.zone_elements(tech, live)
        n_planned = engine.zone_elements(tech, False)
        for i, z in enumerate(engine.zones):
            rows.append(
                CoverageRow(
                    z.name,
                    tech.value,
                    float(areas[i]) / 1e6,
                    float(cov[i]) / 1e6,
                    _pct(cov[i], areas[i]),
                    _num(engine.zone_population[i]),
                    _num(res[i]),
                    int(n_el[i]),
                    float(p_cov[i]) / 1e6,
                    _lost(p_cov[i] - cov[i]) / 1e6,
                    _lost_or_none(p_res[i] - res[i]),
                    int(n_planned[i]),
                    z.approximate,
                    basis[i],
                    int(cut[i]) if counts_cpe and cut is not None else None,
                )
            )
        known = not np.isnan(engine.zone_population).any()
        total = float(cov.sum())
        totals.append(
            CoverageRow(
                COMUNE,
                tech.value,
                float(areas.sum()) / 1e6,
                total / 1e6,
                _pct(total, float(areas.sum())),
                float(engine.zone_population.sum()) if known else None,
                float(res.sum()) if known else None,
                engine.total_elements(tech, live),
                float(p_cov.sum()) / 1e6,
                _lost(p_cov.sum() - total) / 1e6,
                _lost(p_res.sum() - res.sum()) if known else None,
                engine.total_elements(tech, False),
                any(z.approximate for z in engine.zones),
                BASIS_LAYER if engine.population else BASIS_UNIFORM if known else BASIS_UNKNOWN,
                int(cut.sum() + cut_outside) if counts_cpe and cut is not None else None,
            )
        )
    # quartiere by quartiere, technologies in a fixed order within each
    order = {z.name: i for i, z in enumerate(engine.zones)}
    techs = {t.value: i for i, t in enumerate(TECHNOLOGIES)}
    rows.sort(key=lambda r: (order[r.quartiere], techs[r.technology]))
    layer = engine.population.source if engine.population else None
    comune = ComuneFigure(
        engine.config.comune_population,
        engine.config.comune_population_date,
        engine.config.comune_population_source,
    )
    pops = [
        (z.name, None if math.isnan(p) else float(p))
        for z, p in zip(engine.zones, engine.zone_population, strict=True)
    ]
    summary = known_population(pops, comune, layer)
    overall = f"population layer {layer}" if layer else UNIFORM
    total_cut = int(cut.sum() + cut_outside) if cut is not None else None
    return CoverageResult(
        rows,
        totals,
        live,
        engine.down,
        overall,
        engine.proj.name,
        summary,
        len(engine.subscribers),
        total_cut,
    )


def not_serving(inv: Inventory, states: Mapping[str, str], up_states: Collection[str]) -> set[str]:
    """Devices to pass as `down`: latest state outside `up_states`, or none known at all."""
    return {d.name for d in inv.devices if states.get(d.name, "unknown") not in up_states}


def engine_for(inv: Inventory, config: CoverageConfig) -> CoverageEngine:
    """An engine on `inv`, with the population file of the config when one is set."""
    pop = None
    if config.population_file:
        pop = load_population(
            Path(config.population_file), config.population_property, Projector(config.crs)
        )
    return CoverageEngine(inv, config, pop)


def compute(
    inv: Inventory, config: CoverageConfig, down: Collection[str] = (), *, live: bool = False
) -> CoverageResult:
    """Coverage of `inv`; with `down` (devices not up now) or live=True, the live figures."""
    engine = engine_for(inv, config)
    if down:
        engine.set_down(down)
    return result_of(engine, live or bool(down))
