"""Options shared by the commands, declared once, and the one way a command gets its config.

One short option means one thing in every command: `-c` the config file, `-i` an
inventory, `-n` a count, `-t` a timeout in seconds, `-p` an SNMP profile, `-v`/`-q` more or
less logging. Metavars are what a person types (FILE, DIR, N, SECONDS), not Python types.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from netagent.agent import config
from netagent.agent.cli import common
from netagent.agent.config import AgentConfig, ConfigError, load_config

InventoryOpt = typer.Option(
    None,
    "--inventory",
    "-i",
    metavar="PATH",
    help="Inventory file or directory (YAML, CSV, GeoJSON); repeatable; replaces "
    "[agent] inventory.",
    exists=True,
)
QuartieriOpt = typer.Option(
    None,
    "--quartieri",
    metavar="FILE",
    help="Official quartiere polygons (GeoJSON or Shapefile, any CRS); replaces [agent] quartieri.",
    exists=True,
    dir_okay=False,
)
DataDirOpt = typer.Option(
    None,
    "--data-dir",
    metavar="DIR",
    help="Where the local store lives; replaces [agent] "
    f"data_dir (default {common.default_data_dir()}, or $NETAGENT_DATA_DIR).",
)
JsonOpt = typer.Option(False, "--json", help="Machine-readable output on stdout.")
ConfigOpt = typer.Option(
    None,
    "--config",
    "-c",
    metavar="FILE",
    help="TOML configuration (default: $NETAGENT_CONFIG, else /etc/netagent/netagent.toml "
    "if it exists, else the bundled sample).",
    dir_okay=False,
)
NetnsOpt = typer.Option(
    None,
    "--netns",
    metavar="NAME",
    help="Network namespace to open the sockets in (needs root); replaces [agent] netns.",
)

# `"inventory"` in --json on the sample, and the one stderr line every command prints there.
SAMPLE_LABEL, SAMPLE_NOTICE = config.SAMPLE_LABEL, config.SAMPLE_NOTICE


def at_least_one(value: int | None) -> int | None:
    """A count option's check (instead of `min=1`, whose help reads `[x>=1]`)."""
    if value is not None and value < 1:
        raise typer.BadParameter(f"{value}: expected 1 or more")
    return value


def positive(value: float | None) -> float | None:
    """A timeout's check: 0 s would give up before the first request and call it a
    failed device (exit 1) instead of a usage error."""
    if value is not None and value <= 0:
        raise typer.BadParameter(f"{value:g}: expected more than 0 seconds")
    return value


def not_negative(value: float | None) -> float | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"{value:g}: expected 0 or more")
    return value


def configured(
    config: Path | None,
    data_dir: Path | None = None,
    inventory: list[Path] | None = None,
    quartieri: Path | None = None,
    *,
    notice: bool = True,
) -> AgentConfig:
    """The config file ($NETAGENT_CONFIG, or none) with the command line's overrides
    applied; says once, on stderr, when it is the bundled sample (`notice`: the command
    uses the inventory or the data directory, where the sample's data would be)."""
    cfg = load_config_or_exit(config)
    given = {"data_dir": data_dir, "inventory": inventory or None, "quartieri": quartieri}
    updates = {k: v for k, v in given.items() if v is not None}
    if updates:
        cfg = cfg.model_copy(update={"agent": cfg.agent.model_copy(update=updates)})
    if notice and is_sample(cfg):
        common.err.print(SAMPLE_NOTICE, markup=False, highlight=False)
    return cfg


def is_sample(cfg: AgentConfig) -> bool:
    """The bundled sample is what this command works on (no inventory of one's own, also
    not one given with --inventory)."""
    a = cfg.agent
    return a.bundled_sample() and not a.inventory and a.source == "files"


def tagged(cfg: AgentConfig, data: dict[str, Any]) -> dict[str, Any]:
    """A --json object, saying `"inventory": "bundled-sample"` when it is the sample."""
    return {**data, "inventory": SAMPLE_LABEL} if is_sample(cfg) else data


def load_config_or_exit(path: Path | None) -> AgentConfig:
    """The config, or a list of what is wrong on stderr and exit code 1."""
    try:
        return load_config(path)
    except ConfigError as e:
        # No markup (a file name or a key may hold brackets), no wrapping (one problem, one
        # line: greppable in the journal).
        for problem in e.problems:
            common.err.print(
                f"config error: {problem}", markup=False, highlight=False, soft_wrap=True
            )
        raise typer.Exit(common.ExitCode.PROBLEMS) from None
