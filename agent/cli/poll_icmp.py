"""`netagent poll icmp`: one probe round now, summarised like `fping -c N -q`."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import typer
from pydantic import ValidationError
from rich.table import Table

from agent.cli import common
from collectors.icmp import IcmpConfig, IcmpPermissionError, IcmpProber, IcmpResult, IcmpTarget


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _row(r: IcmpResult) -> dict[str, Any]:
    return {
        "target": r.target.name, "address": r.target.address, "sent": r.sent,
        "received": r.received, "loss_pct": r.loss_pct, "rtt_min_ms": r.rtt_min_ms,
        "rtt_avg_ms": r.rtt_avg_ms, "rtt_max_ms": r.rtt_max_ms, "jitter_ms": r.jitter_ms,
        "duplicates": r.duplicates, "late": r.late, "send_errors": r.send_errors, "up": r.up,
    }


def _table(results: list[IcmpResult]) -> Table:
    table = Table(box=None, header_style="bold")
    for col in ("target", "xmt/rcv/%loss", "min/avg/max ms", "jitter ms", "dup", "late", ""):
        table.add_column(col, justify="left" if col == "target" else "right")
    for r in results:
        table.add_row(
            r.target.address,
            f"{r.sent}/{r.received}/{r.loss_pct:.0f}%",
            "/".join(_fmt(v) for v in (r.rtt_min_ms, r.rtt_avg_ms, r.rtt_max_ms)),
            _fmt(r.jitter_ms), str(r.duplicates), str(r.late),
            "[green]up[/]" if r.up else "[red]down[/]",
        )
    return table


_D = IcmpConfig()


def icmp(
    targets: list[str] | None = typer.Argument(None, help="IPv4/IPv6 addresses to probe."),
    count: int | None = typer.Option(
        None, "--count", "-c", help=f"Echoes per target (default {_D.count})"),
    interval_ms: float | None = typer.Option(
        None, "--interval", "-p",
        help=f"ms between echoes to one target (default {_D.interval_ms:g})"),
    timeout_ms: float | None = typer.Option(
        None, "--timeout", "-t", help=f"Reply timeout, ms (default {_D.timeout_ms:g})"),
    rate_pps: float | None = typer.Option(
        None, "--rate",
        help=f"Echoes per second overall, 0: no limit (default {_D.rate_pps:g})"),
    netns: str | None = typer.Option(
        None, "--netns", help="Probe from inside this network namespace (needs root)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Ping targets COUNT times each and print loss, RTT and jitter per target."""
    if not targets:
        common.err.print("[red]no targets:[/] give one or more IP addresses")
        raise typer.Exit(common.ExitCode.USAGE)
    try:
        parsed = [IcmpTarget(t, str(ipaddress.ip_address(t))) for t in targets]
    except ValueError:
        bad = next(t for t in targets if not _is_ip(t))
        common.err.print(f"[red]target {bad!r}:[/] expected an IPv4 or IPv6 address")
        raise typer.Exit(common.ExitCode.USAGE) from None
    given = {"count": count, "interval_ms": interval_ms, "timeout_ms": timeout_ms,
             "rate_pps": rate_pps}
    try:
        config = IcmpConfig.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as e:
        for problem in e.errors():
            where = ".".join(str(p) for p in problem["loc"]) or "options"
            common.err.print(f"[red]{where}:[/] {problem['msg']}")
        raise typer.Exit(common.ExitCode.USAGE) from None
    try:
        results = asyncio.run(_probe(config, netns, parsed))
    except (IcmpPermissionError, OSError) as e:
        common.err.print(f"[red]cannot probe:[/] {e}")
        raise typer.Exit(common.ExitCode.FAILED) from None
    if as_json:
        common.print_json([_row(r) for r in results])
    else:
        common.out.print(_table(results))
    if not all(r.up for r in results):
        raise typer.Exit(common.ExitCode.PROBLEMS)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


async def _probe(config: IcmpConfig, netns: str | None,
                 targets: list[IcmpTarget]) -> list[IcmpResult]:
    prober = IcmpProber(config, netns=netns)
    try:
        return await prober.round(targets)
    finally:
        prober.close()
