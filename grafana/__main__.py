"""`python -m netagent.grafana generate|check`: write the dashboards, or run their queries.

generate  writes grafana/dashboards/*.json from the code (no inventory: devices, ports,
          links and stations are template variables); --check only reports files
          that differ.
check     runs every panel and variable query of the committed dashboards against an
          InfluxDB (NETAGENT_INFLUXDB__URL, __DATABASE, __TOKEN from the environment)
          over the last --range, as Grafana would send them; exit 1 on any problem,
          3 when InfluxDB does not answer.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import httpx

from netagent.grafana.build import (
    DASHBOARD_DIR,
    build_all,
    datasource_min_interval,
    load_dashboards,
    stale_files,
    write_all,
)
from netagent.grafana.check import HttpInfluxQL, check_dashboard, choose_all, choose_two, describe
from netagent.grafana.queries import TimeRange


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m netagent.grafana",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate", help="write grafana/dashboards/*.json from the code")
    gen.add_argument("--out", type=Path, default=DASHBOARD_DIR)
    gen.add_argument("--check", action="store_true", help="only report stale files")
    chk = sub.add_parser("check", help="run every dashboard query against InfluxDB")
    chk.add_argument("--range", default="now-1h", help="time range start (default now-1h)")
    chk.add_argument("--dir", type=Path, default=DASHBOARD_DIR)
    args = ap.parse_args(argv)

    if args.cmd == "generate":
        if args.check:
            stale = stale_files(args.out)
            made = build_all()
            for name in stale:
                what = (
                    "differs from the code; run python -m netagent.grafana generate"
                    if name in made
                    else "no longer made by the code; delete it"
                )
                print(f"{args.out / name}: {what}")
            return 1 if stale else 0
        for path in write_all(args.out):
            print(path)
        return 0

    url = os.environ.get("NETAGENT_INFLUXDB__URL")
    if not url:
        print("set NETAGENT_INFLUXDB__URL (and __DATABASE, __TOKEN)", file=sys.stderr)
        return 2
    span = TimeRange(args.range, "now")
    try:
        span.time_filter()
    except ValueError as e:  # a usage error, not 108 failing queries
        ap.error(f"--range: {e}")
    run = HttpInfluxQL(
        url,
        os.environ.get("NETAGENT_INFLUXDB__DATABASE", "netagent"),
        os.environ.get("NETAGENT_INFLUXDB__TOKEN") or None,
    )
    failed = 0
    try:
        for name, dash in load_dashboards(args.dir).items():
            for choose, strict in ((choose_all, True), (choose_two, False)):
                problems = check_dashboard(
                    dash, run, span, choose, datasource_min_interval(), require_data=strict
                )
                if problems:
                    failed += len(problems)
                    print(f"{name} ({choose.__name__}):\n{describe(problems)}")
    except httpx.HTTPError as e:  # no answer at all: it could not check (exit 3)
        where = httpx.URL(url).copy_with(username=None, password=None)
        print(f"cannot query InfluxDB at {where}: {e}", file=sys.stderr)
        return 3
    finally:
        run.close()
    print(f"{failed} problem(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
