"""The technicians' access points dashboard (EmiliaRomagnaWiFi): where, which are down and
why, their clients and their reachability.

Reads `device_status` (state, `lat`/`lon` of the site, `root_cause`), `wifi` (clients
per radio) and `icmp` (loss, RTT, jitter) of the devices with role wifi-ap.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import geomap
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import geomap as gm

from netagent.grafana.network import STATE, state_stat
from netagent.grafana.panels import (
    common,
    graded,
    rows_where,
    series,
    stat_panel,
    state_mappings,
    steps,
    table_panel,
)
from netagent.grafana.sdk import JSON, Board, InfluxQL, regex_in, section, tag_values
from netagent.grafana.units import unit

AP = "\"role\" = 'wifi-ap'"
LOSS_STEPS = ((None, "green"), (5, "yellow"), (20, "red"))
RTT_STEPS = ((None, "green"), (20, "yellow"), (100, "red"))


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
