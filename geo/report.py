"""A self-contained HTML map report: quartieri coloured by coverage, devices by status.

One file with inline SVG and CSS (no scripts, tiles or network), so a planner can open
it anywhere, mail it, or print it. Quartieri drawn from approximate boundaries are
dashed and labelled "approximate".
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.coverage import CoverageResult, CoverageRow
from geo.coverage_engine import CoverageEngine
from geo.coverage_layers import LAYERS, Technology
from inventory.model import Inventory

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


class _Canvas:
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


def _fill(pct: float | None) -> str:
    if pct is None:
        return NO_AREA
    return next(c for top, c in CLASSES if pct < top)


def _fmt(v: float | None, digits: int = 1, unit: str = "") -> str:
    return "unknown" if v is None else f"{v:,.{digits}f}{unit}"


def _zone_svg(
    cv: _Canvas, engine: CoverageEngine, rows: dict[tuple[str, str], CoverageRow]
) -> list[str]:
    out = []
    for z in engine.zones:
        r = rows[(z.name, Technology.ALL.value)]
        tip = (
            f"{z.name}{' (approximate boundary)' if z.approximate else ''}\n"
            f"all technologies: {_fmt(r.covered_pct, 1, '%')} covered, "
            f"{_fmt(r.residents_covered, 0)} residents"
        )
        dash = ' stroke-dasharray="6 4"' if z.approximate else ""
        out.append(
            f'<path class="quartiere" data-name="{html.escape(z.name)}" '
            f'd="{cv.path(z.geom)}" fill="{_fill(r.covered_pct)}" fill-rule="evenodd" '
            f'stroke="#333" stroke-width="1"{dash}><title>{html.escape(tip)}</title></path>'
        )
    for z in engine.zones:
        if z.geom.is_empty:
            continue
        p = z.geom.representative_point()
        x, y = cv.xy(p.x, p.y)
        label = html.escape(z.name) + (" ≈" if z.approximate else "")
        out.append(f'<text class="label" x="{x:.1f}" y="{y:.1f}">{label}</text>')
    return out


def _layers_svg(cv: _Canvas, engine: CoverageEngine, live: bool) -> list[str]:
    out = []
    for tech in LAYERS:
        geoms = [engine.zone_geometry(tech, i, live) for i in range(len(engine.zones))]
        d = "".join(cv.path(g) for g in geoms if not g.is_empty)
        if d:
            out.append(
                f'<path class="layer" data-technology="{tech.value}" d="{d}" '
                f'fill="{LAYER_COLOURS[tech]}" fill-opacity="0.35" fill-rule="nonzero" '
                f'stroke="none"/>'
            )
    if live:
        lost = [
            shapely.difference(
                engine.zone_geometry(Technology.ALL, i, False),
                engine.zone_geometry(Technology.ALL, i, True),
            )
            for i in range(len(engine.zones))
        ]
        d = "".join(cv.path(g) for g in lost if not g.is_empty)
        if d:
            out.append(
                f'<path class="lost" d="{d}" fill="url(#hatch)" stroke="#d7191c" '
                f'stroke-width="0.8"/>'
            )
    return out


def _devices_svg(
    cv: _Canvas, engine: CoverageEngine, inv: Inventory, states: Mapping[str, str]
) -> list[str]:
    devs = [d for d in inv.devices if d.site in inv.site_by_name]
    if not devs:
        return []
    sites = [inv.site_by_name[d.site] for d in devs]
    xy = engine.proj.xy(np.array([s.lon for s in sites]), np.array([s.lat for s in sites]))
    out = []
    for d, (x, y) in zip(devs, xy, strict=True):
        state = states.get(d.name, "unknown")
        px, py = cv.xy(x, y)
        tip = html.escape(f"{d.name} ({d.role.value}): {state}")
        colour = STATE_COLOURS.get(state, STATE_COLOURS["unknown"])
        out.append(
            f'<circle class="device" data-state="{html.escape(state)}" cx="{px:.1f}" '
            f'cy="{py:.1f}" r="3" fill="{colour}" stroke="#fff" stroke-width="0.6">'
            f"<title>{tip}</title></circle>"
        )
    return out


def _scale_bar(cv: _Canvas) -> str:
    """A 1-2-5 length near a fifth of the map width, bottom left (north is up)."""
    span_m = WIDTH / cv.k / 5
    mag = 10 ** math.floor(math.log10(span_m))
    metres = max(m * mag for m in (1, 2, 5) if m * mag <= span_m)
    px, y = metres * cv.k, cv.height - 12
    label = f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"
    return (f'<g class="scale"><rect x="10" y="{y - 4:.1f}" width="{px:.1f}" height="4" '
            f'fill="#333"/><text x="{10 + px + 6:.1f}" y="{y:.1f}" font-size="11">{label}'
            "</text></g>")


def _legend(live: bool) -> str:
    items = []
    lo = 0
    for top, colour in CLASSES:
        items.append(
            f'<li><span class="sw" style="background:{colour}"></span>'
            f"{lo}–{min(top, 100):.0f}% covered (all technologies)</li>"
        )
        lo = int(top)
    items.append(f'<li><span class="sw" style="background:{NO_AREA}"></span>no area</li>')
    for tech, colour in LAYER_COLOURS.items():
        items.append(
            f'<li><span class="sw" style="background:{colour};opacity:.5"></span>'
            f"{tech.value} coverage</li>"
        )
    if live:
        items.append('<li><span class="sw hatch"></span>lost now (planned but not live)</li>')
    for state, colour in STATE_COLOURS.items():
        dot = f'<span class="dot" style="background:{colour}"></span>'
        items.append(f"<li>{dot}device {state}</li>")
    items.append('<li><span class="sw dashed"></span>approximate boundary (≈)</li>')
    return '<ul class="legend" id="legend">' + "".join(items) + "</ul>"


def _table(result: CoverageResult) -> str:
    head = (
        "<tr><th>quartiere</th><th>technology</th><th>area km²</th><th>covered km²</th>"
        "<th>covered %</th><th>population</th><th>residents covered</th><th>elements</th>"
        + ("<th>lost km²</th><th>residents lost</th>" if result.live else "")
        + "</tr>"
    )
    body = []
    for r in [*sorted(result.rows, key=lambda r: r.quartiere.casefold()), *result.totals]:
        name = html.escape(r.quartiere) + (
            " <em>(approximate)</em>" if r.approximate and r.quartiere != "comune" else ""
        )
        cells = [
            name,
            r.technology,
            _fmt(r.area_km2, 2),
            _fmt(r.covered_km2, 3),
            _fmt(r.covered_pct, 1),
            _fmt(r.population, 0),
            _fmt(r.residents_covered, 0),
            str(r.elements),
        ]
        if result.live:
            cells += [_fmt(r.lost_km2, 3), _fmt(r.lost_residents, 0)]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f'<table id="figures">{head}{"".join(body)}</table>'


CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
.map{display:flex;gap:1.5em;align-items:flex-start}svg{border:1px solid #ccc;background:#fff;
max-width:75vw;height:auto}.label{font-size:11px;text-anchor:middle;fill:#111;
paint-order:stroke;stroke:#fff;stroke-width:3px}.legend{list-style:none;padding:0;font-size:13px}
.legend li{margin:.25em 0}.sw,.dot{display:inline-block;width:14px;height:14px;margin-right:.5em;
vertical-align:middle;border:1px solid #555}.dot{border-radius:50%}.dashed{border-style:dashed;
background:#fff}.hatch{background:repeating-linear-gradient(45deg,#d7191c 0 2px,#fff 2px 5px)}
table{border-collapse:collapse;font-size:12px;margin-top:1.5em}td,th{border:1px solid #ccc;
padding:2px 6px;text-align:right}td:first-child,td:nth-child(2){text-align:left}
.note{font-size:13px;color:#555}"""


def render(
    inv: Inventory,
    engine: CoverageEngine,
    result: CoverageResult,
    states: Mapping[str, str],
    title: str = "Coverage per quartiere",
) -> str:
    """The whole HTML page as a string."""
    zones = [z.geom for z in engine.zones if not z.geom.is_empty]
    bounds = shapely.total_bounds(np.array(zones, dtype=object)) if zones else (0, 0, 1, 1)
    cv = _Canvas(tuple(float(b) for b in bounds))  # type: ignore[arg-type]
    rows = {(r.quartiere, r.technology): r for r in result.rows}
    svg = [
        f'<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} '
        f'{cv.height:.0f}" width="{WIDTH:.0f}" height="{cv.height:.0f}">',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="2" height="6" fill="#d7191c"/>'
        "</pattern></defs>",
        *_zone_svg(cv, engine, rows),
        *_layers_svg(cv, engine, result.live),
        *_devices_svg(cv, engine, inv, states),
        _scale_bar(cv),
        "</svg>",
    ]
    approx = any(z.approximate for z in engine.zones)
    mode = "live (only devices up now)" if result.live else "planned (every active element)"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = [
        f"Mode: {mode}. Computed {when} in {html.escape(result.crs)}.",
        f"Residents: {html.escape(result.residents_basis)}.",
    ]
    if approx:
        notes.append(
            "Quartieri marked ≈ / (approximate) have boundaries derived from their "
            "centres, not the official ones: their figures are approximate too."
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        + "".join(f'<p class="note">{n}</p>' for n in notes)
        + f'<div class="map">{"".join(svg)}{_legend(result.live)}</div>'
        + _table(result)
        + "</body></html>\n"
    )
