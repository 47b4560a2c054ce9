"""Live changes patched in place: only the area of the elements that changed is redone.

When a few elements of a cell change state, the cell's new union differs from the old
one only inside the region those elements cover: outside it nothing changed, inside it
the union is that of the serving elements reaching the region. So the new layer is
(old − region) ∪ (serving near the region ∩ region): a union of a handful of elements
instead of the cell's hundreds. Many changes at once, or a cell patched REFRESH_AFTER
times in a row (floating-point slivers must not pile up in a daemon that runs for
months), recompute the cell whole.
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage_zones import polygonal

LOCAL_MAX = 8  # changed elements of one layer in a cell beyond which it is redone whole
REFRESH_AFTER = 64  # patches of one cell's layer before it is recomputed whole


def patch(old: BaseGeometry, region: BaseGeometry, inside: BaseGeometry) -> BaseGeometry:
    """`old` outside `region`, `inside` within it."""
    if region.is_empty:
        return old
    return polygonal(shapely.union(shapely.difference(old, region), inside))
