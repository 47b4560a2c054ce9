"""A secret the file keeps in a file and the environment overrides: the systemd unit's
EnvironmentFile (NETAGENT_SNMP__CREDENTIALS__COMMUNITY=…) beside a netagent.toml whose
[snmp.credentials] says community_file. "Environment beats the file" holds there too:
the variable wins, instead of "give either community or community_file, not both"."""

from __future__ import annotations

from pathlib import Path

import pytest

from netagent.agent.config import ConfigError, load_config
from tests.config_world import (  # noqa: F401 (autouse fixture)
    config_file,
    no_system_config,
    secret_file,
)

VAR = "NETAGENT_SNMP__CREDENTIALS__COMMUNITY"


def _with_community_file(tmp_path: Path) -> Path:
    community = secret_file(tmp_path, "snmp.community", "from-the-file")
    return config_file(tmp_path, f'[snmp.credentials]\ncommunity_file = "{community}"\n')


def test_a_variable_beats_the_files_community_file(tmp_path: Path) -> None:
    cfg = load_config(_with_community_file(tmp_path), env={VAR: "from-the-env"})
    assert cfg.snmp.credentials.community.get_secret_value() == "from-the-env"


def test_a_variables_file_beats_the_files_community(tmp_path: Path) -> None:
    mine = secret_file(tmp_path, "env.community", "from-the-env-file")
    path = config_file(tmp_path, '[snmp.credentials]\ncommunity = "in-the-toml"\n')
    cfg = load_config(path, env={f"{VAR}_FILE": str(mine)})
    assert cfg.snmp.credentials.community.get_secret_value() == "from-the-env-file"


def test_both_forms_in_the_environment_stay_an_error_naming_the_variable(
    tmp_path: Path,
) -> None:
    mine = secret_file(tmp_path, "env.community", "from-the-env-file")
    with pytest.raises(ConfigError) as e:
        load_config(_with_community_file(tmp_path), env={VAR: "x-secret", f"{VAR}_FILE": str(mine)})
    (problem,) = e.value.problems
    assert f"{VAR}_FILE" in problem and "not both" in problem and "x-secret" not in problem
