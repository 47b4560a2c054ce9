"""The spool's file and what can go wrong with it, said in one line.

A spool is a file in the data directory. When it cannot be used (the directory is a file
or read-only, the file is corrupt, truncated, from another layout) or a write fails (disk
full, I/O error), the operator gets one line naming the file, what is wrong and what to do
(`SpoolError`, `SpoolWriteError` for writes), never an SQLite traceback. SQLite itself
notices most damage; the checks here add what it lets through: a zero-length file (SQLite
silently starts a new database in it: we do too, but say so), a file cut inside a page,
a path that is not a directory.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

log = logging.getLogger(__name__)

_HEADER = b"SQLite format 3\x00"


class SpoolError(Exception):
    """The spool cannot be used as it is; str() is one line: the file, what, what to do."""


class SpoolWriteError(SpoolError):
    """A write to the spool failed (disk full, I/O error, read-only): nothing of that call
    was stored. The caller carries on with what does not need the spool (alerting)."""


# SQLite's primary result code -> (what happened, what to do); {path}/{dir} filled in.
_EXPLAIN: dict[str, tuple[str, str]] = {
    "SQLITE_FULL": ("disk full", "free space on the file system that holds {dir}"),
    "SQLITE_IOERR": ("I/O error", "check the disk and the file system that hold {dir} (dmesg)"),
    "SQLITE_READONLY": (
        "read-only",
        "make {dir} and the spool files writable by the agent's user",
    ),
    "SQLITE_CORRUPT": ("corrupt or truncated", "{aside}"),
    "SQLITE_NOTADB": ("not a database", "{aside}"),
    "SQLITE_CANTOPEN": (
        "cannot be opened",
        "check that {dir} is a directory writable by the agent's user",
    ),
    "SQLITE_BUSY": (
        "locked by another process for too long",
        "check what else opens it (only one netagent per data directory)",
    ),
    "SQLITE_PERM": ("permission denied", "make {dir} and the spool files writable by the agent"),
}
_ASIDE = (
    "stop netagent and move it aside (mv {path} {path}.bad): a new empty spool is created at "
    "the next start; what the old one held is lost unless you recover it"
)


def explain(path: Path, error: sqlite3.Error, writing: bool) -> SpoolError:
    """The one-line error for an SQLite failure on the spool at `path`."""
    name = getattr(error, "sqlite_errorname", "") or ""
    what, todo = next(
        (v for k, v in _EXPLAIN.items() if name == k or name.startswith(k + "_")),
        ("unusable", "check the file, or " + _ASIDE),
    )
    aside = _ASIDE.format(path=path)
    todo = todo.format(dir=path.parent, path=path, aside=aside)
    cls = SpoolWriteError if writing else SpoolError
    doing = "cannot store samples in" if writing else "cannot use"
    return cls(f"{doing} the spool {path}: {what} ({error}); {todo}")


def check_place(path: Path) -> None:
    """Before SQLite opens `path`: the directory exists (made if missing) and is writable,
    the file is not a directory, not cut inside a page; a zero-length file is reported."""
    where = path.parent
    if where.exists() and not where.is_dir():
        raise SpoolError(
            f"cannot use the spool {path}: {where} is not a directory; move that file aside "
            "or set [agent] data_dir to a directory"
        )
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SpoolError(
            f"cannot use the spool {path}: cannot create {where} ({e.strerror}); create it, "
            "writable by the agent's user, or set [agent] data_dir"
        ) from e
    if not os.access(where, os.W_OK | os.X_OK):
        raise SpoolError(
            f"cannot use the spool {path}: {where} is read-only; make it writable by the "
            "agent's user (a read-only mount, ownership, or the unit's ReadWritePaths)"
        )
    if path.is_dir():
        raise SpoolError(f"cannot use the spool {path}: it is a directory; move it aside")
    if not path.exists():
        return
    size = path.stat().st_size
    if size == 0:
        wal = path.with_name(path.name + "-wal")
        if not wal.exists() or wal.stat().st_size == 0:
            log.warning(
                "spool %s was empty (0 bytes): whatever it held is gone; starting a new one "
                "(was the disk full, or the file replaced?)",
                path,
            )
        return
    with path.open("rb") as f:
        header = f.read(100)
    if header[:16] == _HEADER and len(header) == 100:
        page = int.from_bytes(header[16:18], "big")
        page = 65536 if page == 1 else page
        if page and size % page:
            raise SpoolError(
                f"cannot use the spool {path}: truncated ({size} bytes, not a whole number "
                f"of {page}-byte pages); {_ASIDE.format(path=path)}"
            )


def connect(path: Path, opened: list[sqlite3.Connection]) -> sqlite3.Connection:
    """A connection to the spool, appended to `opened` (closed together if opening fails)."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    opened.append(db)
    db.execute("PRAGMA busy_timeout=10000")
    return db


def close_all(connections: Iterable[sqlite3.Connection]) -> None:
    for db in connections:
        with suppress(sqlite3.Error):
            db.close()


def json_rows(columns: int) -> str:
    """What follows `SELECT` to read `columns` values from each row of a JSON array bound
    to the last `?` (json_each's own `key` is the row's position in it). Many rows in one statement:
    executemany releases and retakes the GIL for every row, and a thread retaking it waits
    out the interpreter's switch interval (5 ms) while another thread computes; at region
    scale (15,000 devices) a 15,000-row spool put took 3-7 s so while the SNMP cycle ran
    (beside a pure-Python loop: 225 s, against 0.15 s as one statement)."""
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(columns))
    return f"{values} FROM json_each(?)"
