"""`netagent config check|show`: validate the configuration without starting anything."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import common, options
from agent.config import AgentConfig

config_app = typer.Typer(help="Check or show the agent's configuration.", no_args_is_help=True)

ConfigOption = options.ConfigOpt


load_or_exit = options.load_config_or_exit


@config_app.command("check")
def check(config: Path | None = ConfigOption) -> None:
    """Validate the file, the environment overrides and the secret files; start nothing."""
    cfg = load_or_exit(config)
    jobs = [name for name, job in cfg.jobs if job.enabled]
    common.out.print(
        f"configuration OK ({cfg.source or 'defaults'}): data_dir {cfg.agent.resolved_data_dir()},"
        f" shard {cfg.shard()}, jobs {', '.join(jobs)}"
    )


@config_app.command("show")
def show(config: Path | None = ConfigOption) -> None:
    """Print the effective configuration as JSON (secrets masked)."""
    cfg = load_or_exit(config)
    common.print_json(cfg.model_dump(mode="json"))


@config_app.command("example")
def example() -> None:
    """Print the documented example file: every key, its default and its meaning."""
    from agent.config_example import render

    common.out.file.write(render(AgentConfig))


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
