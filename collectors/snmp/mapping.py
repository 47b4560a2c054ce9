"""From walked columns to samples: the meaning of each table `kind` of a profile.

This is the only place that knows what an interface, a wifi radio or a radio link is;
the profiles say where the columns are. A cell of the wrong type or an absent column is
reported as a problem of the device and left out, never guessed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

from netagent.collectors import schema
from netagent.collectors.samples import FieldValue, Sample
from netagent.collectors.snmp import ber
from netagent.collectors.snmp.profiles import Column, Table
from netagent.collectors.snmp.rates import Interval
from netagent.collectors.snmp.walk import Cell

Rows = dict[bytes, dict[str, Cell]]  # row index -> role -> cell

_NUMERIC = frozenset({ber.INTEGER, ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64})
# The fields a radio link or station row can have, and whether each is a gauge (float) or
# the device's running total of a counter (int), are the schema table's.
RADIO_READINGS = schema.measurement_of("radio_link").fields


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
        if cell[0] == ber.IP_ADDRESS and isinstance(val, bytes) and len(val) == 4:
            return ".".join(map(str, val))
        if isinstance(val, bytes):
            return val.decode("utf-8", "replace").strip("\x00 ")
        return "" if val is None else str(val)


# IF-MIB status enumerations: the name is kept as a field; up/down only where it is one.
OPER_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
_OPER_UP = {1: True, 2: False, 7: False}  # notPresent, dormant… are neither up nor down
OVER_SPEED = 1.02  # a rate this far above the nominal speed is flagged (beyond tick noise)
_MIN_FRAME = 64  # bytes: the most frames (or errors) a port can count per second


@dataclass(frozen=True)
class CounterField:
    """A per-second field from a counter: roles tried in order (64-bit first), the
    multiplier, and how many units one byte of line speed can carry (for wrap bounds)."""

    name: str
    roles: tuple[tuple[str, int], ...]
    scale: float = 1.0
    per_byte: float = 1.0 / _MIN_FRAME


def _pair(
    field: str, base: str, scale: float = 1.0, per_byte: float = 1.0 / _MIN_FRAME
) -> list[CounterField]:
    """in_ and out_ fields from the roles `<dir>_<base>_64`, then `<dir>_<base>_32`."""
    return [
        CounterField(
            f"{d}_{field}", ((f"{d}_{base}_64", 64), (f"{d}_{base}_32", 32)), scale, per_byte
        )
        for d in ("in", "out")
    ]


INTERFACE_COUNTERS: tuple[CounterField, ...] = (
    *_pair("bps", "octets", 8.0, 1.0),
    *(
        CounterField(f"{d}_{k}", ((f"{d}_{k}", 32),))
        for k in ("errors", "discards")
        for d in ("in", "out")
    ),
    *_pair("ucast_pps", "ucast"),
    *_pair("mcast_pps", "mcast"),
    *_pair("bcast_pps", "bcast"),
)


_OCTET_ROLES = tuple(role for cf in INTERFACE_COUNTERS[:2] for role, _ in cf.roles)


def interfaces(
    table: Table, rows: Rows, device: str, iv: Interval, conv: Converter, t: int
) -> list[Sample]:
    out: list[Sample] = []
    names: set[str] = set()
    readable = 0
    for index, cells in rows.items():
        idx = ber.oid_str(index, whole=False)
        name = (
            next((conv.text(cells[r]) for r in ("ifname", "descr") if r in cells), "") or f"if{idx}"
        )
        if name in names:
            name = f"{name}#{idx}"
        names.add(name)
        fields: dict[str, FieldValue] = {}
        if idx.isdigit():
            fields["if_index"] = int(idx)
        if "alias" in cells and (alias := conv.text(cells["alias"])):
            fields["alias"] = alias
        speed = _speed(table, index, cells, conv)
        if speed is not None:
            fields["speed_bps"] = speed
        reseed = "discontinuity" in cells and iv.discontinuity(
            f"{idx}:discontinuity", _int_of(cells["discontinuity"])
        )
        got = _counter_fields(table, index, idx, cells, iv, conv, speed, reseed)
        readable += "in_bps" in got or "out_bps" in got or any(r in cells for r in _OCTET_ROLES)
        fields.update(got)
        if speed and any(k in got for k in ("in_bps", "out_bps")):
            top = max(float(got.get("in_bps", 0)), float(got.get("out_bps", 0)))
            fields["over_speed"] = top > speed * OVER_SPEED
            iv.stats.over_speed += bool(fields["over_speed"])
        for role, up_field in (("oper_status", "oper_up"), ("admin_status", "admin_up")):
            if role in cells:
                st = conv.number(table.name, role, table.columns[role], index, cells[role])
                if st is None:
                    continue
                if role == "admin_status":
                    fields[up_field] = st == 1
                    continue
                fields["oper_status"] = OPER_STATUS.get(int(st), str(int(st)))
                if (up := _OPER_UP.get(int(st))) is not None:
                    fields[up_field] = up
        if fields:
            out.append(Sample("interface", {"device": device, "ifname": name}, fields, t))
    if rows and not readable and any(r.startswith("in_octets") for r in table.columns):
        conv.problems.setdefault(
            f"{table.name}.counters",
            f"table {table.name}: no octet counter readable on any of {len(rows)} port(s) "
            "(ifHCInOctets/ifInOctets absent or hidden): no traffic rates",
        )
    return out


def tag_ports(
    samples: list[Sample], port_tags: Mapping[str, Mapping[str, str]]
) -> tuple[list[Sample], list[str]]:
    """The samples with each named port's `interface` samples carrying its tags (a fibre
    segment's end: segment and side), whichever table kind made them; and one problem
    naming the ports the device has no interface of, so a port misspelt in the inventory
    is said instead of its segment silently missing from the dashboards."""
    if not port_tags:
        return samples, []
    found: set[str] = set()
    out: list[Sample] = []
    for s in samples:
        extra = port_tags.get(s.tags.get("ifname", "")) if s.measurement == "interface" else None
        if extra:
            found.add(s.tags["ifname"])
            s = replace(s, tags={**s.tags, **extra})
        out.append(s)
    missing = [
        f"{port!r} ({', '.join(f'{k} {v!r}' for k, v in tags.items())})"
        for port, tags in sorted(port_tags.items())
        if port not in found
    ]
    if not missing:
        return out, []
    return out, [
        f"port(s) the inventory names not among the device's interfaces (ifName, else "
        f"ifDescr), so their samples are not tagged: {', '.join(missing)}"
    ]


def _int_of(cell: Cell) -> int:
    return cell[1] if isinstance(cell[1], int) else 0


def _counter_fields(
    table: Table,
    index: bytes,
    idx: str,
    cells: dict[str, Cell],
    iv: Interval,
    conv: Converter,
    speed: float | None,
    reseed: bool,
) -> dict[str, FieldValue]:
    """Rates of one interface. An invalid 64-bit counter (wrong type, or stuck at 0 while
    the 32-bit one counts) falls back to the 32-bit one. Plain loops, not comprehensions:
    this runs for every counter of every port of every device, every cycle."""
    out: dict[str, FieldValue] = {}
    per_s = speed / 8 if speed else None
    for cf in INTERFACE_COUNTERS:
        chosen: tuple[str, int, int] | None = None
        for role, bits in cf.roles:  # each present cell is checked: a bad one is said
            cell = cells.get(role)
            if cell is None:
                continue
            raw = conv.counter(table.name, role, index, cell)
            if raw is not None and (chosen is None or (chosen[2] == 0 and raw)):
                chosen = (role, bits, raw)
        if chosen is None:
            continue
        role, bits, raw = chosen
        r = iv.rate(f"{idx}:{role}", raw, bits, per_s * cf.per_byte if per_s else None, reseed)
        if r is not None:
            out[cf.name] = r * cf.scale
    return out


def _speed(table: Table, index: bytes, cells: dict[str, Cell], conv: Converter) -> float | None:
    for role in ("speed_bps", "speed_bps_32"):
        if role in cells:
            v = conv.number(table.name, role, table.columns[role], index, cells[role])
            if v is not None and v < 0:
                conv.problems.setdefault(
                    f"{table.name}.{role}.negative",
                    f"table {table.name}, column {role}, row "
                    f"{ber.oid_str(index, whole=False)}: negative speed {v:g} ignored",
                )
            elif v:
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
        fields = link_fields(table, index, cells, conv)
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


def link_fields(
    table: Table, index: bytes, cells: dict[str, Cell], conv: Converter
) -> dict[str, FieldValue]:
    """The fields of one radio link or station row: gauges as floats, the error totals
    (declared int) as the counter's value, the text ones (declared str) as text when set."""
    fields: dict[str, FieldValue] = {}
    for f in RADIO_READINGS:
        if (role := f.name) not in cells:
            continue
        n: FieldValue | None
        if f.type == "str":
            n = conv.text(cells[role]) or None
        elif f.type == "int":
            n = conv.counter(table.name, role, index, cells[role])
        else:
            v = conv.number(table.name, role, table.columns[role], index, cells[role])
            n = None if v is None else float(v)
        if n is not None:
            fields[role] = n
    return fields


def stations(table: Table, rows: Rows, device: str, conv: Converter, t: int) -> list[Sample]:
    """One `radio_station` sample per station registered to an AP, tagged by its MAC.

    A sector can hold hundreds of stations and each is a series: past `max_stations`
    (per table, so per device) the rest are left out and reported, never silently.
    """
    items = sorted(rows.items())
    if len(items) > table.max_stations:
        conv.problems.setdefault(
            f"{table.name}.max_stations",
            f"table {table.name}: {len(items)} stations, only the first {table.max_stations} "
            "kept (max_stations of the profile)",
        )
        items = items[: table.max_stations]
    out: list[Sample] = []
    for index, cells in items:
        fields = link_fields(table, index, cells, conv)
        if "snr_db" not in fields and "rssi_dbm" in fields and "noise_dbm" in fields:
            fields["snr_db"] = float(fields["rssi_dbm"]) - float(fields["noise_dbm"])
        if not fields:
            continue
        tags = {"device": device, "station": _station(table, index, cells, conv)}
        out.append(Sample("radio_station", tags, fields, t))
    return out


def _station(table: Table, index: bytes, cells: dict[str, Cell], conv: Converter) -> str:
    """The station's MAC (aa:bb:…): from the table's `station` column when it has one (a
    MAC written as text is normalised), else from the row index when it starts with it;
    else the index."""
    if "station" in cells and (name := conv.text(cells["station"])):
        return _mac_text(name) or name
    subids = ber.oid_decode(index, whole=False)
    if table.index_mac and len(subids) >= 6 and all(0 <= b < 256 for b in subids[:6]):
        return ":".join(f"{b:02x}" for b in subids[:6])
    return ".".join(map(str, subids))


def _mac_text(text: str) -> str | None:
    """'00:04:56:AB:CD:1' or '00-04-56-ab-cd-01' as 00:04:56:ab:cd:01; None if no MAC."""
    parts = text.replace("-", ":").split(":")
    try:
        octets = [int(p, 16) for p in parts]
    except ValueError:
        return None
    if len(octets) != 6 or not all(0 <= o < 256 for o in octets):
        return None
    return ":".join(f"{o:02x}" for o in octets)


_HR_STORAGE_RAM = ber.oid_encode("1.3.6.1.2.1.25.2.1.2")


def host(table: Table, rows: Rows, device: str, conv: Converter, t: int) -> list[Sample]:
    """HOST-RESOURCES-MIB as one `host` sample: CPU load averaged over the processors
    (hrProcessorLoad rows) and RAM from the hrStorageRam row of hrStorageTable.

    Both tables go in one profile table: each row is read by the columns it has, so a
    processor and a storage row that share an index (they seldom do: hrDevice indexes
    start at 768) still count once each.
    """
    loads: list[float] = []
    fields: dict[str, FieldValue] = {}
    for index, cells in rows.items():
        if "cpu_load_pct" in cells:
            col = table.columns["cpu_load_pct"]
            if (
                v := conv.number(table.name, "cpu_load_pct", col, index, cells["cpu_load_pct"])
            ) is not None:
                loads.append(v)
        kind = cells.get("storage_type")
        if kind is None or kind[1] != _HR_STORAGE_RAM:
            continue
        sizes = {
            r: conv.number(table.name, r, table.columns[r], index, cells[r])
            for r in ("storage_units", "storage_size", "storage_used")
            if r in cells
        }
        unit = sizes.get("storage_units")
        if unit is not None and sizes.get("storage_size") is not None:
            fields["mem_total_bytes"] = float(sizes["storage_size"] or 0) * unit
        if unit is not None and sizes.get("storage_used") is not None:
            fields["mem_used_bytes"] = float(sizes["storage_used"] or 0) * unit
    if loads:
        fields["cpu_pct"] = sum(loads) / len(loads)
        fields["cpus"] = len(loads)
    return [Sample("host", {"device": device}, fields, t)] if fields else []


# ENTITY-SENSOR-MIB entPhySensorType -> the unit name used as the `type` tag.
_SENSOR_TYPES = {
    1: "other",
    2: "unknown",
    3: "volts_ac",
    4: "volts_dc",
    5: "amperes",
    6: "watts",
    7: "hertz",
    8: "celsius",
    9: "percent_rh",
    10: "rpm",
    11: "cmm",
    12: "truthvalue",
    13: "special",
    14: "dbm",
}


def sensors(table: Table, rows: Rows, device: str, conv: Converter, t: int) -> list[Sample]:
    """ENTITY-SENSOR-MIB (RFC 3433), one `sensor` sample per sensor: value x
    10^(3 x (scale - 9)) / 10^precision, so 348 with scale units(9) and precision 1 is
    34.8. Optics (SFP DOM) report power in watts, also given as `dbm`; a negative power
    (Arista's -10^9 for "no light") is no reading, so neither field is written. The name
    is ENTITY-MIB's entPhysicalDescr of the same index; a sensor whose status is not ok(1)
    has ok=false and no value.
    """
    out: list[Sample] = []
    names: set[str] = set()
    for index, cells in rows.items():
        if "value" not in cells:
            continue
        num = {
            r: conv.number(table.name, r, table.columns[r], index, cells[r])
            for r in ("value", "type", "scale", "precision", "status")
            if r in cells
        }
        idx = ber.oid_str(index, whole=False)
        name = (conv.text(cells["name"]) if "name" in cells else "") or f"sensor{idx}"
        if name in names:
            name = f"{name}#{idx}"
        names.add(name)
        stype = _SENSOR_TYPES.get(int(num.get("type") or 2), "unknown")
        fields: dict[str, FieldValue] = {"ok": num.get("status", 1) == 1}
        value = num.get("value")
        if value is not None and fields["ok"] and not (stype == "watts" and value < 0):
            exp = 3 * (int(num.get("scale") or 9) - 9) - int(num.get("precision") or 0)
            # divide rather than multiply by 10^-n: 348 / 10 is 34.8, 348 * 0.1 is not
            v = value * 10**exp if exp >= 0 else value / 10**-exp
            fields["value"] = v
            if stype == "watts" and v > 0:
                fields["dbm"] = 10 * math.log10(v * 1000)
        out.append(Sample("sensor", {"device": device, "sensor": name, "type": stype}, fields, t))
    return out
