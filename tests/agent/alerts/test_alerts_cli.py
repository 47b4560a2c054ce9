"""`netagent alerts` over a state.sqlite written by the real engine."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netagent.agent.cli.main import _register, app
from netagent.collectors.spool import Spool
from tests.alerts_lab import BRANCH_APS, Lab

_register()
runner = CliRunner()


def test_lists_open_and_recent_incidents(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    lab.rounds(3, down={"ap-centro"})
    lab.rounds(2)
    lab.rounds(4, down={"rpt-coviolo-nord", *BRANCH_APS})
    lab.store.close()

    res = runner.invoke(app, ["alerts", "--json", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1, res.output  # something is open
    data = json.loads(res.stdout)
    [inc] = data["open"]
    assert inc["device"] == "rpt-coviolo-nord" and inc["notified"] is True
    assert [a["device"] for a in inc["affected"]] == BRANCH_APS
    states = {d["device"]: d["state"] for d in data["devices"]}
    assert states["rpt-coviolo-nord"] == "down"
    assert all(states[ap] == "unreachable" for ap in BRANCH_APS)
    assert data["recent"] == [] and data["queue"]["pending"] == 0

    res = runner.invoke(
        app, ["alerts", "--all", "--days", "100000", "--json", "--data-dir", str(tmp_path)]
    )
    [old] = json.loads(res.stdout)["recent"]
    assert old["device"] == "ap-centro" and old["state"] == "resolved"

    res = runner.invoke(app, ["alerts", "--all", "--days", "100000", "--data-dir", str(tmp_path)])
    # Tables wrap to the terminal: check the structure, the JSON above checks the content.
    assert "Open incidents (1)" in res.stdout and "Resolved in the last" in res.stdout
    assert "Devices not up" in res.stdout and "unreachable" in res.stdout


def test_empty_data_dir_is_no_data_yet(tmp_path: Path) -> None:
    res = runner.invoke(app, ["alerts", "--data-dir", str(tmp_path)])
    assert res.exit_code == 3 and "no data yet in" in res.stderr
    assert not (tmp_path / "state.sqlite").exists()


def test_samples_but_no_alert_state_is_not_an_error(tmp_path: Path) -> None:
    Spool(tmp_path / "spool.sqlite").close()  # what `run --once` leaves: no incidents
    res = runner.invoke(app, ["alerts", "--json", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0 and json.loads(res.stdout)["open"] == []
    assert "tracked by the daemon" in res.stderr


def test_unusable_state_file_is_named_and_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite"
    state.write_bytes(b"this is not sqlite, but somebody's data\n" * 100)
    res = runner.invoke(app, ["alerts", "--data-dir", str(tmp_path)])
    assert res.exit_code == 3 and "state.sqlite" in res.stderr
    assert state.read_bytes().startswith(b"this is not sqlite")


def test_state_from_a_newer_netagent_is_refused(tmp_path: Path) -> None:
    import sqlite3

    db = sqlite3.connect(tmp_path / "state.sqlite")
    db.execute("PRAGMA user_version=99")
    db.close()
    res = runner.invoke(app, ["alerts", "--data-dir", str(tmp_path)])
    assert res.exit_code == 3 and "newer netagent" in res.stderr


def test_readme_config_example_is_valid() -> None:
    import tomllib

    from netagent.agent.alerts import AlertsConfig
    from netagent.agent.notify import NotifyConfig

    readme = (Path(__file__).parents[3] / "README.md").read_text()
    section = readme.split("## Access-point outage alerts", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    data = tomllib.loads(example)
    alerts = AlertsConfig.model_validate(data["alerts"])
    notify = NotifyConfig.model_validate(data["notify"])
    assert alerts.maintenance[0].cron == "0 2 * * 0"
    assert notify.webhooks[0].format.value == "alertmanager"
    assert notify.email is not None and notify.email.from_addr == "netagent@example.org"
