"""Every InfluxQL query of a dashboard, and its text as Grafana would send it.

No Grafana server runs in the tests, so this module does what Grafana's InfluxDB
datasource does before a query leaves the browser: `$timeFilter` from the time range,
`$__interval` from the range and the panel width, and template variables formatted the
InfluxQL way (a multi-value or include-all variable becomes a regex alternation of
escaped values, e.g. `/^(a|Sesso \\(Villa Sesso\\))$/`). The rules follow Grafana 10/11's
`InfluxDatasource.interpolateQueryExpr`, `getTimeFilter` and `rangeutil.roundInterval`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

JSON = dict[str, Any]
ALL: Literal["$__all"] = "$__all"
Selection = Sequence[str] | Literal["$__all"]


class UnresolvedVariable(ValueError):
    """A `$name` left in a query after interpolation: the dashboard uses an unknown variable."""


class NotRawInfluxQL(ValueError):
    """A target built with the visual editor (or another language): it cannot be checked."""


@dataclass(frozen=True)
class PanelQuery:
    """One query of a dashboard and where it lives (for error messages)."""

    where: str  # "panel 'Title' query A", "variable quartiere", "annotation Alerts"
    query: str
    result_format: str = "time_series"
    min_interval: str | None = None
    # Columns the panel refers to by name (table transformations and overrides): a
    # renamed column would silently empty a panel, so the checker verifies they exist.
    needs: tuple[str, ...] = ()
    # The variable the panel is repeated over (its own `repeat`, or its row's): Grafana
    # sends the query once per selected value, the variable standing for that value.
    repeat: str | None = None


@dataclass(frozen=True)
class Variable:
    name: str
    query: str
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    regex: str = ""

    @classmethod
    def from_json(cls, v: JSON) -> Variable:
        q = v.get("query", "")
        return cls(
            name=v["name"],
            query=q["query"] if isinstance(q, dict) else str(q),
            multi=bool(v.get("multi")),
            include_all=bool(v.get("includeAll")),
            all_value=v.get("allValue") or None,
            regex=v.get("regex", ""),
        )

    def filter(self, values: Sequence[str]) -> list[str]:
        """Grafana's variable regex: keep matches; a capture group picks the text."""
        if not self.regex:
            return sorted(set(values))
        pattern = self.regex
        flags = 0
        if m := re.fullmatch(r"/(.*)/([gimsuy]*)", pattern, re.S):
            pattern, js_flags = m.group(1), m.group(2)
            flags = re.I if "i" in js_flags else 0
        rx = re.compile(pattern, flags)
        out = set()
        for v in values:
            if hit := rx.search(v):
                out.add(hit.group(1) if rx.groups else v)
        return sorted(out)


def _walk_panels(panels: Sequence[JSON]) -> Iterator[tuple[JSON, str | None]]:
    """Every panel with the variable it is repeated over. An expanded row owns the
    panels after it up to the next row; a collapsed row owns its nested `panels`."""
    row_repeat: str | None = None
    for p in panels:
        if p.get("type") == "row":
            row_repeat = p.get("repeat") or None
            yield p, None
            for inner in p.get("panels", []):
                yield inner, inner.get("repeat") or row_repeat
            if p.get("collapsed"):
                row_repeat = None
            continue
        yield p, p.get("repeat") or row_repeat


def referenced_columns(panel: JSON) -> tuple[str, ...]:
    """Names a single-query table panel reads from its result: the inputs of its first
    transformation, or, without transformations, its by-name overrides."""
    if len(panel.get("targets", [])) != 1 or panel["targets"][0].get("resultFormat") != "table":
        return ()
    names: list[str] = []
    if transformations := panel.get("transformations"):
        opts = transformations[0].get("options", {})
        names += list(opts.get("fields", {}))
        names += [f["fieldName"] for f in opts.get("filters", [])]
    else:
        for o in panel.get("fieldConfig", {}).get("overrides", []):
            if o["matcher"]["id"] == "byName":
                names.append(o["matcher"]["options"])
    return tuple(n for n in names if n != "Time")


def panel_queries(dash: JSON) -> list[PanelQuery]:
    """Every panel target (rows' nested panels included) and every annotation query."""
    out = []
    for p, repeat in _walk_panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            where = f"panel '{p.get('title', '?')}' query {t.get('refId', '?')}"
            if not t.get("rawQuery") or "query" not in t:
                raise NotRawInfluxQL(f"{dash.get('uid')}: {where} is not a raw InfluxQL query")
            out.append(
                PanelQuery(
                    where,
                    t["query"],
                    t.get("resultFormat", "time_series"),
                    p.get("interval") or None,
                    referenced_columns(p),
                    repeat,
                )
            )
    for a in dash.get("annotations", {}).get("list", []):
        q = a.get("query") or a.get("target", {}).get("query")
        if q:
            needs = tuple(
                c.strip()
                for key in ("textColumn", "tagsColumn")
                for c in str(a.get(key, "")).split(",")
                if c.strip()
            )
            out.append(PanelQuery(f"annotation {a.get('name')}", q, "table", None, needs))
    return out


def variables(dash: JSON) -> list[Variable]:
    """The dashboard's query variables, in the order Grafana resolves them."""
    return [
        Variable.from_json(v)
        for v in dash.get("templating", {}).get("list", [])
        if v.get("type") == "query"
    ]


# Grafana's influxSpecialRegexEscape / escapeRegex.
def special_regex_escape(value: str) -> str:
    return re.sub(r"[$^*{}\[\]'+?.()|]", lambda m: "\\" + m.group(0), value.replace("\\", "\\\\"))


def regex_escape(value: str) -> str:
    try:
        float(value)
        return value
    except ValueError:
        return re.sub(r"[\\^$.|?*+()\[\]{}]", lambda m: "\\" + m.group(0), value)


_UNITS_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_536_000_000,
}
# rangeutil.roundInterval: (upper bound ms, interval ms)
_ROUND = [
    (10, 1),
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1500, 1000),
    (3500, 2000),
    (7500, 5000),
    (12500, 10000),
    (17500, 15000),
    (25000, 20000),
    (45000, 30000),
    (90000, 60000),
    (210000, 120000),
    (450000, 300000),
    (1050000, 600000),
    (2100000, 900000),
    (5400000, 1800000),
    (9000000, 3600000),
    (16200000, 7200000),
    (32400000, 10800000),
    (86400000, 21600000),
    (604800000, 86400000),
    (1814400000, 604800000),
    (3628800000, 2592000000),
]


def parse_duration_ms(text: str) -> int:
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d|w|y)", text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 6h")
    return int(m.group(1)) * _UNITS_MS[m.group(2)]


def round_interval(ms: float) -> int:
    for bound, value in _ROUND:
        if ms <= bound:
            return value
    return 31_536_000_000


def format_interval(ms: int) -> str:
    """Grafana's secondsToHms-style text: 500ms, 5s, 1m, 2h, 1d."""
    for unit in ("y", "w", "d", "h", "m", "s"):
        if ms >= _UNITS_MS[unit] and ms % _UNITS_MS[unit] == 0:
            return f"{ms // _UNITS_MS[unit]}{unit}"
    return f"{ms}ms"


@dataclass
class TimeRange:
    """A dashboard time range: Grafana's raw from/to (now-6h, now) or epoch milliseconds."""

    start: str | int = "now-6h"
    end: str | int = "now"
    now_ms: int = 0  # for relative ranges' length only; queries keep now() relative

    def _influx_time(self, t: str | int, what: str) -> str:
        if isinstance(t, int):
            return f"{t}ms"
        if t == "now":
            return "now()"
        if m := re.fullmatch(r"now-(\d+)([dhms])", t):
            return f"now() - {m.group(1)}{m.group(2)}"
        raise ValueError(f"time range {what} {t!r}: expected now, now-<n><d|h|m|s> or epoch ms")

    def time_filter(self) -> str:
        start, end = self._influx_time(self.start, "from"), self._influx_time(self.end, "to")
        return f"time >= {start}" if end == "now()" else f"time >= {start} and time <= {end}"

    def _ms(self, t: str | int) -> int:
        if isinstance(t, int):
            return t
        return self.now_ms - (parse_duration_ms(t[4:]) if t != "now" else 0)

    def length_ms(self) -> int:
        return max(1, self._ms(self.end) - self._ms(self.start))


@dataclass
class Interpolator:
    """Substitutes variables and macros in a query as Grafana's InfluxDB datasource does."""

    time_range: TimeRange = field(default_factory=TimeRange)
    max_data_points: int = 1000  # a panel about 1000 px wide
    datasource_min_interval: str | None = None
    # variable name -> (its definition, what is selected, the values its query returned)
    selected: dict[str, tuple[Variable, Selection, list[str]]] = field(default_factory=dict)

    def select(self, var: Variable, selection: Selection, options: Sequence[str]) -> None:
        self.selected[var.name] = (var, selection, list(options))

    def repeats(self, name: str) -> list[Interpolator]:
        """One interpolator per value a panel repeated over `name` is drawn for, the
        variable standing for that one value (as Grafana's scoped variables do)."""
        var, selection, options = self.selected[name]
        values = list(options) if selection == ALL else list(selection)
        return [replace(self, selected=self.selected | {name: (var, [v], options)}) for v in values]

    def interval_ms(self, min_interval: str | None = None) -> int:
        ms = round_interval(self.time_range.length_ms() / self.max_data_points)
        for floor in (min_interval, self.datasource_min_interval):
            if floor:
                ms = max(ms, parse_duration_ms(floor))
        return ms

    def _format(self, name: str, fmt: str | None) -> str | None:
        if name not in self.selected:
            return None
        var, selection, options = self.selected[name]
        if selection == ALL:
            if var.all_value is not None:
                return var.all_value  # a custom all value goes in as written
            values = list(options)
        else:
            values = list(selection)
        if fmt in ("raw", "csv"):
            return ",".join(values)
        if fmt == "pipe":
            return "|".join(values)
        if fmt == "regex" or var.multi or var.include_all:
            escaped = [special_regex_escape(v) for v in values]
            return escaped[0] if len(escaped) == 1 else "(" + "|".join(escaped) + ")"
        return regex_escape(values[0]) if values else ""

    def interpolate(self, query: str, min_interval: str | None = None) -> str:
        ms = self.interval_ms(min_interval)
        macros = {
            "timeFilter": self.time_range.time_filter(),
            "__timeFilter": self.time_range.time_filter(),
            "__interval": format_interval(ms),
            "interval": format_interval(ms),
            "__interval_ms": str(ms),
        }

        def sub(m: re.Match[str]) -> str:
            name = m.group("b") or m.group("s") or m.group("p")
            fmt = m.group("f")
            if name in macros:
                return macros[name]
            value = self._format(name, fmt)
            return m.group(0) if value is None else value

        out = _VAR.sub(sub, query)
        if left := _VAR.search(out):
            raise UnresolvedVariable(
                f"{left.group(0)} is not a variable of this dashboard (in: {query})"
            )
        return out


# ${name}, ${name:format}, [[name]], $name — Grafana's variable syntaxes.
def variables_used(query: str) -> set[str]:
    """The names of the variables a query refers to."""
    return {next(g for g in m.group("b", "s", "p") if g) for m in _VAR.finditer(query)}


_VAR = re.compile(r"\$\{(?P<b>\w+)(?::(?P<f>\w+))?\}|\[\[(?P<s>\w+)\]\]|\$(?P<p>\w+)")


def values_of(series: Sequence[Mapping[str, Any]]) -> list[str]:
    """Values of a SHOW TAG VALUES (column `value`) or first-column metadata query."""
    out = []
    for s in series:
        cols = s.get("columns", [])
        idx = cols.index("value") if "value" in cols else 0
        out += [str(row[idx]) for row in s.get("values", [])]
    return out
