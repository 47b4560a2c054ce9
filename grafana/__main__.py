"""`python -m netagent.grafana generate`: write the dashboards from the code.

generate  writes grafana/dashboards/*.json from the code (no inventory: devices, ports,
          links and stations are template variables); --check only reports files
          that differ.

Checking them against an installation's InfluxDB is `netagent dashboards check`, which
reads the agent's own configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from netagent.grafana.build import DASHBOARD_DIR, build_all, stale_files, write_all


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
    args = ap.parse_args(argv)

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


if __name__ == "__main__":
    raise SystemExit(main())
