"""Building blocks of Grafana dashboard JSON (schema of Grafana 10/11), as plain dicts.

Every query is raw InfluxQL against one provisioned datasource with a fixed uid, so the
JSON stays portable between Grafana instances and every query can be extracted and run
by the tests exactly as written. Panels get explicit titles, units, legends and
thresholds: nothing relies on Grafana's defaults, which change between versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

DATASOURCE_UID = "netagent-influxdb"
DATASOURCE: JSON = {"type": "influxdb", "uid": DATASOURCE_UID}
SCHEMA_VERSION = 39  # Grafana 11.0; 10.x and later 11.x migrate it silently

# Colours of a device state, shared by every panel that shows one.
STATE_COLOURS: dict[str, str] = {
    "up": "green",
    "degraded": "yellow",
    "unreachable": "orange",
    "down": "red",
    "maintenance": "blue",
    "unknown": "text",
}


def state_mappings() -> list[JSON]:
    """Value mappings that colour a state string (up, down…) the same everywhere."""
    options = {
        state: {"color": colour, "index": i, "text": state}
        for i, (state, colour) in enumerate(STATE_COLOURS.items())
    }
    return [{"type": "value", "options": options}]


def thresholds(*steps: tuple[float | None, str], mode: str = "absolute") -> JSON:
    """Threshold steps as (from value, colour); the first step's value must be None (base)."""
    if not steps or steps[0][0] is not None:
        raise ValueError("the first threshold step is the base and has value None")
    return {"mode": mode, "steps": [{"color": c, "value": v} for v, c in steps]}


def target(query: str, ref: str = "A", fmt: str = "time_series", alias: str = "") -> JSON:
    """A raw InfluxQL query; `alias` may use $tag_<name> like Grafana's alias patterns."""
    t: JSON = {
        "datasource": DATASOURCE,
        "refId": ref,
        "rawQuery": True,
        "query": query,
        "resultFormat": fmt,
    }
    if alias:
        t["alias"] = alias
    return t


def targets(*queries: tuple[str, str], fmt: str = "time_series") -> list[JSON]:
    """Several (query, alias) targets with refIds A, B, C…"""
    return [target(q, chr(ord("A") + i), fmt, alias) for i, (q, alias) in enumerate(queries)]


@dataclass
class Grid:
    """Lays panels left to right, wrapping at Grafana's 24 columns back to `left`
    (a Grid with left=14 stacks panels in a right-hand column)."""

    x: int = 0
    y: int = 0
    row_h: int = 0
    left: int = 0

    def place(self, w: int, h: int) -> JSON:
        if self.x + w > 24:
            self.newline()
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos

    def newline(self) -> None:
        self.y += self.row_h
        self.x, self.row_h = self.left, 0


def panel(
    kind: str,
    title: str,
    description: str,
    grid: Grid,
    size: tuple[int, int],
    queries: list[JSON],
    *,
    unit: str = "none",
    steps: JSON | None = None,
    options: JSON | None = None,
    custom: JSON | None = None,
    mappings: list[JSON] | None = None,
    overrides: list[JSON] | None = None,
    transformations: list[JSON] | None = None,
    extra: JSON | None = None,
    decimals: int | None = None,
    minmax: tuple[float | None, float | None] = (None, None),
) -> JSON:
    """One panel. Title and description are required: they say what question it answers."""
    if not title.strip() or not description.strip():
        raise ValueError("every panel needs a title and a description")
    defaults: JSON = {
        "unit": unit,
        "thresholds": steps or thresholds((None, "green")),
        "color": {"mode": "thresholds"},
        "mappings": mappings or [],
    }
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    lo, hi = minmax
    if lo is not None:
        defaults["min"] = lo
    if hi is not None:
        defaults["max"] = hi
    p: JSON = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": grid.place(*size),
        "targets": queries,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }
    if transformations:
        p["transformations"] = transformations
    if extra:
        p.update(extra)
    return p


def timeseries_options(legend_calcs: Sequence[str] = ("mean", "max", "lastNotNull")) -> JSON:
    return {
        "legend": {
            "displayMode": "table",
            "placement": "bottom",
            "showLegend": True,
            "calcs": list(legend_calcs),
        },
        "tooltip": {"mode": "multi", "sort": "desc"},
    }


def line_style(fill: int = 10, stack: bool = False, draw: str = "line") -> JSON:
    return {
        "drawStyle": draw,
        "lineWidth": 1,
        "fillOpacity": fill,
        "showPoints": "never",
        # Bridge gaps up to 5 min (a poll interval longer than $__interval); longer
        # gaps are outages and stay visible.
        "spanNulls": 300000,
        "stacking": {"mode": "normal" if stack else "none", "group": "A"},
        "axisPlacement": "auto",
        "thresholdsStyle": {"mode": "off"},
    }


def stat_options(text_mode: str = "value_and_name", calc: str = "lastNotNull") -> JSON:
    return {
        "reduceOptions": {"calcs": [calc], "fields": "", "values": False},
        "colorMode": "background",
        "graphMode": "none",
        "justifyMode": "auto",
        "textMode": text_mode,
        "orientation": "auto",
    }


def table_options(sort_by: str | None = None, desc: bool = False) -> JSON:
    opts: JSON = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False}}
    if sort_by:
        opts["sortBy"] = [{"displayName": sort_by, "desc": desc}]
    return opts


def override(name: str, **props: Any) -> JSON:
    """A by-name field override: override("since", unit="dateTimeFromNow")."""
    key_of = {"display": "displayName", "cell": "custom.cellOptions", "width": "custom.width"}
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": key_of.get(k, k), "value": v} for k, v in props.items()],
    }


def query_variable(
    name: str,
    label: str,
    query: str,
    *,
    multi: bool = True,
    all_value: str | None = None,
    regex: str = "",
) -> JSON:
    """A variable filled from InfluxDB (SHOW TAG VALUES …), refreshed on time-range change."""
    v: JSON = {
        "type": "query",
        "name": name,
        "label": label,
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 2,
        "multi": multi,
        "includeAll": multi,
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if multi else {},
        "regex": regex,
        "sort": 1,
        "hide": 0,
        "options": [],
    }
    if all_value is not None:
        v["allValue"] = all_value
    return v


def alert_annotation() -> JSON:
    """Alert events (firing/resolved) from the `alert` measurement, on every time axis."""
    q = (
        'SELECT "text", "state", "root_cause", "device", "kind", "severity" FROM "alert" '
        "WHERE $timeFilter"
    )
    return {
        "name": "Alerts",
        "datasource": DATASOURCE,
        "enable": True,
        "iconColor": "red",
        "query": q,
        "textColumn": "text",
        "tagsColumn": "device,kind,severity,state",
        "target": {"query": q, "rawQuery": True, "resultFormat": "table", "refId": "Anno"},
    }


def dashboard(
    uid: str,
    title: str,
    description: str,
    panels: Iterable[JSON],
    variables: Sequence[JSON] = (),
    tags: Sequence[str] = (),
    time_from: str = "now-6h",
    refresh: str = "1m",
) -> JSON:
    """A whole dashboard; panel ids are assigned in order so the JSON is reproducible."""
    ps = list(panels)
    next_id = 1
    for p in ps:
        p["id"] = next_id
        next_id += 1
        for inner in p.get("panels", []):
            inner["id"] = next_id
            next_id += 1
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["netagent", *tags],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": refresh,
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "links": [
            {
                "type": "dashboards",
                "tags": ["netagent"],
                "asDropdown": True,
                "title": "netagent dashboards",
                "includeVars": False,
                "keepTime": True,
            }
        ],
        "annotations": {"list": [alert_annotation()]},
        "templating": {"list": list(variables)},
        "panels": ps,
    }


def row(title: str, grid: Grid, collapsed: bool = False) -> JSON:
    """A row across the dashboard. A collapsed row carries its panels in its own
    `panels` list (Grafana's layout for them): append them there."""
    grid.newline()
    r: JSON = {
        "type": "row",
        "title": title,
        "collapsed": collapsed,
        "gridPos": {"x": 0, "y": grid.y, "w": 24, "h": 1},
        "panels": [],
    }
    grid.y += 1
    return r


def regex_in(tag: str, var: str) -> str:
    """The InfluxQL condition for a multi-value variable: "tag" =~ /^$var$/."""
    return f'"{tag}" =~ /^${var}$/'


def quote(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
