"""`netagent query`: read the local spool, the store of the embedded mode (no InfluxDB).

With InfluxDB configured the spool only holds what waits for delivery; with none it keeps
the history (bounded by `[spool] retention_s`), and this is how to look at it.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netagent.agent.cli import common, options, spool_cmd
from netagent.collectors.measurements import COMMON_TAGS
from netagent.collectors.schema import BY_NAME

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str, now_ns: int | None = None) -> int:
    """`90s`, `15m`, `1h`, `2d`, `1w` ago, or an ISO 8601 time; returns epoch ns."""
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)([smhdw])", text.strip()):
        return (now_ns or time.time_ns()) - int(float(m[1]) * _UNITS[m[2]] * 1e9)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected a duration like 90s, 15m, 1h, 2d, 1w or an ISO time "
            "like 2026-11-24T18:00:00+01:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1e9)


def parse_tags(pairs: list[str]) -> dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{pair!r}: expected KEY=VALUE, e.g. --tag device=ap-duomo")
        tags[key] = value
    return tags


def check_tags(measurement: str, tags: dict[str, str]) -> None:
    """A tag key the measurement does not have (`--tag devce=…`) would match nothing and
    look like "no samples": a usage error naming the tags it has."""
    declared = BY_NAME.get(measurement)
    if declared is None:
        return
    known = [t.name for t in (*declared.tags, *COMMON_TAGS)]
    for key in tags:
        if key not in known:
            raise typer.BadParameter(
                f"{key!r}: {measurement} has no such tag{_did_you_mean(key, known)} "
                f"(its tags: {', '.join(known)})",
                param_hint="--tag",
            )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def query(
    measurement: str = typer.Argument(
        ..., metavar="MEASUREMENT", help="icmp, snmp_system, interface, wifi, agent…"
    ),
    since: str = typer.Option(
        "1h", "--since", metavar="AGE|TIME", help="How far back: 90s, 15m, 1h, 2d or an ISO time."
    ),
    tag: Annotated[
        list[str] | None,
        typer.Option("--tag", metavar="KEY=VALUE", help="Only series with this tag (repeatable)."),
    ] = None,
    limit: int = typer.Option(
        1000,
        "--limit",
        "-n",
        metavar="N",
        callback=options.at_least_one,
        help="At most this many samples.",
    ),
    as_json: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
    data_dir: Path | None = options.DataDirOpt,
) -> None:
    """Samples of one measurement from the local spool, oldest first."""
    since_ns, tags = parse_since(since), parse_tags(tag or [])
    check_tags(measurement, tags)
    with spool_cmd.open_existing(config, data_dir) as spool:
        samples = spool.query(measurement, since_ns=since_ns, tags=tags, limit=limit)
    if not samples and measurement not in BY_NAME:  # a plugin's, if it has samples
        raise typer.BadParameter(
            f"{measurement!r}: no such measurement{_did_you_mean(measurement, BY_NAME)} "
            f"(one of: {', '.join(BY_NAME)})",
            param_hint="MEASUREMENT",
        )
    if as_json:
        common.print_json(
            [
                {
                    "measurement": s.measurement,
                    "time": common.iso(s.time_ns),
                    "time_ns": s.time_ns,
                    "tags": dict(s.tags),
                    "fields": dict(s.fields),
                }
                for s in samples
            ]
        )
        return
    if not samples:
        common.err.print(f"no {measurement!r} samples since {common.iso(since_ns)} in {spool.path}")
        return
    tag_keys = sorted({k for s in samples for k in s.tags})
    field_keys = sorted({k for s in samples for k in s.fields})
    table = Table(title=f"{measurement} ({len(samples)} samples)")
    for col in ["time (UTC)", *tag_keys, *field_keys]:
        table.add_column(col)
    for s in samples:
        table.add_row(
            common.iso(s.time_ns),
            *(s.tags.get(k, "") for k in tag_keys),
            *(_cell(s.fields.get(k)) for k in field_keys),
        )
    common.out.print(table)


def _cell(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
