"""The technicians' dashboards: the network overview and the access points.

Queries read `device_status` (the alert engine's verdict per device and round), `icmp`,
`wifi`, `alert` and `agent`, exactly as CONTRACTS.md names them. Counting devices per
state is done by Grafana transformations over one "latest state per device" table, not
by one InfluxQL count per state: a count of zero matches returns no series at all, and
the panel would read "No data" instead of showing what is there.
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
    state_mappings,
    table_options,
    target,
    targets,
    thresholds,
    timeseries_options,
)

AP = "\"role\" = 'wifi-ap'"
LOSS_STEPS = thresholds((None, "green"), (5, "yellow"), (20, "red"))
RTT_STEPS = thresholds((None, "green"), (20, "yellow"), (100, "red"))


def latest_state_query(where: str) -> str:
    """One row per device: its latest state and since when (unix ms, for Grafana)."""
    return (
        'SELECT last("state") AS "state", last("since") * 1000 AS "since" '
        f'FROM "device_status" WHERE {where} AND $timeFilter '
        'GROUP BY "device", "role", "quartiere"'
    )


def count_by(*keys: str) -> list[JSON]:
    """Transformations: count devices per value of `keys` (state last)."""
    fields: JSON = {k: {"aggregations": [], "operation": "groupby"} for k in keys}
    fields["device"] = {"aggregations": ["count"], "operation": "aggregate"}
    return [{"id": "groupBy", "options": {"fields": fields}}]


def matrix(row_key: str) -> list[JSON]:
    """Devices counted per (row_key, state), laid out as a row_key × state table."""
    return [
        *count_by(row_key, "state"),
        {
            "id": "groupingToMatrix",
            "options": {
                "columnField": "state",
                "rowField": row_key,
                "valueField": "device (count)",
                "emptyValue": "zero",
            },
        },
    ]


def state_stat(title: str, description: str, grid: Grid, where: str, size: tuple[int, int]) -> JSON:
    """A stat per state present now (up, down, unreachable…), coloured by state."""
    overrides = [
        override(state, color={"mode": "fixed", "fixedColor": colour})
        for state, colour in (
            ("up", "green"),
            ("degraded", "yellow"),
            ("unreachable", "orange"),
            ("down", "red"),
            ("maintenance", "blue"),
            ("unknown", "gray"),
        )
    ]
    return panel(
        "stat",
        title,
        description,
        grid,
        size,
        [target(latest_state_query(where), fmt="table")],
        unit="none",
        decimals=0,
        options=stat_options("value_and_name") | {"colorMode": "background"},
        overrides=overrides,
        transformations=[
            *count_by("state"),
            {
                "id": "rowsToFields",
                "options": {
                    "mappings": [
                        {"fieldName": "state", "handlerKey": "field.name"},
                        {"fieldName": "device (count)", "handlerKey": "field.value"},
                    ]
                },
            },
        ],
    )


def not_up_over_time(where: str, state: str) -> str:
    """How many devices were in `state` per interval (by their last state in it)."""
    return (
        'SELECT count("state") FROM (SELECT last("state") AS "state" FROM "device_status" '
        f'WHERE {where} AND $timeFilter GROUP BY time($__interval), "device") '
        f"WHERE \"state\" = '{state}' AND $timeFilter GROUP BY time($__interval) fill(0)"
    )


def open_incidents(grid: Grid) -> JSON:
    q = (
        'SELECT last("state") AS "state", last("text") AS "text", '
        'last("root_cause") AS "root cause", last("affected") AS "affected" '
        'FROM "alert" WHERE $timeFilter GROUP BY "device", "kind", "severity"'
    )
    return panel(
        "table",
        "Open incidents",
        "Incidents whose latest alert event is 'firing': which device, what kind, since "
        "when (time of the firing event), the root cause and how many devices it cuts off.",
        grid,
        (24, 8),
        [target(q, fmt="table")],
        options=table_options("Time", desc=True),
        mappings=[
            {
                "type": "value",
                "options": {
                    "critical": {"color": "red", "index": 0},
                    "warning": {"color": "orange", "index": 1},
                    "firing": {"color": "red", "index": 2},
                },
            }
        ],
        overrides=[
            override("Time", display="since"),
            override("severity", cell={"type": "color-text"}),
            override("text", width=520),
        ],
        transformations=[
            {
                "id": "filterByValue",
                "options": {
                    "type": "include",
                    "match": "all",
                    "filters": [
                        {
                            "fieldName": "state",
                            "config": {"id": "equal", "options": {"value": "firing"}},
                        }
                    ],
                },
            }
        ],
    )


def agent_health(grid: Grid) -> list[JSON]:
    def ts(title: str, desc: str, field: str, unit: str, fn: str = "max") -> JSON:
        q = (
            f'SELECT {fn}("{field}") FROM "agent" WHERE $timeFilter '
            'GROUP BY time($__interval), "job" fill(null)'
        )
        return panel(
            "timeseries",
            title,
            desc,
            grid,
            (8, 8),
            [target(q, alias="$tag_job")],
            unit=unit,
            custom=line_style(),
            options=timeseries_options(),
        )

    return [
        row("Agent health", grid),
        ts(
            "Job cycle time",
            "How long each scheduled job (ICMP, SNMP, flush…) took per run; "
            "a cycle near its interval means the agent cannot keep up.",
            "cycle_s",
            "s",
        ),
        ts(
            "Spool depth",
            "Samples waiting in the local spool for InfluxDB; growing means "
            "InfluxDB is unreachable or slower than the collectors.",
            "spool_depth",
            "short",
        ),
        ts(
            "Dropped samples (total)",
            "Samples the spool had to drop because it was full; any rise here is data lost.",
            "dropped_total",
            "short",
        ),
    ]


def overview() -> JSON:
    g = Grid()
    where = f"{regex_in('quartiere', 'quartiere')} AND {regex_in('role', 'role')}"
    panels: list[JSON] = [
        row("Now", g),
        state_stat(
            "Devices by state now",
            "Every monitored device counted by its latest state in the selected "
            "quartieri and roles: up, degraded, unreachable (behind a failed uplink), "
            "down, maintenance.",
            g,
            where,
            (24, 4),
        ),
        panel(
            "table",
            "Devices by role and state",
            "Per role (access points, switches, radios…), how many devices are in each state now.",
            g,
            (12, 8),
            [target(latest_state_query(where), fmt="table")],
            options=table_options("role"),
            transformations=matrix("role"),
            decimals=0,
        ),
        panel(
            "table",
            "Devices by quartiere and state",
            "Per quartiere, how many devices are in each state now: where is the trouble?",
            g,
            (12, 8),
            [target(latest_state_query(where), fmt="table")],
            options=table_options("quartiere"),
            transformations=matrix("quartiere"),
            decimals=0,
        ),
        open_incidents(g),
        row("History", g),
        panel(
            "timeseries",
            "Devices down or unreachable over time",
            "How many devices were down (failed themselves) or unreachable (cut off by "
            "a failed uplink) in each interval: outages and their length.",
            g,
            (24, 8),
            targets(
                (not_up_over_time(where, "down"), "down"),
                (not_up_over_time(where, "unreachable"), "unreachable"),
            ),
            unit="short",
            decimals=0,
            custom=line_style(fill=30, stack=True, draw="bars"),
            options=timeseries_options(("max", "lastNotNull")),
            overrides=[
                override("down", color={"mode": "fixed", "fixedColor": "red"}),
                override("unreachable", color={"mode": "fixed", "fixedColor": "orange"}),
            ],
        ),
        *agent_health(g),
    ]
    variables = [
        query_variable(
            "quartiere", "Quartiere", 'SHOW TAG VALUES FROM "device_status" WITH KEY = "quartiere"'
        ),
        query_variable("role", "Role", 'SHOW TAG VALUES FROM "device_status" WITH KEY = "role"'),
    ]
    return dashboard(
        "netagent-overview",
        "netagent — Network overview",
        "State of every monitored device now and over time, open incidents, and the "
        "agent's own health.",
        panels,
        variables,
        tags=["overview"],
    )


def access_points() -> JSON:
    g = Grid()
    side = Grid(x=14, left=14)  # the column right of the map
    sel = f"{AP} AND {regex_in('quartiere', 'quartiere')} AND {regex_in('device', 'device')}"
    geo_q = (
        'SELECT last("state") AS "state", last("lat") AS "lat", last("lon") AS "lon" '
        f'FROM "device_status" WHERE {sel} AND $timeFilter GROUP BY "device", "quartiere"'
    )
    down_q = (
        'SELECT last("state") AS "state", last("since") * 1000 AS "since", '
        'last("root_cause") AS "root cause" '
        f'FROM "device_status" WHERE {sel} AND $timeFilter GROUP BY "device", "quartiere"'
    )
    clients_sel = regex_in("device", "device")
    clients_q = (
        'SELECT sum("clients") FROM (SELECT mean("clients") AS "clients" FROM "wifi" '
        f"WHERE {clients_sel} AND $timeFilter "
        'GROUP BY time($__interval), "device", "radio") '
        'WHERE $timeFilter GROUP BY time($__interval), "device" fill(null)'
    )
    clients_now_q = (
        'SELECT sum("clients") FROM (SELECT last("clients") AS "clients" FROM "wifi" '
        f'WHERE {clients_sel} AND $timeFilter GROUP BY "device", "radio")'
    )

    def icmp_q(expr: str) -> str:
        return (
            f'SELECT {expr} FROM "icmp" WHERE {sel} AND $timeFilter '
            'GROUP BY time($__interval), "device" fill(null)'
        )

    table_q = (
        'SELECT mean("loss_pct") AS "loss", mean("rtt_avg_ms") AS "rtt avg", '
        'max("rtt_max_ms") AS "rtt max", mean("jitter_ms") AS "jitter" '
        f'FROM "icmp" WHERE {sel} AND $timeFilter GROUP BY "device", "quartiere"'
    )
    geomap_options: JSON = {
        "view": {"id": "coords", "lat": 44.698, "lon": 10.631, "zoom": 12},
        "controls": {"showZoom": True, "mouseWheelZoom": True, "showAttribution": True},
        "basemap": {"type": "default", "name": "Basemap"},
        "layers": [
            {
                "type": "markers",
                "name": "Access points",
                "tooltip": True,
                "location": {"mode": "coords", "latitude": "lat", "longitude": "lon"},
                "config": {
                    "showLegend": True,
                    "style": {
                        "size": {"fixed": 7},
                        "opacity": 0.9,
                        "color": {"field": "state", "fixed": "green"},
                    },
                },
            }
        ],
        "tooltip": {"mode": "details"},
    }
    panels: list[JSON] = [
        panel(
            "geomap",
            "Access points on the map",
            "Every EmiliaRomagnaWiFi access point at its site, coloured by its latest "
            "state: green up, red down, orange unreachable, yellow degraded, blue "
            "maintenance.",
            g,
            (14, 14),
            [target(geo_q, fmt="table")],
            options=geomap_options,
            mappings=state_mappings(),
        ),
        state_stat(
            "Access points by state now",
            "The selected access points counted by their latest state.",
            side,
            sel,
            (10, 4),
        ),
        panel(
            "stat",
            "Wi-Fi clients connected now",
            "Clients associated right now to the selected access points, all radios.",
            side,
            (10, 3),
            [target(clients_now_q)],
            unit="short",
            decimals=0,
            options=stat_options("value"),
        ),
        panel(
            "table",
            "Access points not up",
            "Access points whose latest state is not 'up': since when, and the device "
            "whose failure explains it (itself, or the switch/radio it hangs off).",
            side,
            (10, 7),
            [target(down_q, fmt="table")],
            options=table_options("since"),
            mappings=state_mappings(),
            overrides=[
                override("since", unit="dateTimeFromNow"),
                override("Time", **{"custom.hidden": True}),
                override("state", cell={"type": "color-text"}),
            ],
            transformations=[
                {
                    "id": "filterByValue",
                    "options": {
                        "type": "exclude",
                        "match": "any",
                        "filters": [
                            {
                                "fieldName": "state",
                                "config": {"id": "equal", "options": {"value": "up"}},
                            }
                        ],
                    },
                }
            ],
        ),
        row("Clients", g),
        panel(
            "timeseries",
            "Wi-Fi clients per access point",
            "Associated clients per access point (all radios), stacked: the total is "
            "the top of the stack.",
            g,
            (24, 8),
            [target(clients_q, alias="$tag_device")],
            unit="short",
            decimals=0,
            custom=line_style(fill=20, stack=True),
            options=timeseries_options(("mean", "max", "lastNotNull")),
        ),
        row("Reachability", g),
        panel(
            "timeseries",
            "Packet loss per access point",
            "Share of ICMP echoes lost per access point; 100% is a device not answering.",
            g,
            (12, 8),
            [target(icmp_q('mean("loss_pct")'), alias="$tag_device")],
            unit="percent",
            steps=LOSS_STEPS,
            minmax=(0, 100),
            custom=line_style() | {"thresholdsStyle": {"mode": "line"}},
            options=timeseries_options(),
        ),
        panel(
            "timeseries",
            "Round-trip time per access point",
            "Average ICMP round-trip time per access point: slow links and congested "
            "uplinks show here first.",
            g,
            (12, 8),
            [target(icmp_q('mean("rtt_avg_ms")'), alias="$tag_device")],
            unit="ms",
            steps=RTT_STEPS,
            minmax=(0, None),
            custom=line_style() | {"thresholdsStyle": {"mode": "line"}},
            options=timeseries_options(),
        ),
        panel(
            "table",
            "Loss and round-trip time per access point",
            "Over the selected period, per access point: mean loss, mean and worst RTT, "
            "jitter; the worst first.",
            g,
            (24, 10),
            [target(table_q, fmt="table")],
            options=table_options("loss", desc=True),
            overrides=[
                override(
                    "loss", unit="percent", thresholds=LOSS_STEPS, cell={"type": "color-background"}
                ),
                override("rtt avg", unit="ms", thresholds=RTT_STEPS, cell={"type": "color-text"}),
                override("rtt max", unit="ms"),
                override("jitter", unit="ms"),
                override("Time", **{"custom.hidden": True}),
            ],
            decimals=1,
        ),
    ]
    variables = [
        # From `icmp`: the prober writes every device every round, with role and quartiere.
        query_variable(
            "quartiere",
            "Quartiere",
            f'SHOW TAG VALUES FROM "icmp" WITH KEY = "quartiere" WHERE {AP}',
        ),
        query_variable(
            "device",
            "Access point",
            'SHOW TAG VALUES FROM "icmp" WITH KEY = "device" '
            f"WHERE {AP} AND {regex_in('quartiere', 'quartiere')}",
        ),
    ]
    return dashboard(
        "netagent-access-points",
        "netagent — Access points (EmiliaRomagnaWiFi)",
        "Where the public Wi-Fi access points are, which are down and why, their clients "
        "and their reachability.",
        panels,
        variables,
        tags=["wifi"],
    )
