"""One daemon per data directory; the lock dies with its process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from netagent.agent.lock import DataDirLock, LockHeld

HOLD = """
import sys, time
from pathlib import Path
from netagent.agent.lock import DataDirLock
lock = DataDirLock(Path(sys.argv[1])); lock.acquire(); print("held", flush=True); time.sleep(60)
"""


def test_second_holder_is_refused_with_the_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=rf"pid {holder.pid}\b.*{tmp_path}"):
            DataDirLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()
    # The kernel released the lock of the killed process: no stale lock.
    with DataDirLock(tmp_path):
        assert (tmp_path / "lock").read_text().strip().isdigit()


def test_release_lets_the_next_one_in(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path)
    first.acquire()
    with pytest.raises(LockHeld):
        DataDirLock(tmp_path).acquire()
    first.release()
    with DataDirLock(tmp_path):
        pass
