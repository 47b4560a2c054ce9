"""The engine's thread pool: the same state, bit for bit, with one thread or several."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import shapely

from netagent.geo.coverage import CoverageConfig, CoverageInputError, result_of
from netagent.geo.coverage_engine import CoverageEngine, default_workers
from netagent.geo.population import Population
from tests.geo.coverage.test_coverage import _random_world
from tests.geo.coverage.test_coverage_world import X0, Y0, ap, box, inventory, quartiere, site

CFG = CoverageConfig(cell_size_m=333)


def _population(seed: int) -> Population:
    """Residents as points and as blocks, so the per-cell residents run in the threads too."""
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(0, 4500, (300, 2)) + np.array([X0, Y0]))
    x, y = rng.uniform(0, 4300, (2, 80))
    blocks = shapely.box(X0 + x, Y0 + y, X0 + x + 200, Y0 + y + 200)
    geoms = np.concatenate([pts, blocks])
    return Population(geoms, rng.uniform(1, 100, len(geoms)), "test")


def _same_state(a: CoverageEngine, b: CoverageEngine) -> None:
    for sa, sb in ((a.planned, b.planned), (a.live, b.live)):
        assert sa.geom.keys() == sb.geom.keys()
        for t in sa.geom:
            assert np.array_equal(sa.area[t], sb.area[t])
            assert np.array_equal(sa.residents[t], sb.residents[t])
            assert all(shapely.equals_identical(sa.geom[t], sb.geom[t]))


@pytest.mark.parametrize("population", [None, 11])
def test_threads_give_the_serial_result_exactly(population: int | None) -> None:
    inv = _random_world(3)
    pop = None if population is None else _population(population)
    serial = CoverageEngine(inv, CFG, pop, workers=1)
    threaded = CoverageEngine(inv, CFG, pop, workers=4)
    assert len(serial.cells.geoms) > 100  # enough cells for the pool
    _same_state(serial, threaded)
    # many devices down at once: the live recompute is big enough for the pool as well
    for down in ({f"a{i}" for i in range(0, 50, 2)} | {"sw3"}, {"a1", "a7"}, set()):
        serial.set_down(down)
        threaded.set_down(down)
        _same_state(serial, threaded)
        assert result_of(serial, True) == result_of(threaded, True)


def test_default_workers_is_bounded() -> None:
    assert 1 <= default_workers() <= 4


def test_gc_is_restored_after_a_build_that_fails() -> None:
    assert gc.isenabled()
    bad = inventory(
        quartieri=(quartiere("Q", box(0, 0, 1000, 1000)),),
        sites=(site("s", 10, 10),),
        devices=(ap("a", "nowhere"),),
    )
    with pytest.raises(CoverageInputError):
        CoverageEngine(bad, CFG)
    assert gc.isenabled()
