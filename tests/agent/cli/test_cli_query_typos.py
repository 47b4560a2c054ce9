"""`netagent query` with a typo, as an operator types it: `query interfaces` (the
measurement is `interface`) or `--tag devce=…` matched nothing and answered "no samples",
exit 0, as if the network had been silent. Both are usage errors (2) naming what exists."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import Operator, needs_root, operator


def _ran_once(tmp_path: Path) -> Operator:
    needs_root()
    op = operator(tmp_path)
    assert op.run("run", "--once").returncode == 0
    return op


def test_a_misspelt_measurement_is_a_usage_error_naming_the_right_one(tmp_path: Path) -> None:
    op = _ran_once(tmp_path)
    r = op.run("query", "icmpp")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "'icmpp'" in r.stderr and "did you mean 'icmp'" in r.stderr


def test_a_misspelt_tag_is_a_usage_error_naming_the_tags(tmp_path: Path) -> None:
    op = _ran_once(tmp_path)
    r = op.run("query", "icmp", "--tag", "devce=op-sw-1")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "did you mean 'device'" in r.stderr and "quartiere" in r.stderr
    right = op.run("query", "icmp", "--tag", "device=op-sw-1")
    assert right.returncode == 0 and "op-sw-1" in right.stdout and "op-ap-1" not in right.stdout
