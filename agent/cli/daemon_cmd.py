"""`netagent run`: start the daemon (the integrator's run_cmd takes this over at merge)."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import common
from agent.cli.config_cmd import ConfigOption, load_or_exit
from agent.config import ConfigError


def run(
    config: Path | None = ConfigOption,
    shard: str | None = typer.Option(
        None, "--shard", help="K/N: poll only this agent's share of the devices (0-based K)."
    ),
    once: bool = typer.Option(False, "--once", help="Run every job once, then exit."),
) -> None:
    """Run the agent: scheduled polls, sync, coverage, spool flush, until SIGTERM."""
    from agent.daemon import run_daemon

    cfg = load_or_exit(config)
    if shard is not None:
        try:
            cfg = cfg.with_shard(shard)
        except ConfigError as e:
            common.err.print(f"config error: {e.problems[0]}", markup=False)
            raise typer.Exit(common.ExitCode.USAGE) from None
    raise typer.Exit(run_daemon(cfg, once=once))


def register(app: typer.Typer) -> None:
    app.command("run")(run)
