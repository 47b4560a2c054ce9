"""The technicians' network overview, and the device-state panels other dashboards share.

Queries read `device_status` (the alert engine's verdict per device and round), `icmp`,
`wifi`, `alert` and `agent`. Counting devices per state is done by Grafana
transformations over one "latest state per device" table, not by one InfluxQL count per
state: a count of zero matches returns no series at all, and the panel would read
"No data" instead of showing what is there.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as dm

from netagent.grafana.panels import (
    STATE_COLOURS,
    Size,
    fixed_colour,
    rows_where,
    series,
    stat_panel,
    table_panel,
)
from netagent.grafana.sdk import (
    JSON,
    Board,
    InfluxQL,
    Part,
    queries,
    regex_in,
    section,
    tag_values,
)

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
