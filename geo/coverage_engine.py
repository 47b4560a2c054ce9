"""Incremental coverage: per-cell unions kept for planned and live, recomputed on change.

Every quartiere is cut into grid cells (netagent.geo.coverage_zones); an STRtree pairs each cell
with the coverage elements that reach it. Planned coverage of a cell is the union of its
elements clipped to the cell; live coverage equals planned except in the cells reached
by an element whose device is not up, so a change of state recomputes only those cells.
What is kept per cell (index, state) is in netagent.geo.coverage_cells, residents in
netagent.geo.coverage_residents; this module decides what to recompute and how.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import reduce

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_cells import CellFigures, CellIndex, CellState
from netagent.geo.coverage_config import CoverageConfig
from netagent.geo.coverage_layers import LAYERS, Elements, Technology, build_elements
from netagent.geo.coverage_local import LOCAL_MAX, REFRESH_AFTER, patch
from netagent.geo.coverage_residents import CellResidents
from netagent.geo.coverage_subscribers import Subscribers
from netagent.geo.coverage_zones import Cells, Zone, make_cells, polygonal, prepare_zones
from netagent.geo.population import Population
from netagent.geo.projection import Projector
from netagent.inventory.model import Inventory

_EMPTY = shapely.Polygon()
TECHNOLOGIES = (*LAYERS, Technology.ALL)
# 'all' unions the layers in this order: the corridors, the most vertices by far (their
# round caps), last, so they enter one overlay instead of two (10% of the 'all' time).
_ALL_ORDER = (Technology.WIFI, Technology.FIXED_WIRELESS, Technology.FIBRE)
# Threads for the per-cell unions: shapely releases the GIL inside GEOS, so cells are
# unioned in parallel. Bounded: a recompute is ~150 cells, and only 2 cores were measured.
MAX_WORKERS = 4
# A single cell is recomputed in the calling thread. Two already pay for a pool: a live
# change of one AP (1-4 cells) went from 19.6 to 16.8 ms median with 2 threads.
_PARALLEL_MIN_CELLS = 2


def default_workers() -> int:
    """Threads for recomputing cells: the CPUs this process may use, at most MAX_WORKERS."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, MAX_WORKERS))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees everything)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _direction(
    alive: dict[Technology, NDArray[np.bool_]] | None, tech: Technology, changed: NDArray[np.int64]
) -> bool | None:
    """True when every changed element of `tech` stopped serving, False when every one
    serves again, None for some of each (see netagent.geo.coverage_local.patch)."""
    if alive is None:
        return None
    now = alive[tech][changed]
    if not now.any():
        return True
    if now.all():
        return False
    return None


class CoverageEngine:
    """Planned and live coverage of one inventory, kept per cell.

    Build it once per inventory (that is the full recompute), then call `set_down` with
    the devices not up whenever states change; `netagent.geo.coverage.result_of` reads figures.
    """

    def __init__(
        self,
        inv: Inventory,
        config: CoverageConfig,
        population: Population | None = None,
        *,
        workers: int | None = None,
    ) -> None:
        # workers: threads for recomputing many cells (None: default_workers(); 1: none).
        self.workers = default_workers() if workers is None else max(1, workers)
        # The build allocates tens of thousands of acyclic shapely objects; each gen-2
        # collection they trigger walks the whole inventory too (~8% of the build).
        with _gc_paused():
            self._build(inv, config, population)

    def _build(self, inv: Inventory, config: CoverageConfig, population: Population | None) -> None:
        self.config = config
        self.proj = Projector(config.crs)
        self.zones: list[Zone] = prepare_zones(inv.quartieri, self.proj)
        self.elements: dict[Technology, Elements] = build_elements(inv, config, self.proj)
        centres = np.concatenate([self.elements[t].centres() for t in LAYERS])
        self.cells: Cells = make_cells(
            self.zones, config.cell_size_m, centres, config.cell_max_elements
        )
        self.population = population
        self._index = {t: CellIndex.build(self.cells, self.elements[t]) for t in LAYERS}
        self._by_device: dict[str, list[tuple[Technology, int]]] = {}
        for t in LAYERS:
            for i, deps in enumerate(self.elements[t].depends):
                for d in deps:
                    self._by_device.setdefault(d, []).append((t, i))
        self._alive = {t: np.ones(len(self.elements[t]), dtype=bool) for t in LAYERS}
        self.subscribers = Subscribers(inv, self.zones, self.proj)
        self._residents = CellResidents(self.zones, self.cells, population)
        self.zone_population = self._residents.zone_population
        self.down: frozenset[str] = frozenset()
        self.planned = CellState()
        all_cells = np.arange(len(self.cells.geoms))
        self._recompute(self.planned, {t: all_cells for t in LAYERS}, alive=None)
        self.live = self.planned.copy()
        self._patches = {t: np.zeros(len(self.cells.geoms), dtype=np.int64) for t in LAYERS}

    # --- set-up -----------------------------------------------------------------
    def serving(self, tech: Technology) -> NDArray[np.bool_]:
        """Per element of `tech`: serving in the live figures (all True until set_down)."""
        return self._alive[tech].copy()

    # --- per-cell computation ---------------------------------------------------
    def _recompute(
        self,
        st: CellState,
        cells_by_tech: dict[Technology, NDArray[np.int64]],
        alive: dict[Technology, NDArray[np.bool_]] | None,
        flipped: dict[Technology, set[int]] | None = None,
    ) -> None:
        """Recompute the given cells of each layer, then 'all' in every cell touched.

        flipped: elements whose state changed; a cell that few of them reach is patched
        around them (netagent.geo.coverage_local) instead of recomputed.

        Cells are independent, so with several workers they are shared out among threads
        (GEOS runs without the GIL); each result is stored at its cell's index, so the
        state is the same whatever the order in which the threads finish. Threads only
        read shared geometries (elements, cells); what they prepare is their own result.
        """
        n = len(self.cells.geoms)
        for t in TECHNOLOGIES:
            if t not in st.geom:
                st.geom[t] = np.full(n, _EMPTY, dtype=object)
                st.area[t] = np.zeros(n)
                st.residents[t] = np.zeros(n)
        techs_of: dict[int, list[Technology]] = {}
        for t in LAYERS:  # each cell lists its layers in LAYERS order
            for c in cells_by_tech.get(t, ()):
                techs_of.setdefault(int(c), []).append(t)
        # elements to union: a proxy for a cell's time
        cost = sum((self._index[t].per_cell() for t in LAYERS), np.zeros(n, dtype=np.int64))
        # Costliest first, so no thread is left with a big cell at the end.
        cells = sorted(techs_of, key=lambda c: (-int(cost[c]), c))

        local: dict[int, dict[Technology, NDArray[np.int64]]] = {}
        for c in cells if flipped else ():
            for t in techs_of[c]:
                reach = self._index[t].of_cell(c)
                ch = reach[np.isin(reach, list(flipped.get(t, ())))]  # type: ignore[union-attr]
                if len(ch) <= LOCAL_MAX and self._patches[t][c] < REFRESH_AFTER:
                    local.setdefault(c, {})[t] = ch
                    self._patches[t][c] += 1
                else:
                    self._patches[t][c] = 0

        def task(c: int) -> list[CellFigures]:
            return self._cell(st, c, techs_of[c], alive, local.get(c, {}))

        for c, results in zip(cells, self._map(task, cells), strict=True):
            for t, g, a, r in results:
                st.geom[t][c] = g
                st.area[t][c] = a
                st.residents[t][c] = r

    def _map(
        self, fn: Callable[[int], list[CellFigures]], cells: Sequence[int]
    ) -> list[list[CellFigures]]:
        """fn over cells, in order: on a thread pool when there are enough cells."""
        workers = min(self.workers, len(cells))
        if workers < 2 or len(cells) < _PARALLEL_MIN_CELLS:
            return [fn(c) for c in cells]
        with ThreadPoolExecutor(workers, thread_name_prefix="coverage") as pool:
            return list(pool.map(fn, cells))

    def _cell(
        self,
        st: CellState,
        c: int,
        techs: list[Technology],
        alive: dict[Technology, NDArray[np.bool_]] | None,
        local: dict[Technology, NDArray[np.int64]],
    ) -> list[CellFigures]:
        """Cell c's new layers `techs` and its 'all' layer (reads, never writes, st).

        local: the layers to patch around their changed elements (netagent.geo.coverage_local).
        """
        out: list[CellFigures] = []
        layer = {t: st.geom[t][c] for t in LAYERS}
        regions = []
        gone: set[bool | None] = set()  # per patched layer: its changes' direction
        for t in techs:
            el = self.elements[t]
            members = self._index[t].of_cell(c)
            if alive is not None:
                members = members[alive[t][members]]
            members = el.needed(members, None if alive is None else alive[t])
            if t in local:
                region = self._clip(el.union(local[t]), c)
                way = _direction(alive, t, local[t])
                gone.add(way)
                inside = region  # when every changed element serves again
                if way is not False:
                    shapely.prepare(region)
                    near = el.reaching(region, members)
                    inside = polygonal(shapely.intersection(el.union(near, region.bounds), region))
                g = patch(layer[t], region, inside, way)
                regions.append(region)
            else:
                g = self._clip(el.union(members, self.cells.geoms[c].bounds), c)
            layer[t] = g
            out.append(self._figures(c, t, g))
        if len(local) == len(techs):  # every change patched: so is 'all'
            region = polygonal(shapely.union_all(regions))
            way = gone.pop() if len(gone) == 1 else None
            inside = region  # every change serves again: each layer covers its region
            if way is not False:
                inside = polygonal(
                    shapely.union_all([shapely.intersection(layer[t], region) for t in LAYERS])
                )
            g = patch(st.geom[Technology.ALL][c], region, inside, way)
            out.append(self._figures(c, Technology.ALL, g))
            return out
        parts = [layer[t] for t in _ALL_ORDER if not layer[t].is_empty]
        # Pairwise overlay of the (Multi)Polygon layers: union_all would split them
        # into their parts and cascade those, 2-3x slower here.
        g = reduce(shapely.union, parts) if parts else _EMPTY
        out.append(self._figures(c, Technology.ALL, polygonal(g)))
        return out

    def _clip(self, g: BaseGeometry, c: int) -> BaseGeometry:
        """g's part inside cell c (a rectangle clip where the cell is a whole square)."""
        if self.cells.square[c]:
            return polygonal(shapely.clip_by_rect(g, *self.cells.geoms[c].bounds))
        return polygonal(shapely.intersection(g, self.cells.geoms[c]))

    def _figures(self, c: int, tech: Technology, g: BaseGeometry) -> CellFigures:
        a = float(g.area)
        return tech, g, a, self._residents.of(c, g, a)

    # --- live -------------------------------------------------------------------
    def set_down(self, down: Collection[str]) -> None:
        """Make live coverage exclude every element depending on a device in `down`."""
        new = frozenset(down)
        changed = new ^ self.down
        self.down = new
        touched: dict[Technology, set[int]] = {}
        flips: dict[Technology, set[int]] = {}
        for d in changed:
            for tech, i in self._by_device.get(d, ()):
                alive = not any(dep in new for dep in self.elements[tech].depends[i])
                if self._alive[tech][i] != alive:
                    self._alive[tech][i] = alive
                    flips.setdefault(tech, set()).add(i)
                    touched.setdefault(tech, set()).update(self._index[tech].of_element(i).tolist())
        if touched:
            self._recompute(
                self.live,
                {t: np.fromiter(cells, dtype=np.int64) for t, cells in touched.items()},
                self._alive,
                flips,
            )

    # --- figures ----------------------------------------------------------------
    def zone_sums(
        self, st: CellState, tech: Technology
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Covered m² and residents covered per zone (residents NaN where unknown)."""
        nz = len(self.zones)
        area = np.bincount(self.cells.zone, weights=st.area[tech], minlength=nz).astype(float)
        res = np.bincount(self.cells.zone, weights=st.residents[tech], minlength=nz)
        return area, np.where(np.isnan(self.zone_population), np.nan, res).astype(float)

    def zone_elements(self, tech: Technology, live: bool) -> NDArray[np.int64]:
        """Elements reaching each zone (the sum over technologies for ALL)."""
        nz = len(self.zones)
        if tech is Technology.ALL:
            return sum((self.zone_elements(t, live) for t in LAYERS), np.zeros(nz, dtype=np.int64))
        idx = self._index[tech]
        w = self._alive[tech][idx.elem_of_pair] if live else None
        return np.bincount(idx.zone_of_pair, weights=w, minlength=nz).astype(np.int64)

    def total_elements(self, tech: Technology, live: bool) -> int:
        if tech is Technology.ALL:
            return sum(self.total_elements(t, live) for t in LAYERS)
        reach = self._index[tech].reaching()
        return int(self._alive[tech][reach].sum()) if live else len(reach)

    def zone_geometry(self, tech: Technology, zone: int, live: bool) -> BaseGeometry:
        """The covered area of one zone (metric CRS), cells merged back together."""
        st = self.live if live else self.planned
        g = st.geom[tech][self.cells.zone == zone]
        g = g[~shapely.is_empty(g)]
        return polygonal(shapely.union_all(g)) if len(g) else _EMPTY
