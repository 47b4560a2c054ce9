"""`netagent config check|show|example`: the configuration, checked or shown, nothing started."""

from __future__ import annotations

from pathlib import Path

import typer

from netagent.agent.cli import common, options
from netagent.agent.config import AgentConfig
from netagent.agent.secrets import masked_dump

config_app = typer.Typer(help="Check or show the agent's configuration.", no_args_is_help=True)


@config_app.command("check")
def check(
    config: Path | None = options.ConfigOpt,
    connect: bool = typer.Option(
        False,
        "--connect",
        help="Also reach every configured server, read-only: NetBox /api/status/, InfluxDB"
        " (ping and an empty write), SMTP (EHLO, TLS, login), webhooks (TCP/TLS handshake).",
    ),
) -> None:
    """Preflight: configuration, secret files, inventory, SNMP profiles, data directory.

    One line per check (✓ fine, ! warning, ✗ problem). Exit 0: all fine; 1: a problem
    found; 3: a check could not run. The systemd unit runs it before starting the agent.
    """
    from netagent.agent.checks import exit_code
    from netagent.agent.preflight import preflight

    checks = preflight(config, connect=connect)
    for c in checks:  # the results, so stdout, problems included
        common.out.print(c.line(), markup=False, highlight=False)
    raise typer.Exit(exit_code(checks))


@config_app.command("show")
def show(config: Path | None = options.ConfigOpt) -> None:
    """Print the effective configuration as JSON (secrets and URL tokens masked)."""
    cfg = options.load_config_or_exit(config)
    common.print_json(masked_dump(cfg))


@config_app.command("example")
def example() -> None:
    """Print the documented example file: every key, its default and its meaning."""
    from netagent.agent.config_example import render

    common.out.file.write(render(AgentConfig))


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
