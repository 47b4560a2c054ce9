"""`config check` reads the inventory as the daemon does: an operator's own quartieri that
cover part of the comune, with `[agent] quartieri_boundary = "none"`, were judged against
the bundled Reggio Emilia boundary there alone ("a gap of 226 km²"), so the unit's
ExecStartPre failed and the daemon never started, while `run`, `inventory validate` and
`coverage` accepted the same file."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import operator


def test_config_check_honours_quartieri_boundary_none(tmp_path: Path) -> None:
    op = operator(tmp_path)  # one quartiere of its own, quartieri_boundary = "none"
    assert 'quartieri_boundary = "none"' in op.config.read_text()
    r = op.run("config", "check")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "✗" not in r.stdout and "inventory" in r.stdout
    assert op.run("inventory", "validate").returncode == 0


def test_config_check_still_judges_quartieri_against_the_bundled_comune(tmp_path: Path) -> None:
    op = operator(tmp_path)
    op.config.write_text(op.config.read_text().replace('quartieri_boundary = "none"\n', ""))
    r = op.run("config", "check")
    assert r.returncode == 1 and "quartieri.geojson" in r.stdout and "gap" in r.stdout
