"""What one SNMP poll read, per quartiere: the summary `run --once` prints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from netagent.collectors.snmp import PollOutcome
from netagent.inventory.model import OUTSIDE


@dataclass
class _Quartiere:
    read: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: int = 0  # no ICMP answer: not asked by SNMP
    clients: int = 0
    links: int = 0
    worst_rssi_dbm: float | None = None


def summarise(
    outcomes: Sequence[PollOutcome], quartiere_of: Mapping[str, str], skipped: Sequence[str]
) -> dict[str, Any]:
    """Per quartiere: devices read, failed (with why), skipped (no ping), Wi-Fi clients,
    radio link readings and the weakest signal among them."""
    by_q: dict[str, _Quartiere] = defaultdict(_Quartiere)
    for name in skipped:
        by_q[quartiere_of[name]].skipped += 1
    for o in outcomes:
        q = by_q[quartiere_of[o.device]]
        if not o.ok:
            q.failed.append(f"{o.device} ({o.error})")
            continue
        q.read += 1
        for s in o.samples:
            if s.measurement == "wifi":
                q.clients += int(s.fields.get("clients", 0))
            elif s.measurement == "radio_link" and "rssi_dbm" in s.fields:
                rssi = float(s.fields["rssi_dbm"])
                q.links += 1
                q.worst_rssi_dbm = min(
                    rssi, q.worst_rssi_dbm if q.worst_rssi_dbm is not None else rssi
                )
    order = sorted(by_q, key=lambda n: (n == OUTSIDE, n))
    return {name: vars(by_q[name]) for name in order}


def table(summary: Mapping[str, Mapping[str, Any]]) -> Table:
    t = Table(title="SNMP, one poll per quartiere", title_justify="left")
    t.add_column("Quartiere", no_wrap=True, overflow="ellipsis", max_width=20)
    # Links: radio_link readings, one per link end (a base station reads one per station).
    for col in ("Read", "Failed", "No ping", "Clients", "Links", "Worst dBm"):
        t.add_column(col, justify="right", no_wrap=True)
    total: dict[str, int] = defaultdict(int)
    for q, s in summary.items():
        rssi = s["worst_rssi_dbm"]
        t.add_row(
            q,
            str(s["read"]),
            str(len(s["failed"]) or ""),
            str(s["skipped"] or ""),
            str(s["clients"]),
            str(s["links"] or ""),
            f"{rssi:.0f}" if rssi is not None else "",
        )
        for k in ("read", "skipped", "clients", "links"):
            total[k] += s[k]
        total["failed"] += len(s["failed"])
    t.add_section()
    worst = [s["worst_rssi_dbm"] for s in summary.values() if s["worst_rssi_dbm"] is not None]
    t.add_row(
        "All",
        str(total["read"]),
        str(total["failed"]),
        str(total["skipped"]),
        str(total["clients"]),
        str(total["links"]),
        f"{min(worst):.0f}" if worst else "",
    )
    return t
