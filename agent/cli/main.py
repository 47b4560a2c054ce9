"""Entry point of `netagent`; each command group lives in its own module.

The root group is where every command passes: `-v`/`-q` are taken wherever they stand on
the line (before or after the subcommand), and a data-directory fault that reaches it is
one line and exit 3 (`netagent.agent.cli.datadir`), whatever the command.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import typer
from typer.core import TyperGroup

from netagent.agent.cli import common
from netagent.agent.cli.datadir import DataDirFault, is_spool_error

log = logging.getLogger(__name__)

_LOGGING_FLAG = re.compile(r"-v+|-q|--verbose|--quiet")


class RootGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _readable_help(self)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """`netagent status -v` as `netagent -v status` (up to a `--`)."""
        end = args.index("--") if "--" in args else len(args)
        flags = [a for a in args[:end] if _LOGGING_FLAG.fullmatch(a)]
        rest = [a for a in args[:end] if not _LOGGING_FLAG.fullmatch(a)]
        return super().parse_args(ctx, [*flags, *rest, *args[end:]])

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except DataDirFault as e:
            log.debug("data directory fault", exc_info=True)
            common.err.print(f"error: {e}", markup=False, highlight=False)
            raise typer.Exit(common.ExitCode.FAILED) from None
        except Exception as e:
            if not (is_spool_error(e) or isinstance(e, sqlite3.DatabaseError | OSError)):
                raise
            # A store opened outside netagent.agent.cli.datadir: still one line, never a traceback.
            log.debug("unexpected storage error", exc_info=True)
            where = getattr(e, "filename", None)
            common.err.print(
                f"error: {where + ': ' if where else ''}{e}", markup=False, highlight=False
            )
            raise typer.Exit(common.ExitCode.FAILED) from None


def _readable_help(command: Any) -> None:
    """Help shows what a person types: the metavar (FILE, N, SECONDS) or, for a flag,
    nothing, where typer would print a Python type (`<list[Path]>`, `<bool>`)."""
    for param in getattr(command, "params", []):
        if param.metavar is not None or getattr(param, "is_flag", False) or param.count:
            shown = None if param.param_type_name == "argument" else param.metavar
            param.display_type_rich = lambda ctx, shown=shown: shown
    for sub in getattr(command, "commands", {}).values():
        _readable_help(sub)


app = typer.Typer(
    name="netagent",
    cls=RootGroup,
    # Plain help: section names such as "[agent] netns" are text, not rich markup.
    rich_markup_mode=None,
    help="Inventory, monitoring and coverage agent for the network of Reggio Emilia.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(show: bool) -> None:
    if show:
        try:
            common.out.print(f"netagent {version('netagent')}", markup=False)
        except PackageNotFoundError:  # run from a checkout that was never installed
            common.out.print("netagent (not installed: no version)", markup=False)
        raise typer.Exit(common.ExitCode.OK)


@app.callback()
def _root(
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        help="More log output (-vv: debug); also after the command.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Errors only; also after the command."),
    _show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    common.setup_logging(-1 if quiet else verbose)


poll_app = typer.Typer(help="Run one poll now and print what it read.", no_args_is_help=True)
app.add_typer(poll_app, name="poll")


def _register() -> None:
    """Wire the command groups (one line each)."""
    from netagent.agent.cli import (
        alerts_cmd,
        config_cmd,
        coverage_cmd,
        dashboards_cmd,
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
    app.add_typer(dashboards_cmd.app, name="dashboards")
    config_cmd.register(app)


def main() -> None:
    _register()
    app()


if __name__ == "__main__":
    main()
