"""The measurement schema as the rest of the agent asks it: look-ups, checks, the README.

The table itself is `netagent.collectors.measurements` (data only). Here: a field's type for the
line protocol, its Grafana unit for the dashboards, its description for `/metrics`, the
check that a sample writes only what is declared (the tests run it over every producer),
and the README's schema section, rendered from the table:

    python -m netagent.collectors.schema                  # print the section
    python -m netagent.collectors.schema --update README.md   # rewrite it between the markers
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from netagent.collectors.measurements import (
    COMMON_TAGS,
    MEASUREMENTS,
    Field,
    FieldType,
    Measurement,
)
from netagent.collectors.samples import Sample

BY_NAME: Mapping[str, Measurement] = {m.name: m for m in MEASUREMENTS}
_FIELDS: Mapping[str, Mapping[str, Field]] = {
    m.name: {f.name: f for f in m.fields} for m in MEASUREMENTS
}
# The markers name files, not import paths, so they survive a rename of the package.
BEGIN = "<!-- schema:begin: generated from collectors/measurements.py, do not edit -->"
END = "<!-- schema:end -->"


def measurement_of(name: str) -> Measurement:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"measurement {name!r} is not declared in collectors/measurements.py "
            f"(declared: {', '.join(BY_NAME)})"
        ) from None


def field_of(measurement_name: str, name: str) -> Field:
    fields = _FIELDS[measurement_of(measurement_name).name]
    try:
        return fields[name]
    except KeyError:
        raise KeyError(
            f"field {name!r} of measurement {measurement_name!r} is not declared in "
            "collectors/measurements.py"
        ) from None


def grafana_unit(measurement: str, field: str) -> str:
    """Grafana's unit id for one field, e.g. ("interface", "in_bps") -> "bps"."""
    return field_of(measurement, field).grafana


def field_types(measurement_name: str) -> Mapping[str, FieldType]:
    """Declared type per field name; empty for a measurement the table does not know (a
    plugin's), whose fields are then written as their Python type says."""
    return {n: f.type for n, f in _FIELDS.get(measurement_name, {}).items()}


_PYTHON: Mapping[FieldType, tuple[type, ...]] = {
    "int": (int,),
    "float": (float, int),  # an int is written as a float (netagent.collectors.line_protocol)
    "bool": (bool,),
    "str": (str,),
}


def _is(value: object, declared: FieldType) -> bool:
    if isinstance(value, bool):  # a bool is an int to Python, not to InfluxDB
        return declared == "bool"
    return isinstance(value, _PYTHON[declared])


def problems(samples: Iterable[Sample]) -> list[str]:
    """One line per measurement, tag or field a sample writes without a declaration, or
    with a value of another type than declared."""
    out: dict[str, None] = {}
    for s in samples:
        m = BY_NAME.get(s.measurement)
        if m is None:
            out[f"measurement {s.measurement!r} is not declared"] = None
            continue
        tags = {t.name for t in (*m.tags, *COMMON_TAGS)}
        for t in s.tags:
            if t not in tags:
                out[f"{m.name}: tag {t!r} is not declared"] = None
        for name, value in s.fields.items():
            f = _FIELDS[m.name].get(name)
            if f is None:
                out[f"{m.name}: field {name!r} is not declared"] = None
            elif not _is(value, f.type):
                out[
                    f"{m.name}: field {name!r} is declared {f.type}, "
                    f"written as {type(value).__name__}"
                ] = None
    return list(out)


def markdown() -> str:
    """The README's schema section: a summary table, then each measurement's fields."""
    lines = [
        "| measurement | written by | tags |",
        "|---|---|---|",
        *(
            f"| `{m.name}` | {m.written_by} | {', '.join(t.name for t in m.tags)} |"
            for m in MEASUREMENTS
        ),
        "",
        *(
            f"Every measurement may also carry the tag `{t.name}`: {t.description}"
            for t in COMMON_TAGS
        ),
    ]
    for m in MEASUREMENTS:
        lines += [
            "",
            f"**`{m.name}`**: {m.description}",
            "",
            *(f"- tag `{t.name}`: {t.description}" for t in m.tags),
            "",
            "| field | type | unit | Grafana unit | description |",
            "|---|---|---|---|---|",
            *(
                f"| `{f.name}` | {f.type} | {f.unit} | `{f.grafana}` | {f.description} |"
                for f in m.fields
            ),
        ]
    return "\n".join(lines) + "\n"


def section_of(text: str) -> str | None:
    """What a document holds between the markers; None without them."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return None
    return text[start + len(BEGIN) + 1 : end]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__spec__.name}" if __spec__ else None,
        description="Print the measurement schema as markdown, or rewrite it in a document.",
    )
    parser.add_argument(
        "--update", type=Path, metavar="FILE", help="rewrite FILE's section between the markers"
    )
    args = parser.parse_args(argv)
    if args.update is None:
        sys.stdout.write(markdown())
        return 0
    try:
        text = args.update.read_text()
    except OSError as e:
        print(f"error: {args.update}: {e.strerror}", file=sys.stderr)
        return 3
    old = section_of(text)
    if old is None:
        print(f"error: {args.update}: no {BEGIN} ... {END} markers", file=sys.stderr)
        return 1
    args.update.write_text(text.replace(BEGIN + "\n" + old, BEGIN + "\n" + markdown(), 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
