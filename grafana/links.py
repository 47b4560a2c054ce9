"""The links dashboards: fibre segments (from the inventory) and Coviolo radio links.

A fibre segment is not in the time series: only the switch ports at its two ends are
(`interface`, tags device and ifname). Which ports belong to which segment is inventory
knowledge, so the fibre dashboard is generated from an Inventory: one row per segment,
with its ends' traffic, errors, and utilisation against the segment's own capacity.
Radio links are in the data (`radio_link`, tag link), so that dashboard is generic.
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
    quote,
    regex_in,
    row,
    table_options,
    target,
    targets,
    thresholds,
    timeseries_options,
)
from inventory.model import FibreSegment, Inventory

UTIL_STEPS = thresholds((None, "green"), (70, "yellow"), (90, "red"))
ERR_STEPS = thresholds((None, "green"), (0.01, "orange"), (1, "red"))
RSSI_STEPS = thresholds((None, "red"), (-80, "orange"), (-70, "green"))
SNR_STEPS = thresholds((None, "red"), (15, "orange"), (25, "green"))
ERR_UNIT = "suffix: err/s"


def segment_ends(seg: FibreSegment) -> list[tuple[str, str, str]]:
    """(label, device, port) of each end that has both a device and a port in the inventory."""
    ends = [("A", seg.a_device, seg.a_port), ("B", seg.b_device, seg.b_port)]
    return [(side, d, p) for side, d, p in ends if d and p]


def port_where(device: str, port: str) -> str:
    return f'"device" = {quote(device)} AND "ifname" = {quote(port)}'


def _series(select: str, device: str, port: str) -> str:
    return (
        f'SELECT {select} FROM "interface" WHERE {port_where(device, port)} '
        "AND $timeFilter GROUP BY time($__interval) fill(null)"
    )


def segment_panels(seg: FibreSegment, grid: Grid) -> list[JSON]:
    ends = segment_ends(seg)
    cap_bps = seg.capacity_mbps * 1e6
    out: list[JSON] = []
    for side, device, port in ends:
        out.append(
            panel(
                "timeseries",
                f"Traffic at end {side}: {device} {port}",
                f"Bits per second in and out of {device} port {port}, end {side} of "
                f"'{seg.name}' (out drawn below the axis).",
                grid,
                (8, 8),
                targets(
                    (_series('mean("in_bps")', device, port), "in"),
                    (_series('mean("out_bps")', device, port), "out"),
                ),
                unit="bps",
                custom=line_style(),
                options=timeseries_options(),
                overrides=[override("out", **{"custom.transform": "negative-Y"})],
            )
        )
    errors = []
    for side, device, port in ends:
        errors += [
            (_series('mean("in_errors")', device, port), f"{side} in ({device})"),
            (_series('mean("out_errors")', device, port), f"{side} out ({device})"),
        ]
    util = []
    for side, device, port in ends:
        for direction in ("in", "out"):
            expr = f'mean("{direction}_bps") / {cap_bps:.0f} * 100'
            util.append((_series(expr, device, port), f"{side} {direction} ({device})"))
    if errors:
        out.append(
            panel(
                "timeseries",
                "Interface errors at both ends",
                f"Input and output errors per second on the ports at the ends of '{seg.name}': "
                "a dirty connector or a failing optic shows here before an outage.",
                grid,
                (8, 8),
                targets(*errors),
                unit=ERR_UNIT,
                steps=ERR_STEPS,
                minmax=(0, None),
                custom=line_style() | {"thresholdsStyle": {"mode": "line"}},
                options=timeseries_options(),
            )
        )
        out.append(
            panel(
                "timeseries",
                f"Utilisation of the {seg.capacity_mbps:g} Mbit/s segment",
                f"Traffic at each end of '{seg.name}' as a share of the segment's capacity "
                f"({seg.capacity_mbps:g} Mbit/s, from the inventory).",
                grid,
                (24, 6),
                targets(*util),
                unit="percent",
                steps=UTIL_STEPS,
                minmax=(0, 100),
                custom=line_style() | {"thresholdsStyle": {"mode": "dashed"}},
                options=timeseries_options(("mean", "max")),
            )
        )
    return out


def fibre(inv: Inventory) -> JSON:
    g = Grid()
    ends = [(s, d, p) for seg in inv.segments for s, d, p in segment_ends(seg)]
    panels: list[JSON] = []
    if ends:
        any_end = " OR ".join(f"({port_where(d, p)})" for _, d, p in ends)
        summary_q = (
            'SELECT max("in_bps") AS "peak in", max("out_bps") AS "peak out", '
            'mean("in_errors") AS "in errors", mean("out_errors") AS "out errors", '
            'last("oper_up") AS "oper up" '
            f'FROM "interface" WHERE ({any_end}) AND $timeFilter GROUP BY "device", "ifname"'
        )
        panels.append(
            panel(
                "table",
                "Every segment end over the period",
                "Per switch port at the end of a fibre segment: peak traffic, mean error "
                "rates and whether the port is up now; the ports with errors first.",
                g,
                (24, 10),
                [target(summary_q, fmt="table")],
                options=table_options("in errors", desc=True),
                overrides=[
                    override("peak in", unit="bps"),
                    override("peak out", unit="bps"),
                    override(
                        "in errors",
                        unit=ERR_UNIT,
                        thresholds=ERR_STEPS,
                        cell={"type": "color-background"},
                    ),
                    override(
                        "out errors",
                        unit=ERR_UNIT,
                        thresholds=ERR_STEPS,
                        cell={"type": "color-background"},
                    ),
                    override(
                        "oper up",
                        mappings=[
                            {
                                "type": "value",
                                "options": {
                                    "true": {"text": "up", "color": "green", "index": 0},
                                    "false": {"text": "DOWN", "color": "red", "index": 1},
                                },
                            }
                        ],
                        cell={"type": "color-text"},
                    ),
                    override("Time", **{"custom.hidden": True}),
                ],
            )
        )
    for seg in inv.segments:
        if not segment_ends(seg):
            continue  # no port known at either end: nothing to graph (see README)
        r = row(f"{seg.name} — {seg.owner}, {seg.fibre_count} fibres", g, collapsed=True)
        below = g.y
        r["panels"] = segment_panels(seg, g)
        panels.append(r)
        g.newline()
        g.y = below  # collapsed: the next row follows directly
    return dashboard(
        "netagent-fibre",
        "netagent — Fibre segments",
        "Traffic, errors and utilisation on the switch ports at both ends of every fibre "
        "segment of the inventory (Lepida city ring, accesses, Mancasale).",
        panels,
        tags=["fibre"],
    )


def wireless() -> JSON:
    g = Grid()
    sel = regex_in("link", "link")

    def q(field: str) -> str:
        return (
            f'SELECT mean("{field}") FROM "radio_link" WHERE {sel} AND $timeFilter '
            'GROUP BY time($__interval), "link", "side" fill(null)'
        )

    now_q = (
        'SELECT last("rssi_dbm") AS "signal", last("snr_db") AS "SNR", '
        'last("capacity_mbps") AS "capacity" '
        f'FROM "radio_link" WHERE {sel} AND $timeFilter GROUP BY "link", "side", "device"'
    )
    alias = "$tag_link ($tag_side)"
    line = line_style() | {"thresholdsStyle": {"mode": "line+area"}}
    panels = [
        panel(
            "table",
            "Radio links now",
            "Latest signal, SNR and capacity at both ends of every selected link, "
            "coloured by threshold: which link needs a visit?",
            g,
            (24, 9),
            [target(now_q, fmt="table")],
            options=table_options("signal"),
            overrides=[
                override(
                    "signal", unit="dBm", thresholds=RSSI_STEPS, cell={"type": "color-background"}
                ),
                override("SNR", unit="dB", thresholds=SNR_STEPS, cell={"type": "color-background"}),
                override("capacity", unit="Mbits"),
                override("Time", **{"custom.hidden": True}),
            ],
            decimals=1,
        ),
        panel(
            "timeseries",
            "Signal strength per link end",
            "Received signal (RSSI) at each end: below -70 dBm orange, below -80 dBm "
            "red (fade, misalignment, obstruction).",
            g,
            (12, 9),
            [target(q("rssi_dbm"), alias=alias)],
            unit="dBm",
            steps=RSSI_STEPS,
            custom=line,
            options=timeseries_options(),
        ),
        panel(
            "timeseries",
            "SNR per link end",
            "Signal-to-noise ratio at each end: below 25 dB orange, below 15 dB red "
            "(interference or weak signal; modulation drops).",
            g,
            (12, 9),
            [target(q("snr_db"), alias=alias)],
            unit="dB",
            steps=SNR_STEPS,
            custom=line,
            options=timeseries_options(),
        ),
        panel(
            "timeseries",
            "Capacity per link end",
            "The rate the radios negotiated at each end: the ceiling of what the link "
            "can carry now.",
            g,
            (24, 8),
            [target(q("capacity_mbps"), alias=alias)],
            unit="Mbits",
            minmax=(0, None),
            custom=line_style(),
            options=timeseries_options(),
        ),
    ]
    variables = [
        query_variable("link", "Radio link", 'SHOW TAG VALUES FROM "radio_link" WITH KEY = "link"')
    ]
    return dashboard(
        "netagent-coviolo",
        "netagent — Coviolo wireless",
        "Quality of every radio link of the Coviolo community wireless network, both ends.",
        panels,
        variables,
        tags=["wireless"],
    )
