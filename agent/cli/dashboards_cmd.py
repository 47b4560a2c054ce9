"""`netagent dashboards check`: run every query of the Grafana dashboards against the
InfluxDB the agent writes, as Grafana would send them.

It reads `[influxdb]` from the agent's own configuration (file, `*_file` secrets and
`NETAGENT_INFLUXDB__*` variables, as the daemon does), so it checks the store the
dashboards will read, with the same credentials. Queries with nothing to show in the
range (no incident open, no radio link in a network without radios) are listed as
without data, not as failures, and panels over a variable without values are skipped.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import typer

from netagent.agent.cli import common, options
from netagent.agent.secrets import mask_url
from netagent.grafana.build import DASHBOARD_DIR, datasource_min_interval, load_dashboards
from netagent.grafana.check import (
    HttpInfluxQL,
    Problem,
    check_dashboard,
    choose_all,
    choose_two,
    describe,
)
from netagent.grafana.queries import TimeRange

app = typer.Typer(help="The Grafana dashboards: check them against InfluxDB.", no_args_is_help=True)


def _since(value: str) -> str:
    """`1h` as `netagent query --since` takes it, or Grafana's own `now-1h`."""
    start = value if value.startswith("now") else f"now-{value}"
    try:
        TimeRange(start, "now").time_filter()
    except ValueError as e:  # a usage error, not a hundred failing queries
        raise typer.BadParameter(str(e)) from None
    return start


@app.command("check")
def check(
    since: str = typer.Option(
        "1h",
        "--since",
        metavar="AGE",
        callback=_since,
        help="How far back the queries look: 15m, 1h, 2d (or Grafana's now-6h).",
    ),
    folder: Path = typer.Option(
        DASHBOARD_DIR,
        "--dir",
        metavar="DIR",
        file_okay=False,
        help="The folder of the dashboards' JSON files.",
    ),
    config: Path | None = options.ConfigOpt,
) -> None:
    """Every panel and variable query, as Grafana sends them: exit 1 on a failing query,
    3 when InfluxDB does not answer."""
    cfg = options.configured(config, notice=False)
    if cfg.influxdb.url is None:
        common.err.print(
            "dashboards: [influxdb] url is not set (in the config file, or "
            "NETAGENT_INFLUXDB__URL): there is no InfluxDB for the dashboards to read",
            markup=False,
        )
        raise typer.Exit(common.ExitCode.PROBLEMS)
    span = TimeRange(since, "now")
    run = HttpInfluxQL(cfg.influxdb)
    problems: list[Problem] = []
    no_data: list[str] = []
    try:
        for dash in load_dashboards(folder).values():
            # As opened (everything on All): every query must return data; then two
            # explicit values per variable, where only errors count.
            problems += check_dashboard(
                dash, run, span, choose_all, datasource_min_interval(), no_data=no_data
            )
            problems += check_dashboard(
                dash,
                run,
                span,
                choose_two,
                datasource_min_interval(),
                require_data=False,
                no_data=[],  # named once, by the first pass
            )
    except httpx.HTTPError as e:  # no answer at all: it could not check
        common.err.print(
            f"dashboards: cannot query InfluxDB at {mask_url(cfg.influxdb.url)}: "
            f"{type(e).__name__}: {cfg.redact(str(e))}",
            markup=False,
        )
        raise typer.Exit(common.ExitCode.FAILED) from None
    finally:
        run.close()
    unique = list(dict.fromkeys(problems))
    if unique:
        common.out.print(describe(unique), markup=False)
    for where in no_data:
        common.out.print(f"no data in the range: {where}", markup=False)
    common.out.print(
        f"{len(unique)} problem(s); {len(no_data)} query(ies) without data", markup=False
    )
    if unique:
        raise typer.Exit(common.ExitCode.PROBLEMS)
