"""A self-contained HTML map to work on: planned and live, layers, pan/zoom, figures, print.

One file with inline SVG, CSS and a small script (netagent.geo.report_assets): no tiles, fonts or
network, and a Content-Security-Policy that forbids the browser any request, so a
planner can open it anywhere, mail it, or print it. Both views (planned, live) and every
technology's layer are in the file; the controls only show and hide them. A click on a
quartiere shows its figures; the print view keeps the key figures, legend, north arrow
and scale on the page. Quartieri drawn from approximate boundaries are dashed and
labelled "≈".
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely

from netagent.geo.coverage import COMUNE, CoverageResult, CoverageRow, result_of
from netagent.geo.coverage_engine import CoverageEngine
from netagent.geo.coverage_layers import LAYERS
from netagent.geo.report_assets import CSS, JS
from netagent.geo.report_svg import (
    CLASSES,
    LAYER_COLOURS,
    NO_AREA,
    STATE_COLOURS,
    WIDTH,
    Canvas,
    devices_svg,
    labels_svg,
    layers_svg,
    scale_metres,
    zones_svg,
)
from netagent.inventory.model import Inventory

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'; form-action 'none'"
)
MODE_TEXT = {
    "planned": "Planned: every active element",
    "live": "Live: only devices up now (lost area hatched)",
}


def fmt(v: float | None, digits: int = 1, unit: str = "") -> str:
    """A figure for people: thousands separated, 'unknown' for None, never '-0'."""
    if v is None:
        return "unknown"
    v = float(v)
    if round(v, digits) == 0:
        v = 0.0
    return f"{v:,.{digits}f}{unit}"


def _row_figures(r: CoverageRow) -> dict[str, str]:
    return {
        "covered_km2": fmt(r.covered_km2, 3),
        "covered_pct": fmt(r.covered_pct, 1),
        "residents_covered": fmt(r.residents_covered, 0),
        "elements": str(r.elements),
        "lost_km2": fmt(r.lost_km2, 3),
        "lost_residents": fmt(r.lost_residents, 0),
        "subscribers_cut_off": "—" if r.subscribers_cut_off is None else str(r.subscribers_cut_off),
    }


def _figures(res: CoverageResult) -> dict[str, Any]:
    """Per quartiere and technology, the formatted figures the click panel shows."""
    rows: dict[str, Any] = {}
    for r in res.rows:
        q = rows.setdefault(
            r.quartiere,
            {
                "area": fmt(r.area_km2, 2),
                "population": fmt(r.population, 0),
                "basis": r.residents_basis,
                "approximate": r.approximate,
                "tech": {},
            },
        )
        q["tech"][r.technology] = _row_figures(r)
    return {"rows": rows}


def _key_figures(res: CoverageResult, mode: str, down: int, when: str) -> str:
    """The comune totals per technology and the population line: what a printout needs."""
    head = (
        "<tr><th>technology</th><th>covered km²</th><th>covered %</th>"
        "<th>residents covered</th>"
        + ("<th>lost km²</th><th>residents lost</th>" if res.live else "")
        + "</tr>"
    )
    body = ""
    for r in res.totals:
        cells = [
            r.technology,
            fmt(r.covered_km2, 2),
            fmt(r.covered_pct, 1),
            fmt(r.residents_covered, 0),
        ]
        if res.live:
            cells += [fmt(r.lost_km2, 2), fmt(r.lost_residents, 0)]
        body += "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
    area = fmt(res.totals[0].area_km2, 2) if res.totals else "0"
    notes = [
        f"{MODE_TEXT[mode]}. Comune: {area} km² in {len(res.rows) // 4} quartieri. "
        f"Computed {when} in {html.escape(res.crs)}."
    ]
    if res.live:
        notes.append(f"{down} device(s) not up.")
        if cut := res.cut_off_line():
            notes.append(f"Fixed wireless: {html.escape(cut)}.")
    notes.append(html.escape(res.population.line()))
    notes.append(f"Residents: {html.escape(res.residents_basis)}.")
    return (
        f'<div class="keyfig" data-view="{mode}"><h2>Key figures ({mode})</h2>'
        f"<table>{head}{body}</table>"
        + "".join(f'<p class="note">{n}</p>' for n in notes)
        + "</div>"
    )


def _legend() -> str:
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
            f'<li><span class="sw" style="background:{colour};opacity:.6"></span>'
            f"{tech.value} coverage</li>"
        )
    items.append(
        '<li data-view="live"><span class="sw hatch"></span>lost now (planned but not live)</li>'
    )
    for state, colour in STATE_COLOURS.items():
        items.append(
            f'<li><span class="dot" style="background:{colour}"></span>device {state}</li>'
        )
    items.append('<li><span class="sw dashed"></span>approximate boundary (≈)</li>')
    return '<ul class="legend" id="legend">' + "".join(items) + "</ul>"


def _table(res: CoverageResult, mode: str) -> str:
    head = (
        "<tr><th>quartiere</th><th>technology</th><th>area km²</th><th>covered km²</th>"
        "<th>covered %</th><th>population</th><th>residents covered</th>"
        "<th>residents basis</th><th>elements</th>"
        + (
            "<th>lost km²</th><th>residents lost</th><th>subscribers cut off</th>"
            if res.live
            else ""
        )
        + "</tr>"
    )
    body = []
    for r in [*sorted(res.rows, key=lambda r: r.quartiere.casefold()), *res.totals]:
        name = html.escape(r.quartiere) + (
            " <em>(approximate)</em>" if r.approximate and r.quartiere != COMUNE else ""
        )
        f = _row_figures(r)
        cells = [
            name,
            r.technology,
            fmt(r.area_km2, 2),
            f["covered_km2"],
            f["covered_pct"],
            fmt(r.population, 0),
            f["residents_covered"],
            html.escape(r.residents_basis),
            f["elements"],
        ]
        if res.live:
            cells += [f["lost_km2"], f["lost_residents"], f["subscribers_cut_off"]]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        f'<table id="figures" data-view="{mode}"><caption>All figures ({mode})</caption>'
        f"{head}{''.join(body)}</table>"
    )


NORTH = (
    '<svg class="north" viewBox="0 0 34 52" aria-label="north"><path d="M17 2 L29 34 '
    'L17 27 L5 34 Z" fill="#222"/><path d="M17 2 L17 27 L5 34 Z" fill="#fff" '
    'stroke="#222"/><text x="17" y="49" text-anchor="middle" font-size="13" '
    'font-weight="700">N</text></svg>'
)


def _controls() -> str:
    toggles = "".join(
        f'<label><input type="checkbox" data-toggle="{t.value}" checked> '
        f'<span class="sw" style="background:{LAYER_COLOURS[t]};opacity:.6"></span>'
        f"{t.value}</label>"
        for t in LAYERS
    )
    return (
        '<form class="controls" onsubmit="return false">'
        '<fieldset><legend class="no-print">View</legend>'
        '<label><input type="radio" name="mode" value="planned"> planned</label>'
        '<label><input type="radio" name="mode" value="live"> live</label></fieldset>'
        f"<fieldset>{toggles}"
        '<label><input type="checkbox" data-toggle="devices" checked> devices</label>'
        "</fieldset><fieldset>"
        '<button type="button" id="zoom-in" title="zoom in">+</button>'
        '<button type="button" id="zoom-out" title="zoom out">−</button>'
        '<button type="button" id="zoom-reset" title="whole comune">⌂</button>'
        "<span>wheel: zoom · drag: pan · click a quartiere: its figures</span>"
        "</fieldset></form>"
    )


def render(
    inv: Inventory,
    engine: CoverageEngine,
    result: CoverageResult,
    states: Mapping[str, str],
    title: str = "Coverage per quartiere",
) -> str:
    """The whole HTML page; `result` says which view (planned or live) opens first."""
    planned, live = result_of(engine, False), result_of(engine, True)
    mode = "live" if result.live else "planned"
    zones = [z.geom for z in engine.zones if not z.geom.is_empty]
    bounds = shapely.total_bounds(np.array(zones, dtype=object)) if zones else (0, 0, 1, 1)
    cv = Canvas(tuple(float(b) for b in bounds))  # type: ignore[arg-type]
    metres, px = scale_metres(cv)
    svg = [
        f'<svg id="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:.0f} '
        f'{cv.height:.0f}" width="{WIDTH:.0f}" height="{cv.height:.0f}" '
        f'data-width="{WIDTH:.0f}" data-height="{cv.height:.2f}" '
        f'data-px-per-metre="{cv.k:.8f}" role="img" aria-label="coverage map">',
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="2" height="6" fill="#d7191c"/>'
        "</pattern></defs>",
        *zones_svg(cv, engine, planned, live),
        *layers_svg(cv, engine),
        *devices_svg(cv, engine, inv, states),
        *labels_svg(cv, engine),
        "</svg>",
    ]
    scale = (
        f'<div class="scale"><div class="bar" id="scale-bar" style="width:{px:.0f}px">'
        f'</div><span id="scale-text">{metres / 1000:g} km</span></div>'
        if metres >= 1000
        else f'<div class="scale"><div class="bar" id="scale-bar" style="width:{px:.0f}px">'
        f'</div><span id="scale-text">{metres:g} m</span></div>'
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    down = len(live.down)
    data = {
        "initial": mode,
        "modeText": MODE_TEXT,
        "planned": _figures(planned),
        "live": _figures(live),
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    approx = any(z.approximate for z in engine.zones)
    notes = (
        [
            '<p class="note">Quartieri marked ≈ / (approximate) have boundaries derived '
            "from their centres, not the official ones: their figures are approximate "
            "too.</p>"
        ]
        if approx
        else []
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{''.join(notes)}{_controls()}"
        f'<div class="map"><div class="frame">{"".join(svg)}{NORTH}{scale}</div>'
        '<div class="side"><div id="panel" aria-live="polite"></div>'
        f"{_key_figures(planned, 'planned', down, when)}"
        f"{_key_figures(live, 'live', down, when)}{_legend()}</div></div>"
        f"{_table(planned, 'planned')}{_table(live, 'live')}"
        '<pre id="selftest"></pre>'
        f'<script type="application/json" id="figures-data">{payload}</script>'
        f"<script>{JS}</script></body></html>\n"
    )
