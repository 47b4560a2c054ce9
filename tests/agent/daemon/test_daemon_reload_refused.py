"""SIGHUP after an edit with two mistakes: the refusal is one journal line naming both,
each at its file:line, separated as a list ("; "), not "invalid configuration:" followed
by the problems run together with the blanks of a multi-line message."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.cli_operator import needs_root, operator, running_daemon, wait_for_log


def test_a_refused_reload_names_every_mistake_on_one_line(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    log = tmp_path / "daemon.log"
    with running_daemon(op, log) as proc:
        with op.config.open("a") as f:
            f.write('[jobs.icmp]\nintervall_s = 10\n[health]\nlisten = "0.0.0.0:1"\n')
        proc.send_signal(signal.SIGHUP)
        wait_for_log(log, "reload refused", proc)
    (line,) = [ln for ln in log.read_text().splitlines() if "reload refused" in ln]
    assert f"configuration: {op.config}:" in line and "; " in line
    assert "jobs.icmp.intervall_s" in line and "health.listen" in line and "   " not in line
