"""Options shared by several commands, declared once."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import common
from agent.config import AgentConfig, ConfigError, load_config

InventoryOpt = typer.Option(
    None, "--inventory", "-i", help="Inventory file (YAML, CSV, GeoJSON); repeatable. "
    "Default: the bundled Reggio Emilia sample.", exists=True, dir_okay=False)
QuartieriOpt = typer.Option(
    None, "--quartieri", help="Official quartiere polygons (GeoJSON or Shapefile, any CRS) "
    "replacing the approximate ones.", exists=True, dir_okay=False)
DataDirOpt = typer.Option(
    None, "--data-dir", help=f"Where the local store lives (default {common.default_data_dir()}, "
    "or $NETAGENT_DATA_DIR).", file_okay=False)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output on stdout.")
ConfigOpt = typer.Option(
    None, "--config", "-c", metavar="FILE", dir_okay=False,
    help="TOML file (default: $NETAGENT_CONFIG, else /etc/netagent/netagent.toml if it "
    "exists, else the bundled sample).")


def configured(
    config: Path | None, data_dir: Path | None = None, inventory: list[Path] | None = None,
    quartieri: Path | None = None,
) -> AgentConfig:
    """The config file (or defaults) with the command line's overrides applied."""
    cfg = load_config_or_exit(config)
    given = {"data_dir": data_dir, "inventory": inventory or None, "quartieri": quartieri}
    updates = {k: v for k, v in given.items() if v is not None}
    return cfg.model_copy(update={"agent": cfg.agent.model_copy(update=updates)})


def load_config_or_exit(path: Path | None) -> AgentConfig:
    """The config, or a list of what is wrong on stderr and exit code 1."""
    try:
        return load_config(path)
    except ConfigError as e:
        # No markup (a file name or a key may hold brackets), no wrapping (one problem, one
        # line: greppable in the journal).
        for problem in e.problems:
            common.err.print(f"config error: {problem}", markup=False, highlight=False,
                             soft_wrap=True)
        raise typer.Exit(common.ExitCode.PROBLEMS) from None
