"""Coverage recompute speed: the incremental per-cell engine vs a per-quartiere loop.

Synthetic comune of 25 quartieri (Voronoi cells, one of them a MultiPolygon), 10,000
access points clustered on the centre, 2,000 fibre segments, 20 base-station sectors.
Figures: full recompute of every layer and figure from the inventory; live recompute
after one AP changes state. The peer is the straightforward loop over the same shapely
objects: for each quartiere and technology, union the elements that intersect it and
clip. The engine unions cells on a thread pool, so the headline is wall time; CPU
seconds of the process (all threads) are printed beside it, and the peer runs its
quartieri on as many threads (and once on one thread, as does the engine). Each full
recompute is the best of three runs; the accuracy of the default settings (largest
relative difference of any quartiere x technology from a 5 cm reference) is printed
beside the speed. The one-core figure: run it pinned to one CPU,

    taskset -c 0 .venv/bin/python bench/coverage_bench.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.coverage import CoverageConfig, engine_for, result_of
from geo.coverage_engine import CoverageEngine
from geo.coverage_layers import LAYERS, Technology
from inventory.model import FibreSegment, Inventory, Placement, Quartiere, Sector, Site
from tests.test_coverage_world import PROJ, X0, Y0, ap, base_station, switch

N_Q, N_AP, N_SEG, N_BS = 25, 10_000, 2_000, 20
CX, CY = X0, Y0  # the tests' hand-made worlds' origin, near Piazza Prampolini
CENTRE = np.array([CX, CY])


def world(seed: int = 1) -> Inventory:
    rng = np.random.default_rng(seed)
    comune = shapely.Point(CX, CY).buffer(8_500, quad_segs=32)  # ~227 km²
    seeds = shapely.multipoints(rng.uniform(-8000, 8000, (N_Q, 2)) + CENTRE)
    cells = [
        shapely.intersection(c, comune)
        for c in shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=comune))
    ]
    cells[0] = shapely.union(cells[0], shapely.box(CX + 9000, CY, CX + 9500, CY + 500))  # exclave
    quartieri = tuple(
        Quartiere(
            name=f"Q{i:02d}",
            population=int(rng.integers(3000, 20000)),
            geometry=PROJ.to_wgs84(shapely.segmentize(c, 200)),
            approximate=True,
        )
        for i, c in enumerate(cells)
    )
    ap_xy = np.vstack(
        [
            rng.normal(CENTRE, 2000, (N_AP * 6 // 10, 2)),
            rng.uniform(-7000, 7000, (N_AP - N_AP * 6 // 10, 2)) + CENTRE,
        ]
    )
    sw_xy = rng.uniform(-7000, 7000, (N_SEG + 1, 2)) + CENTRE
    bs_xy = rng.uniform(-6000, 6000, (N_BS, 2)) + CENTRE
    ll = PROJ.lonlat(np.vstack([ap_xy, sw_xy, bs_xy]))
    sites = tuple(Site(name=f"s{i}", lon=lo, lat=la) for i, (lo, la) in enumerate(ll))
    devices = []
    for i in range(N_AP):
        placement = Placement.INDOOR if i % 3 == 0 else Placement.OUTDOOR
        radius = float(rng.uniform(50, 200)) if i % 5 == 0 else None
        devices.append(ap(f"ap{i}", f"s{i}", radius, placement))
    devices += [switch(f"sw{j}", f"s{N_AP + j}") for j in range(N_SEG + 1)]
    for k in range(N_BS):
        sector = Sector(radius_m=1500, azimuth_deg=float(k * 37 % 360), beamwidth_deg=90)
        devices.append(base_station(f"bs{k}", f"s{N_AP + N_SEG + 1 + k}", sector))
    segments = []
    for j in range(N_SEG):
        a = sw_xy[j]
        steps = rng.normal(0, 150, (int(rng.integers(2, 6)), 2))
        path = np.vstack([a, a + np.cumsum(steps, axis=0)])
        segments.append(
            FibreSegment(
                name=f"f{j}",
                a_site=f"s{N_AP + j}",
                b_site=f"s{N_AP + j + 1}",
                a_device=f"sw{j}",
                path=[tuple(p) for p in PROJ.lonlat(path).tolist()],
            )
        )
    return Inventory(
        sites=sites, devices=tuple(devices), segments=tuple(segments), quartieri=quartieri
    )


def peer(engine: CoverageEngine, down: set[str], workers: int = 1) -> np.ndarray:
    """The straightforward loop: per quartiere and technology, union what intersects it.

    With workers > 1 the quartieri are shared out among that many threads, as the engine
    shares out its cells: the same GIL-free GEOS calls, so the comparison stays fair.
    """
    kept = {}
    for tech in LAYERS:
        el = engine.elements[tech]
        keep = np.array([not any(d in down for d in deps) for deps in el.depends], dtype=bool)
        kept[tech] = el.geoms[keep]

    def quartiere(i: int) -> list[float]:
        z = engine.zones[i]
        shapely.prepare(z.geom)
        per_tech, row = [], []
        for tech in LAYERS:
            geoms = kept[tech]
            hit = geoms[shapely.intersects(z.geom, geoms)] if len(geoms) else geoms
            g = shapely.intersection(shapely.union_all(hit), z.geom)
            per_tech.append(g)
            row.append(g.area)
        return [*row, shapely.union_all(per_tech).area]

    zones = range(len(engine.zones))
    if workers < 2:
        return np.array([quartiere(i) for i in zones])
    with ThreadPoolExecutor(workers) as pool:
        return np.array(list(pool.map(quartiere, zones)))


class Clock:
    """Wall (perf_counter) and CPU seconds of the whole process (all threads) of a block."""

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


def ours(engine: CoverageEngine, live: bool) -> np.ndarray:
    r = result_of(engine, live)
    by = {(x.quartiere, x.technology): x.covered_km2 * 1e6 for x in r.rows}
    techs = [*LAYERS, Technology.ALL]
    return np.array([[by[(z.name, t.value)] for t in techs] for z in engine.zones])


REPEAT = 3  # each full recompute is run this many times; the best is kept


def _best(fn: Callable[[], np.ndarray], by: str = "cpu") -> tuple[Clock, np.ndarray]:
    """fn run REPEAT times: the run with the least CPU (or wall) time, the least
    disturbed by the other processes of a shared machine, and its result."""
    best: Clock | None = None
    out = np.empty(0)
    for _ in range(REPEAT):
        with Clock() as c:
            out = fn()
        if best is None or getattr(c, by) < getattr(best, by):
            best = c
    assert best is not None
    return best, out


def accuracy(inv: Inventory, figs: np.ndarray) -> tuple[float, str, float]:
    """Largest relative difference of a quartiere x technology of at least 0.01 km² from
    a 5 cm reference, where, and the largest absolute difference (m²) of any row.

    A sliver of a few hundred m² (a sector's rim grazing a quartiere) is off by the rim
    error times its length whatever the vertex count: it is judged in m², not in %.
    """
    ref_cfg = CoverageConfig(rim_error_m=0.05, circle_vertices=64)
    ref = ours(CoverageEngine(inv, ref_cfg), False)
    big = ref >= 1e4
    rel = np.where(big, np.abs(figs / np.where(big, ref, 1) - 1), 0)
    i, j = np.unravel_index(int(rel.argmax()), rel.shape)
    return (
        float(rel.max()),
        f"Q{i:02d} {[*LAYERS, Technology.ALL][j].value}",
        float(np.abs(figs - ref).max()),
    )


def main() -> None:
    t = time.process_time()
    inv = world()
    print(
        f"world: {N_Q} quartieri, {N_AP} APs, {N_SEG} fibre segments, {N_BS} sectors "
        f"(built in {time.process_time() - t:.1f} s, not timed below)"
    )
    cfg = CoverageConfig()
    engine = engine_for(inv, cfg)
    workers = engine.workers
    print(
        f"  cells: {len(engine.cells.geoms)}; threads: {workers} (default_workers()); "
        f"best of {REPEAT} runs each"
    )
    full, full_figs = _best(lambda: ours(engine_for(inv, cfg), False), "wall")
    serial, serial_figs = _best(lambda: ours(CoverageEngine(inv, cfg, workers=1), False))
    peer_full, peer_figs = _best(lambda: peer(engine, set(), workers), "wall")
    peer_serial, _ = _best(lambda: peer(engine, set()))

    rng = np.random.default_rng(5)
    live_wall, live_cpu, down = [], [], set()
    for name in rng.choice([f"ap{i}" for i in range(N_AP)], 20, replace=False):
        down = {str(name)}
        with Clock() as live:
            engine.set_down(down)
            live_figs = ours(engine, True)
        live_wall.append(live.wall)
        live_cpu.append(live.cpu)
    with Clock() as peer_live_t:
        peer_live = peer(engine, down, workers)

    diff = max(np.abs(full_figs - peer_figs).max(), np.abs(live_figs - peer_live).max())
    worst_rel, where, worst_abs = accuracy(inv, full_figs)
    med, med_cpu = statistics.median(live_wall), statistics.median(live_cpu)
    print(
        f"accuracy at the default (rim_error_m={cfg.rim_error_m:g}): every quartiere x "
        f"technology of >= 0.01 km² within {worst_rel:.3%} of a 5 cm reference (largest: "
        f"{where}), any row within {worst_abs:.0f} m²; the loop unions the very same "
        "element polygons, so its accuracy is the same"
    )
    print(f"{'':40}{'netagent':>18}{'per-quartiere loop':>22}{'ratio':>8}")
    print(f"{'':40}{'wall / CPU s':>18}{'wall / CPU s':>22}{'(CPU)':>8}")
    rows = [("full recompute, 1 thread", serial, peer_serial, "(target <= 1 s on one core)")]
    if workers > 1:  # wall time is what threads buy
        rows.insert(0, (f"full recompute, {workers} threads", full, peer_full, "(wall)"))
    for label, a, b, note in rows:
        ratio = b.wall / a.wall if a is full else b.cpu / a.cpu
        print(
            f"{label:40}{a.wall:>10.3f} / {a.cpu:.3f}{b.wall:>14.3f} / {b.cpu:.3f}"
            f"{ratio:>7.2f}x   {note}"
        )
    print(
        f"{'live, one AP changes (median of 20)':40}{med * 1e3:>8.1f} / {med_cpu * 1e3:.1f}ms"
        f"{peer_live_t.wall * 1e3:>14.0f} / {peer_live_t.cpu * 1e3:.0f}ms"
        f"{peer_live_t.cpu / med_cpu:>6.0f}x   (target <= 20 ms; worst wall "
        f"{max(live_wall) * 1e3:.1f} ms)"
    )
    print(
        f"largest difference between the two, any quartiere/technology: {diff:.3g} m²; "
        f"1 thread vs {workers}: {np.abs(full_figs - serial_figs).max():.3g} m²"
    )
    print("CPU = process CPU seconds, all threads. The loop gets the same threads (quartieri")
    print("shared out); its time excludes building the elements from the inventory, ours")
    print("includes it. On a busy shared machine compare CPU seconds: wall time includes")
    print("waiting for a core.")


if __name__ == "__main__":
    main()
