"""`netagent poll icmp`: one probe round now, summarised like `fping -c N -q`.

The [icmp] section of the configuration is the default for every option; the options
replace it for this run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.table import Table

from netagent.agent.cli import addresses, common, options
from netagent.collectors.icmp import (
    IcmpConfig,
    IcmpPermissionError,
    IcmpProber,
    IcmpResult,
    IcmpTarget,
)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(r: IcmpResult) -> dict[str, Any]:
    return {
        "target": r.target.name,
        "address": r.target.address,
        "sent": r.sent,
        "received": r.received,
        "loss_pct": r.loss_pct,
        "rtt_min_ms": r.rtt_min_ms,
        "rtt_avg_ms": r.rtt_avg_ms,
        "rtt_max_ms": r.rtt_max_ms,
        "jitter_ms": r.jitter_ms,
        "duplicates": r.duplicates,
        "late": r.late,
        "send_errors": r.send_errors,
        "up": r.up,
    }


def _table(results: list[IcmpResult]) -> Table:
    table = Table(box=None, header_style="bold")
    for col in ("target", "xmt/rcv/%loss", "min/avg/max ms", "jitter ms", "dup", "late", ""):
        table.add_column(col, justify="left" if col == "target" else "right")
    for r in results:
        t = r.target
        table.add_row(
            t.address if t.name in (t.address, f"[{t.address}]") else f"{t.name} ({t.address})",
            f"{r.sent}/{r.received}/{r.loss_pct:.0f}%",
            "/".join(_fmt(v) for v in (r.rtt_min_ms, r.rtt_avg_ms, r.rtt_max_ms)),
            _fmt(r.jitter_ms),
            str(r.duplicates),
            str(r.late),
            "[green]up[/]" if r.up else "[red]down[/]",
        )
    return table


def icmp(
    targets: list[str] | None = typer.Argument(
        None, metavar="HOST", help="Addresses (IPv4, IPv6, [IPv6]) or host names."
    ),
    count: int | None = typer.Option(
        None,
        "--count",
        "-n",
        metavar="N",
        callback=options.at_least_one,
        help="Echoes per target (default: [icmp] count).",
    ),
    interval_s: float | None = typer.Option(
        None,
        "--interval",
        metavar="SECONDS",
        help="Between two echoes to one target (default: [icmp] interval_ms).",
    ),
    timeout_s: float | None = typer.Option(
        None,
        "--timeout",
        "-t",
        metavar="SECONDS",
        callback=options.positive,
        help="How long to wait for a reply (default: [icmp] timeout_ms).",
    ),
    rate_pps: float | None = typer.Option(
        None,
        "--rate",
        metavar="N",
        help="Echoes per second overall, 0: no limit (default: [icmp] rate_pps).",
    ),
    netns: str | None = options.NetnsOpt,
    as_json: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
) -> None:
    """Ping targets N times each and print loss, RTT and jitter per target; exit 1 if one
    is down."""
    if not targets:
        common.err.print(
            "error: no targets: give one or more addresses or host names", markup=False
        )
        raise typer.Exit(common.ExitCode.USAGE)
    cfg = options.configured(config, notice=False)
    parsed = [IcmpTarget(e.spec, e.address) for e in addresses.parse_all(targets, None)]
    given = {
        "count": count,
        "rate_pps": rate_pps,
        "interval_ms": None if interval_s is None else interval_s * 1000,
        "timeout_ms": None if timeout_s is None else timeout_s * 1000,
    }
    try:
        settings = cfg.icmp.model_validate(
            {**cfg.icmp.model_dump(), **{k: v for k, v in given.items() if v is not None}}
        )
    except ValidationError as e:
        for problem in e.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "options"
            common.err.print(f"error: {where}: {problem['msg']}", markup=False)
        raise typer.Exit(common.ExitCode.USAGE) from None
    try:
        results = asyncio.run(_probe(settings, netns or cfg.agent.netns or None, parsed))
    except (IcmpPermissionError, OSError) as e:
        common.err.print(f"[red]cannot probe:[/] {e}")
        raise typer.Exit(common.ExitCode.FAILED) from None
    if as_json:
        common.print_json([_row(r) for r in results])
    else:
        common.out.print(_table(results))
    if not all(r.up for r in results):
        raise typer.Exit(common.ExitCode.PROBLEMS)


async def _probe(
    config: IcmpConfig, netns: str | None, targets: list[IcmpTarget]
) -> list[IcmpResult]:
    prober = IcmpProber(config, netns=netns)
    try:
        return await prober.round(targets)
    finally:
        prober.close()
