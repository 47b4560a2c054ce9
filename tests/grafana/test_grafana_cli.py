"""`python -m netagent.grafana generate`, as a developer runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from netagent.grafana.__main__ import main
from netagent.grafana.build import DASHBOARD_DIR


def test_generate_check_passes_on_the_committed_files(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--check"]) == 0
    assert capsys.readouterr().out == ""


def test_generate_writes_and_check_names_a_stale_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["generate", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.json")) == sorted(
        p.name for p in DASHBOARD_DIR.glob("*.json")
    )
    (tmp_path / "coverage.json").write_text("{}")
    assert main(["generate", "--check", "--out", str(tmp_path)]) == 1
    assert "coverage.json: differs from the code" in capsys.readouterr().out


def test_generate_takes_no_inventory_and_check_names_a_left_over_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An upgrade from the per-inventory fibre.json: the old file is named, not kept silently."""
    assert main(["generate", "--out", str(tmp_path)]) == 0
    (tmp_path / "fibre.json").write_text("{}")
    assert main(["generate", "--check", "--out", str(tmp_path)]) == 1
    assert "fibre.json: no longer made by the code; delete it" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["generate", "--inventory", "inv.yaml"])
    assert usage.value.code == 2
