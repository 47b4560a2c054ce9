"""The map's SVG: quartieri, coverage layers for both views, devices, placed labels.

Everything is drawn once in metric coordinates mapped to pixels (north up); the page's
script only shows, hides, pans and zooms. Labels are placed here, greedily, largest
quartiere first: at the quartiere's inner point if the box is free, else at the nearest
free spot on rings around it with a leader line, so no two labels overlap.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from netagent.geo.coverage import CoverageResult
from netagent.geo.coverage_engine import CoverageEngine
from netagent.geo.coverage_layers import LAYERS, Technology
from netagent.inventory.model import Inventory

WIDTH = 1000.0
# (upper bound of covered %, fill colour) of the "all technologies" figure
CLASSES = [(10, "#f7fcf5"), (25, "#c7e9c0"), (50, "#74c476"), (75, "#31a354"), (100.01, "#006d2c")]
LAYER_COLOURS = {
    Technology.WIFI: "#2b8cbe",
    Technology.FIBRE: "#e6550d",
    Technology.FIXED_WIRELESS: "#756bb1",
}
STATE_COLOURS = {
    "up": "#1a9641",
    "degraded": "#fdae61",
    "down": "#d7191c",
    "unreachable": "#f46d43",
    "maintenance": "#4575b4",
    "unknown": "#969696",
}
NO_AREA = "#dddddd"
LABEL_PX = 11.0  # font size at zoom 1
_CHAR_W, _LINE_H = 6.6, 14.0  # a generous estimate of a label's box at LABEL_PX


class Canvas:
    """Metric coordinates to SVG pixels (y flipped, aspect kept)."""

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        x0, y0, x1, y1 = bounds
        span = max(x1 - x0, y1 - y0, 1.0)
        pad = span * 0.02
        self.x0, self.y1 = x0 - pad, y1 + pad
        self.k = WIDTH / (x1 - x0 + 2 * pad or 1.0)
        self.height = (y1 - y0 + 2 * pad) * self.k

    def pts(self, coords: np.ndarray) -> str:
        px = np.column_stack([(coords[:, 0] - self.x0) * self.k, (self.y1 - coords[:, 1]) * self.k])
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in px)

    def path(self, geom: BaseGeometry) -> str:
        d = []
        for poly in shapely.get_parts(geom):
            if not isinstance(poly, shapely.Polygon):
                continue
            for ring in (poly.exterior, *poly.interiors):
                d.append("M" + self.pts(np.asarray(ring.coords)) + "Z")
        return "".join(d)

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.k, (self.y1 - y) * self.k


def fill(pct: float | None) -> str:
    if pct is None:
        return NO_AREA
    return next(c for top, c in CLASSES if pct < top)


def zones_svg(
    cv: Canvas, engine: CoverageEngine, planned: CoverageResult, live: CoverageResult
) -> list[str]:
    """Quartieri filled by their 'all' coverage, one colour per view (data attributes)."""
    pct = {
        (r.quartiere, mode): r.covered_pct
        for mode, res in (("planned", planned), ("live", live))
        for r in res.rows
        if r.technology == Technology.ALL.value
    }
    out = ['<g id="quartieri">']
    for z in engine.zones:
        dash = ' stroke-dasharray="6 4"' if z.approximate else ""
        fp, fl = fill(pct[(z.name, "planned")]), fill(pct[(z.name, "live")])
        out.append(
            f'<path class="quartiere" data-name="{html.escape(z.name)}" d="{cv.path(z.geom)}" '
            f'fill="{fp}" data-fill-planned="{fp}" data-fill-live="{fl}" fill-rule="evenodd" '
            f'stroke="#333" stroke-width="1" vector-effect="non-scaling-stroke"{dash}>'
            f"<title>{html.escape(z.name)}</title></path>"
        )
    out.append("</g>")
    return out


def layers_svg(cv: Canvas, engine: CoverageEngine) -> list[str]:
    """Each technology's covered area, planned and live, and what the outages took."""
    out = ['<g id="layers" pointer-events="none">']
    n = range(len(engine.zones))
    for mode, live in (("planned", False), ("live", True)):
        for tech in LAYERS:
            geoms = (engine.zone_geometry(tech, i, live) for i in n)
            d = "".join(cv.path(g) for g in geoms if not g.is_empty)
            out.append(
                f'<path class="layer" data-mode="{mode}" data-technology="{tech.value}" d="{d}" '
                f'fill="{LAYER_COLOURS[tech]}" fill-opacity="0.45" stroke="none"/>'
            )
    lost = [
        shapely.difference(
            engine.zone_geometry(Technology.ALL, i, False),
            engine.zone_geometry(Technology.ALL, i, True),
        )
        for i in n
    ]
    d = "".join(cv.path(g) for g in lost if not g.is_empty)
    out.append(
        f'<path class="lost" data-mode="live" d="{d}" fill="url(#hatch)" '
        'stroke="#d7191c" stroke-width="0.8" vector-effect="non-scaling-stroke"/>'
    )
    out.append("</g>")
    return out


def devices_svg(
    cv: Canvas, engine: CoverageEngine, inv: Inventory, states: Mapping[str, str]
) -> list[str]:
    devs = [d for d in inv.devices if d.site in inv.site_by_name]
    out = ['<g id="devices">']
    if devs:
        sites = [inv.site_by_name[d.site] for d in devs]
        xy = engine.proj.xy(np.array([s.lon for s in sites]), np.array([s.lat for s in sites]))
        for d, (x, y) in zip(devs, xy, strict=True):
            state = states.get(d.name, "unknown")
            px, py = cv.xy(x, y)
            colour = STATE_COLOURS.get(state, STATE_COLOURS["unknown"])
            out.append(
                f'<circle class="device" data-state="{html.escape(state)}" cx="{px:.1f}" '
                f'cy="{py:.1f}" r="3" fill="{colour}" stroke="#fff" stroke-width="0.6">'
                f"<title>{html.escape(f'{d.name} ({d.role.value}): {state}')}</title></circle>"
            )
    out.append("</g>")
    return out


def _box(x: float, y: float, text: str) -> tuple[float, float, float, float]:
    w = _CHAR_W * len(text) + 6
    return x - w / 2, y - _LINE_H / 2, x + w / 2, y + _LINE_H / 2


def _free(
    b: tuple[float, float, float, float],
    taken: list[tuple[float, float, float, float]],
    size: tuple[float, float],
) -> bool:
    if b[0] < 0 or b[1] < 0 or b[2] > size[0] or b[3] > size[1]:
        return False
    return all(b[2] <= t[0] or b[0] >= t[2] or b[3] <= t[1] or b[1] >= t[3] for t in taken)


def labels_svg(cv: Canvas, engine: CoverageEngine) -> list[str]:
    """Quartiere names above every layer, placed without overlaps (see module doc)."""
    order = sorted(range(len(engine.zones)), key=lambda i: -engine.zones[i].area_m2)
    taken: list[tuple[float, float, float, float]] = []
    size = (WIDTH, cv.height)
    out = ['<g id="labels" pointer-events="none">']
    rings = [
        (r, a) for r in (16, 28, 42, 58, 76, 96, 120) for a in np.radians(np.arange(0, 360, 30))
    ]
    for i in order:
        z = engine.zones[i]
        if z.geom.is_empty:
            continue
        p = z.geom.representative_point()
        ax, ay = cv.xy(p.x, p.y)
        text = z.name + (" ≈" if z.approximate else "")
        spot = next(
            (
                (ax + r * math.cos(a), ay + r * math.sin(a))
                for r, a in [(0, 0.0), *rings]
                if _free(_box(ax + r * math.cos(a), ay + r * math.sin(a), text), taken, size)
            ),
            None,
        )
        if spot is None:  # nowhere free: keep it at its point, the map can be zoomed
            spot = (ax, ay)
        x, y = spot
        taken.append(_box(x, y, text))
        if (x, y) != (ax, ay):
            out.append(
                f'<line class="leader" x1="{ax:.1f}" y1="{ay:.1f}" x2="{x:.1f}" '
                f'y2="{y:.1f}" stroke="#111" stroke-width="0.7" '
                'vector-effect="non-scaling-stroke"/>'
            )
        out.append(
            f'<text class="label" data-name="{html.escape(z.name)}" x="{x:.1f}" '
            f'y="{y + 4:.1f}">{html.escape(text)}</text>'
        )
    out.append("</g>")
    return out


def scale_metres(cv: Canvas, zoom: float = 1.0) -> tuple[float, float]:
    """A 1-2-5 length near a fifth of the map width: (metres, SVG pixels at zoom 1)."""
    span_m = WIDTH / cv.k / 5 / zoom
    mag = 10 ** math.floor(math.log10(span_m))
    metres = max(m * mag for m in (1, 2, 5) if m * mag <= span_m)
    return metres, metres * cv.k
