"""Samples to InfluxDB line protocol and back.

Encoding uses the escape rules of influxdb-client's `Point` serializer and produces the
same text as `Point.to_line_protocol()` (a test holds us to it), without building a
`Point` per sample: the spool encodes every sample once, at `put()`, so the hot path stays
cheap and a replayed batch is byte-identical to the first attempt. The rules are written
out here, not imported: influxdb-client's import is 0.15 s of every command's start.

A line is stored in two parts, the series key (measurement and sorted tags) and the field
set; the timestamp is appended at delivery in the configured precision. Decoding follows
InfluxDB's own parser rules, so what `netagent query` shows locally is what InfluxDB stores.

A field's line-protocol type is the schema's (`netagent.collectors.measurements`) where the
measurement is declared: InfluxDB refuses a point whose field changes type within a shard,
so a float field that a computation happens to give as an int (`0`, `max()` of ints) is
still written as a float, and an int field given an integral float as an int. Fields the
schema does not know (a plugin's measurement) keep their Python type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from netagent.collectors import schema
from netagent.collectors.samples import FieldValue, Sample

# Line protocol's escapes, as influxdb-client's Point writes them: in keys and tag values
# comma, equals and space; in a measurement comma and space; both also the control
# characters a line cannot hold. In a string field, the quote and the backslash.
_ESCAPE_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n", "\t": r"\t", "\r": r"\r"})
_ESCAPE_KEY = {**_ESCAPE_MEASUREMENT, ord("="): r"\="}
_ESCAPE_STRING = str.maketrans({'"': r"\"", "\\": r"\\"})

# Divisors from integer nanoseconds to each precision InfluxDB accepts.
PRECISION_DIVISOR = {"ns": 1, "us": 1_000, "ms": 1_000_000, "s": 1_000_000_000}


class LineProtocolError(ValueError):
    """A sample that cannot become a line, or a stored line that cannot be read back."""


def _tag_value(value: str) -> str:
    escaped = value.translate(_ESCAPE_KEY)
    # Same rule as the client: a trailing backslash would escape the separator.
    return escaped + " " if escaped.endswith("\\") else escaped


# Escaped series keys and field-set layouts, memoised: a collector emits the same series
# with the same field names every cycle, and encoding is the hot path of `Spool.put()`.
# Bounded by a reset. The bound must hold every series of a cycle, or each cycle refills
# what the last one cleared and nothing is ever found: 15,000 devices have ~150,000
# series (a switch's 24 interfaces each), and the former 100,000 missed nearly always
# (encode_key was 5% of the agent's CPU). A key is memoised on one flat tuple
# (measurement, tag names, tag values), ~300 bytes with its text: 45 MB at 150,000.
_KEYS: dict[tuple[str, ...], str] = {}
# (name, escaped `name=`, declared type or "") per field, in InfluxDB's sorted order.
Layout = tuple[tuple[str, str, str], ...]
_LAYOUTS: dict[tuple[str, ...], Layout] = {}
_CACHE_MAX = 400_000


def _check_name(name: str, what: str) -> None:
    # Line protocol cannot spell a key ending in a backslash: it would escape the `=`.
    if name.endswith("\\"):
        raise LineProtocolError(f"{what} {name!r} ends with a backslash")


def encode_key(measurement: str, tags: Mapping[str, str]) -> str:
    """`measurement,k=v,…` with tags sorted (InfluxDB's own order); empty values dropped."""
    memo = (measurement, *tags, *tags.values())  # n names then n values: unambiguous
    key = _KEYS.get(memo)
    if key is None:
        if not measurement:
            raise LineProtocolError("sample has an empty measurement name")
        parts = [measurement.translate(_ESCAPE_MEASUREMENT)]
        for k, v in sorted(tags.items()):
            _check_name(k, "tag key")
            if k and v:
                parts.append(f"{k.translate(_ESCAPE_KEY)}={_tag_value(str(v))}")
        key = ",".join(parts)
        if len(_KEYS) >= _CACHE_MAX:
            _KEYS.clear()
        _KEYS[memo] = key
    return key


def encode_fields(fields: Mapping[str, FieldValue], measurement: str = "") -> str:
    """The field set; NaN and infinities are left out (line protocol has no spelling for them).
    With the measurement's name, numbers take the type the schema declares."""
    names = (measurement, *fields)
    layout = _LAYOUTS.get(names)
    if layout is None:
        layout = _layout(names)
    out = []
    for k, prefix, declared in layout:
        v = fields[k]
        if v.__class__ is float:  # the common case, inline
            if v - v != 0:  # NaN or ±inf
                continue
            if declared == "int":
                value: str | None = _as_int(measurement, k, v)
            else:
                value = repr(v)
                if value.endswith(".0"):
                    value = value[:-2]
        elif v is True or v is False:
            value = "true" if v else "false"
        elif v.__class__ is int and declared == "float":
            value = str(v)  # a number without the `i` suffix is a float to InfluxDB
        else:
            value = _field_value(k, v)
            if value is None:
                continue
        out.append(prefix + value)  # type: ignore[operator]
    return ",".join(out)


def _as_int(measurement: str, k: str, v: float) -> str:
    """An integral float as the declared int. A fractional one is a producer's bug: it is
    written as the float it is, so InfluxDB refuses that one line (a dead letter naming
    the type conflict) and the batch it came with is still stored and delivered."""
    return f"{int(v)}i" if v.is_integer() else repr(v)


def _layout(names: tuple[str, ...]) -> Layout:
    """(name, escaped `name=`, declared type) in InfluxDB's sorted order, for one
    measurement and set of field names."""
    measurement, *keys = names
    types = schema.field_types(measurement)
    for k in keys:
        _check_name(k, "field name")
    layout = tuple((k, k.translate(_ESCAPE_KEY) + "=", types.get(k, "")) for k in sorted(keys))
    if len(_LAYOUTS) >= _CACHE_MAX:
        _LAYOUTS.clear()
    _LAYOUTS[names] = layout
    return layout


def _field_value(k: str, v: object) -> str | None:
    cls = v.__class__
    if cls is float:
        if not math.isfinite(v):  # type: ignore[arg-type]
            return None
        s = repr(v)
        return s[:-2] if s.endswith(".0") else s
    if cls is bool:
        return "true" if v else "false"
    if cls is int:
        return f"{v}i"
    if cls is str:
        return f'"{v.translate(_ESCAPE_STRING)}"'  # type: ignore[attr-defined]
    for plain in (bool, int, float, str):  # subclasses such as IntEnum or StrEnum
        if isinstance(v, plain):
            return _field_value(k, plain(v))
    raise LineProtocolError(
        f"field {k!r} has type {type(v).__name__}; expected float, int, bool or str"
    )


def line(key: str, fieldset: str, time_ns: int, divisor: int = 1) -> str:
    return f"{key} {fieldset} {time_ns // divisor}"


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on `sep` not preceded by a backslash (keys and tag values). Only the byte
    before counts, so `\\,` is a backslash then an escaped comma: how influxd 1.6 reads
    a tag value (checked), and the inverse of the client's escaping."""
    parts, start = [], 0
    for i, c in enumerate(text):
        if c == sep and (i == 0 or text[i - 1] != "\\"):
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _unescape_key(text: str) -> str:
    return text.replace("\\,", ",").replace("\\=", "=").replace("\\ ", " ")


def decode_key(key: str) -> tuple[str, dict[str, str]]:
    measurement, *pairs = _split_unescaped(key, ",")
    tags = {}
    for pair in pairs:
        tk, _, tv = _split_pair(pair)
        tags[_unescape_key(tk)] = _unescape_key(tv)
    return _unescape_key(measurement), tags


def _split_pair(pair: str) -> tuple[str, str, str]:
    k, *rest = _split_unescaped(pair, "=")
    return k, "=", "=".join(rest)


def decode_fields(fieldset: str) -> dict[str, FieldValue]:
    """Parse a field set (quoted strings may hold commas, `=` and escaped quotes)."""
    fields: dict[str, FieldValue] = {}
    i, n = 0, len(fieldset)
    while i < n:
        j = i
        while j < n and not (fieldset[j] == "=" and fieldset[j - 1] != "\\"):
            j += 1
        key = _unescape_key(fieldset[i:j])
        j += 1
        if j < n and fieldset[j] == '"':
            k, buf = j + 1, []
            while k < n and fieldset[k] != '"':
                if fieldset[k] == "\\" and k + 1 < n and fieldset[k + 1] in '"\\':
                    k += 1
                buf.append(fieldset[k])
                k += 1
            fields[key] = "".join(buf)
            i = k + 2  # past the closing quote and the comma
            continue
        k = fieldset.find(",", j)
        k = n if k < 0 else k
        fields[key] = _scalar(fieldset[j:k], key)
        i = k + 1
    return fields


def _scalar(text: str, key: str) -> FieldValue:
    if text in ("t", "T", "true", "True", "TRUE"):
        return True
    if text in ("f", "F", "false", "False", "FALSE"):
        return False
    try:
        if text.endswith(("i", "u")):
            return int(text[:-1])
        return float(text)
    except ValueError:
        raise LineProtocolError(f"field {key!r}: cannot read value {text!r}") from None


def decode(key: str, fieldset: str, time_ns: int) -> Sample:
    measurement, tags = decode_key(key)
    return Sample(measurement, tags, decode_fields(fieldset), time_ns)
