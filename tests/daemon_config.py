"""One daemon configuration for the tests that run `netagent run` against real servers.

Short rounds without jitter over the bundled sample, InfluxDB v1: what every such test
needs; each test overrides only the keys it is about (`sections`) and adds whole sections
of its own as TOML text (`extra`, e.g. per-device credentials).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from netagent.inventory.sample import SAMPLE_PATHS

BASE: dict[str, dict[str, object]] = {
    "agent": {"stop_timeout_s": 5},
    "jobs.icmp": {"interval_s": 1, "jitter_s": 0},
    "jobs.snmp": {"interval_s": 3, "jitter_s": 0},
    "jobs.flush": {"interval_s": 1, "jitter_s": 0},
    "jobs.housekeeping": {"interval_s": 1, "jitter_s": 0},
    "icmp": {"count": 1, "timeout_ms": 300},
    "snmp": {"device_deadline_s": 2.5},
    "influxdb": {"api": "v1", "database": "netagent", "timeout_s": 2},
}


def daemon_config(
    data_dir: Path,
    influx_url: str,
    sections: Mapping[str, Mapping[str, object]] | None = None,
    extra: str = "",
) -> str:
    """The TOML text: BASE with the data directory, the sample inventory, the InfluxDB
    URL and `sections` merged in (key by key), then `extra`."""
    merged = {name: dict(values) for name, values in BASE.items()}
    merged["agent"].update(data_dir=str(data_dir), inventory=[str(SAMPLE_PATHS[0])])
    merged["influxdb"]["url"] = influx_url
    for name, values in (sections or {}).items():
        merged.setdefault(name, {}).update(values)
    # JSON strings, numbers, booleans and string lists are TOML values as written.
    text = "\n".join(
        f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
        for name, values in merged.items()
    )
    return f"{text}\n{extra}"
