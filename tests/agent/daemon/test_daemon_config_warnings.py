"""The daemon says in its own log what `config check` marks `!`: a secret written in the
TOML itself (here the SNMP community) was accepted silently by `netagent run` and by a
SIGHUP, so the journal of a unit reloaded after an edit never showed it. `run --once`
(what cron runs) says it too."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import Operator, needs_root, operator, running_daemon


def _inline_community(op: Operator) -> None:
    with op.config.open("a") as f:
        f.write('[snmp.credentials]\ncommunity = "c0mmunity-secret"\n')


def test_the_daemon_logs_a_secret_written_in_its_file(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    _inline_community(op)
    log = tmp_path / "daemon.log"
    with running_daemon(op, log):
        pass
    text = log.read_text()
    (line,) = [ln for ln in text.splitlines() if "snmp.credentials.community" in ln]
    assert " WARNING " in line and "a secret written in" in line and str(op.config) in line
    assert "c0mmunity-secret" not in text
    # Not sharded: the start line says how many devices, not "polled in shard 0/1".
    assert "inventory.yaml (2 device(s)), data" in text and "shard" not in text


def test_run_once_says_it_on_stderr(tmp_path: Path) -> None:
    needs_root()
    op = operator(tmp_path)
    _inline_community(op)
    r = op.run("run", "--once")
    assert r.returncode == 0, r.stderr
    (line,) = [ln for ln in r.stderr.splitlines() if "snmp.credentials.community" in ln]
    assert "a secret written in" in line and "community_file" in line
    assert "c0mmunity-secret" not in r.stdout + r.stderr
