"""The Grafana unit of every value a dashboard shows, asked by measurement and field.

Every panel and every by-name override takes its unit from `unit()`, never from a
literal, so the unit of a field is written once: in the measurement schema table
(`netagent.collectors.measurements`). Two kinds of entries are not stored fields and stay here:
- derived values that a query computes (a port's utilisation, memory used as a share);
- `sensor` values, whose unit is the sensor's `type` tag (ENTITY-SENSOR-MIB): they are
  asked as `value:<type>`, e.g. unit("sensor", "value:celsius").
"""

from __future__ import annotations

from netagent.collectors.schema import grafana_unit

# Values that are not stored fields, so the schema table cannot hold them: what a query
# computes, and sensor values whose unit is the sensor's `type` tag.
_DERIVED: dict[tuple[str, str], str] = {
    ("interface", "util_pct"): "percent",  # bps / speed_bps x 100
    ("host", "mem_used_pct"): "percent",  # mem_used_bytes / mem_total_bytes
    ("sensor", "value:celsius"): "celsius",
}


def unit(measurement: str, field: str) -> str:
    """The Grafana unit id of `field` of `measurement`: the schema table's for a stored
    field, the table above for a derived one; an unknown pair is a KeyError naming it, so
    a panel never silently shows a bare number."""
    derived = _DERIVED.get((measurement, field))
    return derived if derived is not None else grafana_unit(measurement, field)
