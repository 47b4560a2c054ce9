"""What every command shares: data directory, logging to stderr, output helpers."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

from rich.console import Console

from netagent.agent import logs
from netagent.agent.exitcodes import ExitCode
from netagent.agent.paths import default_data_dir

__all__ = ["ExitCode", "default_data_dir"]

# Off a terminal (a pipe, a file, `watch`, ssh without a tty) rich lays tables out in 80
# columns and cuts every cell ("sw…", "rt…"): there a table takes the width it needs, unless
# $COLUMNS says otherwise.
_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 1000

# Results go to stdout, logs and progress to stderr, so `--json | jq` always works.
out = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one message, one line


def setup_logging(verbose: int) -> None:
    """-1 (-q) errors only, 0 warnings, 1 info, 2 debug; one line a record off a TTY
    (the journal), rich on one (netagent.agent.logs; the daemon raises its own default to INFO)."""
    logs.configure(verbose)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def iso(ns: int) -> str:
    """Epoch nanoseconds as ISO 8601 UTC, to the second."""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat(timespec="seconds")


def show_progress() -> bool:
    """Progress bars only when a person watches a terminal."""
    return err.is_terminal and not os.environ.get("CI")
