"""`netagent status`: the latest state of every device, from the local store."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import common, options
from agent.cli.inventory_cmd import load_or_exit
from agent.cli.status_view import print_states
from collectors.spool import Spool


def status(
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    data_dir: Path | None = options.DataDirOpt,
    json_out: bool = options.JsonOpt,
) -> None:
    """Latest state per quartiere, as last stored by `run`; no probing."""
    inv = load_or_exit(inventory, quartieri).inventory
    assert inv is not None
    path = options.data_dir(data_dir) / "spool.sqlite"
    if not path.exists():
        common.err.print(f"no data yet in {path.parent}: run `netagent run --once` first")
        raise typer.Exit(common.ExitCode.PROBLEMS)
    spool = Spool(path)
    print_states(spool, inv, json_out)
    spool.close()
