"""The data directory at the command boundary: its stores opened, its faults worded once.

Every command reaches spool.sqlite, state.sqlite and the lock through here, so a read-only
directory, a data_dir that is a file, or a corrupt or truncated database file ends the
same way everywhere: one line naming the file and what to do, exit 3, never a traceback.
The root command group (`netagent.agent.cli.main`) turns `DataDirFault` into that line; a fault
that escapes a store opened elsewhere is worded there too, from the exception alone.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from netagent.agent.alerts.store import STATE_FILE, AlertStore, StateStoreError
from netagent.agent.cli import common
from netagent.agent.config import AgentConfig
from netagent.agent.lock import DataDirLock, LockHeld
from netagent.collectors.spool import Spool, SpoolError

# What to do about each kind of fault, after "FILE: what is wrong".
_MOVE_ASIDE = {
    "spool.sqlite": "samples not yet delivered in it are lost",
    STATE_FILE: "its open incidents and notification queue are forgotten",
}


class DataDirFault(Exception):
    """A file of the data directory cannot be used; the message is the one line to print."""


def fault_line(path: Path, exc: BaseException) -> str:
    """One line: the file (a file of the data directory), what is wrong, what to do."""
    if is_spool_error(exc):
        return str(exc)  # netagent.collectors.spool's own line names the file and what to do
    directory = path.parent
    not_dir = _not_a_directory(directory)
    if not_dir is not None:
        return (
            f"{not_dir}: not a directory: the data directory must be one; move the file "
            "away or point [agent] data_dir (or --data-dir) at a directory"
        )
    if _read_only(directory) or (isinstance(exc, OSError) and exc.errno == errno.EROFS):
        return (
            f"{path}: the data directory {directory} is on a read-only file system: "
            "remount it read-write or point [agent] data_dir at a writable directory"
        )
    if isinstance(exc, OSError):
        if exc.errno in (errno.EACCES, errno.EPERM):
            return (
                f"{path}: permission denied: run as the agent's user, or give that user "
                f"write access to {directory}"
            )
        if exc.errno == errno.ENOSPC:
            return f"{path}: no space left on device: free space on the disk of {directory}"
        return f"{path}: {exc.strerror or exc}"
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError | StateStoreError) and _corrupt(text):
        lost = _MOVE_ASIDE.get(path.name, "what it held is lost")
        return (
            f"{path}: not a usable database (corrupt or truncated: {_reason(text)}): "
            f"move it aside (mv {path} {path}.bad) and a new one is made; {lost}"
        )
    if "readonly" in text or "unable to open" in text:
        return (
            f"{path}: cannot be written ({text}): give the agent's user write access to "
            f"it and to {directory}"
        )
    return text if str(path) in text else f"{path}: {text}"


def _reason(text: str) -> str:
    return text.rsplit(": ", 1)[-1]


def _corrupt(text: str) -> bool:
    return any(w in text for w in ("not a database", "malformed", "not usable", "corrupt"))


def _not_a_directory(directory: Path) -> Path | None:
    """The data directory itself, or one of its parents, when it exists as a file."""
    for p in (directory, *directory.parents):
        if p.exists():
            return None if p.is_dir() else p
    return None


def _read_only(directory: Path) -> bool:
    """On a read-only mount (even root cannot write there: os.access would say yes)."""
    for p in (directory, *directory.parents):
        if p.exists():
            try:
                return bool(os.statvfs(p).f_flag & os.ST_RDONLY)
            except OSError:
                return False
    return False


def is_spool_error(exc: BaseException) -> bool:
    """netagent.collectors.spool's SpoolError (or a subclass): its message names the file and what
    to do, one line."""
    return isinstance(exc, SpoolError)


@contextmanager
def guarded(path: Path) -> Iterator[None]:
    """Faults of `path` while the block runs become DataDirFault (one line, exit 3)."""
    try:
        yield
    except (sqlite3.DatabaseError, OSError, StateStoreError) as e:
        raise DataDirFault(fault_line(path, e)) from e
    except Exception as e:
        if not is_spool_error(e):
            raise
        raise DataDirFault(fault_line(path, e)) from e


def check_directory(cfg: AgentConfig) -> Path:
    """The data directory, or DataDirFault when it (or a parent) is a file."""
    directory = cfg.agent.resolved_data_dir()
    if _not_a_directory(directory) is not None:
        raise DataDirFault(fault_line(directory / "spool.sqlite", NotADirectoryError()))
    return directory


def require_data(cfg: AgentConfig) -> Path:
    """For a reading command: the data directory if the agent ever stored anything in it;
    else the one "no data yet" answer every reading command gives (exit 3)."""
    directory = check_directory(cfg)
    if not any((directory / name).exists() for name in ("spool.sqlite", STATE_FILE)):
        common.err.print(
            f"no data yet in {directory}: the agent has not run here "
            "(start the daemon, or `netagent run --once`)",
            markup=False,
        )
        raise typer.Exit(common.ExitCode.FAILED)
    return directory


@contextmanager
def open_spool(cfg: AgentConfig, path: Path | None = None) -> Iterator[Spool]:
    """The spool (made if missing), its faults worded, closed at the end of the block."""
    path = path or cfg.agent.spool_path()
    with guarded(path):
        spool = Spool(path, cfg.spool)
        try:
            yield spool
        finally:
            spool.close()


@contextmanager
def open_state(cfg: AgentConfig) -> Iterator[AlertStore]:
    path = cfg.agent.resolved_data_dir() / STATE_FILE
    with guarded(path):
        store = AlertStore(path)
        try:
            yield store
        finally:
            store.close()


def preflight(cfg: AgentConfig) -> None:
    """Before the daemon starts: its stores open, or the one-line fault (the daemon itself
    would report a corrupt store without naming the file)."""
    check_directory(cfg)
    with open_spool(cfg), open_state(cfg):
        pass


@contextmanager
def writer(cfg: AgentConfig) -> Iterator[Path]:
    """The data directory's lock, held for a command that polls and stores.

    Yields the spool to store in: the data directory's when the lock was taken; a
    throw-away one when another netagent holds it, after saying so (the running agent
    keeps its spool to itself: two pollers writing one store would double its samples)."""
    directory = check_directory(cfg)
    lock = DataDirLock(directory)
    held: LockHeld | None = None
    try:
        with guarded(lock.path):
            lock.acquire()
    except LockHeld as e:
        held = e
    if held is not None:
        common.err.print(
            f"note: {_holder(held)}: this run probes and prints but stores "
            f"nothing in {directory} (the running agent keeps storing there)",
            markup=False,
        )
        with tempfile.TemporaryDirectory(prefix="netagent-once-") as tmp:
            yield Path(tmp) / "spool.sqlite"
        return
    try:
        yield cfg.agent.spool_path()
    finally:
        lock.release()


def _holder(e: LockHeld) -> str:
    return str(e).split(";", 1)[0]
