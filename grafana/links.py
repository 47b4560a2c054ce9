"""The ports dashboard: every switch and router port, the ends of the fibre among them.

Nothing here knows the inventory. The poller tags the `interface` samples of the two
ports at a fibre segment's ends with `segment` (its inventory name) and `side` (a or b),
as a radio link's ends carry `link` and `side`; other ports carry only device and
ifname. So the dashboard offers every segment InfluxDB knows (SHOW TAG VALUES) and
repeats a row per selected segment with both ends side by side, and every device
likewise with a row of its ports; utilisation is against each port's own speed. A new
segment or switch appears without regenerating the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import table, timeseries
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from netagent.grafana.panels import (
    Override,
    Size,
    graded,
    series,
    steps,
    table_panel,
    timeline,
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
# The ports that are a segment's end: only they carry the tag (InfluxQL: '' is absent).
TAGGED = "\"segment\" != ''"
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


@dataclass(frozen=True)
class Ports:
    """The ports a repeated row draws, one series per port: which (`where`), what tells
    them apart (`group`, the series name `alias`), and the words for them in a panel's
    title (`per`) and description (`whose`)."""

    where: str
    group: str
    alias: str
    per: str
    whose: str

    def target(self, select: str, fill: str = "null", alias: str = "") -> InfluxQL:
        """A query of `select` over these ports, one series per port per interval."""
        return InfluxQL(
            f'SELECT {select} FROM "interface" WHERE {self.where} AND $timeFilter '
            f"GROUP BY time($__interval), {self.group} fill({fill})",
            alias=alias or self.alias,
        )


# A device's row: each of its ports. A segment's row: its two ends, a and b. Ports are
# not a variable: port names hold "/" (ge-0/1), which Grafana does not escape in an
# InfluxQL regex, so a selection of ports would break the query. Devices are, and
# segments (whose names may hold "/" too: compared as strings in their repeated rows).
OF_DEVICE = Ports(
    is_repeated("device", "device"),
    '"ifname"',
    "$tag_ifname $col",
    "per port",
    "each port of $device",
)
OF_SEGMENT = Ports(
    is_repeated("segment", "segment"),
    '"side", "device", "ifname"',
    "$tag_side: $tag_device $tag_ifname $col",
    "at each end",
    "both ends of $segment (a and b)",
)


def _value_map(colours: dict[str, str], text: dict[str, str] | None = None) -> dm.ValueMap:
    return dm.ValueMap(
        options={
            k: dm.ValueMappingResult(color=c, index=i, text=(text or {}).get(k, k))
            for i, (k, c) in enumerate(colours.items())
        }
    )


# The columns a table of ports can show: name -> (InfluxQL selection, how it is drawn).
PORT_COLUMNS: dict[str, tuple[str, dict[str, Any]]] = {
    "description": ('last("alias")', {}),
    "status": ('last("oper_status")', {"cell": {"type": "color-text"}}),
    "enabled": ('last("admin_up")', {"unit": unit("interface", "admin_up")}),
    "speed": ('last("speed_bps")', {"unit": unit("interface", "speed_bps")}),
    "peak in": ('max("in_bps")', {"unit": unit("interface", "in_bps")}),
    "peak out": ('max("out_bps")', {"unit": unit("interface", "out_bps")}),
    **{
        f"{d} {k}": (f'mean("{d}_{k}")', graded(unit("interface", f"{d}_{k}"), ERR_STEPS))
        for k in ("errors", "discards")
        for d in ("in", "out")
    },
    "over speed": ('last("over_speed")', {"unit": unit("interface", "over_speed")}),
}


def port_table(
    title: str,
    description: str,
    size: Size,
    columns: Sequence[str],
    where: str,
    group: str,
    *,
    sort_by: str,
    desc: bool = False,
) -> table.Panel:
    """One line per port (per `group`): the named PORT_COLUMNS over the period."""
    select = ", ".join(f'{PORT_COLUMNS[c][0]} AS "{c}"' for c in columns)
    overrides: list[Override] = [(c, PORT_COLUMNS[c][1]) for c in columns if PORT_COLUMNS[c][1]]
    return table_panel(
        title,
        description,
        size,
        InfluxQL(f'SELECT {select} FROM "interface" WHERE {where} GROUP BY {group}', fmt="table"),
        ("interface", "oper_status"),
        sort_by=sort_by,
        desc=desc,
        mappings=[_value_map(OPER_COLOURS)],
        overrides=[*overrides, ("Time", {"hidden": True})],
    )


def every_port() -> table.Panel:
    return port_table(
        "Every port over the period",
        "Per port of every device: its description (ifAlias: the fibre segment or "
        "link it serves), its status now (up, down, lowerLayerDown, notPresent…) and "
        "whether it is enabled, peak traffic, mean error and discard rates, and whether "
        "its traffic went above its nominal speed; the ports with errors first.",
        (24, 10),
        [c for c in PORT_COLUMNS if c != "speed"],
        EVERY,
        '"device", "ifname"',
        sort_by="in errors",
        desc=True,
    )


def traffic(ports: Ports, size: Size) -> timeseries.Panel:
    return series(
        f"Traffic {ports.per}",
        f"Bits per second in and out of {ports.whose} (out drawn below the axis).",
        size,
        [ports.target('mean("in_bps") AS "in", mean("out_bps") AS "out"')],
        ("interface", "in_bps"),
        overrides=[("/ out$/", {"negative_y": "negative-Y"})],
    )


def utilisation(ports: Ports, size: Size) -> timeseries.Panel:
    return series(
        f"Utilisation {ports.per}",
        f"Traffic as a share of the speed (ifHighSpeed) of {ports.whose}: a fibre "
        "segment near its capacity shows at both its ends.",
        size,
        [
            ports.target(
                'mean("in_bps") / mean("speed_bps") * 100 AS "in", '
                'mean("out_bps") / mean("speed_bps") * 100 AS "out"'
            )
        ],
        ("interface", "util_pct"),
        thresholds=steps(*UTIL_STEPS),
        threshold_style=cm.GraphThresholdsStyleMode.DASHED,
        minmax=(0, 100),
        calcs=("mean", "max"),
    )


def errors(ports: Ports, size: Size) -> timeseries.Panel:
    return series(
        f"Errors and discards {ports.per}",
        f"Input and output errors and discards per second of {ports.whose}: a dirty "
        "connector or a failing optic shows as errors before an outage, congestion as "
        "discards.",
        size,
        [
            ports.target(
                'mean("in_errors") AS "in errors", mean("out_errors") AS "out errors", '
                'mean("in_discards") AS "in discards", mean("out_discards") AS "out discards"'
            )
        ],
        ("interface", "in_errors"),
        thresholds=steps(*ERR_STEPS),
        threshold_style=cm.GraphThresholdsStyleMode.LINE,
        minmax=(0, None),
    )


def device_ports() -> list[Part]:
    """The row repeated per selected device: its ports' traffic, utilisation, errors
    and packets by cast (the device variable stands for one device in each row)."""
    return [
        section("Ports of $device", repeat="device"),
        traffic(OF_DEVICE, (12, 8)),
        utilisation(OF_DEVICE, (12, 8)),
        errors(OF_DEVICE, (12, 8)),
        series(
            "Packets per second by cast",
            "Unicast, multicast and broadcast packets received per second on each port "
            "of $device: a broadcast storm or a loop shows as a wall of broadcast.",
            (12, 8),
            [
                OF_DEVICE.target(
                    'mean("in_ucast_pps") AS "unicast", mean("in_mcast_pps") AS "multicast", '
                    'mean("in_bcast_pps") AS "broadcast"'
                )
            ],
            ("interface", "in_ucast_pps"),
        ),
    ]


def every_segment() -> table.Panel:
    return port_table(
        "Every fibre segment end over the period",
        "Both ends of every fibre segment (the ports the inventory names, side a and b), "
        "one line each: status now, speed, peak traffic and mean error rates. A segment "
        "with one end down or erring while the other is clean is the fibre or an optic "
        "between them.",
        (24, 9),
        ("status", "speed", "peak in", "peak out", "in errors", "out errors"),
        f"{TAGGED} AND $timeFilter",
        f'"segment", {OF_SEGMENT.group}',
        sort_by="segment",
    )


def segment_ends() -> list[Part]:
    """The row repeated per selected segment: its two ends side by side, one series per
    end (a, b) in each panel: their status over time, traffic, utilisation, errors."""
    return [
        section("Segment $segment", repeat="segment"),
        timeline(
            "Status of both ends",
            "ifOperStatus of the port at each end of $segment over time: both down at "
            "once is the fibre (or both devices); one end down is that port, its optic "
            "or its device.",
            (24, 5),
            [
                OF_SEGMENT.target(
                    'last("oper_status") AS "status"',
                    fill="none",
                    alias="$tag_side: $tag_device $tag_ifname",
                )
            ],
            ("interface", "oper_status"),
            mappings=[_value_map(OPER_COLOURS)],
        ),
        traffic(OF_SEGMENT, (8, 8)),
        utilisation(OF_SEGMENT, (8, 8)),
        errors(OF_SEGMENT, (8, 8)),
    ]


def ports() -> JSON:
    board = Board(
        "netagent-ports",
        "netagent — Ports and fibre",
        "Every switch and router port InfluxDB knows: status, traffic, utilisation, "
        "errors and discards; both ends of every fibre segment side by side (the ports "
        "the inventory names as its ends carry the segment's name).",
        ["fibre", "ports"],
    )
    board.var(
        tag_values("segment", "Fibre segment", '"interface"', "segment", repeated=True),
        tag_values("device", "Device", '"interface"', "device", repeated=True),
    )
    board.add(
        section("Every port"),
        every_port(),
        section("Fibre segments"),
        every_segment(),
        *segment_ends(),
        *device_ports(),
    )
    return board.json()
