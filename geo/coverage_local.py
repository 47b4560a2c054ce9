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


def patch(
    old: BaseGeometry, region: BaseGeometry, inside: BaseGeometry, gone: bool | None = None
) -> BaseGeometry:
    """`old` outside `region`, `inside` within it.

    gone: True when every changed element stopped serving, so `inside` lies within `old`
    and the new layer is old − (region − inside); False when every one came back, so
    `old`'s part of the region lies within `inside` and the new layer is old ∪ inside.
    Either way one overlay of the whole cell's layer instead of two (the other is the
    region's size); None (some of each) takes both.
    """
    if region.is_empty:
        return old
    if gone is True:
        return polygonal(shapely.difference(old, shapely.difference(region, inside)))
    if gone is False:
        return polygonal(shapely.union(old, inside))
    return polygonal(shapely.union(shapely.difference(old, region), inside))
