"""The configuration loader: TOML + env + secret files, errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netagent.agent import config as config_module
from netagent.agent.cli import main
from netagent.agent.config import SAMPLE_LABEL, AgentConfig, ConfigError, load_config
from netagent.agent.config_example import render
from netagent.inventory.model import Role
from tests.config_world import (  # noqa: F401 (autouse fixture)
    config_file,
    no_system_config,
    secret_file,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "agent" / "deploy" / "netagent.example.toml"


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
        "regenerate it: python -m netagent.agent config example > "
        "agent/deploy/netagent.example.toml"
    )
    example = load_config(EXAMPLE, env={}).model_dump(mode="json")
    defaults = AgentConfig().model_dump(mode="json")
    # The one key without a usable default: a file must name its inventory.
    assert example["agent"].pop("inventory") == ["/etc/netagent/inventory"]
    defaults["agent"].pop("inventory")
    assert example == defaults
    for section in (
        "icmp",
        "snmp",
        "influxdb",
        "spool",
        "netbox",
        "coverage",
        "alerts",
        "notify",
        "jobs.icmp",
        "health",
    ):
        assert f"[{section}]" in EXAMPLE.read_text()


def test_secrets_from_env_or_file_never_shown(tmp_path: Path) -> None:
    token = tmp_path / "influx.token"
    token.write_text("s3cr3t-token\n")
    path = write(
        tmp_path,
        f"""
[influxdb]
url = "http://127.0.0.1:8086"
token_file = "{token}"
""",
    )
    cfg = load_config(
        path,
        env={"NETAGENT_NETBOX__TOKEN": "nb-secret", "NETAGENT_NETBOX__URL": "http://127.0.0.1:1"},
    )
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
    cfg = load_config(
        path,
        env={
            "NETAGENT_JOBS__SNMP__INTERVAL_S": "20",
            "NETAGENT_ROLES__WIFI_AP__ICMP_INTERVAL_S": "15",
            "NETAGENT_AGENT__INVENTORY": '["a.yaml", "b.csv"]',
            "NETAGENT_DATA_DIR": "/ignored/here",  # not a section key: no '__'
        },
    )
    assert cfg.jobs.snmp.interval_s == 20
    assert cfg.interval_for("icmp", Role.WIFI_AP) == 15
    assert cfg.interval_for("icmp", Role.SWITCH) == 30
    assert [p.name for p in cfg.agent.inventory] == ["a.yaml", "b.csv"]


def test_every_problem_is_reported_with_its_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[jobs.icmp]
interval_s = "often"
intervall = 5
[health]
listen = "0.0.0.0:9464"
[roles.toaster]
icmp_interval_s = 5
[nosuchsection]
""",
    )
    path.write_text(path.read_text().replace("[agent]\n", '[agent]\nshard = "3/2"\n'))
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    text = "\n".join(e.value.problems)
    assert f"{path}:2: agent.shard:" in text and "between 0 and 1" in text
    assert (
        f"{path}:9: jobs.icmp.intervall: unknown key (expected one of: enabled, interval_s" in text
    )
    assert f"{path}:14: nosuchsection: unknown key" in text
    assert f"{path}:8: jobs.icmp.interval_s" in text and "'often'" in text
    assert f"{path}:11: health.listen" in text and "loopback" in text
    assert f"{path}:12: roles.toaster: Input should be 'wifi-ap', 'ptp-radio'" in text


def test_errors_from_the_environment_name_the_variable(tmp_path: Path) -> None:
    """Not 'defaults': the variable an operator has to fix."""
    with pytest.raises(ConfigError) as e:
        load_config(
            write(tmp_path, ""),
            env={
                "NETAGENT_JOBS__ICMP__INTERVAL_S": "-1",
                "NETAGENT_INFLUXDB__TOKN": "x",
                "NETAGENT_NETBOXX__URL": "http://127.0.0.1:1",
                "NETAGENT_NETBOX__ROLES": '["unclosed',
            },
        )
    text = "\n".join(e.value.problems)
    assert "NETAGENT_JOBS__ICMP__INTERVAL_S: jobs.icmp.interval_s: Input should be greater" in text
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
    with pytest.raises(
        ConfigError,
        match=r":6: health.listen_file: the file /nonexistent/s "
        "does not exist",
    ):
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
    path = write(
        tmp_path,
        f"""
[[notify.webhooks]]
url = "http://127.0.0.1:9/plain"
[[notify.webhooks]]
url_file = "{url}"
headers_file = "{headers}"
""",
    )
    cfg = load_config(path, env={})
    plain, secret = cfg.notify.webhooks
    assert str(secret.url) == "http://127.0.0.1:9/hooks/T0K3N-in-path" and not plain.headers
    assert {k: v.get_secret_value() for k, v in secret.headers.items()} == {
        "Authorization": "Bearer sekrit-bearer",
        "X-Team": "noc",
    }
    shown = cli(["config", "show", "--config", str(path)], {})
    assert shown.exit_code == 0, shown.output
    assert "sekrit-bearer" not in shown.output and '"Authorization": "**********"' in shown.stdout

    headers.write_text("Authorization: Bearer sekrit-bearer\nno separator sekrit-2\n")
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    assert "notify.webhooks[1].headers_file: line 2 of" in str(e.value)
    assert "sekrit" not in str(e.value)


# -- the sample only when asked -------------------------------------------------------------


def test_the_sample_runs_only_without_a_configuration(tmp_path: Path) -> None:
    assert load_config(None, env={}).agent.bundled_sample()
    assert load_config(None, env={}).agent.inventory_label() == SAMPLE_LABEL
    inv = config_file(tmp_path).parent / "inventory" / "network.yaml"
    by_env = load_config(None, env={"NETAGENT_AGENT__INVENTORY": str(inv)})
    assert not by_env.agent.bundled_sample() and by_env.agent.inventory_label() == str(inv)
    netbox = load_config(
        None, env={"NETAGENT_AGENT__SOURCE": "netbox", "NETAGENT_NETBOX__URL": "http://127.0.0.1:1"}
    )
    assert not netbox.agent.bundled_sample()


def test_a_file_naming_no_inventory_is_an_error_naming_agent_inventory(tmp_path: Path) -> None:
    """`inventory = []`, as an old `config example` printed it, ran the sample."""
    path = tmp_path / "netagent.toml"
    path.write_text('[agent]\ninventory = []\n[influxdb]\nurl = "http://127.0.0.1:8086"\n')
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    assert e.value.problems[0].startswith(f"{path}:2: agent.inventory: no inventory")
    path.write_text('[influxdb]\nurl = "http://127.0.0.1:8086"\n')
    with pytest.raises(ConfigError, match=r"agent\.inventory: no inventory"):
        load_config(path, env={})
    res = cli(["config", "check", "--config", str(path)])
    assert res.exit_code == 1 and "agent.inventory" in res.stdout
    netbox = '[agent]\nsource = "netbox"\n[netbox]\nurl = "http://127.0.0.1:1"\n'
    path.write_text(netbox)
    assert not load_config(path, env={}).agent.bundled_sample()


def test_where_the_file_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--config, else $NETAGENT_CONFIG, else the search path (/etc/netagent/netagent.toml)."""
    path = config_file(tmp_path, "[jobs.icmp]\ninterval_s = 7\n")
    assert load_config(None, env={"NETAGENT_CONFIG": str(path)}).source == path
    with pytest.raises(
        ConfigError, match=r"absent.toml: no such file \(named by \$NETAGENT_CONFIG"
    ):
        load_config(None, env={"NETAGENT_CONFIG": str(tmp_path / "absent.toml")})
    assert load_config(None, env={}).source is None
    monkeypatch.setattr(config_module, "CONFIG_SEARCH_PATH", (tmp_path / "no.toml", path))
    found = load_config(None, env={})
    assert found.source == path and found.jobs.icmp.interval_s == 7
    assert not found.agent.bundled_sample()


# -- credentials, secrets -------------------------------------------------------------------


def test_device_and_role_credentials_from_files(tmp_path: Path) -> None:
    """`*_file` inside [snmp.device_credentials."AP-Centro"] crashed (UnboundLocalError)."""
    community = secret_file(tmp_path, "ap.community", "ap-community-1")
    auth = secret_file(tmp_path, "sw.auth", "sw-auth-passphrase")
    path = write(
        tmp_path,
        f"""
[snmp.device_credentials."AP-Centro"]
community_file = "{community}"
[snmp.role_credentials.switch]
version = "3"
user = "netagent"
auth_key_file = "{auth}"
priv_protocol = "none"
""",
    )
    cfg = load_config(path, env={})
    assert cfg.snmp.device_credentials["AP-Centro"].community.get_secret_value() == "ap-community-1"
    assert cfg.snmp.role_credentials["switch"].auth_key.get_secret_value() == "sw-auth-passphrase"
    assert [s.key for s in cfg.secret_files] == [
        "snmp.device_credentials.AP-Centro.community_file",
        "snmp.role_credentials.switch.auth_key_file",
    ]
    typo = write(
        tmp_path, f'[snmp.device_credentials."AP-Centro"]\ncomunity_file = "{community}"\n'
    )
    res = cli(["config", "check", "--config", str(typo)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert f"{typo}:6: snmp.device_credentials.AP-Centro.comunity_file: unknown key" in res.stdout


def test_device_credentials_by_environment_keep_the_name_s_case(tmp_path: Path) -> None:
    community = secret_file(tmp_path, "ap.community", "ap-community-1")
    cfg = load_config(
        write(tmp_path, ""),
        env={
            "NETAGENT_SNMP__DEVICE_CREDENTIALS": json.dumps(
                {"AP-Centro": {"community_file": str(community)}}
            )
        },
    )
    assert cfg.snmp.device_credentials["AP-Centro"].community.get_secret_value() == "ap-community-1"
    assert (
        cfg.where(("snmp", "device_credentials", "AP-Centro"))
        == "NETAGENT_SNMP__DEVICE_CREDENTIALS"
    )


def test_validation_errors_never_echo_a_secret(tmp_path: Path) -> None:
    """'auth_key: S3cr3t-Auth-Pas…' was echoed; in full when given by env."""
    secret = "S3cr3t-Auth-Pass"
    path = write(
        tmp_path,
        f"""
[snmp.device_credentials."AP-Centro"]
version = "3"
auth_key = "{secret}"
priv_key = "short"
[influxdb]
url = "ftp://user:{secret}@127.0.0.1"
""",
    )
    env = {
        "NETAGENT_SNMP__CREDENTIALS": json.dumps(
            {"version": "3", "user": "u", "auth_key": secret, "priv_protocol": "bogus"}
        ),
        "NETAGENT_NETBOX__TOKEN": secret,
        "NETAGENT_NETBOX__TIMEOUT_S": "x",
    }
    with pytest.raises(ConfigError) as e:
        load_config(path, env=env)
    text = "\n".join(e.value.problems)
    assert "snmp.device_credentials.AP-Centro" in text and "NETAGENT_SNMP__CREDENTIALS" in text
    assert "influxdb" in text and secret not in text and "S3cr3t" not in text
    res = cli(["config", "check", "--config", str(path)], env)
    assert res.exit_code == 1 and secret not in res.output


def test_a_missing_or_unreadable_secret_file_is_one_located_error(tmp_path: Path) -> None:
    """Not a second, wrong 'unknown key'; not a traceback (netbox.token_file)."""
    path = write(
        tmp_path,
        f"""
[influxdb]
url = "http://127.0.0.1:8086"
token_file = "{tmp_path}"
[netbox]
url = "http://127.0.0.1:1"
token_file = "{tmp_path / "absent"}"
""",
    )
    with pytest.raises(ConfigError) as e:
        load_config(path, env={})
    assert e.value.problems == [
        f"{path}:8: influxdb.token_file: cannot read the file {tmp_path}: Is a directory",
        f"{path}:11: netbox.token_file: the file {tmp_path / 'absent'} does not exist",
    ]
    empty = secret_file(tmp_path, "empty", "")
    with pytest.raises(ConfigError, match=r"influxdb\.token_file: the file .* is empty"):
        load_config(write(tmp_path, f'[influxdb]\ntoken_file = "{empty}"\n'), env={})


def test_inline_secrets_and_readable_secret_files_are_warned(tmp_path: Path) -> None:
    readable = secret_file(tmp_path, "nb.token", "0123456789abcdef", mode=0o644)
    path = write(
        tmp_path,
        f"""
[influxdb]
url = "http://127.0.0.1:8086"
token = "inline-token"
[netbox]
url = "http://127.0.0.1:1"
token_file = "{readable}"
""",
    )
    cfg = load_config(path, env={})
    assert cfg.netbox.resolved_token() == "0123456789abcdef"
    assert cfg.warnings == [
        f"{path}:8: influxdb.token: a secret written in {path}: move it to token_file (a file"
        " only the agent reads) or to NETAGENT_INFLUXDB__TOKEN",
        f"{path}:11: netbox.token_file: {readable} is readable by every user (mode 0644):"
        " chmod o-r, it holds a secret",
    ]


def test_config_show_masks_urls_tokens_and_headers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[influxdb]
url = "http://writer:pw-in-url@127.0.0.1:8086/"
[[notify.webhooks]]
url = "https://127.0.0.1:9443/hooks/T0K3N?key=K3Y"
headers = {Authorization = "Bearer B34R3R"}
""",
    )
    shown = cli(["config", "show", "--config", str(path)], {})
    assert shown.exit_code == 0, shown.output
    for secret in ("pw-in-url", "writer", "T0K3N", "K3Y", "B34R3R"):
        assert secret not in shown.output
    data = json.loads(shown.stdout)
    assert data["influxdb"]["url"] == "http://**********@127.0.0.1:8086/"
    assert data["notify"]["webhooks"][0]["url"] == "https://127.0.0.1:9443/**********"


def test_the_readme_s_email_example_key_from(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[notify.email]\nhost = "127.0.0.1"\nfrom = "noc@example.org"\nto = ["a@example.org"]\n',
    )
    assert load_config(path, env={}).notify.email.from_addr == "noc@example.org"  # type: ignore[union-attr]
