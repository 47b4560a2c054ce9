"""Which lines of a batch InfluxDB refused, read from its 400/422 answer.

InfluxDB names what it rejected in prose: a field type conflict names the measurement, the
field and the type it refused; a parse error quotes the line. When the message says which
lines they are we set exactly those aside; when it does not, the flusher bisects the batch
(a replayed line is harmless: identical points overwrite).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from netagent.collectors import line_protocol as lp
from netagent.collectors.spool import PendingLine

_CONFLICT = re.compile(
    r'input field \\?"(?P<field>(?:[^"\\]|\\.)*)\\?" on measurement \\?"(?P<m>(?:[^"\\]|\\.)*)\\?"'
    r" is type (?P<type>\w+)"
)
_UNPARSABLE = re.compile(r"unable to parse '(?P<line>(?:[^'\\]|\\.)*)'")

# What InfluxDB 1.x/2.x/3.x say when some lines, not the request, are the problem.
_LINE_PROBLEMS = (
    "partial write",
    "unable to parse",
    "field type conflict",
    "beyond retention",
    "max-values-per-tag",
    "invalid field",
    "invalid number",
    "invalid boolean",
    "bad timestamp",
    "missing field",
    "missing tag",
    "parsing failed",
)

_TYPE_NAMES = {bool: "boolean", int: "integer", float: "float", str: "string"}


def about_lines(reason: str) -> bool:
    """Whether a 400/422 blames lines of the batch (else it is not safe to bisect)."""
    text = reason.lower()
    return any(p in text for p in _LINE_PROBLEMS)


def offenders(batch: Sequence[PendingLine], reason: str, divisor: int = 1) -> list[int]:
    """Positions in `batch` of the lines the server's message identifies as refused."""
    found: set[int] = set()
    for m in _CONFLICT.finditer(reason):
        field, measurement, typ = m["field"], m["m"], m["type"]
        for i, (_, key, fieldset, _t) in enumerate(batch):
            if lp.decode_key(key)[0] != measurement:
                continue
            value = lp.decode_fields(fieldset).get(field)
            if value is not None and _TYPE_NAMES[type(value)] == typ:
                found.add(i)
    quoted = {m["line"] for m in _UNPARSABLE.finditer(reason)}
    if quoted:
        for i, (_, key, fieldset, t) in enumerate(batch):
            if lp.line(key, fieldset, t, divisor) in quoted:
                found.add(i)
    return sorted(found)
