"""The radio dashboard: Coviolo's point-to-point links and the stations of every AP.

Radio links are in the data (`radio_link`, tag link, both ends by `side`), and so are
the stations registered to an AP or sector (`radio_station`, tags device and station,
the station's MAC): each gets a row repeated per selected link or AP, and a new link or
AP appears without regenerating the dashboard. Radios do not all report the same
quantities, so each panel shows every spelling of it the profiles read: signal as RSSI
or per receive chain (airFiber LTU) or polarisation (Cambium PMP 450 SM), SNR as one
figure or per polarisation, capacity per direction. A station's signal and SNR are as its
AP receives it (uplink); an ePMP AP also reports them as the station receives the AP
(downlink, "DL"), with both MCS indexes and its quality and capacity scores, and names the
station's IP and host name, so a technician finds the house without a MAC lookup. A PMP
450 SM says whether it is registered and to which AP, and Canopy's own link figures:
jitter, the share of beacons received, and the modulation (1X-8X).

The tables are data: groups of (field, column) with the threshold steps that colour them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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

Steps = tuple[tuple[float | None, str], ...]  # (from value, colour); the first from None
RSSI_STEPS: Steps = ((None, "red"), (-80, "orange"), (-70, "green"))
SNR_STEPS: Steps = ((None, "red"), (15, "orange"), (25, "green"))
# ePMP quality/capacity scores and Canopy's beacons received: 100 is a clean link.
SCORE_STEPS: Steps = ((None, "red"), (50, "orange"), (80, "green"))
BEACON_STEPS: Steps = ((None, "red"), (90, "orange"), (99, "green"))
# Canopy jitter (multipath): lower is better; above ~9 the link falls back to 1X.
JITTER_STEPS: Steps = ((None, "green"), (5, "orange"), (10, "red"))
Columns = Sequence[tuple[str, str]]  # (field, column name)
LINK_SIGNAL: Columns = (
    ("rssi_dbm", "signal"),
    ("rssi_h_dbm", "signal H"),
    ("rssi_v_dbm", "signal V"),
)
LINK_SNR: Columns = (("snr_db", "SNR"), ("snr_h_db", "SNR H"), ("snr_v_db", "SNR V"))
LINK_CAPACITY: Columns = (("capacity_mbps", "capacity"),)
STATION_SIGNAL: Columns = (
    ("rssi_dbm", "signal"),
    ("rssi_chain0_dbm", "signal chain 0"),
    ("rssi_chain1_dbm", "signal chain 1"),
    ("rssi_dl_dbm", "signal DL"),
)
STATION_SNR: Columns = (
    ("snr_db", "SNR"),
    ("snr_h_db", "SNR H"),
    ("snr_v_db", "SNR V"),
    ("snr_dl_db", "SNR DL"),
)
STATION_CAPACITY: Columns = (("capacity_mbps", "capacity"), ("rx_capacity_mbps", "rx capacity"))
# A table's column groups and how each is coloured (None: plain, in the field's unit).
Groups = Sequence[tuple[Columns, Steps | None]]
# The SM's registration: anything but REGISTERED (IDLE, SCANNING, SYNCING…) is a link down.
SESSION = (("session_status", "session"),)
SESSION_MAPPINGS = [
    dm.ValueMap(options={"REGISTERED": dm.ValueMappingResult(color="green", index=0)}),
    dm.RegexMap(
        options=dm.DashboardRegexMapOptions(
            pattern=".+", result=dm.ValueMappingResult(color="orange", index=1)
        )
    ),
]
LINK_TABLE: Groups = (
    (LINK_SIGNAL, RSSI_STEPS),
    (LINK_SNR, SNR_STEPS),
    (LINK_CAPACITY, None),
    ((("modulation_x", "modulation X"),), None),
    ((("beacons_pct", "beacons"),), BEACON_STEPS),
    ((("jitter", "jitter"),), JITTER_STEPS),
    ((("registered_ap", "registered to"),), None),
)
STATION_TABLE: Groups = (
    ((("hostname", "host name"), ("ip", "IP")), None),
    (STATION_SIGNAL, RSSI_STEPS),
    (STATION_SNR, SNR_STEPS),
    ((("quality_pct", "quality"), ("capacity_pct", "capacity score")), SCORE_STEPS),
    ((("mcs_ul", "MCS UL"), ("mcs_dl", "MCS DL")), None),
    ((*STATION_CAPACITY, ("distance_m", "distance")), None),
)


def _select(fn: str, columns: Columns) -> str:
    return ", ".join(f'{fn}("{f}") AS "{name}"' for f, name in columns)


def _cell(unit_id: str, steps: Steps | None) -> dict[str, Any]:
    """A column in its unit, coloured by `steps` if any; a vendor's index or score
    (unit "short": MCS, modulation, jitter) is a whole number, drawn without decimals."""
    cell = graded(unit_id, steps) if steps else {"unit": unit_id}
    return cell | {"decimals": 0} if unit_id == "short" else cell


def _radio_table(
    title: str,
    description: str,
    measurement: str,
    group: str,
    groups: Groups,
    session: bool = False,
) -> table.Panel:
    """The latest reading of every link end or station, cells coloured by threshold,
    sorted by signal (the first coloured group); `session`: the SM's registration first."""
    columns = [*(SESSION if session else ()), *(c for cols, _ in groups for c in cols)]
    q = f'SELECT {_select("last", columns)} FROM "{measurement}" WHERE $timeFilter GROUP BY {group}'
    overrides: list[Override] = [
        (name, _cell(unit(measurement, f), steps)) for cols, steps in groups for f, name in cols
    ]
    if session:
        session_cell: dict[str, Any] = {
            "cell": {"type": "color-background"},
            "mappings": SESSION_MAPPINGS,
        }
        overrides.append((SESSION[0][1], session_cell))
    signal = next(cols for cols, steps in groups if steps == RSSI_STEPS)[0]
    return table_panel(
        title,
        description,
        (24, 9),
        InfluxQL(q, fmt="table"),
        (measurement, signal[0]),
        sort_by=signal[1],
        decimals=1,
        overrides=[*overrides, ("Time", {"hidden": True})],
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
            "Latest signal (per polarisation where the radio says), SNR and capacity at both "
            "ends of every link, coloured by threshold: which link needs a visit? A PMP 450 "
            "SM adds its session (anything but REGISTERED is orange), the AP it is registered "
            "to, and Canopy's link figures: modulation (1X-8X), beacons received (below 99% "
            "orange, 90% red) and jitter (from 5 orange, from 10 red: multipath).",
            "radio_link",
            '"link", "side", "device"',
            LINK_TABLE,
            session=True,
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
            "AP or sector (tagged by MAC; host name and IP where the AP reports them), as the "
            "radio reports them: which subscriber is badly aimed, or too far? Signal and SNR "
            "are as the AP receives the station (uplink); DL as the station receives the AP "
            "(ePMP). Quality and capacity scores (ePMP, 0-100): below 80 orange, below 50 "
            "red; MCS per direction drops with them.",
            "radio_station",
            '"device", "station"',
            STATION_TABLE,
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
