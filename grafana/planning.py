"""The planners' dashboard: coverage per quartiere, planned against live.

`coverage` rows carry a `view` tag (planned: every device as if up; live: devices down
now excluded), so the two can be compared side by side; the comune-wide totals have
quartiere = "comune" (netagent.geo.coverage.COMUNE).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, table
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.models import common as cm

from netagent.grafana.panels import (
    common,
    graded,
    series,
    stat_panel,
    steps,
    table_panel,
)
from netagent.grafana.sdk import (
    JSON,
    Board,
    InfluxQL,
    queries,
    regex_in,
    section,
    tag_values,
)
from netagent.grafana.units import unit

COMUNE = "comune"
PCT_STEPS = ((None, "red"), (50, "orange"), (80, "green"))
SEL = f"{regex_in('quartiere', 'quartiere')} AND {regex_in('technology', 'technology')}"
PCT = ("coverage", "area_pct")
RESIDENTS = ("coverage", "residents_covered")


def _view(view: str) -> str:
    return f"\"view\" = '{view}'"


def per_quartiere(view: str) -> str:
    return (
        'SELECT last("area_pct") AS "covered %", last("residents_covered") AS "residents", '
        'last("covered_km2") AS "covered km²", last("area_km2") AS "area km²" '
        f'FROM "coverage" WHERE {_view(view)} AND {SEL} AND "quartiere" != \'{COMUNE}\' '
        'AND $timeFilter GROUP BY "quartiere", "technology"'
    )


def comune(field: str, view: str, per_interval: bool) -> str:
    group = 'time($__interval), "technology" fill(previous)' if per_interval else '"technology"'
    return (
        f'SELECT last("{field}") FROM "coverage" WHERE {_view(view)} '
        f"AND \"quartiere\" = '{COMUNE}' AND {regex_in('technology', 'technology')} "
        f"AND $timeFilter GROUP BY {group}"
    )


def coverage_table(view: str) -> table.Panel:
    what = (
        "as planned: every device in the inventory counted as working"
        if view == "planned"
        else "live: devices down or unreachable now left out"
    )
    return table_panel(
        f"Coverage per quartiere — {view}",
        f"Share of each quartiere's area and residents covered, per technology, {what}.",
        (12, 12),
        InfluxQL(per_quartiere(view), fmt="table"),
        PCT,
        sort_by="covered %",
        overrides=[
            (
                "covered %",
                graded(unit(*PCT), PCT_STEPS)
                | {"min": 0, "max": 100, "cell": {"type": "gauge", "mode": "basic"}},
            ),
            ("residents", {"unit": unit(*RESIDENTS), "decimals": 0}),
            ("covered km²", {"unit": unit("coverage", "covered_km2"), "decimals": 2}),
            ("area km²", {"unit": unit("coverage", "area_km2"), "decimals": 2}),
            ("Time", {"display": "computed at"}),
        ],
    )


def least_covered() -> bargauge.Panel:
    q = (
        'SELECT last("area_pct") FROM "coverage" '
        f"WHERE {_view('live')} AND {SEL} AND \"quartiere\" != '{COMUNE}' "
        'AND $timeFilter GROUP BY "quartiere", "technology"'
    )
    p = bargauge.Panel()
    common(
        p,
        "Covered area per quartiere — live",
        "Which quartieri are least covered right now, per technology.",
        (24, 14),
        [InfluxQL(q, alias="$tag_quartiere — $tag_technology")],
        PCT,
        (),
    )
    p.orientation(cm.VizOrientation.HORIZONTAL).display_mode(cm.BarGaugeDisplayMode.GRADIENT)
    p.show_unfilled(True).value_mode(cm.BarGaugeValueMode.COLOR)
    p.name_placement(cm.BarGaugeNamePlacement.LEFT)
    p.reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False))
    p.thresholds(steps(*PCT_STEPS)).min(0).max(100).decimals(1)
    return p


def coverage() -> JSON:
    board = Board(
        "netagent-coverage",
        "netagent — Coverage per quartiere",
        "How much of each quartiere is covered, by which technology, and how many "
        "residents that is: as planned and live.",
        ["coverage"],
    ).time("now-7d", "5m")
    board.var(
        tag_values("quartiere", "Quartiere", '"coverage"', "quartiere").regex(
            f"/^(?!{COMUNE}$).*/"
        ),
        tag_values("technology", "Technology", '"coverage"', "technology"),
    )
    board.add(
        section("Comune"),
        stat_panel(
            "Comune covered — live",
            "Share of the comune's area covered now, per technology.",
            (12, 4),
            [InfluxQL(comune("area_pct", "live", False), alias="$tag_technology")],
            PCT,
            thresholds=steps(*PCT_STEPS),
            minmax=(0, 100),
            decimals=1,
        ),
        stat_panel(
            "Residents covered — live",
            "Residents of the comune living in covered areas now, per technology "
            "(from the quartiere populations).",
            (12, 4),
            [InfluxQL(comune("residents_covered", "live", False), alias="$tag_technology")],
            RESIDENTS,
            colour=cm.BigValueColorMode.NONE,
            decimals=0,
        ),
        series(
            "Residents covered over time — planned vs live",
            "The gap between the lines is residents who should be covered but are not, "
            "because devices are down.",
            (24, 8),
            queries(
                (comune("residents_covered", "planned", True), "planned $tag_technology"),
                (comune("residents_covered", "live", True), "live $tag_technology"),
            ),
            RESIDENTS,
            decimals=0,
            fill=0,
            calcs=("min", "lastNotNull"),
        ),
        section("Per quartiere"),
        coverage_table("planned"),
        coverage_table("live"),
        least_covered(),
    )
    return board.json()
