"""The planners' dashboard: coverage per quartiere, planned against live.

`coverage` rows carry a `view` tag (planned: every device as if up; live: devices down
now excluded), so the two can be compared side by side; the comune-wide totals have
quartiere = "comune" (geo.coverage.COMUNE).
"""

from __future__ import annotations

from grafana.model import (
    JSON,
    Grid,
    dashboard,
    line_style,
    override,
    panel,
    query_variable,
    regex_in,
    row,
    stat_options,
    table_options,
    target,
    targets,
    thresholds,
    timeseries_options,
)

COMUNE = "comune"
PCT_STEPS = thresholds((None, "red"), (50, "orange"), (80, "green"))
SEL = f"{regex_in('quartiere', 'quartiere')} AND {regex_in('technology', 'technology')}"


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


def coverage_table(view: str, grid: Grid) -> JSON:
    what = (
        "as planned: every device in the inventory counted as working"
        if view == "planned"
        else "live: devices down or unreachable now left out"
    )
    return panel(
        "table",
        f"Coverage per quartiere — {view}",
        f"Share of each quartiere's area and residents covered, per technology, {what}.",
        grid,
        (12, 12),
        [target(per_quartiere(view), fmt="table")],
        options=table_options("covered %"),
        overrides=[
            override(
                "covered %",
                unit="percent",
                thresholds=PCT_STEPS,
                min=0,
                max=100,
                cell={"type": "gauge", "mode": "basic"},
            ),
            override("residents", unit="short", decimals=0),
            override("covered km²", decimals=2),
            override("area km²", decimals=2),
            override("Time", display="computed at"),
        ],
    )


def coverage() -> JSON:
    g = Grid()
    panels: list[JSON] = [
        row("Comune", g),
        panel(
            "stat",
            "Comune covered — live",
            "Share of the comune's area covered now, per technology.",
            g,
            (12, 4),
            [target(comune("area_pct", "live", False), alias="$tag_technology")],
            unit="percent",
            steps=PCT_STEPS,
            minmax=(0, 100),
            decimals=1,
            options=stat_options("value_and_name"),
        ),
        panel(
            "stat",
            "Residents covered — live",
            "Residents of the comune living in covered areas now, per technology "
            "(from the quartiere populations).",
            g,
            (12, 4),
            [target(comune("residents_covered", "live", False), alias="$tag_technology")],
            unit="short",
            decimals=0,
            options=stat_options("value_and_name") | {"colorMode": "none"},
        ),
        panel(
            "timeseries",
            "Residents covered over time — planned vs live",
            "The gap between the lines is residents who should be covered but are not, "
            "because devices are down.",
            g,
            (24, 8),
            targets(
                (comune("residents_covered", "planned", True), "planned $tag_technology"),
                (comune("residents_covered", "live", True), "live $tag_technology"),
            ),
            unit="short",
            decimals=0,
            custom=line_style(fill=0),
            options=timeseries_options(("min", "lastNotNull")),
        ),
        row("Per quartiere", g),
        coverage_table("planned", g),
        coverage_table("live", g),
        panel(
            "bargauge",
            "Covered area per quartiere — live",
            "Which quartieri are least covered right now, per technology.",
            g,
            (24, 14),
            [
                target(
                    'SELECT last("area_pct") FROM "coverage" '
                    f"WHERE {_view('live')} AND {SEL} AND \"quartiere\" != '{COMUNE}' "
                    'AND $timeFilter GROUP BY "quartiere", "technology"',
                    alias="$tag_quartiere — $tag_technology",
                )
            ],
            unit="percent",
            steps=PCT_STEPS,
            minmax=(0, 100),
            decimals=1,
            options={
                "orientation": "horizontal",
                "displayMode": "gradient",
                "showUnfilled": True,
                "valueMode": "color",
                "namePlacement": "left",
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            },
        ),
    ]
    variables = [
        query_variable(
            "quartiere",
            "Quartiere",
            'SHOW TAG VALUES FROM "coverage" WITH KEY = "quartiere"',
            regex=f"/^(?!{COMUNE}$).*/",
        ),
        query_variable(
            "technology", "Technology", 'SHOW TAG VALUES FROM "coverage" WITH KEY = "technology"'
        ),
    ]
    return dashboard(
        "netagent-coverage",
        "netagent — Coverage per quartiere",
        "How much of each quartiere is covered, by which technology, and how many "
        "residents that is: as planned and live.",
        panels,
        variables,
        tags=["coverage"],
        time_from="now-7d",
        refresh="5m",
    )
