"""`netagent poll snmp HOST[:PORT]…`: poll once and print what was read.

Credentials come from the environment (never the command line, never printed):
NETAGENT_SNMP__VERSION (2c|3), NETAGENT_SNMP__COMMUNITY, NETAGENT_SNMP__USER,
NETAGENT_SNMP__AUTH_PROTOCOL, NETAGENT_SNMP__AUTH_KEY, NETAGENT_SNMP__PRIV_PROTOCOL,
NETAGENT_SNMP__PRIV_KEY.
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.table import Table

from agent.cli import common
from collectors.snmp import (
    PollOutcome,
    ProfileError,
    SnmpConfig,
    SnmpCredentials,
    SnmpPoller,
    SnmpTarget,
)

_ENV = "NETAGENT_SNMP__"
_KEYS = ("version", "community", "user", "auth_protocol", "auth_key", "priv_protocol", "priv_key")


def credentials_from_env() -> SnmpCredentials:
    values = {k: os.environ[_ENV + k.upper()] for k in _KEYS if _ENV + k.upper() in os.environ}
    return SnmpCredentials.model_validate(values)


def _parse_target(spec: str, profile: str | None, cred: SnmpCredentials) -> SnmpTarget:
    host, sep, port = spec.rpartition(":") if spec.count(":") == 1 else ("", "", "")
    if not sep:
        host, port = spec, "161"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(f"{spec!r}: expected HOST[:PORT] with a port 1-65535")
    return SnmpTarget(spec, host, int(port), profile=profile, credentials=cred)


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
        tags = " ".join(f"{k}={v}" for k, v in s.tags.items() if k != "device")
        fields = " ".join(
            f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in s.fields.items()
        )
        table.add_row(s.measurement, tags, fields)
    common.out.print(table)


def snmp(
    devices: Annotated[list[str], typer.Argument(help="Agents to poll, as HOST[:PORT].")],
    profile: str | None = typer.Option(
        None, "--profile", "-p", help="Device profile (default: chosen from sysObjectID)."
    ),
    deadline: float = typer.Option(10.0, help="Seconds allowed per device, all requests."),
    rate_after: float = typer.Option(
        0.0, "--rate-after", help="Poll again after this many seconds to show rates (0: once)."
    ),
    netns: str | None = typer.Option(
        None, "--netns", help="Poll from inside this network namespace (needs root; v2c)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Poll SNMP agents once and print what they answered."""
    try:
        cred = credentials_from_env()
    except ValidationError as e:
        common.err.print(f"[red]SNMP credentials from {_ENV}*: {e}")
        raise typer.Exit(common.ExitCode.USAGE) from None
    targets = [_parse_target(d, profile, cred) for d in devices]
    try:
        poller = SnmpPoller(SnmpConfig(device_deadline_s=deadline), netns=netns)
        if profile:
            poller.profiles[profile]
    except ProfileError as e:
        common.err.print(f"[red]{e}")
        raise typer.Exit(common.ExitCode.USAGE) from None

    async def run() -> list[PollOutcome]:
        out = await poller.poll(targets)
        if rate_after > 0:
            await asyncio.sleep(rate_after)
            out = await poller.poll(targets)
        poller.close()
        return out

    outcomes = asyncio.run(run())
    if json_out:
        common.print_json([_as_dict(o) for o in outcomes])
    else:
        for o in outcomes:
            _show(o)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(common.ExitCode.PROBLEMS)
