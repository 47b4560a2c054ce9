"""The technicians' dashboards: the network overview and the access points.

Queries read `device_status` (the alert engine's verdict per device and round), `icmp`,
`wifi`, `alert` and `agent`. Counting devices per state is done by Grafana
transformations over one "latest state per device" table, not by one InfluxQL count per
state: a count of zero matches returns no series at all, and the panel would read
"No data" instead of showing what is there.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import geomap
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import geomap as gm

from grafana.sdk import (
    JSON,
    STATE_COLOURS,
    Board,
    InfluxQL,
    Part,
    Size,
    common,
    fixed_colour,
    graded,
    queries,
    regex_in,
    rows_where,
    section,
    series,
    stat_panel,
    state_mappings,
    steps,
    table_panel,
    tag_values,
)
from grafana.units import unit

AP = "\"role\" = 'wifi-ap'"
LOSS_STEPS = ((None, "green"), (5, "yellow"), (20, "red"))
RTT_STEPS = ((None, "green"), (20, "yellow"), (100, "red"))
STATE = ("device_status", "state")


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


def state_stat(title: str, description: str, where: str, size: Size) -> Part:
    """A stat per state present now (up, down, unreachable…), coloured by state."""
    colours = STATE_COLOURS | {"unknown": "gray"}
    return stat_panel(
        title,
        description,
        size,
        [InfluxQL(latest_state_query(where), fmt="table")],
        STATE,
        decimals=0,
        overrides=[(s, {"color": fixed_colour(c)}) for s, c in colours.items()],
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


def open_incidents() -> Part:
    q = (
        'SELECT last("state") AS "state", last("text") AS "text", '
        'last("root_cause") AS "root cause", last("affected") AS "affected" '
        'FROM "alert" WHERE $timeFilter GROUP BY "device", "kind", "severity"'
    )
    severity = dm.ValueMap(
        options={
            "critical": dm.ValueMappingResult(color="red", index=0),
            "warning": dm.ValueMappingResult(color="orange", index=1),
            "firing": dm.ValueMappingResult(color="red", index=2),
        }
    )
    return table_panel(
        "Open incidents",
        "Incidents whose latest alert event is 'firing': which device, what kind, since "
        "when (time of the firing event), the root cause and how many devices it cuts off.",
        (24, 8),
        InfluxQL(q, fmt="table"),
        STATE,
        sort_by="Time",
        desc=True,
        mappings=[severity],
        overrides=[
            ("Time", {"display": "since"}),
            ("severity", {"cell": {"type": "color-text"}}),
            ("text", {"width": 520}),
        ],
        transformations=[rows_where("state", "firing")],
    )


def agent_health() -> list[Part]:
    def ts(title: str, desc: str, field: str, fn: str = "max") -> Part:
        q = (
            f'SELECT {fn}("{field}") FROM "agent" WHERE $timeFilter '
            'GROUP BY time($__interval), "job" fill(null)'
        )
        return series(title, desc, (8, 8), [InfluxQL(q, alias="$tag_job")], ("agent", field))

    return [
        section("Agent health"),
        ts(
            "Job cycle time",
            "How long each scheduled job (ICMP, SNMP, flush…) took per run; "
            "a cycle near its interval means the agent cannot keep up.",
            "cycle_s",
        ),
        ts(
            "Spool depth",
            "Samples waiting in the local spool for InfluxDB; growing means "
            "InfluxDB is unreachable or slower than the collectors.",
            "spool_depth",
        ),
        ts(
            "Dropped samples (total)",
            "Samples the spool had to drop because it was full; any rise here is data lost.",
            "dropped_total",
        ),
    ]


def overview() -> JSON:
    where = f"{regex_in('quartiere', 'quartiere')} AND {regex_in('role', 'role')}"
    board = Board(
        "netagent-overview",
        "netagent — Network overview",
        "State of every monitored device now and over time, open incidents, and the "
        "agent's own health.",
        ["overview"],
    )
    board.var(
        tag_values("quartiere", "Quartiere", '"device_status"', "quartiere"),
        tag_values("role", "Role", '"device_status"', "role"),
    )
    board.add(
        section("Now"),
        state_stat(
            "Devices by state now",
            "Every monitored device counted by its latest state in the selected "
            "quartieri and roles: up, degraded, unreachable (behind a failed uplink), "
            "down, maintenance.",
            where,
            (24, 4),
        ),
        table_panel(
            "Devices by role and state",
            "Per role (access points, switches, radios…), how many devices are in each state now.",
            (12, 8),
            InfluxQL(latest_state_query(where), fmt="table"),
            STATE,
            sort_by="role",
            transformations=matrix("role"),
            decimals=0,
        ),
        table_panel(
            "Devices by quartiere and state",
            "Per quartiere, how many devices are in each state now: where is the trouble?",
            (12, 8),
            InfluxQL(latest_state_query(where), fmt="table"),
            STATE,
            sort_by="quartiere",
            transformations=matrix("quartiere"),
            decimals=0,
        ),
        open_incidents(),
        section("History"),
        series(
            "Devices down or unreachable over time",
            "How many devices were down (failed themselves) or unreachable (cut off by "
            "a failed uplink) in each interval: outages and their length.",
            (24, 8),
            queries(
                (not_up_over_time(where, "down"), "down"),
                (not_up_over_time(where, "unreachable"), "unreachable"),
            ),
            STATE,
            decimals=0,
            fill=30,
            stack=True,
            bars=True,
            calcs=("max", "lastNotNull"),
            overrides=[
                ("down", {"color": fixed_colour("red")}),
                ("unreachable", {"color": fixed_colour("orange")}),
            ],
        ),
        *agent_health(),
    )
    return board.json()


def access_points() -> JSON:
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
    board = Board(
        "netagent-access-points",
        "netagent — Access points (EmiliaRomagnaWiFi)",
        "Where the public Wi-Fi access points are, which are down and why, their clients "
        "and their reachability.",
        ["wifi"],
    )
    # From `icmp`: the prober writes every device every round, with role and quartiere.
    board.var(
        tag_values("quartiere", "Quartiere", '"icmp"', "quartiere", AP),
        tag_values(
            "device",
            "Access point",
            '"icmp"',
            "device",
            f"{AP} AND {regex_in('quartiere', 'quartiere')}",
        ),
    )
    board.add(
        state_stat(
            "Access points by state now",
            "The selected access points counted by their latest state.",
            sel,
            (16, 4),
        ),
        stat_panel(
            "Wi-Fi clients connected now",
            "Clients associated right now to the selected access points, all radios.",
            (8, 4),
            [InfluxQL(clients_now_q)],
            ("wifi", "clients"),
            text_mode=cm.BigValueTextMode.VALUE,
            decimals=0,
        ),
        _ap_map(geo_q),
        table_panel(
            "Access points not up",
            "Access points whose latest state is not 'up': since when, and the device "
            "whose failure explains it (itself, or the switch/radio it hangs off).",
            (10, 14),
            InfluxQL(down_q, fmt="table"),
            STATE,
            sort_by="since",
            mappings=state_mappings(),
            overrides=[
                ("since", {"unit": unit("device_status", "since")}),
                ("Time", {"hidden": True}),
                ("state", {"cell": {"type": "color-text"}}),
            ],
            transformations=[rows_where("state", "up", keep=False)],
        ),
        section("Clients"),
        series(
            "Wi-Fi clients per access point",
            "Associated clients per access point (all radios), stacked: the total is "
            "the top of the stack.",
            (24, 8),
            [InfluxQL(clients_q, alias="$tag_device")],
            ("wifi", "clients"),
            decimals=0,
            fill=20,
            stack=True,
        ),
        section("Reachability"),
        series(
            "Packet loss per access point",
            "Share of ICMP echoes lost per access point; 100% is a device not answering.",
            (12, 8),
            [InfluxQL(icmp_q('mean("loss_pct")'), alias="$tag_device")],
            ("icmp", "loss_pct"),
            thresholds=steps(*LOSS_STEPS),
            threshold_style=cm.GraphThresholdsStyleMode.LINE,
            minmax=(0, 100),
        ),
        series(
            "Round-trip time per access point",
            "Average ICMP round-trip time per access point: slow links and congested "
            "uplinks show here first.",
            (12, 8),
            [InfluxQL(icmp_q('mean("rtt_avg_ms")'), alias="$tag_device")],
            ("icmp", "rtt_avg_ms"),
            thresholds=steps(*RTT_STEPS),
            threshold_style=cm.GraphThresholdsStyleMode.LINE,
            minmax=(0, None),
        ),
        table_panel(
            "Loss and round-trip time per access point",
            "Over the selected period, per access point: mean loss, mean and worst RTT, "
            "jitter; the worst first.",
            (24, 10),
            InfluxQL(table_q, fmt="table"),
            ("icmp", "rtt_avg_ms"),
            sort_by="loss",
            desc=True,
            decimals=1,
            overrides=[
                (
                    "loss",
                    graded(unit("icmp", "loss_pct"), LOSS_STEPS),
                ),
                (
                    "rtt avg",
                    graded(unit("icmp", "rtt_avg_ms"), RTT_STEPS, "color-text"),
                ),
                ("rtt max", {"unit": unit("icmp", "rtt_max_ms")}),
                ("jitter", {"unit": unit("icmp", "jitter_ms")}),
                ("Time", {"hidden": True}),
            ],
        ),
    )
    return board.json()


def _ap_map(query: str) -> geomap.Panel:
    """Every access point at its site, coloured by its latest state."""
    p = geomap.Panel()
    common(
        p,
        "Access points on the map",
        "Every EmiliaRomagnaWiFi access point at its site, coloured by its latest "
        "state: green up, red down, orange unreachable, yellow degraded, blue maintenance.",
        (14, 14),
        [InfluxQL(query, fmt="table")],
        STATE,
        (),
    )
    # The SDK types lat/lon as int (Grafana's CUE schema says int64); Grafana reads floats.
    view = geomap.MapViewConfig().id("coords").zoom(12)
    p.view(view.lat(44.698).lon(10.631))  # type: ignore[arg-type]
    p.controls(
        geomap.ControlsOptions().show_zoom(True).mouse_wheel_zoom(True).show_attribution(True)
    )
    p.basemap(cb.MapLayerOptions().type("default").name("Basemap"))
    markers = {
        "showLegend": True,
        "style": {
            "size": {"fixed": 7},
            "opacity": 0.9,
            "color": {"field": "state", "fixed": "green"},
        },
    }
    where = (
        cb.FrameGeometrySource()
        .mode(cm.FrameGeometrySourceMode.COORDS)
        .latitude("lat")
        .longitude("lon")
    )
    p.layers(
        [
            cb.MapLayerOptions()
            .type("markers")
            .name("Access points")
            .tooltip(True)
            .location(where)
            .config(markers)
        ]
    )
    p.tooltip(geomap.TooltipOptions().mode(gm.TooltipMode.DETAILS))
    p.mappings(state_mappings())
    return p
