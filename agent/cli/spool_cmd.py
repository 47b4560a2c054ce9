"""`netagent spool dead-letters|requeue`: the lines InfluxDB refused for good.

A field type conflict (a field once written as an integer, now a float) makes InfluxDB
refuse those lines forever; the writer sets them aside with the server's reason instead
of blocking everything behind them. Once the conflict is fixed in InfluxDB (the
measurement dropped or the series renamed), `requeue` sends them again.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import typer

from netagent.agent.cli import common, datadir, options
from netagent.collectors.spool import Spool

app = typer.Typer(help="The local spool's dead letters.", no_args_is_help=True)


@app.command("dead-letters")
def dead_letters(
    limit: int = typer.Option(
        100,
        "--limit",
        "-n",
        metavar="N",
        callback=options.at_least_one,
        help="At most this many, newest first.",
    ),
    as_json: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
    data_dir: Path | None = options.DataDirOpt,
) -> None:
    """Lines InfluxDB refused for good, with the server's reason; exit 1 when any."""
    with open_existing(config, data_dir) as spool:
        letters, total = spool.dead_letters(limit), spool.stats().dead_letters
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
    with open_existing(config, data_dir) as spool:
        n = spool.requeue_dead_letters()
    common.out.print(f"{n} dead letter(s) queued for delivery again")


def open_existing(config: Path | None, data_dir: Path | None) -> AbstractContextManager[Spool]:
    """The configured spool, or the "no data yet" exit when the agent never stored here."""
    cfg = options.configured(config, data_dir)
    datadir.require_data(cfg)
    return datadir.open_spool(cfg)
