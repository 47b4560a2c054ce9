"""SNMP table kinds by name: the `netagent.snmp_table_kinds` entry points.

A profile's table names a `kind`; the kind turns that table's walked rows into samples.
netagent's own kinds (interface, wifi, radio_link, station, host, sensor) are declared in
its pyproject.toml exactly as a third party declares one:

    [project.entry-points."netagent.snmp_table_kinds"]
    ups = "netagent_ups:ups_rows"

Every kind is called the same way, `kind(table, rows, poll)`, with what one poll of one
device gives every table (`Poll`), so the poller dispatches by name alone. The functions
below adapt netagent.collectors.snmp.mapping's conversions (each takes what it needs) to that call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from netagent.collectors.plugins import Registry
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import mapping
from netagent.collectors.snmp.profiles import Table
from netagent.collectors.snmp.rates import Interval


@dataclass(frozen=True)
class Poll:
    """One poll of one device: the same for each of its tables."""

    device: str
    tags: Mapping[str, str]  # the target's tags (role, link, side)
    interval: Interval  # counters to rates since the previous poll
    conv: mapping.Converter  # cell conversions, collecting their problems
    t: int  # the poll's timestamp, ns


class TableKind(Protocol):
    def __call__(self, table: Table, rows: mapping.Rows, poll: Poll, /) -> list[Sample]: ...


def _callable(obj: Any) -> str | None:
    return None if callable(obj) else f"{obj!r} is not a function"


TABLE_KINDS: Registry[TableKind] = Registry(
    "netagent.snmp_table_kinds", "SNMP table kind", _callable
)


def interface(table: Table, rows: mapping.Rows, p: Poll) -> list[Sample]:
    return mapping.interfaces(table, rows, p.device, p.interval, p.conv, p.t)


def wifi(table: Table, rows: mapping.Rows, p: Poll) -> list[Sample]:
    return mapping.wifi(table, rows, p.device, p.conv, p.t)


def radio_link(table: Table, rows: mapping.Rows, p: Poll) -> list[Sample]:
    return mapping.radio_links(table, rows, p.device, p.tags, p.conv, p.t)


def station(table: Table, rows: mapping.Rows, p: Poll) -> list[Sample]:
    return mapping.stations(table, rows, p.device, p.conv, p.t)


def host(table: Table, rows: mapping.Rows, p: Poll) -> list[Sample]:
    return mapping.host(table, rows, p.device, p.conv, p.t)


def sensor(table: Table, rows: mapping.Rows, p: Poll) -> list[Sample]:
    return mapping.sensors(table, rows, p.device, p.conv, p.t)
