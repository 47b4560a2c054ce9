"""`netagent shard plan`: which device each of N agents will poll, before deploying them."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import typer
from rich.table import Table

from netagent.agent.cli import common, options
from netagent.agent.cli.inventory_cmd import load_configured_or_exit
from netagent.agent.shard import ShardBy, plan

app = typer.Typer(help="Split the devices between several agents.", no_args_is_help=True)


@app.command("plan")
def plan_cmd(
    shards: int = typer.Option(
        ...,
        "--shards",
        metavar="N",
        callback=options.at_least_one,
        help="How many agents share the devices.",
    ),
    by: str | None = typer.Option(
        None,
        "--by",
        metavar="device|subtree|site",
        help="What is hashed (default: [agent] shard_by): subtree keeps a switch and what "
        "hangs off it on one agent.",
    ),
    config: Path | None = options.ConfigOpt,
    json_out: bool = options.JsonOpt,
) -> None:
    """Print each shard's device count, subtrees, and the devices whose uplink another
    shard polls (their root cause needs that shard's state)."""
    cfg = options.configured(config)
    method = by or cfg.agent.shard_by
    if method not in get_args(ShardBy):
        common.err.print(f"--by: expected one of {', '.join(get_args(ShardBy))}, got {method!r}")
        raise typer.Exit(common.ExitCode.USAGE)
    inv = load_configured_or_exit(cfg)
    shares = plan(inv.polled_devices(), shards, method)  # type: ignore[arg-type]
    if json_out:
        common.print_json(
            {
                "shards": shards,
                "by": method,
                "plan": [
                    {
                        "shard": str(s.shard),
                        "devices": len(s.devices),
                        "units": len(s.units),
                        "foreign_uplinks": s.foreign_uplinks,
                        "device_names": s.devices,
                    }
                    for s in shares
                ],
            }
        )
        return
    table = Table(title=f"{len(inv.polled_devices())} devices over {shards} shard(s), by {method}")
    for col in ("shard", "devices", "subtrees/sites", "uplink in another shard"):
        table.add_column(col, justify="left" if col == "shard" else "right")
    for s in shares:
        table.add_row(
            f"--shard {s.shard}",
            str(len(s.devices)),
            str(len(s.units)),
            str(len(s.foreign_uplinks)),
        )
    common.out.print(table)
