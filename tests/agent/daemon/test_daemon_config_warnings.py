"""The daemon says in its own log what `config check` marks `!`: a secret written in the
TOML itself (here the SNMP community) was accepted silently by `netagent run` and by a
SIGHUP, so the journal of a unit reloaded after an edit never showed it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli_operator import ROOT, needs_root, operator


def test_the_daemon_logs_a_secret_written_in_its_file(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    with op.config.open("a") as f:
        f.write('[snmp.credentials]\ncommunity = "c0mmunity-secret"\n')
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
            deadline = time.monotonic() + 60
            while "running: config" not in log.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()
                time.sleep(0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
    text = log.read_text()
    (line,) = [ln for ln in text.splitlines() if "snmp.credentials.community" in ln]
    assert " WARNING " in line and "a secret written in" in line and str(op.config) in line
    assert "c0mmunity-secret" not in text
    # Not sharded: the start line says how many devices, not "polled in shard 0/1".
    assert "inventory.yaml (2 device(s)), data" in text and "shard" not in text
