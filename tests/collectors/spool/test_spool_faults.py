"""A spool file that cannot be used, or a write that fails, is one line naming the file
and what to do (SpoolError / SpoolWriteError), never an SQLite traceback.

The faults are made the way they happen: garbage and truncation of a real spool, a file
where the data directory should be, an emptied file, and, in a mount namespace of the
test's own (root only), a read-only mount and a tmpfs that fills up.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolError

T0 = 1_700_000_000_000_000_000
REPO = Path(__file__).resolve().parents[3]


def icmp(i: int) -> Sample:
    return Sample("icmp", {"device": f"ap-{i % 50}"}, {"up": True, "rtt_avg_ms": 1.0 + i}, T0 + i)


def refused(path: Path) -> str:
    with pytest.raises(SpoolError) as caught:
        Spool(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def real_spool(path: Path, n: int = 20_000) -> None:
    spool = Spool(path)
    spool.put([icmp(i) for i in range(n)])
    spool.close()


def test_garbage_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "spool.sqlite"
    path.write_bytes(b"this is not sqlite at all\n" * 200)
    message = refused(path)
    assert "not a database" in message and f"mv {path} {path}.bad" in message
    assert path.read_bytes().startswith(b"this is not sqlite")  # left as it was


@pytest.mark.parametrize("cut", ["to half", "to its first page", "by one byte"])
def test_a_truncated_spool_is_refused(tmp_path: Path, cut: str) -> None:
    path = tmp_path / "spool.sqlite"
    real_spool(path)
    size = path.stat().st_size
    os.truncate(
        path, {"to half": size // 2, "to its first page": 4096, "by one byte": size - 1}[cut]
    )
    message = refused(path)
    assert "truncated" in message and "move it aside" in message


def test_a_zero_length_spool_is_recreated_and_said_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "spool.sqlite"
    path.touch()
    with caplog.at_level(logging.WARNING):
        spool = Spool(path)
    assert f"spool {path} was empty (0 bytes)" in caplog.text
    assert spool.put([icmp(1)]) == 1 and spool.stats().depth == 1
    spool.close()
    caplog.clear()
    Spool(path).close()  # a spool that was merely empty of samples is not reported
    assert caplog.text == ""


def test_a_file_where_the_data_directory_should_be(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.write_text("oops")
    assert "is not a directory" in refused(data_dir / "spool.sqlite")
    assert "cannot create" in refused(data_dir / "sub" / "spool.sqlite")


def test_a_directory_where_the_spool_file_should_be(tmp_path: Path) -> None:
    (tmp_path / "spool.sqlite").mkdir()
    assert "it is a directory" in refused(tmp_path / "spool.sqlite")


def in_own_mounts(tmp_path: Path, script: str) -> list[dict[str, Any]]:
    """Run `script` as root in a mount namespace of its own (the host's mounts untouched);
    each line it prints is one JSON result."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare(1) for a mount namespace")
    code = textwrap.dedent(
        """
        import json, subprocess, sys
        from pathlib import Path
        from netagent.collectors.samples import Sample
        from netagent.collectors.spool import Spool, SpoolConfig, SpoolError, SpoolWriteError
        def sh(*a): subprocess.run(a, check=True)
        def icmp(i):
            return Sample("icmp", {"device": f"ap-{i}"}, {"up": True, "pad": "x" * 200}, i)
        def say(**kw): print(json.dumps(kw), flush=True)
        here = Path(sys.argv[1])
        """
    ) + textwrap.dedent(script)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    run = subprocess.run(
        ["unshare", "-m", "--propagation", "private", sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_a_read_only_data_directory(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    real_spool(tmp_path / "data" / "spool.sqlite", n=10)
    out = in_own_mounts(
        tmp_path,
        """
        data = here / "data"
        sh("mount", "--bind", str(data), str(data))
        sh("mount", "-o", "remount,bind,ro", str(data))
        for name in ("spool.sqlite", "new.sqlite"):
            try:
                Spool(data / name)
            except SpoolError as e:
                say(error=str(e))
    """,
    )
    assert len(out) == 2
    for got, name in zip(out, ("spool.sqlite", "new.sqlite"), strict=True):
        assert got["error"] == (
            f"cannot use the spool {tmp_path}/data/{name}: {tmp_path}/data is read-only; make"
            " it writable by the agent's user (a read-only mount, ownership, or the unit's"
            " ReadWritePaths)"
        )


def test_disk_full_is_one_line_and_loses_nothing_stored(tmp_path: Path) -> None:
    """A tiny tmpfs fills up: put() raises SpoolWriteError naming the file and what to do,
    stores nothing of that call, keeps what it stored before; once space is freed puts
    work again."""
    (tmp_path / "small").mkdir()
    out = in_own_mounts(
        tmp_path,
        """
        small = here / "small"
        sh("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(small))
        (small / "filler").write_bytes(b"x" * 128 * 1024)
        spool = Spool(small / "spool.sqlite", SpoolConfig(latest_for=[]))
        stored = 0
        for i in range(10_000):
            try:
                stored += spool.put([icmp(i * 10 + j) for j in range(10)])
            except SpoolWriteError as e:
                say(error=str(e), stored=stored, depth=spool.stats().depth)
                break
        (small / "filler").unlink()
        say(after=spool.put([icmp(10**9)]), depth=spool.stats().depth)
    """,
    )
    assert len(out) == 2, out
    full, after = out
    path = tmp_path / "small" / "spool.sqlite"
    assert full["error"].startswith(f"cannot store samples in the spool {path}: disk full (")
    assert full["error"].endswith(f"free space on the file system that holds {path.parent}")
    assert full["stored"] > 0 and full["depth"] == full["stored"]
    assert after == {"after": 1, "depth": full["stored"] + 1}
