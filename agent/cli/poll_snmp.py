"""`netagent poll snmp HOST[:PORT]…`: poll once and print what was read.

Everything comes from the configuration, as for the daemon: credentials (`[snmp]
credentials`, or `[snmp.device_credentials.HOST]` for a HOST given as written there;
environment: `NETAGENT_SNMP__CREDENTIALS__COMMUNITY`…, never the command line, never
printed), `profiles_dir` (so a new profile can be tried here first), the deadline and
`[agent] netns`; the options replace them for this run.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from netagent.agent.cli import addresses, common, options
from netagent.collectors.snmp import PollOutcome, ProfileError, SnmpConfig, SnmpPoller, SnmpTarget


def _targets(specs: list[str], profile: str | None, snmp: SnmpConfig) -> list[SnmpTarget]:
    out = []
    for e in addresses.parse_all(specs, 161):
        host = addresses.split(e.spec)[0]
        cred = snmp.device_credentials.get(host, snmp.credentials)
        out.append(SnmpTarget(e.spec, e.address, e.port or 161, profile=profile, credentials=cred))
    return out


def _as_dict(o: PollOutcome) -> dict[str, Any]:
    return {
        "device": o.device,
        "ok": o.ok,
        "error": o.error,
        "duration_s": round(o.duration_s, 4),
        "profile": o.profile,
        "info": o.info,
        "problems": o.problems,
        "samples": [
            {
                "measurement": s.measurement,
                "tags": dict(s.tags),
                "fields": dict(s.fields),
                "time_ns": s.time_ns,
            }
            for s in o.samples
        ],
    }


def _show(o: PollOutcome) -> None:
    state = "[green]ok[/]" if o.ok else f"[red]failed[/]: {o.error}"
    common.out.print(
        f"[bold]{o.device}[/] {state} in {o.duration_s * 1e3:.0f} ms"
        f" profile={o.profile or '-'} {o.info.get('sysName', '')}"
    )
    for p in o.problems:
        common.out.print(f"  [yellow]problem[/]: {p}")
    table = Table("measurement", "tags", "fields", box=None, pad_edge=False)
    for s in o.samples:
        tags = " ".join(f"{k}={v}" for k, v in s.tags.items() if k != "device" and v)
        fields = " ".join(
            f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in s.fields.items()
        )
        table.add_row(s.measurement, tags, fields)
    common.out.print(table)


def snmp(
    devices: Annotated[
        list[str],
        typer.Argument(
            metavar="HOST[:PORT]", help="Agents to poll: IPv4, [IPv6]:PORT or a host name."
        ),
    ],
    profile: str | None = typer.Option(
        None,
        "--profile",
        "-p",
        metavar="NAME",
        help="Device profile (default: chosen from sysObjectID).",
    ),
    timeout_s: float | None = typer.Option(
        None,
        "--timeout",
        "-t",
        "--deadline",
        metavar="SECONDS",
        callback=options.positive,
        help="Allowed per device, all requests (default: [snmp] device_deadline_s).",
    ),
    rate_after: float = typer.Option(
        0.0,
        "--rate-after",
        metavar="SECONDS",
        help="Poll again after this many seconds to show rates (0: once).",
    ),
    netns: str | None = options.NetnsOpt,
    json_out: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
) -> None:
    """Poll SNMP agents once and print what they answered; exit 1 if one failed."""
    cfg = options.configured(config, notice=False)
    snmp_cfg = (
        cfg.snmp
        if timeout_s is None
        else cfg.snmp.model_copy(update={"device_deadline_s": timeout_s})
    )
    targets = _targets(devices, profile, snmp_cfg)
    try:
        poller = SnmpPoller(snmp_cfg, netns=netns or cfg.agent.netns or None)
    except ProfileError as e:  # a profile in [snmp] profiles_dir is invalid
        common.err.print(f"error: {e}", markup=False)
        raise typer.Exit(common.ExitCode.PROBLEMS) from None
    try:
        if profile:
            poller.profiles[profile]
    except ProfileError as e:
        common.err.print(f"error: {e}", markup=False)
        raise typer.Exit(common.ExitCode.USAGE) from None

    async def run() -> list[PollOutcome]:
        out = await poller.poll(targets)
        if rate_after > 0:
            await asyncio.sleep(rate_after)
            out = await poller.poll(targets)
        poller.close()
        return out

    try:
        outcomes = asyncio.run(run())
    except OSError as e:  # the namespace is missing, or setns is not allowed
        common.err.print(f"error: cannot poll: {e}", markup=False)
        raise typer.Exit(common.ExitCode.FAILED) from None
    if json_out:
        common.print_json([_as_dict(o) for o in outcomes])
    else:
        for o in outcomes:
            _show(o)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(common.ExitCode.PROBLEMS)
