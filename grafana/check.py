"""Run every query of a dashboard against a real InfluxDB, as Grafana would send it.

A query passes when InfluxDB answers without error, returns at least one series, and
every column it selects holds at least one value: a panel whose field is missing from
the data (a schema drift, a typo) shows up here rather than as an empty panel in front
of a technician. On an installation, a query with nothing to show (no incident open, no
radio link in a network without radios) is listed as without data rather than failed,
and a variable without values leaves its panels unchecked: no data of a kind is not a
fault of the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from netagent.collectors.influx.config import InfluxConfig
from netagent.grafana.queries import (
    ALL,
    Interpolator,
    Selection,
    TimeRange,
    UnresolvedVariable,
    Variable,
    panel_queries,
    values_of,
    variables,
    variables_used,
)

JSON = dict[str, Any]


class InfluxQLError(Exception):
    """InfluxDB refused or failed a query (its own message)."""


class InfluxQL(Protocol):
    """Runs one InfluxQL statement; returns its series or raises InfluxQLError."""

    def __call__(self, query: str) -> list[JSON]: ...


class HttpInfluxQL:
    """InfluxQL over HTTP /query: 1.x, and 2.x/3.x through their v1 compatibility API,
    authenticated and addressed as the agent's `[influxdb]` section says."""

    def __init__(self, config: InfluxConfig, timeout_s: float = 30.0) -> None:
        auth, headers = config.query_auth()
        db, rp = config.query_database()
        self._params = {"db": db, "epoch": "ms", **({"rp": rp} if rp else {})}
        self._client = httpx.Client(
            base_url=str(config.url), auth=auth, headers=headers, timeout=timeout_s
        )

    def __call__(self, query: str) -> list[JSON]:
        r = self._client.post("/query", params=self._params, data={"q": query})
        try:
            body = r.json()
        except ValueError as e:
            raise InfluxQLError(f"HTTP {r.status_code}: {r.text[:200]}") from e
        if r.status_code != 200 or "error" in body:
            raise InfluxQLError(str(body.get("error", f"HTTP {r.status_code}")))
        results = body.get("results", [{}])
        if "error" in results[0]:
            raise InfluxQLError(str(results[0]["error"]))
        series: list[JSON] = results[0].get("series", [])
        return series

    def close(self) -> None:
        self._client.close()


@dataclass(frozen=True)
class Problem:
    dashboard: str
    where: str
    query: str
    reason: str

    def __str__(self) -> str:
        return f"{self.dashboard}: {self.where}: {self.reason}\n    {self.query}"


Chooser = Callable[[Variable, list[str]], Selection]


def choose_all(var: Variable, options: list[str]) -> Selection:
    """Everything: All where the variable offers it (what the dashboard opens with), else
    every value selected by hand (a variable a row is repeated over), or the one value a
    single-value variable can hold."""
    if var.include_all:
        return ALL
    return list(options) if var.multi else options[:1]


def choose_two(var: Variable, options: list[str]) -> Selection:
    """Two explicit values (the regex alternation path), or the one there is."""
    return options[:2] if var.multi else options[:1]


def empty_columns(series: Sequence[JSON]) -> list[str]:
    """Columns (other than time) that hold no value in any row of any series."""
    seen: dict[str, bool] = {}
    for s in series:
        cols = s.get("columns", [])
        for i, c in enumerate(cols):
            if c == "time":
                continue
            has = any(row[i] is not None for row in s.get("values", []))
            seen[c] = seen.get(c, False) or has
    return [c for c, has in seen.items() if not has]


def result_columns(series: Sequence[JSON]) -> set[str]:
    """What a table built from these series has: its columns and its tag keys."""
    out: set[str] = set()
    for s in series:
        out.update(s.get("columns", []))
        out.update(s.get("tags", {}) or {})
    return out


def check_dashboard(
    dash: JSON,
    run: InfluxQL,
    time_range: TimeRange,
    choose: Chooser = choose_all,
    datasource_min_interval: str | None = None,
    require_data: bool = True,
    no_data: list[str] | None = None,
) -> list[Problem]:
    """Resolve the variables in order, then run every panel and annotation query.

    require_data=False only reports errors: an explicit selection of a few values may
    rightly match nothing (no device down in those quartieri), All may not.
    no_data: when given, a query that returns nothing is appended to it ("dashboard:
    where") instead of being a problem, and the queries that use a variable without
    any value (or are repeated over it) are not run: on an installation, no incident
    open or no radio in the network is no fault of the dashboard. Errors, and series
    whose columns hold no value (a field renamed), stay problems.
    """
    uid = str(dash.get("uid"))
    problems: list[Problem] = []
    interp = Interpolator(time_range, datasource_min_interval=datasource_min_interval)

    def run_one(where: str, raw: str, it: Interpolator, min_interval: str | None) -> list[JSON]:
        try:
            q = it.interpolate(raw, min_interval)
        except (UnresolvedVariable, ValueError) as e:
            problems.append(Problem(uid, where, raw, str(e)))
            return []
        try:
            return run(q)
        except InfluxQLError as e:
            problems.append(Problem(uid, where, q, f"InfluxDB error: {e}"))
            return []

    def attempt(
        where: str,
        raw: str,
        min_interval: str | None = None,
        needs: tuple[str, ...] = (),
        repeat: str | None = None,
    ) -> list[JSON] | None:
        """Run the query (once per value of a repeat: the repeated panel passes when
        every copy runs and, together, they show data in every column)."""
        before = len(problems)
        copies = interp.repeats(repeat) if repeat and repeat in interp.selected else [interp]
        series = [s for it in copies for s in run_one(where, raw, it, min_interval)]
        if len(problems) > before:
            return None
        shown = raw if len(copies) != 1 else copies[0].interpolate(raw, min_interval)
        if repeat:
            where += f" (repeated for {len(copies)} value(s) of ${repeat})"
        if not series:
            if no_data is not None:
                no_data.append(f"{uid}: {where}")
                return []
            if require_data:
                problems.append(Problem(uid, where, shown, "no series returned"))
            return None
        if require_data and (empty := empty_columns(series)):
            problems.append(Problem(uid, where, shown, f"no value in column(s) {', '.join(empty)}"))
        if missing := [n for n in needs if n not in result_columns(series)]:
            problems.append(
                Problem(
                    uid,
                    where,
                    shown,
                    "the panel refers to column(s) "
                    f"{', '.join(missing)} that the query does not return",
                )
            )
        return series

    valueless: set[str] = set()  # variables without a value (with no_data)

    def skipped(raw: str, repeat: str | None = None) -> bool:
        return bool(valueless & (variables_used(raw) | {repeat}))

    for var in variables(dash):
        if skipped(var.query):
            valueless.add(var.name)
            continue
        series = attempt(f"variable {var.name}", var.query)
        options = var.filter(values_of(series or []))
        if no_data is not None and series is not None and not options:
            if series:  # values, none left by the regex (no series was noted by attempt)
                no_data.append(f"{uid}: variable {var.name} (no value left after its regex)")
            valueless.add(var.name)
            continue
        if series is not None and not options and require_data:
            problems.append(
                Problem(
                    uid,
                    f"variable {var.name}",
                    var.query,
                    f"no value left after the variable regex {var.regex}",
                )
            )
        interp.select(var, choose(var, options), options)
    for pq in panel_queries(dash):
        if not skipped(pq.query, pq.repeat):
            attempt(pq.where, pq.query, pq.min_interval, pq.needs, pq.repeat)
    return problems


def describe(problems: Sequence[Problem]) -> str:
    return "\n".join(str(p) for p in problems)
