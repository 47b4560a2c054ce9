"""`netagent spool dead-letters|requeue`: the lines InfluxDB refused for good.

A field type conflict (a field once written as an integer, now a float) makes InfluxDB
refuse those lines forever; the writer sets them aside with the server's reason instead
of blocking everything behind them. Once the conflict is fixed in InfluxDB (the
measurement dropped or the series renamed), `requeue` sends them again.
"""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import common, options
from collectors.spool import Spool

app = typer.Typer(help="The local spool's dead letters.", no_args_is_help=True)


@app.command("dead-letters")
def dead_letters(
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
    data_dir: Path | None = options.DataDirOpt,
) -> None:
    """Lines InfluxDB refused for good, with the server's reason; exit 1 when any."""
    spool = open_existing(config, data_dir)
    try:
        letters, total = spool.dead_letters(limit), spool.stats().dead_letters
    finally:
        spool.close()
    if as_json:
        common.print_json(
            [
                {"line": d.line, "reason": d.reason, "failed_at": common.iso(d.failed_at_ns)}
                for d in letters
            ]
        )
    elif not letters:
        common.out.print("no dead letters: InfluxDB accepted everything it was sent")
    else:
        # Plain lines, not a table: a refused line must be copyable whole.
        common.out.print(f"{total} dead letter(s), newest {len(letters)} shown:")
        for d in letters:
            common.out.print(f"{common.iso(d.failed_at_ns)}  {d.reason}", markup=False)
            common.out.print(f"  {d.line}", markup=False)
        common.err.print("fix the conflict in InfluxDB, then `netagent spool requeue`")
    if total:
        raise typer.Exit(common.ExitCode.PROBLEMS)


@app.command("requeue")
def requeue(
    config: Path | None = options.ConfigOpt,
    data_dir: Path | None = options.DataDirOpt,
) -> None:
    """Queue every dead letter for delivery again (the daemon sends them on its next flush)."""
    spool = open_existing(config, data_dir)
    try:
        n = spool.requeue_dead_letters()
    finally:
        spool.close()
    common.out.print(f"{n} dead letter(s) queued for delivery again")


def open_existing(config: Path | None, data_dir: Path | None) -> Spool:
    """The configured spool, or a clear exit when the agent never stored anything."""
    cfg = options.configured(config, data_dir)
    path = cfg.agent.spool_path()
    if not path.exists():
        common.err.print(f"no local spool at {path}: the agent has not stored anything yet")
        raise typer.Exit(common.ExitCode.FAILED)
    return Spool(path, cfg.spool)
