"""What is installed at each seam, for `config check`: one line per seam that has
plugins, one per broken entry point.

The registries themselves live next to their seams (netagent.agent.inventory_sources,
netagent.collectors.influx.writer_types, netagent.agent.notify.registry,
netagent.collectors.snmp.table_kinds);
this module only gathers them, so preflight names them all in one place.
"""

from __future__ import annotations

from typing import Any

from netagent.agent.inventory_sources import INVENTORY_SOURCES
from netagent.agent.notify.registry import NOTIFIERS
from netagent.collectors.influx.writer_types import WRITERS
from netagent.collectors.plugins import Registry
from netagent.collectors.snmp.table_kinds import TABLE_KINDS

# The distribution whose entry points are netagent's own.
OWN_DIST = "netagent"

SEAMS: tuple[tuple[str, Registry[Any]], ...] = (
    ("inventory sources ([agent] source)", INVENTORY_SOURCES),
    ("sample writers ([influxdb] api)", WRITERS),
    ("notifier types ([[notify.targets]] type)", NOTIFIERS),
    ("SNMP table kinds (a profile table's kind)", TABLE_KINDS),
)


def installed() -> list[str]:
    """One line per seam that has plugins: netagent's own names, then each plugin with
    its package (nothing when only netagent's own are there: nothing to report)."""
    lines = []
    for label, registry in SEAMS:
        own = [p.name for p in registry.plugins() if p.dist.split(" ")[0] == OWN_DIST]
        others = [
            f"{p.name} ({p.dist or p.value})"
            for p in registry.plugins()
            if p.dist.split(" ")[0] != OWN_DIST
        ]
        if others:
            lines.append(f"{label}: {', '.join(own) or 'none'}; plugins: {', '.join(others)}")
    return lines


def broken() -> list[str]:
    """One line per entry point that cannot be used, naming it and why."""
    return [b.line() for _, registry in SEAMS for b in registry.broken()]
