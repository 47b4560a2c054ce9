"""An `[influxdb] url` with a typo in its port (`:80866`, `:8086x`) or no host passed
`config check` and failed only at the daemon's first write (`config check --connect`
said it could not check, exit 3). It is a located configuration error, the URL (which
may hold a password) never quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from netagent.agent.config import ConfigError, load_config
from tests.config_world import config_file, no_system_config  # noqa: F401 (autouse fixture)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://reader:pw-secret@127.0.0.1:80866", "the port"),
        ("http://reader:pw-secret@127.0.0.1:8086x", "the port"),
        ("http://:8086", "the host"),
    ],
)
def test_a_bad_influxdb_url_is_a_located_error(tmp_path: Path, url: str, why: str) -> None:
    path = config_file(tmp_path, f'[influxdb]\nurl = "{url}"\n')
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    (problem,) = e.value.problems
    assert problem.startswith(f"{path}:6: influxdb.url: ") and why in problem
    assert "pw-secret" not in problem


def test_a_good_influxdb_url_loads(tmp_path: Path) -> None:
    path = config_file(tmp_path, '[influxdb]\nurl = "https://influx.example.org:8086/"\n')
    assert load_config(path, env={}).influxdb.url == "https://influx.example.org:8086/"
