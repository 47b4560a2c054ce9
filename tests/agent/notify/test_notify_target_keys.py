"""A misspelt key in a `[[notify.targets]]` table (`formatt`): the error listed only the
type's own keys, as if `name`, `min_severity` and `roles` were not allowed there, and
left the operator to spot the typo."""

from __future__ import annotations

from pathlib import Path

import pytest

from netagent.agent.config import ConfigError, load_config
from tests.config_world import config_file, no_system_config  # noqa: F401 (autouse fixture)

TARGET = """\
[[notify.targets]]
type = "webhook"
name = "noc"
min_severity = "critical"
url = "http://127.0.0.1:9/hook"
formatt = "alertmanager"
"""


def test_a_misspelt_target_key_suggests_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(config_file(tmp_path, TARGET), env={})
    (problem,) = e.value.problems
    assert "unknown key formatt; did you mean 'format'?" in problem
    for key in ("format", "url", "name", "min_severity", "roles", "type"):
        assert key in problem.split("expected one of:")[1]
