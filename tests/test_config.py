"""The configuration loader: TOML + env + secret files, errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agent.cli import main
from agent.config import AgentConfig, ConfigError, load_config
from agent.config_example import render
from inventory.model import Role
from tests.config_world import config_file, no_system_config  # noqa: F401 (autouse)

EXAMPLE = Path(__file__).resolve().parents[1] / "agent" / "deploy" / "netagent.example.toml"


def write(tmp_path: Path, text: str) -> Path:
    """A config file naming an inventory (a file must), plus `text`."""
    return config_file(tmp_path, text)


def test_no_file_gives_the_documented_defaults() -> None:
    cfg = load_config(None, env={})
    assert cfg.jobs.icmp.interval_s == 30 and cfg.jobs.snmp.interval_s == 60
    assert cfg.jobs.netbox.interval_s == 900 and cfg.jobs.coverage.interval_s == 3600
    assert cfg.jobs.icmp.grace_s() == 30  # misfire grace defaults to one interval, not 1 s
    assert cfg.source is None


def test_the_example_file_is_current_valid_and_matches_the_defaults() -> None:
    """The documented example lists every key of every section with its default value."""
    assert EXAMPLE.read_text() == render(AgentConfig), (
        "regenerate it: python -m agent config example > agent/deploy/netagent.example.toml"
    )
    example = load_config(EXAMPLE, env={}).model_dump(mode="json")
    defaults = AgentConfig().model_dump(mode="json")
    # The one key without a usable default: a file must name its inventory.
    assert example["agent"].pop("inventory") == ["/etc/netagent/inventory"]
    defaults["agent"].pop("inventory")
    assert example == defaults
    for section in ("icmp", "snmp", "influxdb", "spool", "netbox", "coverage", "alerts",
                    "notify", "jobs.icmp", "health"):
        assert f"[{section}]" in EXAMPLE.read_text()


def test_secrets_from_env_or_file_never_shown(tmp_path: Path) -> None:
    token = tmp_path / "influx.token"
    token.write_text("s3cr3t-token\n")
    path = write(tmp_path, f"""
[influxdb]
url = "http://127.0.0.1:8086"
token_file = "{token}"
""")
    cfg = load_config(path, env={"NETAGENT_NETBOX__TOKEN": "nb-secret", "NETAGENT_NETBOX__URL":
                                 "http://127.0.0.1:1"})
    assert cfg.influxdb.token is not None
    assert cfg.influxdb.token.get_secret_value() == "s3cr3t-token"
    assert cfg.netbox.token is not None and cfg.netbox.token.get_secret_value() == "nb-secret"
    shown = cli(["config", "show", "--config", str(path)], {"NETAGENT_NETBOX__TOKEN": "nb-secret"})
    assert shown.exit_code == 0, shown.output
    assert '"token": "**********"' in shown.stdout
    assert "s3cr3t" not in shown.output and "nb-secret" not in shown.output
    # A wrong secret is reported by key, its value never echoed.
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, "[influxdb]\ntoken = 12345678\n"), env={})
    assert "influxdb.token" in str(e.value) and "12345678" not in str(e.value)


def test_partial_job_section_keeps_the_other_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, "[jobs.icmp]\ninterval_s = 10\n"), env={})
    assert cfg.jobs.icmp.interval_s == 10 and cfg.jobs.icmp.jitter_s == 2


def test_env_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[jobs.snmp]\ninterval_s = 120\n")
    cfg = load_config(path, env={
        "NETAGENT_JOBS__SNMP__INTERVAL_S": "20",
        "NETAGENT_ROLES__WIFI_AP__ICMP_INTERVAL_S": "15",
        "NETAGENT_AGENT__INVENTORY": '["a.yaml", "b.csv"]',
        "NETAGENT_DATA_DIR": "/ignored/here",  # not a section key: no '__'
    })
    assert cfg.jobs.snmp.interval_s == 20
    assert cfg.interval_for("icmp", Role.WIFI_AP) == 15
    assert cfg.interval_for("icmp", Role.SWITCH) == 30
    assert [p.name for p in cfg.agent.inventory] == ["a.yaml", "b.csv"]


def test_every_problem_is_reported_with_its_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, """
[jobs.icmp]
interval_s = "often"
intervall = 5
[health]
listen = "0.0.0.0:9464"
[roles.toaster]
icmp_interval_s = 5
[nosuchsection]
""")
    path.write_text(path.read_text().replace("[agent]\n", '[agent]\nshard = "3/2"\n'))
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    text = "\n".join(e.value.problems)
    assert f"{path}:2: agent.shard:" in text and "between 0 and 1" in text
    assert f"{path}:9: jobs.icmp.intervall: unknown key (expected one of: enabled, interval_s" \
        in text
    assert f"{path}:14: nosuchsection: unknown key" in text
    assert f"{path}:8: jobs.icmp.interval_s" in text and "'often'" in text
    assert f"{path}:11: health.listen" in text and "loopback" in text
    assert f"{path}:12: roles.toaster" in text and "wifi-ap" in text


def test_errors_from_the_environment_name_the_variable(tmp_path: Path) -> None:
    """Not 'defaults': the variable an operator has to fix."""
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, ""), env={
            "NETAGENT_JOBS__ICMP__INTERVAL_S": "-1",
            "NETAGENT_INFLUXDB__TOKN": "x",
            "NETAGENT_NETBOXX__URL": "http://127.0.0.1:1",
            "NETAGENT_NETBOX__ROLES": '["unclosed',
        })
    text = "\n".join(e.value.problems)
    assert "NETAGENT_JOBS__ICMP__INTERVAL_S: jobs.icmp.interval_s: Input should be greater" \
        in text
    assert "NETAGENT_INFLUXDB__TOKN: influxdb.tokn: unknown key" in text
    assert "NETAGENT_NETBOXX__URL: no section 'netboxx'" in text
    assert "NETAGENT_NETBOX__ROLES: not valid JSON" in text
    assert "defaults" not in text


def test_lists_in_variables_are_json_or_comma_separated(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    for value in ('["wifi-ap", "switch"]', "wifi-ap,switch", " wifi-ap , switch "):
        cfg = load_config(path, env={"NETAGENT_NETBOX__ROLES": value})
        assert cfg.netbox.roles == ["wifi-ap", "switch"], value
    cfg = load_config(None, env={"NETAGENT_AGENT__INVENTORY": "a.yaml,b.csv"})
    assert [p.name for p in cfg.agent.inventory] == ["a.yaml", "b.csv"]
    # An empty variable is as if unset (systemd's EnvironmentFile= writes them).
    assert load_config(path, env={"NETAGENT_NETBOX__ROLES": ""}).netbox.roles == []


def test_bad_toml_and_missing_file_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[jobs\n"), env={})
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml", env={})


def test_secret_from_file_and_errors_never_echo_it(tmp_path: Path) -> None:
    secret = tmp_path / "listen"
    secret.write_text("127.0.0.1:9999\n")
    cfg = load_config(write(tmp_path, f'[health]\nlisten_file = "{secret}"\n'), env={})
    assert cfg.health.listen == "127.0.0.1:9999"  # final newline stripped
    with pytest.raises(ConfigError, match="either listen or listen_file"):
        load_config(write(tmp_path, f'[health]\nlisten = "x"\nlisten_file = "{secret}"\n'), env={})
    with pytest.raises(ConfigError, match=r":6: health.listen_file: the file /nonexistent/s "
                       "does not exist"):
        load_config(write(tmp_path, '[health]\nlisten_file = "/nonexistent/s"\n'), env={})


def test_with_shard_overrides_and_validates() -> None:
    cfg = load_config(None, env={})
    assert str(cfg.with_shard("1/3").shard()) == "1/3"
    with pytest.raises(ConfigError, match="--shard"):
        cfg.with_shard("5/3")


def cli(args: list[str], env: dict[str, str] | None = None) -> Result:
    main._register()
    return CliRunner().invoke(main.app, args, env=env)


def test_cli_config_check(tmp_path: Path) -> None:
    ok = write(tmp_path, "[jobs.icmp]\ninterval_s = 5\n")
    good = cli(["config", "check", "--config", str(ok)])
    assert good.exit_code == 0, good.output
    assert "✓ configuration" in good.stdout and "✗" not in good.stdout
    bad = write(tmp_path, "[jobs.icmp]\ninterval_s = -5\n")
    res = cli(["config", "check", "--config", str(bad)])
    assert res.exit_code == 1
    assert "jobs.icmp.interval_s" in res.output and "greater than 0" in res.output
    example = cli(["config", "example"])
    assert example.exit_code == 0 and example.stdout == EXAMPLE.read_text()


def test_webhook_url_and_headers_from_files_inside_the_list_never_shown(tmp_path: Path) -> None:
    url = tmp_path / "hook.url"
    url.write_text("http://127.0.0.1:9/hooks/T0K3N-in-path\n")
    headers = tmp_path / "hook.headers"
    headers.write_text("Authorization: Bearer sekrit-bearer\n\nX-Team: noc\n")
    path = write(tmp_path, f"""
[[notify.webhooks]]
url = "http://127.0.0.1:9/plain"
[[notify.webhooks]]
url_file = "{url}"
headers_file = "{headers}"
""")
    cfg = load_config(path, env={})
    plain, secret = cfg.notify.webhooks
    assert str(secret.url) == "http://127.0.0.1:9/hooks/T0K3N-in-path" and not plain.headers
    assert {k: v.get_secret_value() for k, v in secret.headers.items()} == {
        "Authorization": "Bearer sekrit-bearer", "X-Team": "noc"}
    shown = cli(["config", "show", "--config", str(path)], {})
    assert shown.exit_code == 0, shown.output
    assert "sekrit-bearer" not in shown.output and '"Authorization": "**********"' in shown.stdout

    headers.write_text("Authorization: Bearer sekrit-bearer\nno separator sekrit-2\n")
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    assert "notify.webhooks[1].headers_file: line 2 of" in str(e.value)
    assert "sekrit" not in str(e.value)
