"""The radio dashboard: Coviolo's point-to-point links and the stations of every AP.

Radio links are in the data (`radio_link`, tag link, both ends by `side`), and so are
the stations registered to an AP or sector (`radio_station`, tags device and station,
the station's MAC): each gets a row repeated per selected link or AP, and a new link or
AP appears without regenerating the dashboard. Radios do not all report the same
quantities, so each panel shows every spelling of it the profiles read: signal as RSSI
or per receive chain (airFiber LTU), SNR as one figure or per polarisation (Cambium PMP
450), capacity per direction.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.models import common as cm

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

RSSI_STEPS = ((None, "red"), (-80, "orange"), (-70, "green"))
SNR_STEPS = ((None, "red"), (15, "orange"), (25, "green"))
Columns = Sequence[tuple[str, str]]  # (field, column name)
LINK_SIGNAL: Columns = (("rssi_dbm", "signal"),)
LINK_SNR: Columns = (("snr_db", "SNR"),)
LINK_CAPACITY: Columns = (("capacity_mbps", "capacity"),)
STATION_SIGNAL: Columns = (
    ("rssi_dbm", "signal"),
    ("rssi_chain0_dbm", "signal chain 0"),
    ("rssi_chain1_dbm", "signal chain 1"),
)
STATION_SNR: Columns = (("snr_db", "SNR"), ("snr_h_db", "SNR H"), ("snr_v_db", "SNR V"))
STATION_CAPACITY: Columns = (("capacity_mbps", "capacity"), ("rx_capacity_mbps", "rx capacity"))


def _select(fn: str, columns: Columns) -> str:
    return ", ".join(f'{fn}("{f}") AS "{name}"' for f, name in columns)


def _radio_table(
    title: str,
    description: str,
    measurement: str,
    group: str,
    signal: Columns,
    snr: Columns,
    other: Columns,
) -> table.Panel:
    """The latest reading of every link end or station, cells coloured by threshold."""
    q = (
        f"SELECT {_select('last', (*signal, *snr, *other))} "
        f'FROM "{measurement}" WHERE $timeFilter GROUP BY {group}'
    )
    overrides: list[Override] = [
        *((name, graded(unit(measurement, f), RSSI_STEPS)) for f, name in signal),
        *((name, graded(unit(measurement, f), SNR_STEPS)) for f, name in snr),
        *((name, {"unit": unit(measurement, f)}) for f, name in other),
        ("Time", {"hidden": True}),
    ]
    return table_panel(
        title,
        description,
        (24, 9),
        InfluxQL(q, fmt="table"),
        (measurement, signal[0][0]),
        sort_by=signal[0][1],
        decimals=1,
        overrides=overrides,
    )


def _radio_series(
    measurement: str,
    where: str,
    group: str,
    alias: str,
    whose: str,
    quantities: tuple[Columns, Columns, Columns],
) -> list[Part]:
    """Signal, SNR and capacity over time, one series per `group` tag value and field."""

    def q(columns: Columns) -> list[InfluxQL]:
        query = (
            f'SELECT {_select("mean", columns)} FROM "{measurement}" WHERE {where} '
            f"AND $timeFilter GROUP BY time($__interval), {group} fill(null)"
        )
        return [InfluxQL(query, alias=alias if len(columns) == 1 else f"{alias} $col")]

    signal, snr, capacity = quantities
    line = cm.GraphThresholdsStyleMode.LINE_AND_AREA
    return [
        series(
            "Signal strength",
            f"Received signal (RSSI) of {whose}: below -70 dBm orange, below -80 dBm red "
            "(fade, misalignment, obstruction).",
            (8, 8),
            q(signal),
            (measurement, signal[0][0]),
            thresholds=steps(*RSSI_STEPS),
            threshold_style=line,
        ),
        series(
            "SNR",
            f"Signal-to-noise ratio of {whose}: below 25 dB orange, below 15 dB red "
            "(interference or weak signal; modulation drops).",
            (8, 8),
            q(snr),
            (measurement, snr[0][0]),
            thresholds=steps(*SNR_STEPS),
            threshold_style=line,
        ),
        series(
            "Capacity",
            f"The rate the radios negotiated, {whose}: the ceiling of what can be carried now.",
            (8, 8),
            q(capacity),
            (measurement, capacity[0][0]),
            minmax=(0, None),
        ),
    ]


def wireless() -> JSON:
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
            LINK_SIGNAL,
            LINK_SNR,
            LINK_CAPACITY,
        ),
        section("Link $link", repeat="link"),
        *_radio_series(
            "radio_link",
            is_repeated("link", "link"),
            '"side"',
            "$tag_side ($tag_device)",
            "each end of $link",
            (LINK_SIGNAL, LINK_SNR, LINK_CAPACITY),
        ),
        section("Stations"),
        _radio_table(
            "Stations now",
            "Latest signal, SNR, capacity and distance of every station registered to an "
            "AP or sector (tagged by MAC), as the radio reports them: which subscriber is "
            "badly aimed, or too far?",
            "radio_station",
            '"device", "station"',
            STATION_SIGNAL,
            STATION_SNR,
            (*STATION_CAPACITY, ("distance_m", "distance")),
        ),
        section("Stations of $ap", repeat="ap"),
        *_radio_series(
            "radio_station",
            is_repeated("device", "ap"),
            '"station"',
            "$tag_station",
            "each station of $ap",
            (STATION_SIGNAL, STATION_SNR, STATION_CAPACITY),
        ),
    )
    return board.json()
