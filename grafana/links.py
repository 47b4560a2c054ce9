"""The ports dashboard: every switch and router port, the ends of the fibre among them.

Nothing here knows the inventory. A fibre segment is not in the time series, only the
switch ports at its ends are (`interface`, tags device and ifname, the port's
description in the `alias` field, where a segment's name is written on real gear), so
the ports dashboard offers every device and port InfluxDB knows (SHOW TAG VALUES) and
repeats a row per selected device; utilisation is against each port's own speed. A new
segment or switch appears without regenerating the dashboard.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from netagent.grafana.panels import (
    Override,
    graded,
    series,
    steps,
    table_panel,
)
from netagent.grafana.sdk import (
    JSON,
    Board,
    InfluxQL,
    Part,
    is_repeated,
    section,
    tag_values,
)
from netagent.grafana.units import unit

UTIL_STEPS = ((None, "green"), (70, "yellow"), (90, "red"))
ERR_STEPS = ((None, "green"), (0.01, "orange"), (1, "red"))
# Ports are not a variable: port names hold "/" (ge-0/1), which Grafana does not escape
# in an InfluxQL regex, so a selection of ports would break the query. Devices are.
PORTS = is_repeated("device", "device")
# The summary table covers every port, whatever devices the repeated rows below it are
# opened on.
EVERY = "$timeFilter"
# IF-MIB oper status names (netagent.collectors.snmp.mapping.OPER_STATUS), coloured.
OPER_COLOURS = {
    "up": "green",
    "down": "red",
    "lowerLayerDown": "red",
    "testing": "blue",
    "dormant": "blue",
    "notPresent": "text",
    "unknown": "text",
}


def _per_port(select: str) -> str:
    return (
        f'SELECT {select} FROM "interface" WHERE {PORTS} AND $timeFilter '
        'GROUP BY time($__interval), "ifname" fill(null)'
    )


def _value_map(colours: dict[str, str], text: dict[str, str] | None = None) -> dm.ValueMap:
    return dm.ValueMap(
        options={
            k: dm.ValueMappingResult(color=c, index=i, text=(text or {}).get(k, k))
            for i, (k, c) in enumerate(colours.items())
        }
    )


def every_port() -> table.Panel:
    q = (
        'SELECT last("alias") AS "description", last("oper_status") AS "status", '
        'last("admin_up") AS "enabled", max("in_bps") AS "peak in", '
        'max("out_bps") AS "peak out", mean("in_errors") AS "in errors", '
        'mean("out_errors") AS "out errors", mean("in_discards") AS "in discards", '
        'mean("out_discards") AS "out discards", last("over_speed") AS "over speed" '
        f'FROM "interface" WHERE {EVERY} GROUP BY "device", "ifname"'
    )
    overrides: list[Override] = [
        ("status", {"cell": {"type": "color-text"}}),
        ("enabled", {"unit": unit("interface", "admin_up")}),
        ("peak in", {"unit": unit("interface", "in_bps")}),
        ("peak out", {"unit": unit("interface", "out_bps")}),
        *(
            (f"{d} {k}", graded(unit("interface", f"{d}_{k}"), ERR_STEPS))
            for k in ("errors", "discards")
            for d in ("in", "out")
        ),
        ("over speed", {"unit": unit("interface", "over_speed")}),
        ("Time", {"hidden": True}),
    ]
    return table_panel(
        "Every port over the period",
        "Per port of every device: its description (ifAlias: the fibre segment or "
        "link it serves), its status now (up, down, lowerLayerDown, notPresent…) and "
        "whether it is enabled, peak traffic, mean error and discard rates, and whether "
        "its traffic went above its nominal speed; the ports with errors first.",
        (24, 10),
        InfluxQL(q, fmt="table"),
        ("interface", "oper_status"),
        sort_by="in errors",
        desc=True,
        mappings=[_value_map(OPER_COLOURS)],
        overrides=overrides,
    )


def device_ports() -> list[Part]:
    """The row repeated per selected device: its ports' traffic, utilisation, errors
    and packets by cast (the device variable stands for one device in each row)."""
    per_port = "$tag_ifname $col"
    return [
        section("Ports of $device", repeat="device"),
        series(
            "Traffic per port",
            "Bits per second in and out of each port of $device (out drawn below the axis).",
            (12, 8),
            [
                InfluxQL(
                    _per_port('mean("in_bps") AS "in", mean("out_bps") AS "out"'), alias=per_port
                )
            ],
            ("interface", "in_bps"),
            overrides=[("/ out$/", {"negative_y": "negative-Y"})],
        ),
        series(
            "Utilisation per port",
            "Traffic as a share of each port's speed (ifHighSpeed): a fibre segment "
            "near its capacity shows here at both its ends.",
            (12, 8),
            [
                InfluxQL(
                    _per_port(
                        'mean("in_bps") / mean("speed_bps") * 100 AS "in", '
                        'mean("out_bps") / mean("speed_bps") * 100 AS "out"'
                    ),
                    alias=per_port,
                )
            ],
            ("interface", "util_pct"),
            thresholds=steps(*UTIL_STEPS),
            threshold_style=cm.GraphThresholdsStyleMode.DASHED,
            minmax=(0, 100),
            calcs=("mean", "max"),
        ),
        series(
            "Errors and discards per port",
            "Input and output errors and discards per second on each port of $device: "
            "a dirty connector or a failing optic shows as errors before an outage, "
            "congestion as discards.",
            (12, 8),
            [
                InfluxQL(
                    _per_port(
                        'mean("in_errors") AS "in errors", mean("out_errors") AS "out errors", '
                        'mean("in_discards") AS "in discards", '
                        'mean("out_discards") AS "out discards"'
                    ),
                    alias=per_port,
                )
            ],
            ("interface", "in_errors"),
            thresholds=steps(*ERR_STEPS),
            threshold_style=cm.GraphThresholdsStyleMode.LINE,
            minmax=(0, None),
        ),
        series(
            "Packets per second by cast",
            "Unicast, multicast and broadcast packets received per second on each port "
            "of $device: a broadcast storm or a loop shows as a wall of broadcast.",
            (12, 8),
            [
                InfluxQL(
                    _per_port(
                        'mean("in_ucast_pps") AS "unicast", '
                        'mean("in_mcast_pps") AS "multicast", '
                        'mean("in_bcast_pps") AS "broadcast"'
                    ),
                    alias=per_port,
                )
            ],
            ("interface", "in_ucast_pps"),
        ),
    ]


def ports() -> JSON:
    board = Board(
        "netagent-ports",
        "netagent — Ports and fibre",
        "Every switch and router port InfluxDB knows: status, traffic, utilisation, "
        "errors and discards; the ends of the fibre segments are found by their "
        "description (ifAlias).",
        ["fibre", "ports"],
    )
    board.var(tag_values("device", "Device", '"interface"', "device", repeated=True))
    board.add(section("Every port"), every_port(), *device_ports())
    return board.json()
