"""Our few additions to Grafana's grafana-foundation-sdk, and a dashboard as we build it.

The dashboards are built with the SDK's typed builders (pinned in pyproject to the
release whose schema matches the Grafana we target, 11.0). The SDK has no InfluxDB
query type in any release, so `InfluxQL` is one here: a raw InfluxQL target, exactly as
the tests extract and run it. Its annotation model has no InfluxDB fields either
(query, textColumn, tagsColumn), so `InfluxAnnotation` adds them. Everything else
(layout on the 24-column grid, rows and repeats, variables, thresholds, legends,
overrides) is the SDK's.

The datasource: every panel, target, variable and annotation names the datasource
`${DS_NETAGENT}`, and the dashboard carries both
- `__inputs` with DS_NETAGENT: Grafana's import UI asks for an InfluxDB datasource and
  substitutes its uid for `${DS_NETAGENT}` everywhere, so the dashboard imports into an
  existing Grafana with no hand edit;
- a datasource variable named DS_NETAGENT whose current value is the provisioned
  datasource's uid (`netagent-influxdb`): a provisioned dashboard is not substituted, and
  Grafana resolves `${DS_NETAGENT}` through that variable instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Self

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm

JSON = dict[str, Any]

DATASOURCE_UID = "netagent-influxdb"  # the provisioned datasource (provisioning/)
DS_INPUT = "DS_NETAGENT"
DS_REF = dm.DataSourceRef(type_val="influxdb", uid="${" + DS_INPUT + "}")
GRAFANA_VERSION = "11.0.0"  # the schema the pinned SDK release follows

Part = cogbuilder.Builder[Any]  # a row or a panel, in a dashboard's reading order


class InfluxQLQuery(variants.Dataquery):
    """A raw InfluxQL target; `alias` may use $tag_<name> like Grafana's alias patterns."""

    def __init__(self, query: str, ref_id: str, result_format: str, alias: str) -> None:
        self.query, self.ref_id = query, ref_id
        self.result_format, self.alias = result_format, alias

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "datasource": DS_REF,
            "refId": self.ref_id,
            "rawQuery": True,
            "query": self.query,
            "resultFormat": self.result_format,
        }
        if self.alias:
            out["alias"] = self.alias
        return out


class InfluxQL(cogbuilder.Builder[InfluxQLQuery]):
    def __init__(self, query: str, ref: str = "A", fmt: str = "time_series", alias: str = ""):
        self._q = InfluxQLQuery(query, ref, fmt, alias)

    def build(self) -> InfluxQLQuery:
        return self._q


def queries(*pairs: tuple[str, str], fmt: str = "time_series") -> list[InfluxQL]:
    """Several (query, alias) targets with refIds A, B, C…"""
    return [InfluxQL(q, chr(ord("A") + i), fmt, alias) for i, (q, alias) in enumerate(pairs)]


class InfluxAnnotation(dm.AnnotationQuery):
    """An annotation read by an InfluxQL query: the text and tags come from its columns."""

    def __init__(self, name: str, query: str, text_column: str, tags_column: str) -> None:
        super().__init__(name=name, datasource=DS_REF, enable=True, icon_color="red")
        self.query, self.text_column, self.tags_column = query, text_column, tags_column

    def to_json(self) -> dict[str, object]:
        return super().to_json() | {
            "query": self.query,
            "textColumn": self.text_column,
            "tagsColumn": self.tags_column,
            "target": {
                "query": self.query,
                "rawQuery": True,
                "resultFormat": "table",
                "refId": "Anno",
            },
        }


class Annotation(cogbuilder.Builder[dm.AnnotationQuery]):
    def __init__(self, annotation: InfluxAnnotation) -> None:
        self._a = annotation

    def build(self) -> dm.AnnotationQuery:
        return self._a


def alert_annotation() -> Annotation:
    """Alert events (firing/resolved) from the `alert` measurement, on every time axis."""
    q = (
        'SELECT "text", "state", "root_cause", "device", "kind", "severity" FROM "alert" '
        "WHERE $timeFilter"
    )
    return Annotation(InfluxAnnotation("Alerts", q, "text", "device,kind,severity,state"))


def regex_in(tag: str, var: str) -> str:
    """The InfluxQL condition for a multi-value variable: "tag" =~ /^$var$/."""
    return f'"{tag}" =~ /^${var}$/'


def is_repeated(tag: str, var: str) -> str:
    """The InfluxQL condition in a panel repeated over `var`: "tag" = '<that one value>'.

    Not a regex: Grafana escapes regex characters in a value but not "/", which ends an
    InfluxQL regex, and real tag values hold it (ports ge-0/1, a radio's station links
    named device/index). In a repeat the variable is one value, so equality says it."""
    return f"\"{tag}\" = '${{{var}:raw}}'"


def tag_values(
    name: str, label: str, measurement: str, key: str, where: str = "", *, repeated: bool = False
) -> db.QueryVariable:
    """A multi-value variable of a tag's values (SHOW TAG VALUES), refreshed on every
    time-range change, so a new device or link appears without any edit. All is selected,
    except for a variable a row is `repeated` over: it offers no All (a row per device of
    a whole city would be hundreds of panels) and opens on its first value."""
    query = f'SHOW TAG VALUES FROM {measurement} WITH KEY = "{key}"'
    if where:
        query += f" WHERE {where}"
    v = (
        db.QueryVariable(name)
        .label(label)
        .datasource(DS_REF)
        .query(query)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(not repeated)
    )
    if not repeated:
        v.current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
    return v


def datasource_variable() -> db.DatasourceVariable:
    """The DS_NETAGENT variable: resolves `${DS_NETAGENT}` in a provisioned dashboard.
    Hidden: after a UI import the panels name the chosen datasource directly, and a
    selector there would change nothing."""
    return (
        db.DatasourceVariable(DS_INPUT)
        .label("InfluxDB")
        .type("influxdb")
        .hide(dm.VariableHide.HIDE_VARIABLE)
        .current(dm.VariableOption(selected=True, text="netagent InfluxDB", value=DATASOURCE_UID))
    )


def section(title: str, *, repeat: str = "") -> db.Row:
    """An expanded row: the panels added after it (up to the next row) belong to it; with
    `repeat`, Grafana draws the row and its panels once per selected value of that
    variable, the variable standing for that one value in their queries."""
    r = db.Row(title).collapsed(False)
    return r.repeat(repeat) if repeat else r


class Board:
    """A dashboard being built: rows and panels in reading order, laid out by the SDK."""

    def __init__(self, uid: str, title: str, description: str, tags: Sequence[str]) -> None:
        self.b = (
            db.Dashboard(title)
            .uid(uid)
            .description(description)
            .tags(["netagent", *tags])
            .timezone("browser")
            .editable()
            .tooltip(dm.DashboardCursorSync.CROSSHAIR)
            .refresh("1m")
            .time("now-6h", "now")
            .link(
                db.DashboardLink("netagent dashboards")
                .type(dm.DashboardLinkType.DASHBOARDS)
                .tags(["netagent"])
                .as_dropdown(True)
                .include_vars(False)
                .keep_time(True)
            )
            .annotation(alert_annotation())
            .with_variable(datasource_variable())
        )

    def var(self, *variables: db.QueryVariable) -> Self:
        for v in variables:
            self.b.with_variable(v)
        return self

    def add(self, *items: Part) -> Self:
        for item in items:
            if isinstance(item, db.Row):
                self.b.with_row(item)
            else:
                self.b.with_panel(item)
        return self

    def time(self, start: str, refresh: str) -> Self:
        self.b.time(start, "now").refresh(refresh)
        return self

    def json(self) -> JSON:
        """The dashboard as Grafana reads it: panel ids in order, `__inputs` and
        `__requires` for the import UI."""
        dash: JSON = json.loads(json.dumps(self.b.build(), cls=JSONEncoder))
        next_id = 1
        kinds: set[str] = set()
        for p in dash["panels"]:
            for one in [p, *p.get("panels", [])]:
                one["id"] = next_id
                next_id += 1
                kinds.add(one["type"])
        dash["__inputs"] = [
            {
                "name": DS_INPUT,
                "label": "InfluxDB",
                "description": "The InfluxDB (InfluxQL) that netagent writes to",
                "type": "datasource",
                "pluginId": "influxdb",
                "pluginName": "InfluxDB",
            }
        ]
        dash["__requires"] = [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": GRAFANA_VERSION},
            {"type": "datasource", "id": "influxdb", "name": "InfluxDB", "version": "1.0.0"},
            *(
                {"type": "panel", "id": k, "name": k, "version": ""}
                for k in sorted(kinds - {"row"})
            ),
        ]
        return dash
