"""`netagent status`: the latest state of every device and of the agent, from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from netagent.agent.cli import common, datadir, options
from netagent.agent.cli.inventory_cmd import load_configured_or_exit
from netagent.agent.cli.status_view import print_states
from netagent.agent.health import health_summary, read_reasons
from netagent.agent.secrets import mask_url


def status(
    config: Path | None = options.ConfigOpt,
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    data_dir: Path | None = options.DataDirOpt,
    json_out: bool = options.JsonOpt,
) -> None:
    """Latest state per quartiere and the agent's own health, as last stored; no probing.
    Exit 1 when a device is down, unreachable or degraded, or the daemon says it is
    unhealthy (the reasons its /healthz gives)."""
    cfg = options.configured(config, data_dir, inventory, quartieri)
    inv = load_configured_or_exit(cfg)
    datadir.require_data(cfg)
    with datadir.open_spool(cfg) as spool:
        stats = spool.stats()
        agent: dict[str, Any] = {
            **health_summary(spool),
            # Its userinfo may hold the v1 password: masked like `config show` does.
            "influxdb": mask_url(cfg.influxdb.url) if cfg.influxdb.url else None,
            "spool": {
                "depth": stats.depth,
                "oldest_age_s": stats.oldest_age_s,
                "dropped_total": stats.dropped_total,
                "dead_letters": stats.dead_letters,
                "dropped_by_measurement": dict(stats.dropped_by_measurement),
            },
            "health": read_reasons(cfg.agent.resolved_data_dir()),
        }
        code = print_states(spool, inv, json_out, options.tagged(cfg, {"agent": agent}))
    health = agent["health"]
    if not json_out:
        common.out.print(_agent_table(agent))
        if health is not None:
            common.out.print(_health_line(health))
    if health is not None and health.get("running") and not health.get("healthy", True):
        code = max(code, common.ExitCode.PROBLEMS)
    raise typer.Exit(code)


def _health_line(health: dict[str, Any]) -> str:
    """The daemon's own verdict, as /healthz gives it."""
    if not health.get("running"):
        return "daemon: stopped (its last health report is kept)"
    if health.get("healthy", True):
        return "daemon: healthy"
    return "daemon: UNHEALTHY: " + "; ".join(str(r) for r in health.get("reasons", []))


def _agent_table(agent: dict[str, Any]) -> Table | str:
    spool = agent["spool"]
    held = (
        f"{spool['depth']} sample(s) waiting for {agent['influxdb']}"
        if agent["influxdb"]
        else f"{spool['depth']} sample(s) kept locally (no InfluxDB configured)"
    )
    by = ", ".join(f"{m} {n:,}" for m, n in sorted(spool["dropped_by_measurement"].items()))
    line = (
        f"spool: {held}, oldest {spool['oldest_age_s']:.0f} s, "
        f"{spool['dropped_total']} dropped{f' ({by})' if by else ''}, "
        f"{spool['dead_letters']} dead letter(s)"
    )
    if agent["reported_s_ago"] is None:
        return f"{line}\ndaemon: no health reported here yet (`netagent run`)"
    table = Table(
        title=f"Agent health (reported {agent['reported_s_ago']:.0f} s ago); {line}",
        title_justify="left",
    )
    table.add_column("Job")
    fields = sorted({k for f in agent["jobs"].values() for k in f})
    for f in fields:
        table.add_column(f, justify="right")
    for job, values in sorted(agent["jobs"].items()):
        table.add_row(job, *[_fmt(values.get(f)) for f in fields])
    return table


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return "" if v is None else str(v)
