"""`config check` on the example configuration copied as the README's install says, its
`[agent] inventory` not yet pointed at the office's files: the ✗ line named only the
path ("/etc/netagent/inventory: error: no such file or directory"), not where it is set."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import operator


def test_a_missing_inventory_path_is_located_at_its_key(tmp_path: Path) -> None:
    op = operator(tmp_path)
    gone = tmp_path / "inventory.yaml"
    gone.unlink()
    r = op.run("config", "check")
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("✗")]
    assert line == f"✗ {op.config}:3: agent.inventory: {gone}: no such file or directory"
