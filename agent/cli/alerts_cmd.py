"""`netagent alerts`: open incidents (and with --all the recent ones) from state.sqlite."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

from netagent.agent.alerts.store import STATE_FILE, DeviceRow, Incident
from netagent.agent.alerts.tracker import State
from netagent.agent.cli import common, datadir, options


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _table(title: str, incidents: list[Incident]) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("#", "device", "kind", "severity", "opened", "resolved", "cut off", "notes"):
        t.add_column(col)
    for i in incidents:
        note = f"not notified: {i.suppressed}" if i.suppressed else i.text
        quartieri = sorted({a.quartiere for a in i.affected})
        cut = f"{len(i.affected)} ({', '.join(quartieri)})" if i.affected else ""
        t.add_row(
            str(i.id),
            i.device,
            i.kind,
            i.severity.value,
            _when(i.opened),
            _when(i.resolved),
            cut,
            note,
        )
    return t


def alerts(
    show_all: bool = typer.Option(False, "--all", help="Also incidents resolved lately."),
    days: float = typer.Option(
        7.0,
        "--days",
        metavar="DAYS",
        callback=options.not_negative,
        help="How far back --all looks.",
    ),
    as_json: bool = options.JsonOpt,
    config: Path | None = options.ConfigOpt,
    data_dir: Path | None = options.DataDirOpt,
) -> None:
    """Open incidents, devices not up, and the notification queue; exit 1 if any is open."""
    cfg = options.configured(config, data_dir)
    directory = datadir.require_data(cfg)
    open_: list[Incident] = []
    recent: list[Incident] = []
    devices: list[DeviceRow] = []
    queue = {"pending": 0, "given_up": 0}
    if not (directory / STATE_FILE).exists():  # run --once stores samples, tracks nothing
        common.err.print(
            f"no alert state in {directory}: incidents are tracked by the "
            "daemon (`netagent run`), not by `run --once`",
            markup=False,
        )
    else:
        with datadir.open_state(cfg) as store:
            open_ = store.open_incidents()
            recent = (
                [
                    i
                    for i in store.recent_incidents(time.time() - days * 86400)
                    if i.resolved is not None
                ]
                if show_all
                else []
            )
            devices = [r for r in store.devices() if r.shown not in (State.UP, State.UNKNOWN)]
            queue = {"pending": store.queue.depth(), "given_up": store.queue.given_up_total()}
    if as_json:
        common.print_json(
            options.tagged(
                cfg,
                {
                    "open": [i.to_json() for i in open_],
                    "recent": [i.to_json() for i in recent],
                    "devices": [
                        {
                            "device": r.device,
                            "state": r.shown.value,
                            "since": r.since,
                            "maintenance": r.maintenance,
                            "tracked_state": r.tracker.state.value,
                        }
                        for r in devices
                    ],
                    "queue": queue,
                },
            )
        )
    else:
        out = common.out
        out.print(
            _table(f"Open incidents ({len(open_)})", open_) if open_ else "No open incidents."
        )
        if show_all:
            out.print(_table(f"Resolved in the last {days:g} days ({len(recent)})", recent))
        if devices:
            t = Table(title="Devices not up", title_justify="left")
            for col in ("device", "state", "since", "tracked", "maintenance"):
                t.add_column(col)
            for r in devices:
                t.add_row(
                    r.device,
                    r.shown.value,
                    _when(r.since),
                    r.tracker.state.value,
                    r.maintenance or "",
                )
            out.print(t)
        out.print(f"Notification queue: {queue['pending']} pending, {queue['given_up']} given up.")
    raise typer.Exit(common.ExitCode.PROBLEMS if open_ else common.ExitCode.OK)


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)
