"""Quartiere lookup speed: QuartiereIndex (STRtree, bulk) vs a per-point polygon loop.

Peer: the obvious hand-written approach, `for q in quartieri: if q.geometry.contains(p)`,
per point, without snapping. Run: `python bench/bench_quartieri.py [n_points]`.
Figures are indicative: the machine is shared.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from shapely.geometry import Point

from netagent.agent.demo.sample_builder import load_boundary, load_centres
from netagent.geo.quartieri import QuartiereIndex, voronoi_quartieri
from netagent.inventory.sample import SAMPLE_DIR


def main(n: int) -> None:
    quartieri = voronoi_quartieri(load_centres(SAMPLE_DIR), load_boundary(SAMPLE_DIR))
    rng = np.random.default_rng(1)
    lons, lats = rng.uniform(10.49, 10.77, n).tolist(), rng.uniform(44.62, 44.77, n).tolist()
    t0 = time.perf_counter()
    index = QuartiereIndex(quartieri)
    ours = index.locate_many(lons, lats)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    peer = [
        next((q.name for q in quartieri if q.geometry.contains(Point(x, y))), None)
        for x, y in zip(lons, lats, strict=True)
    ]
    t_peer = time.perf_counter() - t0
    agree = sum(a == b for a, b in zip(ours, peer, strict=True) if b is not None)
    print(f"points: {n}, inside per peer: {sum(p is not None for p in peer)}, agreeing: {agree}")
    print(f"QuartiereIndex.locate_many (incl. building the index): {n / t_ours:,.0f} points/s")
    print(f"peer: per-point loop of Polygon.contains:              {n / t_peer:,.0f} points/s")
    print(f"ratio: {t_peer / t_ours:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
