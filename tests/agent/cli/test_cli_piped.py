"""Tables read through a pipe: `netagent query icmp | less`, `status > report.txt`, a
command over ssh without a tty. Off a terminal rich laid tables out in 80 columns and cut
every cell ("op-…", "rt…"), so the output said nothing; there it must be whole."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli_operator import ROOT, needs_root, operator


def test_a_piped_query_keeps_every_cell_whole(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    assert op.run("run", "--once").returncode == 0
    env = {k: v for k, v in op.env().items() if k != "COLUMNS"}  # a pipe has no width
    r = subprocess.run(
        [sys.executable, "-m", "netagent.agent", "query", "icmp", "-c", str(op.config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "…" not in r.stdout, r.stdout
    for cell in ("op-sw-1", "op-ap-1", "Piazza Prampolini", "rtt_avg_ms", "quartiere"):
        assert cell in r.stdout, r.stdout
