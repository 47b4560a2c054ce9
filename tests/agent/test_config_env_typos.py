"""A misspelt netagent variable without a section (`NETAGENT_DATADIR=/srv/netagent`) was
ignored without a word, and the agent used another data directory. It is a warning (`!`
in config check, a WARNING in the daemon's log) naming the variable it resembles, its
value never shown."""

from __future__ import annotations

from pathlib import Path

from netagent.agent.config import load_config
from tests.config_world import config_file, no_system_config  # noqa: F401 (autouse fixture)


def test_a_misspelt_variable_is_a_warning_naming_the_right_one(tmp_path: Path) -> None:
    cfg = load_config(config_file(tmp_path), env={"NETAGENT_DATADIR": "/srv/secret-place"})
    (warning,) = cfg.warnings
    assert warning.startswith("NETAGENT_DATADIR: not a netagent variable, ignored")
    assert "did you mean NETAGENT_DATA_DIR?" in warning and "secret-place" not in warning


def test_the_known_variables_raise_no_warning(tmp_path: Path) -> None:
    env = {"NETAGENT_DATA_DIR": str(tmp_path), "NETAGENT_JOBS__ICMP__INTERVAL_S": "15"}
    assert load_config(config_file(tmp_path), env=env).warnings == []
