"""What the engine keeps per grid cell: which elements reach it, and its coverage.

`CellIndex` pairs cells with the elements of one technology (both ways, as CSR arrays:
a full recompute walks cells, a change of state walks an element's cells). `CellState`
holds one set of figures (planned or live) per cell and technology.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_layers import Elements, Technology
from netagent.geo.coverage_zones import Cells

# One cell's result for one technology: geometry, its area, residents in it.
CellFigures = tuple[Technology, BaseGeometry, float, float]


@dataclass
class CellState:
    """Per cell and technology: covered geometry, its area, residents in it."""

    geom: dict[Technology, NDArray[np.object_]] = field(default_factory=dict)
    area: dict[Technology, NDArray[np.float64]] = field(default_factory=dict)
    residents: dict[Technology, NDArray[np.float64]] = field(default_factory=dict)

    def copy(self) -> CellState:
        return CellState(
            {t: g.copy() for t, g in self.geom.items()},
            {t: a.copy() for t, a in self.area.items()},
            {t: r.copy() for t, r in self.residents.items()},
        )


@dataclass(frozen=True)
class CellIndex:
    """Which elements of one technology reach which cell, and the reverse."""

    cell_ptr: NDArray[np.int64]
    cell_elems: NDArray[np.int64]
    elem_ptr: NDArray[np.int64]
    elem_cells: NDArray[np.int64]
    zone_of_pair: NDArray[np.int64]  # unique (zone, element) pairs: zone side
    elem_of_pair: NDArray[np.int64]

    @classmethod
    def build(cls, cells: Cells, el: Elements) -> CellIndex:
        """One bulk STRtree query, then sorting: no Python loop over cells or elements."""
        n_cells, n_el = len(cells.geoms), len(el)
        cell_i, elem_i = el.pairs(cells.geoms)
        order = np.lexsort((elem_i, cell_i))
        cell_i, elem_i = cell_i[order], elem_i[order]
        ptr = np.searchsorted(cell_i, np.arange(n_cells + 1))
        by_elem = np.argsort(elem_i, kind="stable")
        elem_ptr = np.searchsorted(elem_i[by_elem], np.arange(n_el + 1))
        n = max(n_el, 1)
        pairs = np.unique(cells.zone[cell_i].astype(np.int64) * n + elem_i)
        return cls(ptr, elem_i, elem_ptr, cell_i[by_elem], pairs // n, pairs % n)

    def of_cell(self, c: int) -> NDArray[np.int64]:
        """The elements reaching cell c."""
        return self.cell_elems[self.cell_ptr[c] : self.cell_ptr[c + 1]]

    def of_element(self, i: int) -> NDArray[np.int64]:
        """The cells element i reaches."""
        return self.elem_cells[self.elem_ptr[i] : self.elem_ptr[i + 1]]

    def reaching(self) -> NDArray[np.int64]:
        """The elements that reach at least one cell (from the CSR pointers: no sort, so
        live figures, which ask for it per technology every time, stay cheap)."""
        return np.flatnonzero(np.diff(self.elem_ptr))

    def per_cell(self) -> NDArray[np.int64]:
        """How many elements reach each cell."""
        return np.diff(self.cell_ptr)
