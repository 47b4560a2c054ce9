"""`config check` (the unit's ExecStartPre) on a configuration whose `[agent] netns` names
no namespace: it said all was well, and the daemon then refused to start (exit 3), over
and over under systemd. The preflight now fails on it, located at the key."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import operator


def test_config_check_fails_on_a_missing_namespace_at_its_line(tmp_path: Path) -> None:
    op = operator(tmp_path)
    op.write_config('netns = "no-such-netagent-ns"')
    r = op.run("config", "check")
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("✗")]
    assert f"{op.config}:6: agent.netns" in line and "'no-such-netagent-ns'" in line
