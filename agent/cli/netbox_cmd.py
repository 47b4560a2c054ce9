"""`netagent netbox plan|sync|targets`: the inventory kept in NetBox.

Everything comes from the one configuration (`--config/-c`, else `$NETAGENT_CONFIG`, see
netagent.agent.config): `[netbox]` url, token_file, prune_delay_s…, `[agent] inventory`. The token
is never a command-line option and never printed. `sync` writes the bundled sample only
when asked (`--sample`): with credentials of a real NetBox in the environment, a forgotten
config file must not fill it with invented devices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from netagent.agent.cli import common, options
from netagent.agent.cli.inventory_cmd import load_or_exit
from netagent.agent.config import AgentConfig
from netagent.inventory.netbox import (
    NetBoxError,
    NetBoxInputError,
    SyncPlan,
    SyncReport,
    apply,
    plan,
    pull_inventory,
)
from netagent.inventory.netbox.render import plan_lines

netbox_app = typer.Typer(
    help="Keep the inventory in NetBox (plan, then sync).", no_args_is_help=True
)
SampleOpt = typer.Option(
    False, "--sample", help="Write the bundled sample inventory (a demo) to NetBox."
)


def _say(message: str) -> None:
    """One line on stderr, never wrapped (scripts grep it)."""
    common.err.print(message, markup=False, soft_wrap=True)


def _fail(e: NetBoxError) -> NoReturn:
    """One line; 1 when the operator's input is wrong, 3 when NetBox could not be used."""
    _say(f"netbox: {e}")
    bad_input = isinstance(e, NetBoxInputError)
    raise typer.Exit(common.ExitCode.PROBLEMS if bad_input else common.ExitCode.FAILED)


def _config(
    config: Path | None, inventory: list[Path] | None, quartieri: Path | None
) -> AgentConfig:
    cfg = options.configured(config, inventory=inventory, quartieri=quartieri)
    if not cfg.netbox.url:
        _say("netbox: [netbox] url is not set (in the config file, or NETAGENT_NETBOX__URL)")
        raise typer.Exit(common.ExitCode.PROBLEMS)
    return cfg


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None] | None]:
    """A bar per kind on a terminal; nothing when piped or in CI."""
    if not common.show_progress():
        yield None
        return
    with Progress(
        TextColumn("{task.description:<15}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=common.err,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def step(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what, total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield step


def _print_report(p: SyncPlan, report: SyncReport) -> None:
    for err in report.errors:
        common.out.print(f"! {err}")
    for kind, actions in report.counts.items():
        parts = [
            f"{a} {c['done']} done" + (f", {c['failed']} failed" if c["failed"] else "")
            for a, c in actions.items()
        ]
        common.out.print(f"{kind:<15} " + "; ".join(parts))
    if report.skipped_prune:
        common.out.print(
            f"{report.skipped_prune} orphaned objects are due for deletion: run with --prune"
        )
    common.out.print(
        f"sync: {'all done' if report.ok else f'{report.failed} failed'} "
        f"({p.reads} reads, {report.writes} writes in {report.chunks} chunks)"
    )


def _run(cfg: AgentConfig, as_json: bool, write: bool, prune: bool) -> NoReturn:
    if cfg.agent.source == "netbox" and not cfg.agent.inventory:
        _say(
            "netbox: [agent] source = 'netbox' and no inventory files: NetBox is the source, "
            "there is nothing to write (see `netagent netbox targets`)"
        )
        raise typer.Exit(common.ExitCode.USAGE)
    if cfg.agent.bundled_sample():
        _say("netbox: inventory: the bundled sample (no [agent] inventory configured)")
    inv = load_or_exit(cfg).inventory
    assert inv is not None  # load_or_exit exits otherwise
    try:
        p = plan(inv, cfg.netbox)
        if not write:
            if as_json:
                common.print_json(p.to_json())
            else:
                for line in plan_lines(p):
                    common.out.print(line)
            problems = p.of("conflict") or p.of("blocked")
            raise typer.Exit(common.ExitCode.PROBLEMS if problems else common.ExitCode.OK)
        with _progress() as step:
            report = apply(p, cfg.netbox, prune=prune, progress=step)
    except NetBoxError as e:
        _fail(e)
    if as_json:
        common.print_json({"plan": p.summary(), "report": report.to_json()})
    else:
        _print_report(p, report)
    raise typer.Exit(common.ExitCode.OK if report.ok else common.ExitCode.PROBLEMS)


@netbox_app.command("plan")
def plan_cmd(
    config: Path | None = options.ConfigOpt,
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    as_json: bool = options.JsonOpt,
) -> None:
    """Print what a sync would change in NetBox (creates, field updates, orphans, deletions).

    Writes nothing.
    """
    _run(_config(config, inventory, quartieri), as_json, write=False, prune=False)


@netbox_app.command("sync")
def sync_cmd(
    config: Path | None = options.ConfigOpt,
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    prune: bool = typer.Option(
        False, "--prune", help="Delete objects orphaned for longer than prune_delay_s."
    ),
    sample: bool = SampleOpt,
    as_json: bool = options.JsonOpt,
) -> None:
    """Apply the plan to NetBox in dependency order, in bulk requests."""
    cfg = _config(config, inventory, quartieri)
    if cfg.agent.bundled_sample() and not sample:
        _say(
            "netbox sync: no inventory configured: refusing to write the bundled sample "
            "(invented devices) to NetBox; give -c FILE with [agent] inventory, -i FILE, "
            "or --sample to write the demo on purpose"
        )
        raise typer.Exit(common.ExitCode.USAGE)
    _run(cfg, as_json, write=True, prune=prune)


@netbox_app.command("targets")
def targets_cmd(config: Path | None = options.ConfigOpt, as_json: bool = options.JsonOpt) -> None:
    """List the poll targets `source = "netbox"` would take (filters from the config)."""
    cfg = _config(config, None, None)
    try:
        inv = pull_inventory(cfg.netbox)
    except NetBoxError as e:
        _fail(e)
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
        common.out.print("  ".join(str(r[k] or "-") for k in r))
    common.out.print(f"{len(rows)} targets")
