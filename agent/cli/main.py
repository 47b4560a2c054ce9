"""Entry point of `netagent`; each command group lives in its own module."""

from __future__ import annotations

import typer

from agent.cli import common

app = typer.Typer(
    name="netagent",
    help="Inventory, monitoring and coverage agent for the network of Reggio Emilia.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More log output (-vv: debug)."),
) -> None:
    common.setup_logging(verbose)


poll_app = typer.Typer(help="Run one poll now and print what it read.", no_args_is_help=True)
app.add_typer(poll_app, name="poll")


def _register() -> None:
    """Wire the command groups (one line each)."""
    from agent.cli import (
        alerts_cmd,
        config_cmd,
        coverage_cmd,
        inventory_cmd,
        netbox_cmd,
        poll_icmp,
        poll_snmp,
        query_cmd,
        run_cmd,
        shard_cmd,
        spool_cmd,
        status_cmd,
    )

    app.command("run")(run_cmd.run_once)
    app.command("status")(status_cmd.status)
    app.command("query")(query_cmd.query)
    alerts_cmd.register(app)
    app.add_typer(inventory_cmd.app, name="inventory")
    app.add_typer(netbox_cmd.netbox_app, name="netbox")
    app.add_typer(coverage_cmd.app, name="coverage")
    poll_app.command("icmp")(poll_icmp.icmp)
    poll_app.command("snmp")(poll_snmp.snmp)
    app.add_typer(spool_cmd.app, name="spool")
    app.add_typer(shard_cmd.app, name="shard")
    config_cmd.register(app)


def main() -> None:
    _register()
    app()


if __name__ == "__main__":
    main()
