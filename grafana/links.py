"""The links dashboards: switch ports (the ends of the fibre) and the radio links.

Nothing here knows the inventory. A fibre segment is not in the time series, only the
switch ports at its ends are (`interface`, tags device and ifname, the port's
description in the `alias` field, where a segment's name is written on real gear), so
the ports dashboard offers every device and port InfluxDB knows (SHOW TAG VALUES) and
repeats a row per selected device; utilisation is against each port's own speed.
Radio links (`radio_link`, tag link) and the stations registered to an AP
(`radio_station`, tags device and station) are repeated the same way, per link and per
AP. A new segment, link or AP appears without regenerating any dashboard.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from grafana.sdk import (
    JSON,
    Board,
    InfluxQL,
    Override,
    Part,
    graded,
    regex_in,
    section,
    series,
    steps,
    table_panel,
    tag_values,
)
from grafana.units import unit

UTIL_STEPS = ((None, "green"), (70, "yellow"), (90, "red"))
ERR_STEPS = ((None, "green"), (0.01, "orange"), (1, "red"))
RSSI_STEPS = ((None, "red"), (-80, "orange"), (-70, "green"))
SNR_STEPS = ((None, "red"), (15, "orange"), (25, "green"))
# Ports are not a variable: port names hold "/" (ge-0/1), which Grafana does not escape
# in an InfluxQL regex, so a port selection would break the query. Devices are.
PORTS = regex_in("device", "device")
# The summary tables cover everything, whatever devices, links or APs the repeated rows
# below them are opened on.
EVERY = "$timeFilter"
# IF-MIB oper status names (collectors.snmp.mapping.OPER_STATUS), coloured.
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


def _radio_table(title: str, description: str, measurement: str, group: str) -> table.Panel:
    q = (
        'SELECT last("rssi_dbm") AS "signal", last("snr_db") AS "SNR", '
        'last("capacity_mbps") AS "capacity" '
        f'FROM "{measurement}" WHERE {EVERY} GROUP BY {group}'
    )
    return table_panel(
        title,
        description,
        (24, 9),
        InfluxQL(q, fmt="table"),
        (measurement, "rssi_dbm"),
        sort_by="signal",
        decimals=1,
        overrides=[
            (
                "signal",
                graded(unit(measurement, "rssi_dbm"), RSSI_STEPS),
            ),
            (
                "SNR",
                graded(unit(measurement, "snr_db"), SNR_STEPS),
            ),
            ("capacity", {"unit": unit(measurement, "capacity_mbps")}),
            ("Time", {"hidden": True}),
        ],
    )


def _radio_series(measurement: str, where: str, group: str, alias: str, whose: str) -> list[Part]:
    """Signal, SNR and capacity over time, one series per `group` tag value."""

    def q(field: str) -> list[InfluxQL]:
        query = (
            f'SELECT mean("{field}") FROM "{measurement}" WHERE {where} AND $timeFilter '
            f"GROUP BY time($__interval), {group} fill(null)"
        )
        return [InfluxQL(query, alias=alias)]

    line = cm.GraphThresholdsStyleMode.LINE_AND_AREA
    return [
        series(
            "Signal strength",
            f"Received signal (RSSI) of {whose}: below -70 dBm orange, below -80 dBm red "
            "(fade, misalignment, obstruction).",
            (8, 8),
            q("rssi_dbm"),
            (measurement, "rssi_dbm"),
            thresholds=steps(*RSSI_STEPS),
            threshold_style=line,
        ),
        series(
            "SNR",
            f"Signal-to-noise ratio of {whose}: below 25 dB orange, below 15 dB red "
            "(interference or weak signal; modulation drops).",
            (8, 8),
            q("snr_db"),
            (measurement, "snr_db"),
            thresholds=steps(*SNR_STEPS),
            threshold_style=line,
        ),
        series(
            "Capacity",
            f"The rate the radios negotiated, {whose}: the ceiling of what can be carried now.",
            (8, 8),
            q("capacity_mbps"),
            (measurement, "capacity_mbps"),
            minmax=(0, None),
        ),
    ]


def wireless() -> JSON:
    links = regex_in("link", "link")
    aps = regex_in("device", "ap")
    board = Board(
        "netagent-coviolo",
        "netagent — Coviolo wireless",
        "Quality of every radio link of the Coviolo community wireless network, both "
        "ends, and of every station registered to an access point or sector.",
        ["wireless"],
    )
    board.var(
        tag_values("link", "Radio link", '"radio_link"', "link", repeated=True),
        tag_values("ap", "AP / sector", '"radio_station"', "device", repeated=True),
    )
    board.add(
        section("Radio links"),
        _radio_table(
            "Radio links now",
            "Latest signal, SNR and capacity at both ends of every link, "
            "coloured by threshold: which link needs a visit?",
            "radio_link",
            '"link", "side", "device"',
        ),
        section("Link $link", repeat="link"),
        *_radio_series(
            "radio_link", links, '"side"', "$tag_side ($tag_device)", "each end of $link"
        ),
        section("Stations"),
        _radio_table(
            "Stations now",
            "Latest signal, SNR and capacity of every station registered to an AP or "
            "sector (tagged by MAC): which subscriber is badly aimed?",
            "radio_station",
            '"device", "station"',
        ),
        section("Stations of $ap", repeat="ap"),
        *_radio_series("radio_station", aps, '"station"', "$tag_station", "each station of $ap"),
    )
    return board.json()
