"""The house style of a panel, on grafana-foundation-sdk's panel builders.

Every panel has a title and a description (the question it answers), our datasource, a
size on the 24-column grid and a unit from `netagent.grafana.units`; time series have a table
legend, a shared tooltip and short gaps bridged; tables hide what they do not need.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import stat, table, timeseries
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from netagent.grafana.sdk import DS_REF, JSON, InfluxQL
from netagent.grafana.units import unit

# Colours of a device state, shared by every panel that shows one.
STATE_COLOURS: dict[str, str] = {
    "up": "green",
    "degraded": "yellow",
    "unreachable": "orange",
    "down": "red",
    "maintenance": "blue",
    "unknown": "text",
}
Size = tuple[int, int]  # (width in grid columns, height in grid rows)
# (field name or /regex/ of names, {property id: value})
Override = tuple[str, dict[str, Any]]


def steps(*pairs: tuple[float | None, str]) -> db.ThresholdsConfig:
    """Threshold steps as (from value, colour); the first step's value must be None (base)."""
    if not pairs or pairs[0][0] is not None:
        raise ValueError("the first threshold step is the base and has value None")
    return (
        db.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in pairs])
    )


def state_mappings() -> list[dm.ValueMapping]:
    """Value mappings that colour a state string (up, down…) the same everywhere."""
    return [
        dm.ValueMap(
            options={
                s: dm.ValueMappingResult(color=c, index=i, text=s)
                for i, (s, c) in enumerate(STATE_COLOURS.items())
            }
        )
    ]


def props(**kw: Any) -> list[dm.DynamicConfigValue]:
    """Override properties: props(unit="ms", cell={...}); keys as Grafana's ids, with
    `cell`, `display`, `width`, `hidden` short for the table's custom ones."""
    key_of = {
        "display": "displayName",
        "cell": "custom.cellOptions",
        "width": "custom.width",
        "hidden": "custom.hidden",
        "negative_y": "custom.transform",
    }
    return [dm.DynamicConfigValue(id_val=key_of.get(k, k), value=v) for k, v in kw.items()]


def graded(
    unit_id: str, pairs: Sequence[tuple[float | None, str]], cell: str = "color-background"
) -> dict[str, Any]:
    """Override properties of a table column coloured by thresholds."""
    return {"unit": unit_id, "thresholds": steps(*pairs).build(), "cell": {"type": cell}}


def rows_where(field: str, value: object, *, keep: bool = True) -> JSON:
    """A transformation keeping (or, keep=False, dropping) the rows whose `field` is `value`."""
    return {
        "id": "filterByValue",
        "options": {
            "type": "include" if keep else "exclude",
            "match": "any",
            "filters": [
                {"fieldName": field, "config": {"id": "equal", "options": {"value": value}}}
            ],
        },
    }


def fixed_colour(colour: str) -> dict[str, str]:
    return {"mode": "fixed", "fixedColor": colour}


def common(
    p: Any,
    title: str,
    description: str,
    size: Size,
    targets: Sequence[InfluxQL],
    measure: tuple[str, str],
    overrides: Iterable[Override],
) -> None:
    """What every panel has: title and description (the question it answers), our
    datasource, its size, its unit (from netagent.grafana.units) and its by-name overrides."""
    if not title.strip() or not description.strip():
        raise ValueError("every panel needs a title and a description")
    p.title(title).description(description).datasource(DS_REF).span(size[0]).height(size[1])
    p.targets(list(targets)).unit(unit(*measure))
    for name, changes in overrides:
        if len(name) > 2 and name[0] == name[-1] == "/":  # /regex/: series by name pattern
            p.override_by_regexp(name[1:-1], props(**changes))
        else:
            p.override_by_name(name, props(**changes))


def series(
    title: str,
    description: str,
    size: Size,
    targets: Sequence[InfluxQL],
    measure: tuple[str, str],
    *,
    thresholds: db.ThresholdsConfig | None = None,
    threshold_style: cm.GraphThresholdsStyleMode = cm.GraphThresholdsStyleMode.OFF,
    fill: int = 10,
    stack: bool = False,
    bars: bool = False,
    calcs: Sequence[str] = ("mean", "max", "lastNotNull"),
    overrides: Iterable[Override] = (),
    minmax: tuple[float | None, float | None] = (None, None),
    decimals: int | None = None,
) -> timeseries.Panel:
    """A time series panel: table legend with `calcs`, shared tooltip, no points, gaps
    up to 5 min bridged (a poll interval longer than $__interval); longer gaps are
    outages and stay visible."""
    p = timeseries.Panel()
    common(p, title, description, size, targets, measure, overrides)
    p.legend(
        cb.VizLegendOptions()
        .display_mode(cm.LegendDisplayMode.TABLE)
        .placement(cm.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(list(calcs))
    )
    p.tooltip(
        cb.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.DESCENDING)
    )
    p.draw_style(cm.GraphDrawStyle.BARS if bars else cm.GraphDrawStyle.LINE)
    p.line_width(1).fill_opacity(fill).show_points(cm.VisibilityMode.NEVER).span_nulls(300000)
    p.stacking(cb.StackingConfig().mode(cm.StackingMode.NORMAL if stack else cm.StackingMode.NONE))
    p.thresholds_style(cb.GraphThresholdsStyleConfig().mode(threshold_style))
    p.thresholds(thresholds or steps((None, "green")))
    _limits(p, minmax, decimals)
    return p


def _limits(p: Any, minmax: tuple[float | None, float | None], decimals: int | None) -> None:
    lo, hi = minmax
    if lo is not None:
        p.min(lo)
    if hi is not None:
        p.max(hi)
    if decimals is not None:
        p.decimals(decimals)


def stat_panel(
    title: str,
    description: str,
    size: Size,
    targets: Sequence[InfluxQL],
    measure: tuple[str, str],
    *,
    text_mode: cm.BigValueTextMode = cm.BigValueTextMode.VALUE_AND_NAME,
    colour: cm.BigValueColorMode = cm.BigValueColorMode.BACKGROUND,
    thresholds: db.ThresholdsConfig | None = None,
    overrides: Iterable[Override] = (),
    transformations: Sequence[JSON] = (),
    minmax: tuple[float | None, float | None] = (None, None),
    decimals: int | None = None,
) -> stat.Panel:
    p = stat.Panel()
    common(p, title, description, size, targets, measure, overrides)
    p.reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
    p.color_mode(colour).graph_mode(cm.BigValueGraphMode.NONE).text_mode(text_mode)
    p.justify_mode(cm.BigValueJustifyMode.AUTO).orientation(cm.VizOrientation.AUTO)
    p.thresholds(thresholds or steps((None, "green")))
    p.color_scheme(db.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
    p.transformations([transform(t) for t in transformations])
    _limits(p, minmax, decimals)
    return p


def table_panel(
    title: str,
    description: str,
    size: Size,
    target: InfluxQL,
    measure: tuple[str, str],
    *,
    sort_by: str | None = None,
    desc: bool = False,
    overrides: Iterable[Override] = (),
    transformations: Sequence[JSON] = (),
    mappings: list[dm.ValueMapping] | None = None,
    decimals: int | None = None,
) -> table.Panel:
    """A table of one query (format table); `Time` is hidden unless an override shows it."""
    p = table.Panel()
    common(p, title, description, size, [target], measure, overrides)
    p.show_header(True).cell_height(cm.TableCellHeight.SM)
    p.footer(cb.TableFooterOptions().show(False))
    if sort_by:
        p.sort_by([cb.TableSortByFieldState().display_name(sort_by).desc(desc)])
    p.thresholds(steps((None, "green")))
    p.transformations([transform(t) for t in transformations])
    if mappings:
        p.mappings(mappings)
    _limits(p, (None, None), decimals)
    return p


def transform(t: JSON) -> dm.DataTransformerConfig:
    return dm.DataTransformerConfig(id_val=t["id"], options=t["options"])
