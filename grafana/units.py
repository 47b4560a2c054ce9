"""The Grafana unit of every value a dashboard shows, asked by measurement and field.

Every panel and every by-name override takes its unit from `unit()`, never from a
literal, so the unit of a field is written once. Today the answer comes from the small
table below; the measurement schema table (one declaration per measurement, with its
Grafana unit) is meant to answer instead, and only `unit()` then changes.

Two kinds of entries are not stored fields and stay here whatever the source:
- derived values that a query computes (a port's utilisation, memory used as a share);
- `sensor` values, whose unit is the sensor's `type` tag (ENTITY-SENSOR-MIB): they are
  asked as `value:<type>`, e.g. unit("sensor", "value:celsius").
"""

from __future__ import annotations

# (measurement, field) -> Grafana unit id (https://grafana.com/docs/grafana/latest/
# panels-visualizations/configure-standard-options/#unit). Field names as the collectors
# write them (collectors/snmp/mapping.py, collectors/icmp, agent.alerts, geo.coverage).
_UNITS: dict[tuple[str, str], str] = {
    ("icmp", "loss_pct"): "percent",
    ("icmp", "rtt_avg_ms"): "ms",
    ("icmp", "rtt_max_ms"): "ms",
    ("icmp", "jitter_ms"): "ms",
    ("wifi", "clients"): "short",
    ("device_status", "state"): "none",
    ("device_status", "since"): "dateTimeFromNow",
    ("agent", "cycle_s"): "s",
    ("agent", "spool_depth"): "short",
    ("agent", "dropped_total"): "short",
    ("interface", "in_bps"): "bps",
    ("interface", "out_bps"): "bps",
    ("interface", "speed_bps"): "bps",
    ("interface", "in_errors"): "pps",
    ("interface", "out_errors"): "pps",
    ("interface", "in_discards"): "pps",
    ("interface", "out_discards"): "pps",
    ("interface", "in_ucast_pps"): "pps",
    ("interface", "out_ucast_pps"): "pps",
    ("interface", "in_mcast_pps"): "pps",
    ("interface", "out_mcast_pps"): "pps",
    ("interface", "in_bcast_pps"): "pps",
    ("interface", "out_bcast_pps"): "pps",
    ("interface", "oper_status"): "none",
    ("interface", "oper_up"): "bool_on_off",
    ("interface", "admin_up"): "bool_on_off",
    ("interface", "over_speed"): "bool_yes_no",
    ("interface", "alias"): "none",
    ("interface", "util_pct"): "percent",  # derived: bps / speed_bps x 100
    ("radio_link", "rssi_dbm"): "dBm",
    ("radio_link", "snr_db"): "dB",
    ("radio_link", "capacity_mbps"): "Mbits",
    ("radio_station", "rssi_dbm"): "dBm",
    ("radio_station", "snr_db"): "dB",
    ("radio_station", "capacity_mbps"): "Mbits",
    ("radio_station", "rx_capacity_mbps"): "Mbits",
    ("radio_station", "rssi_chain0_dbm"): "dBm",
    ("radio_station", "rssi_chain1_dbm"): "dBm",
    ("radio_station", "snr_h_db"): "dB",
    ("radio_station", "snr_v_db"): "dB",
    ("radio_station", "distance_m"): "lengthm",
    ("host", "cpu_pct"): "percent",
    ("host", "cpus"): "short",
    ("host", "mem_used_bytes"): "bytes",
    ("host", "mem_total_bytes"): "bytes",
    ("host", "mem_used_pct"): "percent",  # derived: mem_used_bytes / mem_total_bytes
    ("sensor", "dbm"): "dBm",
    ("sensor", "ok"): "bool_yes_no",
    ("sensor", "value:celsius"): "celsius",
    ("coverage", "area_pct"): "percent",
    ("coverage", "residents_covered"): "short",
    # Grafana's only area unit is m² (areaM2); km² get their own suffix.
    ("coverage", "covered_km2"): "suffix: km²",
    ("coverage", "area_km2"): "suffix: km²",
}


def unit(measurement: str, field: str) -> str:
    """The Grafana unit id of `field` of `measurement`; an unknown pair is a KeyError
    naming it, so a panel never silently shows a bare number."""
    try:
        return _UNITS[(measurement, field)]
    except KeyError:
        raise KeyError(f"no Grafana unit for {measurement}.{field} (grafana/units.py)") from None
