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

from collectors.samples import Sample
from geo.coverage_config import CoverageConfig
from geo.coverage_engine import TECHNOLOGIES, CoverageEngine
from geo.coverage_layers import CoverageInputError, Technology
from geo.coverage_zones import load_population
from geo.projection import Projector
from inventory.model import Inventory

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
                    {"quartiere": r.quartiere, "technology": r.technology,
                     "view": "live" if self.live else "planned"},
                    fields,
                    time_ns,
                )
            )
        return out


def _num(v: float) -> float | None:
    return None if math.isnan(v) else float(v)


def _pct(covered: float, area: float) -> float | None:
    return float(100.0 * covered / area) if area > 0 else None


def result_of(engine: CoverageEngine, live: bool) -> CoverageResult:
    """Figures from the engine's current planned (or live) state."""
    rows: list[CoverageRow] = []
    totals: list[CoverageRow] = []
    areas = np.array([z.area_m2 for z in engine.zones], dtype=float)
    for tech in TECHNOLOGIES:
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
                    float(p_cov[i] - cov[i]) / 1e6,
                    _num(p_res[i] - res[i]),
                    int(n_planned[i]),
                    z.approximate,
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
                float(p_cov.sum() - total) / 1e6,
                float(p_res.sum() - res.sum()) if known else None,
                engine.total_elements(tech, False),
                any(z.approximate for z in engine.zones),
            )
        )
    # quartiere by quartiere, technologies in a fixed order within each
    order = {z.name: i for i, z in enumerate(engine.zones)}
    techs = {t.value: i for i, t in enumerate(TECHNOLOGIES)}
    rows.sort(key=lambda r: (order[r.quartiere], techs[r.technology]))
    basis = f"population grid: {engine.population.source}" if engine.population else UNIFORM
    return CoverageResult(rows, totals, live, engine.down, basis, engine.proj.name)


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
