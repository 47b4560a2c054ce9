"""Logging for a person at a terminal, and for the journal.

On a TTY (and not under systemd) records go through rich, as before. Anywhere else, or
with $JOURNAL_STREAM set (systemd connected stderr to the journal), each record is ONE
line: ISO-8601 UTC time, level, logger, message, then `key=value` for whatever context
the call passed with `extra=` - nothing wraps at 80 columns, every line greps.

Identical WARNING-or-worse lines are folded: the first goes out, repeats within
FOLD_WINDOW_S are counted, and the next one after the window says how many there were
("… (repeated 57 times in 5 min)"). A traceback therefore appears once per distinct error.
The log notify target's lines are notifications, each one a fact: they are never folded.

Levels: commands log WARNING and up (-v INFO, -vv DEBUG, -q ERROR only); the daemon INFO
and up, so its start line, reloads and job summaries reach the journal.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime

from rich.console import Console
from rich.logging import RichHandler

FOLD_WINDOW_S = 300.0
# Each record of these loggers is a notification (the log notify target): never folded.
NEVER_FOLDED = frozenset({"netagent.alerts"})
# LogRecord's own attributes: anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_verbosity = 0
_LIBRARIES = {"apscheduler": logging.ERROR, "httpx": logging.WARNING, "urllib3": logging.ERROR}


def configure(verbosity: int, *, daemon: bool = False) -> None:
    """verbosity: -1 quiet, 0 default, 1 info, 2 debug. `daemon`: INFO by default."""
    global _verbosity
    _verbosity = verbosity
    if verbosity < 0:
        level = logging.WARNING if daemon else logging.ERROR
    elif verbosity >= 2:
        level = logging.DEBUG
    elif verbosity == 1 or daemon:
        level = logging.INFO
    else:
        level = logging.WARNING
    handler: logging.Handler
    if sys.stderr.isatty() and not os.environ.get("JOURNAL_STREAM"):
        handler = RichHandler(
            console=Console(stderr=True, highlight=False),
            show_path=False,
            rich_tracebacks=verbosity > 1,
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter())
    handler.addFilter(FoldRepeats())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Libraries' own chatter, below -vv: a "Running job…"/"HTTP Request" line per run
    # would drown the journal, and urllib3's "Retrying…" warnings (pynetbox) come before
    # the one line our code says about the same failure.
    quiet = verbosity < 2
    for name, at in _LIBRARIES.items():
        logging.getLogger(name).setLevel(at if quiet else logging.NOTSET)


def for_daemon() -> None:
    """The daemon's levels with the verbosity the command line gave (`netagent -v run`)."""
    configure(_verbosity, daemon=True)


class OneLineFormatter(logging.Formatter):
    """`2026-12-02T00:33:12.123Z INFO netagent.agent.daemon: message key=value`; a traceback, when
    there is one, follows on its own lines (the journal keeps them with the record)."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        text = (
            f"{when.replace('+00:00', 'Z')} {record.levelname} {record.name}: {record.getMessage()}"
        )
        context = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        for key, value in context.items():
            text += f" {key}={_quoted(value)}"
        text = text.replace("\n", " ")  # one record, one line
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def _quoted(value: object) -> str:
    s = str(value)
    return f'"{s}"' if not s or any(c in s for c in ' "=') else s


class FoldRepeats(logging.Filter):
    """Counts identical WARNING+ lines within FOLD_WINDOW_S instead of repeating them."""

    def __init__(self, window_s: float = FOLD_WINDOW_S) -> None:
        super().__init__()
        self.window_s = window_s
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}  # -> (first, repeats)
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or record.name in NEVER_FOLDED:
            return True
        key = (record.name, record.levelno, record.getMessage())
        now = time.monotonic()
        with self._lock:
            first, repeats = self._seen.get(key, (None, 0))
            if first is not None and now - first < self.window_s:
                self._seen[key] = (first, repeats + 1)
                return False
            self._seen[key] = (now, 0)
            if len(self._seen) > 1000:  # forget the oldest, not the memory
                for k in sorted(self._seen, key=lambda k: self._seen[k][0])[:500]:
                    del self._seen[k]
        if repeats:
            minutes = (now - first) / 60 if first is not None else 0
            record.msg = f"{record.getMessage()} (repeated {repeats} times in {minutes:.0f} min)"
            record.args = None
            record.exc_info = record.exc_text = None  # the traceback went out the first time
        return True
