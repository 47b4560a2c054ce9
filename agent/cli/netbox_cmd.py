"""`netagent netbox plan|sync`: the inventory kept in NetBox.

The config comes from NETAGENT_NETBOX__<KEY> variables (url, token or token_file, tag,
prune_delay_s…); the token is never a command-line option and never printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from agent.cli import common, options
from agent.cli.inventory_cmd import load_or_exit
from inventory.netbox import (
    NetBoxAuthError,
    NetBoxConfig,
    NetBoxError,
    SyncPlan,
    apply,
    plan,
    pull_inventory,
)

netbox_app = typer.Typer(
    help="Keep the inventory in NetBox (plan, then sync).", no_args_is_help=True
)

_MARK = {
    "create": "+",
    "update": "~",
    "orphan": "?",
    "delete": "-",
    "conflict": "!",
    "blocked": "!",
}


def config_from_env(environ: dict[str, str] | None = None) -> NetBoxConfig:
    """NetBoxConfig from NETAGENT_NETBOX__<KEY> variables (lists comma-separated)."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, info in NetBoxConfig.model_fields.items():
        raw = env.get(f"NETAGENT_NETBOX__{name.upper()}")
        if raw is None:
            continue
        is_list = "list" in str(info.annotation)
        values[name] = [v.strip() for v in raw.split(",") if v.strip()] if is_list else raw
    return NetBoxConfig.model_validate(values)


def _print_plan(p: SyncPlan) -> None:
    for c in p.changes:
        line = f"{_MARK[c.action]} {c.action:<8} {c.kind:<15} {c.key}"
        if c.action == "update":
            line += ": " + ", ".join(
                f"{f} {c.old.get(f)!r} → {d['to']!r}" for f, d in c.describe()["fields"].items()
            )
        elif c.note:
            line += f"  ({c.note})"
        common.out.print(line, markup=False)
    for record, why in p.skipped:
        common.out.print(f"  skipped  {record}: {why}", markup=False)
    for issue in p.issues:
        common.out.print(f"  issue    {issue}", markup=False)
    totals = {a: len(p.of(a)) for a in _MARK}
    common.out.print(
        "plan: " + ", ".join(f"{n} {a}" for a, n in totals.items()) + f" ({p.reads} reads)"
    )


def _run(
    paths: list[Path] | None, quartieri: Path | None, as_json: bool, write: bool, prune: bool
) -> None:
    inv = load_or_exit(paths, quartieri).inventory
    assert inv is not None  # load_or_exit exits otherwise
    config = config_from_env()
    try:
        p = plan(inv, config)
        if not write:
            common.print_json(p.to_json()) if as_json else _print_plan(p)
            conflicts = p.of("conflict") or p.of("blocked")
            raise typer.Exit(common.ExitCode.PROBLEMS if conflicts else common.ExitCode.OK)
        report = apply(p, config, prune=prune)
    except NetBoxAuthError as e:
        common.err.print(f"netbox: {e}", markup=False)
        raise typer.Exit(common.ExitCode.FAILED) from None
    except NetBoxError as e:
        common.err.print(f"netbox: {e}", markup=False)
        raise typer.Exit(common.ExitCode.FAILED) from None
    if as_json:
        common.print_json({"plan": p.summary(), "report": report.to_json()})
    else:
        for err in report.errors:
            common.out.print(f"! {err}", markup=False)
        for kind, actions in report.counts.items():
            parts = [
                f"{a} {c['done']} done" + (f", {c['failed']} failed" if c["failed"] else "")
                for a, c in actions.items()
            ]
            common.out.print(f"{kind:<15} " + "; ".join(parts), markup=False)
        if report.skipped_prune:
            common.out.print(
                f"{report.skipped_prune} orphaned objects are due for deletion: run with --prune"
            )
        common.out.print(
            f"sync: {'all done' if report.ok else f'{report.failed} failed'} "
            f"({p.reads} reads, {report.writes} writes)"
        )
    raise typer.Exit(common.ExitCode.OK if report.ok else common.ExitCode.PROBLEMS)


@netbox_app.command("plan")
def plan_cmd(
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    as_json: bool = options.JsonOpt,
) -> None:
    """Print what a sync would change in NetBox (creates, field updates, orphans, deletions).

    Writes nothing.
    """
    _run(inventory, quartieri, as_json, write=False, prune=False)


@netbox_app.command("sync")
def sync_cmd(
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    prune: bool = typer.Option(
        False, "--prune", help="Delete objects orphaned for longer than prune_delay_s."
    ),
    as_json: bool = options.JsonOpt,
) -> None:
    """Apply the plan to NetBox in dependency order, in bulk requests."""
    _run(inventory, quartieri, as_json, write=True, prune=prune)


@netbox_app.command("targets")
def targets_cmd(as_json: bool = options.JsonOpt) -> None:
    """List the poll targets `source = "netbox"` would take (filters from the config)."""
    try:
        inv = pull_inventory(config_from_env())
    except NetBoxError as e:
        common.err.print(f"netbox: {e}", markup=False)
        raise typer.Exit(common.ExitCode.FAILED) from None
    rows = [
        {
            "name": d.name,
            "role": d.role.value,
            "status": d.status.value,
            "mgmt_ip": str(d.mgmt_ip),
            "site": d.site,
            "quartiere": inv.quartiere_of(d),
            "snmp_profile": d.snmp_profile,
        }
        for d in inv.devices
    ]
    if as_json:
        common.print_json(rows)
        return
    for r in rows:
        common.out.print("  ".join(str(r[k] or "-") for k in r), markup=False)
    common.out.print(f"{len(rows)} targets")
