"""SIGHUP after an edit with two mistakes: the refusal is one journal line naming both,
each at its file:line, separated as a list ("; "), not "invalid configuration:" followed
by the problems run together with the blanks of a multi-line message."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_operator import ROOT, needs_root, operator


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    assert text in log.read_text(), log.read_text()


def test_a_refused_reload_names_every_mistake_on_one_line(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    log = tmp_path / "daemon.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "netagent.agent", "run", "-c", str(op.config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=op.env(),
            cwd=ROOT,
        )
        try:
            _wait_for(log, "running: config", proc)
            with op.config.open("a") as f:
                f.write('[jobs.icmp]\nintervall_s = 10\n[health]\nlisten = "0.0.0.0:1"\n')
            proc.send_signal(signal.SIGHUP)
            _wait_for(log, "reload refused", proc)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
    (line,) = [ln for ln in log.read_text().splitlines() if "reload refused" in ln]
    assert f"configuration: {op.config}:" in line and "; " in line
    assert "jobs.icmp.intervall_s" in line and "health.listen" in line and "   " not in line
