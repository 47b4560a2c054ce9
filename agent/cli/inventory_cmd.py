"""`netagent inventory`: check and summarise inventory files."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from netagent.agent import inventory_source
from netagent.agent.cli import common, options
from netagent.agent.config import AgentConfig
from netagent.agent.services import load_configured_inventory
from netagent.inventory.issues import Issue, Severity
from netagent.inventory.load import LoadResult
from netagent.inventory.model import Inventory
from netagent.inventory.netbox import NetBoxError

app = typer.Typer(help="Check and summarise inventory files.", no_args_is_help=True)


def load_or_exit(cfg: AgentConfig) -> LoadResult:
    """The files the config names, checked against it: the errors printed and exit 1 when
    any, warnings printed."""
    result = inventory_source.load_configured(cfg)
    if result.inventory is None:
        _print_issues(result.issues)
        raise typer.Exit(common.ExitCode.PROBLEMS)
    for w in result.warnings:
        common.err.print(f"[yellow]warning[/]: {w}", markup=True, highlight=False)
    return result


def load_configured_or_exit(cfg: AgentConfig) -> Inventory:
    """The inventory the config names: pulled from NetBox, the files (the sample), or
    what an installed source returns, as the daemon loads it."""
    if cfg.agent.source == "netbox":
        try:
            return inventory_source.from_netbox(cfg)
        except NetBoxError as e:
            common.err.print(f"[red]NetBox[/]: {e}")
            raise typer.Exit(common.ExitCode.FAILED) from e
    if cfg.agent.source != "files":
        return _from_plugin(cfg)
    inv = load_or_exit(cfg).inventory
    assert inv is not None
    return inv


def _from_plugin(cfg: AgentConfig) -> Inventory:
    """An installed source's inventory: what it says is wrong (ValueError, one line per
    problem) exits 1; any other failure is one line and exit 3, never a traceback."""
    source = cfg.agent.source
    try:
        return load_configured_inventory(cfg)
    except ValueError as e:
        for line in str(e).splitlines():
            common.err.print(f"inventory source {source!r}: {cfg.redact(line)}", markup=False)
        raise typer.Exit(common.ExitCode.PROBLEMS) from None
    except Exception as e:  # a plugin's own failure: it could not load (exit 3)
        why = cfg.redact(f"{type(e).__name__}: {e}")
        common.err.print(f"inventory source {source!r} failed: {why}", markup=False)
        raise typer.Exit(common.ExitCode.FAILED) from None


def _print_issues(issues: list[Issue]) -> None:
    for i in issues:
        colour = "red" if i.severity is Severity.ERROR else "yellow"
        common.err.print(f"[{colour}]{i.severity}[/] {i}".replace(f"{i.severity}: ", "", 1))
    errors = sum(i.severity is Severity.ERROR for i in issues)
    if errors:
        common.err.print(f"[red]{errors} error(s)[/]: nothing was loaded.")


@app.command()
def validate(
    paths: list[Path] | None = typer.Argument(
        None,
        exists=True,
        metavar="PATH",
        help="Inventory files or directories: YAML, CSV, GeoJSON (default: [agent] inventory).",
    ),
    quartieri: Path | None = options.QuartieriOpt,
    json_out: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
) -> None:
    """Check inventory files; every problem is listed with file, line, field.

    Exit 0 when valid (warnings allowed), 1 when there are errors.
    """
    cfg = options.configured(config, None, paths, quartieri)
    result = inventory_source.load_configured(cfg)
    if json_out:
        common.print_json(
            {"valid": result.inventory is not None, "issues": [i.to_dict() for i in result.issues]}
        )
    else:
        _print_issues(result.issues)
        if result.inventory is not None:
            inv = result.inventory
            common.out.print(
                f"valid: {len(inv.sites)} sites, {len(inv.devices)} devices, "
                f"{len(inv.links)} radio links, {len(inv.segments)} fibre segments, "
                f"{len(inv.quartieri)} quartieri"
            )
    raise typer.Exit(
        common.ExitCode.OK if result.inventory is not None else common.ExitCode.PROBLEMS
    )


@app.command()
def show(
    paths: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    json_out: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
) -> None:
    """Devices per quartiere and role (the configured inventory, or --inventory)."""
    cfg = options.configured(config, None, paths, quartieri)
    inv = load_configured_or_exit(cfg)
    counts: Counter[tuple[str, str]] = Counter(
        (inv.quartiere_tag(d), d.role.value) for d in inv.devices
    )
    roles = sorted({r for _, r in counts})
    quartieri_names = sorted({q for q, _ in counts})
    if json_out:
        common.print_json(
            options.tagged(
                cfg,
                {
                    "quartieri": {
                        q: {r: counts[(q, r)] for r in roles if counts[(q, r)]}
                        for q in quartieri_names
                    }
                },
            )
        )
        return
    approx = any(q.approximate for q in inv.quartieri)
    table = Table(
        title="Devices per quartiere and role" + (" (approximate boundaries)" if approx else "")
    )
    table.add_column("Quartiere")
    for r in roles:
        table.add_column(r, justify="right")
    for q in quartieri_names:
        table.add_row(q, *[str(counts[(q, r)] or "") for r in roles])
    common.out.print(table)
