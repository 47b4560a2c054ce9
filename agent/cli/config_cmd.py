"""`netagent config check|show`: validate the configuration without starting anything."""

from __future__ import annotations

from pathlib import Path

import typer

from agent.cli import common
from agent.config import AgentConfig, ConfigError, load_config

config_app = typer.Typer(help="Check or show the agent's configuration.", no_args_is_help=True)

ConfigOption = typer.Option(
    None, "--config", "-c", help="TOML file (default: $NETAGENT_CONFIG, else built-in defaults).",
    exists=False, dir_okay=False,
)


def load_or_exit(path: Path | None) -> AgentConfig:
    """The config, or a list of what is wrong on stderr and exit code 1."""
    try:
        return load_config(path)
    except ConfigError as e:
        for problem in e.problems:
            common.err.print(f"[red]config error[/red] {problem}", markup=True, highlight=False)
        raise typer.Exit(common.ExitCode.PROBLEMS) from None


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
