"""The technicians' device health dashboard: CPU, memory, temperatures, optical levels.

Reads `host` (HOST-RESOURCES-MIB: cpu_pct averaged over the processors, RAM used and
total) and `sensor` (ENTITY-SENSOR-MIB, one series per sensor tagged by its name and
its `type`: celsius for temperatures, watts for SFP optical power, also written as
`dbm`). Rx and tx power are separate sensors, told apart by their name as the device
gives it (entPhysicalDescr, e.g. "Ethernet1 Rx Power Sensor").
"""

from __future__ import annotations

from grafana_foundation_sdk.models import common as cm

from netagent.grafana.panels import (
    graded,
    rows_where,
    series,
    steps,
    table_panel,
)
from netagent.grafana.sdk import (
    JSON,
    Board,
    InfluxQL,
    regex_in,
    section,
    tag_values,
)
from netagent.grafana.units import unit

CPU_STEPS = ((None, "green"), (70, "orange"), (90, "red"))
TEMP_STEPS = ((None, "green"), (60, "orange"), (75, "red"))
# SFP receive power: most optics are specified down to about -20 dBm (LX) or -25.
OPTICAL_STEPS = ((None, "red"), (-25, "orange"), (-20, "green"))
DEVICES = regex_in("device", "device")
HOST = f'FROM "host" WHERE {DEVICES} AND $timeFilter'


def _sensor_series(select: str, kind: str) -> str:
    return (
        f'SELECT {select} FROM "sensor" WHERE "type" = \'{kind}\' AND {DEVICES} '
        'AND $timeFilter GROUP BY time($__interval), "device", "sensor" fill(null)'
    )


def devices() -> JSON:
    now_q = (
        'SELECT last("cpu_pct") AS "CPU", '
        'last("mem_used_bytes") / last("mem_total_bytes") * 100 AS "memory used", '
        'last("mem_total_bytes") AS "memory", last("cpus") AS "processors" '
        f'{HOST} GROUP BY "device"'
    )
    sensors_q = (
        'SELECT last("ok") AS "ok", last("value") AS "value" FROM "sensor" '
        f'WHERE {DEVICES} AND $timeFilter GROUP BY "device", "sensor", "type"'
    )
    pct = cm.GraphThresholdsStyleMode.LINE
    board = Board(
        "netagent-devices",
        "netagent — Device health",
        "CPU and memory of the devices that report them, their temperatures and the "
        "optical power their SFPs receive and send.",
        ["devices"],
    )
    board.var(tag_values("device", "Device", "/^(host|sensor)$/", "device"))
    board.add(
        section("Now"),
        table_panel(
            "CPU and memory now",
            "Per device: CPU load (mean of its processors) and memory in use now, "
            "the busiest first.",
            (12, 9),
            InfluxQL(now_q, fmt="table"),
            ("host", "cpu_pct"),
            sort_by="CPU",
            desc=True,
            decimals=1,
            overrides=[
                (
                    "CPU",
                    graded(unit("host", "cpu_pct"), CPU_STEPS),
                ),
                (
                    "memory used",
                    graded(unit("host", "mem_used_pct"), CPU_STEPS),
                ),
                ("memory", {"unit": unit("host", "mem_total_bytes")}),
                ("processors", {"unit": unit("host", "cpus"), "decimals": 0}),
                ("Time", {"hidden": True}),
            ],
        ),
        table_panel(
            "Sensors not ok",
            "Sensors whose latest status is not ok (ENTITY-SENSOR-MIB: unavailable or "
            "non-operational): a failed fan, a PSU or an optic gone dark.",
            (12, 9),
            InfluxQL(sensors_q, fmt="table"),
            ("sensor", "ok"),
            overrides=[("Time", {"hidden": True})],
            transformations=[rows_where("ok", False)],
        ),
        section("CPU and memory"),
        series(
            "CPU load per device",
            "CPU load per device, the mean of its processors (hrProcessorLoad).",
            (12, 8),
            [
                InfluxQL(
                    f'SELECT mean("cpu_pct") {HOST} GROUP BY time($__interval), "device" '
                    "fill(null)",
                    alias="$tag_device",
                )
            ],
            ("host", "cpu_pct"),
            thresholds=steps(*CPU_STEPS),
            threshold_style=pct,
            minmax=(0, 100),
        ),
        series(
            "Memory used per device",
            "RAM in use as a share of the device's RAM (hrStorageRam).",
            (12, 8),
            [
                InfluxQL(
                    'SELECT mean("mem_used_bytes") / mean("mem_total_bytes") * 100 '
                    f'{HOST} GROUP BY time($__interval), "device" fill(null)',
                    alias="$tag_device",
                )
            ],
            ("host", "mem_used_pct"),
            thresholds=steps(*CPU_STEPS),
            threshold_style=pct,
            minmax=(0, 100),
        ),
        section("Temperatures and optics"),
        series(
            "Temperatures",
            "Every temperature sensor of the selected devices: a cabinet without "
            "ventilation or a failing fan shows here first.",
            (12, 8),
            [InfluxQL(_sensor_series('mean("value")', "celsius"), alias="$tag_device $tag_sensor")],
            ("sensor", "value:celsius"),
            thresholds=steps(*TEMP_STEPS),
            threshold_style=pct,
        ),
        series(
            "SFP optical power (rx and tx)",
            "Optical power each SFP receives and sends, in dBm: a received level "
            "falling towards -20 dBm is a dirty connector, a bend or a failing laser "
            "at the other end of the fibre.",
            (12, 8),
            [InfluxQL(_sensor_series('mean("dbm")', "watts"), alias="$tag_device $tag_sensor")],
            ("sensor", "dbm"),
            thresholds=steps(*OPTICAL_STEPS),
            threshold_style=pct,
        ),
    )
    return board.json()
