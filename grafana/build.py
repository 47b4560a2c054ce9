"""Every dashboard from code, written to (or checked against) grafana/dashboards/*.json.

The committed JSON is what a Grafana admin provisions; the code is what we edit. A test
fails when they differ, so the two never drift: edit the code, run
`python -m grafana generate`, commit both.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from grafana.links import fibre, wireless
from grafana.model import JSON
from grafana.network import access_points, overview
from grafana.planning import coverage
from inventory.model import Inventory

GRAFANA_DIR = Path(__file__).resolve().parent
DASHBOARD_DIR = GRAFANA_DIR / "dashboards"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"


def build_all(inv: Inventory) -> dict[str, JSON]:
    """File name -> dashboard. Only the fibre dashboard depends on the inventory."""
    makers: dict[str, Callable[[], JSON]] = {
        "overview.json": overview,
        "access-points.json": access_points,
        "fibre.json": lambda: fibre(inv),
        "coviolo-wireless.json": wireless,
        "coverage.json": coverage,
    }
    return {name: make() for name, make in makers.items()}


def render(dash: JSON) -> str:
    """Stable text: sorted keys, two-space indent, trailing newline (diff-friendly)."""
    return json.dumps(dash, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(inv: Inventory, out_dir: Path = DASHBOARD_DIR) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, dash in build_all(inv).items():
        path = out_dir / name
        path.write_text(render(dash), encoding="utf-8")
        written.append(path)
    return written


def stale_files(inv: Inventory, out_dir: Path = DASHBOARD_DIR) -> list[str]:
    """Names of dashboard files that are missing or differ from what the code generates."""
    stale = []
    for name, dash in build_all(inv).items():
        path = out_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != render(dash):
            stale.append(name)
    return stale


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
