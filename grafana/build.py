"""Every dashboard from code, written to (or checked against) grafana/dashboards/*.json.

The committed JSON is what a Grafana admin provisions or imports; the code is what we
edit. A test fails when they differ, so the two never drift: edit the code, run
`python -m netagent.grafana generate`, commit both. No dashboard depends on the inventory:
devices, ports, links and stations are template variables over InfluxDB's tag values.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from netagent.grafana.access_points import access_points
from netagent.grafana.devices import devices
from netagent.grafana.links import ports
from netagent.grafana.network import overview
from netagent.grafana.planning import coverage
from netagent.grafana.radio import wireless
from netagent.grafana.sdk import JSON

GRAFANA_DIR = Path(__file__).resolve().parent
DASHBOARD_DIR = GRAFANA_DIR / "dashboards"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"
MAKERS: dict[str, Callable[[], JSON]] = {
    "overview.json": overview,
    "access-points.json": access_points,
    "ports.json": ports,
    "coviolo-wireless.json": wireless,
    "devices.json": devices,
    "coverage.json": coverage,
}


def build_all() -> dict[str, JSON]:
    """File name -> dashboard."""
    return {name: make() for name, make in MAKERS.items()}


def render(dash: JSON) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline (diff-friendly)."""
    return json.dumps(dash, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(out_dir: Path = DASHBOARD_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, dash in build_all().items():
        path = out_dir / name
        path.write_text(render(dash), encoding="utf-8")
        written.append(path)
    return written


def stale_files(out_dir: Path = DASHBOARD_DIR) -> list[str]:
    """Names of dashboard files that are missing or differ from what the code generates,
    and of files there that the code no longer makes (a left-over stays provisioned)."""
    built = build_all()
    stale = [
        name
        for name, dash in built.items()
        if not (out_dir / name).exists()
        or (out_dir / name).read_text(encoding="utf-8") != render(dash)
    ]
    return stale + sorted(p.name for p in out_dir.glob("*.json") if p.name not in built)


def datasource_min_interval() -> str | None:
    """The provisioned datasource's `timeInterval`: Grafana's floor for $__interval."""
    import yaml

    ds = yaml.safe_load((PROVISIONING_DIR / "datasources" / "netagent.yaml").read_text())
    value = ds["datasources"][0].get("jsonData", {}).get("timeInterval")
    return str(value) if value else None


def load_dashboards(out_dir: Path = DASHBOARD_DIR) -> dict[str, JSON]:
    """The committed dashboards, as Grafana would read them."""
    return {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(out_dir.glob("*.json"))
    }
