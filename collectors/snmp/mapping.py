"""From walked columns to samples: the meaning of each table `kind` of a profile.

This is the only place that knows what an interface, a wifi radio or a radio link is;
the profiles say where the columns are. A cell of the wrong type or an absent column is
reported as a problem of the device and left out, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from collectors.samples import FieldValue, Sample
from collectors.snmp import ber
from collectors.snmp.profiles import Column, Table
from collectors.snmp.rates import Interval
from collectors.snmp.walk import Cell

Rows = dict[bytes, dict[str, Cell]]  # row index -> role -> cell

_NUMERIC = frozenset({ber.INTEGER, ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64})
RADIO_FIELDS = ("rssi_dbm", "snr_db", "noise_dbm", "capacity_mbps", "ccq_pct")


class Converter:
    """Typed reads of cells; collects one problem line per (table, role) that misbehaves."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def _bad(self, table: str, role: str, index: bytes, cell: Cell, want: str) -> None:
        found = ber.TAG_NAMES.get(cell[0], f"tag 0x{cell[0]:02x}")
        self.problems.setdefault(
            f"{table}.{role}",
            f"table {table}, column {role}, row {ber.oid_str(index, whole=False)}: "
            f"expected {want}, got {found} {cell[1]!r:.40}",
        )

    def number(self, table: str, role: str, col: Column, index: bytes, cell: Cell) -> float | None:
        tag, val = cell
        if tag in _NUMERIC and isinstance(val, int):
            return val * col.scale
        if tag == ber.OCTET_STRING and isinstance(val, bytes):
            try:  # vendors that put a number in a string ('-71.0')
                return float(val.decode("ascii").strip()) * col.scale
            except ValueError:
                pass
        self._bad(table, role, index, cell, "a number")
        return None

    def counter(self, table: str, role: str, index: bytes, cell: Cell) -> int | None:
        tag, val = cell
        if tag in (ber.COUNTER32, ber.COUNTER64, ber.GAUGE32) and isinstance(val, int):
            return val
        self._bad(table, role, index, cell, "a Counter")
        return None

    def text(self, cell: Cell) -> str:
        val = cell[1]
        if isinstance(val, bytes):
            return val.decode("utf-8", "replace").strip("\x00 ")
        return "" if val is None else str(val)


def interfaces(
    table: Table, rows: Rows, device: str, iv: Interval, conv: Converter, t: int
) -> list[Sample]:
    out: list[Sample] = []
    names: set[str] = set()
    for index, cells in rows.items():
        idx = ber.oid_str(index, whole=False)
        name = (
            next((conv.text(cells[r]) for r in ("ifname", "descr") if r in cells), "") or f"if{idx}"
        )
        if name in names:
            name = f"{name}#{idx}"
        names.add(name)
        fields: dict[str, FieldValue] = {}
        speed = _speed(table, index, cells, conv)
        if speed is not None:
            fields["speed_bps"] = speed
        for direction in ("in", "out"):
            for bits in (64, 32):
                role = f"{direction}_octets_{bits}"
                if role in cells:
                    raw = conv.counter(table.name, role, index, cells[role])
                    if raw is not None:
                        r = iv.rate(f"{idx}:{role}", raw, bits, speed / 8 if speed else None)
                        if r is not None:
                            fields[f"{direction}_bps"] = r * 8
                    break
            role = f"{direction}_errors"
            if role in cells:
                raw = conv.counter(table.name, role, index, cells[role])
                if raw is not None and (r := iv.rate(f"{idx}:{role}", raw, 32)) is not None:
                    fields[role] = r
        if "oper_status" in cells:
            st = conv.number(
                table.name, "oper_status", table.columns["oper_status"], index, cells["oper_status"]
            )
            if st is not None:
                fields["oper_up"] = st == 1
        if fields:
            out.append(Sample("interface", {"device": device, "ifname": name}, fields, t))
    return out


def _speed(table: Table, index: bytes, cells: dict[str, Cell], conv: Converter) -> float | None:
    for role in ("speed_bps", "speed_bps_32"):
        if role in cells:
            v = conv.number(table.name, role, table.columns[role], index, cells[role])
            if v:
                return v
    return None


def wifi(table: Table, rows: Rows, device: str, conv: Converter, t: int) -> list[Sample]:
    """Clients summed per radio label (several SSIDs/VAPs share one radio)."""
    clients: dict[str, int] = defaultdict(int)
    for index, cells in rows.items():
        if "clients" not in cells:
            continue
        n = conv.number(table.name, "clients", table.columns["clients"], index, cells["clients"])
        if n is None:
            continue
        radio = conv.text(cells["radio"]) if "radio" in cells else ""
        clients[radio or ber.oid_str(index, whole=False)] += int(n)
    return [
        Sample("wifi", {"device": device, "radio": r}, {"clients": n}, t)
        for r, n in clients.items()
    ]


def radio_links(
    table: Table, rows: Rows, device: str, tags: Mapping[str, str], conv: Converter, t: int
) -> list[Sample]:
    out: list[Sample] = []
    link = tags.get("link") or device
    for index, cells in rows.items():
        fields: dict[str, FieldValue] = {}
        for role in RADIO_FIELDS:
            if role in cells:
                v = conv.number(table.name, role, table.columns[role], index, cells[role])
                if v is not None:
                    fields[role] = float(v)
        if "snr_db" not in fields and "rssi_dbm" in fields and "noise_dbm" in fields:
            fields["snr_db"] = float(fields["rssi_dbm"]) - float(fields["noise_dbm"])
        if not fields:
            continue
        # One row: the link the inventory names. Several (a base station's stations): the
        # station's row index, since which inventory link a station is cannot be known.
        name = link if len(rows) == 1 else f"{device}/{ber.oid_str(index, whole=False)}"
        out.append(
            Sample(
                "radio_link",
                {"link": name, "device": device, "side": tags.get("side", "")},
                fields,
                t,
            )
        )
    return out
