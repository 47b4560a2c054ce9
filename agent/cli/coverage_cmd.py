"""`netagent coverage`: coverage per quartiere as a table, CSV, JSON, GeoJSON or HTML map."""

from __future__ import annotations

import csv
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from netagent.agent.cli import common, datadir, options
from netagent.agent.cli.inventory_cmd import load_configured_or_exit
from netagent.agent.config import AgentConfig
from netagent.agent.device_state import latest_states
from netagent.collectors.spool import Spool
from netagent.geo.coverage import (
    COMUNE,
    CoverageInputError,
    CoverageResult,
    CoverageRow,
    Technology,
    engine_for,
    not_serving,
    result_of,
)
from netagent.geo.coverage_engine import CoverageEngine
from netagent.geo.export import write_geojson
from netagent.geo.report import render
from netagent.inventory.model import Inventory

app = typer.Typer(
    help="Coverage per quartiere: how much is covered, by what, for how many residents.",
    invoke_without_command=True,
)

COLUMNS = [
    ("quartiere", "quartiere"),
    ("technology", "technology"),
    ("area_km2", "area km²"),
    ("covered_km2", "covered km²"),
    ("covered_pct", "covered %"),
    ("population", "population"),
    ("residents_covered", "residents covered"),
    ("elements", "elements"),
]
LIVE_COLUMNS = [
    ("lost_km2", "lost km²"),
    ("lost_residents", "residents lost"),
    ("subscribers_cut_off", "subscribers cut off"),
]
SORT_KEYS = [k for k, _ in COLUMNS + LIVE_COLUMNS]

LiveOpt = typer.Option(
    False,
    "--live",
    help="Only what is up now (latest device_status, "
    "else icmp, in the local store); shows what the outages cost.",
)
PopulationOpt = typer.Option(
    None,
    "--population",
    metavar="FILE",
    exists=True,
    dir_okay=False,
    help="Population layer replacing the uniform-density "
    "assumption: ISTAT census sections or a grid (polygons) or "
    "points, GeoJSON (any declared CRS) or Shapefile with .prj.",
)
PopulationFieldOpt = typer.Option(
    None,
    "--population-field",
    metavar="FIELD",
    help="Field of --population with the resident count (default: [coverage] population_property).",
)


@dataclass
class Computed:
    inv: Inventory
    engine: CoverageEngine
    result: CoverageResult
    states: dict[str, str]
    no_status: int  # devices the store knows nothing about (counted as not up)


def _states(path: Path, inv: Inventory) -> dict[str, str]:
    """Latest state per device from the local store ({} when there is no store yet)."""
    if not path.exists():
        return {}
    with datadir.guarded(path):  # a corrupt store: one line naming it, exit 3
        spool = Spool(path)
        try:
            return {name: s.state for name, s in latest_states(spool, inv).items()}
        finally:
            spool.close()


def compute_for_cli(
    cfg: AgentConfig,
    live: bool,
    population: Path | None,
    need_states: bool = False,
    population_field: str | None = None,
) -> Computed:
    """Load, compute, and read device states when live figures or a map need them."""
    inv = load_configured_or_exit(cfg)
    if not inv.quartieri:
        common.err.print(
            "[red]error[/]: the inventory has no quartieri: give their polygons "
            "with --quartieri FILE or in a GeoJSON inventory file"
        )
        raise typer.Exit(common.ExitCode.PROBLEMS)
    update: dict[str, Any] = {"population_file": str(population)} if population else {}
    if population_field:
        update["population_property"] = population_field
    config = cfg.coverage.model_copy(update=update)
    if live:  # what is up now needs what the agent stored: none yet is no answer
        datadir.require_data(cfg)
    states = _states(cfg.agent.spool_path(), inv) if live or need_states else {}
    no_status = sum(states.get(d.name, "unknown") == "unknown" for d in inv.devices)
    try:
        engine = engine_for(inv, config)
    except CoverageInputError as exc:
        common.err.print(f"[red]error[/]: {exc}")
        raise typer.Exit(common.ExitCode.PROBLEMS) from exc
    if live:
        engine.set_down(not_serving(inv, states, config.up_states))
    return Computed(inv, engine, result_of(engine, live), states, no_status)


def _select(
    result: CoverageResult, quartiere: list[str] | None, technology: Technology | None, sort: str
) -> list[CoverageRow]:
    rows = list(result.rows)
    if quartiere:
        known = {r.quartiere.casefold(): r.quartiere for r in rows}
        missing = [q for q in quartiere if q.casefold() not in known]
        if missing:
            names = ", ".join(sorted(set(known.values())))
            common.err.print(
                f"[red]error[/]: no quartiere {', '.join(map(repr, missing))}; known: {names}"
            )
            raise typer.Exit(common.ExitCode.USAGE)
        wanted = {known[q.casefold()] for q in quartiere}
        rows = [r for r in rows if r.quartiere in wanted]
    else:
        rows += result.totals
    if technology is not None:
        rows = [r for r in rows if r.technology == technology.value]
    if sort not in SORT_KEYS:
        common.err.print(f"[red]error[/]: --sort {sort!r}: expected one of {', '.join(SORT_KEYS)}")
        raise typer.Exit(common.ExitCode.USAGE)

    # totals stay last; numbers largest first, names alphabetically; unknown values last
    def key(r: CoverageRow) -> tuple[bool, bool, Any]:
        v = getattr(r, sort)
        return (r.quartiere == COMUNE, v is None, v.casefold() if isinstance(v, str) else -(v or 0))

    return sorted(rows, key=key)


def _fmt(v: Any, digits: int) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, float):
        return f"{v + 0.0 if round(v, digits) else 0.0:,.{digits}f}"  # never "-0.000"
    return str(v)


def _csv_value(v: Any) -> Any:
    """CSV cells: -0.0 (a float's sign bit after a subtraction) written as 0.0."""
    return v + 0.0 if isinstance(v, float) else v


_DIGITS = {"area_km2": 2, "covered_km2": 3, "covered_pct": 1, "lost_km2": 3}


def _print_table(c: Computed, rows: list[CoverageRow]) -> None:
    cols = COLUMNS + (LIVE_COLUMNS if c.result.live else [])
    mode = "live: only devices up now" if c.result.live else "planned: every active element"
    table = Table(title=f"Coverage per quartiere ({mode})")
    for i, (_, head) in enumerate(cols):
        table.add_column(head, justify="left" if i < 2 else "right", no_wrap=i < 2)
    for r in rows:
        cells = [_fmt(getattr(r, k), _DIGITS.get(k, 0)) for k, _ in cols]
        if r.approximate and r.quartiere != COMUNE:
            cells[0] += " ≈"
        table.add_row(*cells, end_section=False)
    common.out.print(table)
    common.out.print(f"Residents: {c.result.residents_basis}.")
    common.out.print(c.result.population.line())
    if cut := c.result.cut_off_line():
        common.out.print(f"Fixed wireless: {cut}.")
    if any(r.approximate for r in c.result.rows):
        common.out.print(
            "≈ approximate quartiere boundary (derived from centres): figures are approximate too."
        )
    if c.result.live and c.no_status:
        common.err.print(
            f"[yellow]warning[/]: {c.no_status} device(s) have no status in the "
            "local store and count as not up (run `netagent run` first)."
        )


@app.callback()
def coverage(
    ctx: typer.Context,
    quartiere: list[str] | None = typer.Option(
        None, "--quartiere", metavar="NAME", help="Only this quartiere (repeatable)."
    ),
    technology: Technology | None = typer.Option(
        None, "--technology", help="Only this technology."
    ),
    live: bool = LiveOpt,
    sort: str = typer.Option(
        "quartiere", "--sort", metavar="COLUMN", help=f"Column to sort by: {', '.join(SORT_KEYS)}."
    ),
    json_out: bool = options.JsonOpt,
    csv_out: bool = typer.Option(False, "--csv", help="CSV on stdout."),
    write_samples: bool = typer.Option(
        False,
        "--write-samples",
        help="Also store `coverage` samples in the local spool, for InfluxDB/Grafana.",
    ),
    config: Path | None = options.ConfigOpt,
    inventory: list[Path] | None = options.InventoryOpt,
    quartieri: Path | None = options.QuartieriOpt,
    data_dir: Path | None = options.DataDirOpt,
    population: Path | None = PopulationOpt,
    population_field: str | None = PopulationFieldOpt,
) -> None:
    """Print coverage per quartiere and technology (planned, or --live)."""
    if ctx.invoked_subcommand:  # it takes --config and the like from here (_inherited)
        table_only = {
            "--quartiere": bool(quartiere),
            "--technology": technology is not None,
            "--sort": sort != "quartiere",
            "--json": json_out,
            "--csv": csv_out,
            "--write-samples": write_samples,
        }
        if given := [flag for flag, set_ in table_only.items() if set_]:
            common.err.print(
                f"[red]error[/]: {', '.join(given)}: only for the table, not for "
                f"`coverage {ctx.invoked_subcommand}`"
            )
            raise typer.Exit(common.ExitCode.USAGE)
        return
    cfg = options.configured(config, data_dir, inventory, quartieri)
    c = compute_for_cli(cfg, live, population, population_field=population_field)
    rows = _select(c.result, quartiere, technology, sort)
    if write_samples:
        with datadir.open_spool(cfg) as spool:
            n = spool.put(c.result.to_samples(time.time_ns()))
        common.err.print(f"stored {n} coverage samples")
    if json_out:
        pop = c.result.population
        common.print_json(
            options.tagged(
                cfg,
                {
                    "mode": "live" if c.result.live else "planned",
                    "crs": c.result.crs,
                    "residents_basis": c.result.residents_basis,
                    "population": {
                        "known": pop.known,
                        "comune": pop.comune.population,
                        "comune_date": pop.comune.date,
                        "comune_source": pop.comune.source,
                        "quartieri_dates": pop.dates,
                        "line": pop.line(),
                    },
                    "subscribers": c.result.subscribers,
                    "subscribers_cut_off": c.result.subscribers_cut_off,
                    "down": sorted(c.result.down),
                    "rows": [r.as_dict() for r in rows],
                },
            )
        )
    elif csv_out:
        w = csv.DictWriter(sys.stdout, fieldnames=list(CoverageRow.__dataclass_fields__))
        w.writeheader()
        w.writerows({k: _csv_value(v) for k, v in r.as_dict().items()} for r in rows)
    else:
        _print_table(c, rows)


@dataclass(frozen=True)
class FileJob:
    """What a file-writing command was asked: the configured agent and the figures' options."""

    cfg: AgentConfig
    live: bool
    population: Path | None
    population_field: str | None

    def computed(self, live: bool) -> Computed:
        return compute_for_cli(
            self.cfg,
            live,
            self.population,
            need_states=True,
            population_field=self.population_field,
        )


FileWriter = Callable[[FileJob, Path], list[Path]]


_SHARED = ("live", "config", "inventory", "quartieri", "data_dir", "population", "population_field")


def _inherited(ctx: typer.Context) -> dict[str, Any]:
    """The shared options of a subcommand, each from the subcommand or else from
    `coverage` itself: `coverage -c own.toml export DIR` reads own.toml, as the table
    does, and never falls back to the bundled sample."""
    parent = ctx.parent.params if ctx.parent is not None else {}
    return {k: ctx.params.get(k) or parent.get(k) for k in _SHARED}


def _writes_files(name: str, target: Any) -> Callable[[FileWriter], FileWriter]:
    """Register `coverage NAME TARGET` with the options every file-writing command takes;
    the decorated function says only what it writes (its docstring is the command's help)."""

    def register(write: FileWriter) -> FileWriter:
        def command(
            ctx: typer.Context,
            out: Path = target,
            live: bool = LiveOpt,
            config: Path | None = options.ConfigOpt,
            inventory: list[Path] | None = options.InventoryOpt,
            quartieri: Path | None = options.QuartieriOpt,
            data_dir: Path | None = options.DataDirOpt,
            population: Path | None = PopulationOpt,
            population_field: str | None = PopulationFieldOpt,
        ) -> None:
            given = _inherited(ctx)
            cfg = options.configured(
                given["config"], given["data_dir"], given["inventory"], given["quartieri"]
            )
            job = FileJob(cfg, given["live"], given["population"], given["population_field"])
            for path in write(job, out):
                common.out.print(str(path))

        app.command(name, help=write.__doc__)(command)
        return write

    return register


@_writes_files(
    "export",
    typer.Argument(..., file_okay=False, metavar="DIR", help="Directory for the GeoJSON files."),
)
def export(job: FileJob, out_dir: Path) -> list[Path]:
    """Write GeoJSON layers (WGS84) for QGIS: quartieri.geojson with the figures,
    coverage_elements.geojson (each AP disc, fibre corridor, sector with its device and
    state), devices.geojson, and coverage.geojson (covered area per quartiere)."""
    c = job.computed(job.live)
    return write_geojson(out_dir, c.engine, c.result, c.inv, c.states)


@_writes_files(
    "report", typer.Argument(..., dir_okay=False, metavar="FILE", help="HTML file to write.")
)
def report(job: FileJob, out_file: Path) -> list[Path]:
    """Write a self-contained HTML map to work on: planned/live toggle, layers per
    technology, pan/zoom, a click on a quartiere shows its figures, prints with them."""
    # both views go in the page (a toggle): the live one needs the states; --live opens it
    c = job.computed(True)
    page = render(c.inv, c.engine, result_of(c.engine, job.live), c.states)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_file.with_name(out_file.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out_file)
    return [out_file]
