"""`netagent config check [--connect]`: the preflight the systemd unit runs before the agent.

Each trap of issue 13 that `config check` used to answer "configuration OK" to, met the
way an operator meets it: their own config file, inventory, secret files and servers
(a real influxd, aiosmtpd, a NetBox double over HTTP, closed loopback ports).
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netagent.agent.checks import Check, Level, exit_code
from netagent.agent.cli import main
from netagent.agent.exitcodes import ExitCode
from netagent.agent.preflight import guarded
from netagent.collectors.snmp.profiles import PROFILE_DIR, load_profiles
from tests.agent.notify.test_notify_email import (  # noqa: F401 (fixtures)
    PASSWORD,
    USER,
    SmtpServer,
    self_signed,
    smtp_server,
    smtps_server,
)
from tests.config_world import (  # noqa: F401 (autouse fixture)
    INVENTORY,
    config_file,
    inventory,
    no_system_config,
    secret_file,
)
from tests.fixtures.influx import InfluxServer
from tests.fixtures.influx_v2 import serve as influx_v2_serve
from tests.fixtures.ports import free_port
from tests.netbox_double.server import TOKEN, NetBoxDouble

BUNDLED_PROFILES = len(load_profiles(PROFILE_DIR).resolved)


def check(args: list[str], env: dict[str, str] | None = None) -> Result:
    main._register()
    return CliRunner().invoke(main.app, ["config", "check", *args], env=env or {})


def lines(res: Result) -> list[str]:
    return res.stdout.splitlines()


def test_a_good_configuration_passes_every_check(tmp_path: Path) -> None:
    token = secret_file(tmp_path, "influx.token", "tok-1234")
    path = config_file(
        tmp_path, f'[influxdb]\nurl = "http://127.0.0.1:1"\ntoken_file = "{token}"\n'
    )
    res = check(["--config", str(path)])
    assert res.exit_code == 0, res.output
    assert lines(res) == [
        f"✓ configuration {path} read",
        f"✓ influxdb.token_file: {token} read (mode 0600)",
        f"✓ data directory {tmp_path / 'data'} ({path}:3): will be created in {tmp_path}",
        f"✓ SNMP profiles: {BUNDLED_PROFILES} loaded",
        f"✓ inventory {tmp_path / 'inventory' / 'network.yaml'}: 2 device(s), 1 site(s)",
    ]


def test_without_a_file_it_says_sample(tmp_path: Path) -> None:
    res = check([], {"NETAGENT_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 0, res.output
    assert "! no configuration file" in res.stdout and "bundled sample" in res.stdout


def test_an_invalid_inventory_is_reported_located(tmp_path: Path) -> None:
    inv = inventory(tmp_path, INVENTORY.replace("mgmt_ip: 127.10.0.1, ", ""))
    res = check(["--config", str(config_file(tmp_path, inv=inv))])
    assert res.exit_code == 1
    assert f"✗ {inv}:4: error: devices[0].mgmt_ip: Field required" in lines(res)


def test_unknown_snmp_profiles_are_reported(tmp_path: Path) -> None:
    inv = inventory(tmp_path, INVENTORY.replace("snmp_profile: unifi", "snmp_profile: unifii"))
    path = config_file(tmp_path, '[snmp]\ndefault_profile = "generik"\n', inv=inv)
    res = check(["--config", str(path)])
    assert res.exit_code == 1
    assert (
        f"✗ {path}:6: snmp.default_profile: 'generik' is not a known SNMP profile; did you"
        " mean 'generic'?"
    ) in lines(res)
    assert (
        "✗ inventory: device 'AP-Centro': snmp_profile 'unifii' is not a known SNMP"
        " profile; did you mean 'unifi'?"
    ) in lines(res)


def test_a_profiles_dir_is_loaded_and_its_profiles_known(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "comune.yaml").write_text("name: comune-ap\ninclude: [generic]\n")
    inv = inventory(tmp_path, INVENTORY.replace("snmp_profile: unifi", "snmp_profile: comune-ap"))
    path = config_file(tmp_path, f'[snmp]\nprofiles_dir = "{profiles}"\n', inv=inv)
    res = check(["--config", str(path)])
    assert res.exit_code == 0, res.output
    assert f"✓ SNMP profiles: {BUNDLED_PROFILES + 1} loaded (with {profiles})" in lines(res)
    (profiles / "broken.yaml").write_text("name: [\n")
    res = check(["--config", str(path)])
    assert res.exit_code == 1 and f"✗ SNMP profiles: {profiles / 'broken.yaml'}" in res.stdout


def test_credentials_naming_no_device_role_or_tag(tmp_path: Path) -> None:
    """A misspelt device silently fell back to community 'public'."""
    path = config_file(
        tmp_path,
        """
[snmp.device_credentials.AP-Centr]
community = "c1"
[snmp.role_credentials.wifi_ap]
community = "c2"
[snmp.tag_credentials.cor]
community = "c3"
[snmp.tag_credentials.core]
community = "c4"
""",
    )
    res = check(["--config", str(path)])
    assert res.exit_code == 1
    assert (
        f"✗ {path}:6: snmp.device_credentials.AP-Centr: no device named 'AP-Centr' in the"
        " inventory; did you mean 'AP-Centro'?"
    ) in lines(res)
    assert (
        f"✗ {path}:8: snmp.role_credentials.wifi_ap: no role named 'wifi_ap' in the"
        " inventory; did you mean 'wifi-ap'?"
    ) in lines(res)
    assert (
        f"✗ {path}:10: snmp.tag_credentials.cor: no tag named 'cor' in the inventory; did"
        " you mean 'core'?"
    ) in lines(res)
    assert not any("tag_credentials.core:" in ln for ln in lines(res))


def test_device_credentials_by_a_variable_name_lose_the_case_and_say_so(tmp_path: Path) -> None:
    res = check(
        ["--config", str(config_file(tmp_path))],
        {"NETAGENT_SNMP__DEVICE_CREDENTIALS__AP_CENTRO__COMMUNITY": "c1"},
    )
    assert res.exit_code == 1
    assert (
        "✗ NETAGENT_SNMP__DEVICE_CREDENTIALS__AP_CENTRO__COMMUNITY:"
        " snmp.device_credentials.ap_centro: no device named 'ap_centro' in the inventory;"
        " did you mean 'AP-Centro'? (device names match exactly, case included; a variable"
        " name loses it: give NETAGENT_SNMP__DEVICE_CREDENTIALS as JSON)"
    ) in lines(res)
    ok = check(
        ["--config", str(config_file(tmp_path))],
        {"NETAGENT_SNMP__DEVICE_CREDENTIALS": json.dumps({"AP-Centro": {"community": "c"}})},
    )
    assert ok.exit_code == 0, ok.output


def test_secret_files_missing_empty_or_readable_by_all(tmp_path: Path) -> None:
    readable = secret_file(tmp_path, "nb.token", TOKEN, mode=0o644)
    empty = secret_file(tmp_path, "influx.token", "")
    path = config_file(
        tmp_path,
        f"""
[netbox]
url = "http://127.0.0.1:1"
token_file = "{readable}"
""",
    )
    res = check(["--config", str(path)])
    assert res.exit_code == 0, res.output
    assert (
        f"! {path}:8: netbox.token_file: {readable} is readable by every user (mode 0644):"
        " chmod o-r, it holds a secret"
    ) in lines(res)
    res = check(
        ["--config", str(path)],
        {
            "NETAGENT_INFLUXDB__TOKEN_FILE": str(empty),
            "NETAGENT_NETBOX__TOKEN_FILE": str(tmp_path / "no"),
        },
    )
    assert res.exit_code == 1
    assert sorted(lines(res)) == [
        f"✗ NETAGENT_INFLUXDB__TOKEN_FILE: influxdb.token_file: the file {empty} is empty",
        f"✗ NETAGENT_NETBOX__TOKEN_FILE: netbox.token_file: the file {tmp_path / 'no'} does not"
        " exist",
    ]


def test_a_data_directory_that_cannot_be_used(tmp_path: Path) -> None:
    path = config_file(tmp_path)
    (tmp_path / "data").write_text("a file, not a directory")
    res = check(["--config", str(path)])
    assert res.exit_code == 1
    assert f"✗ data directory {tmp_path / 'data'} ({path}:3): not a directory" in lines(res)


def test_a_check_that_cannot_run_exits_3(tmp_path: Path) -> None:
    from netagent.agent.config import load_config

    cfg = load_config(config_file(tmp_path), env={})

    def crash(_: object) -> list[Check]:
        raise RuntimeError("boom")

    checks = guarded(cfg, "the moon", crash)
    assert checks == [Check(Level.BROKEN, "could not check the moon: RuntimeError: boom")]
    assert exit_code(checks) == ExitCode.FAILED == 3


# -- --connect ------------------------------------------------------------------------------


class Listener:
    """A TCP (optionally TLS) server that accepts and records what a client sends."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.tls = tls
        self.received = b""
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                conn.settimeout(0.5)
                self.received += conn.recv(1024)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def connected_world(
    tmp_path: Path,
    influx: InfluxServer,
    netbox: NetBoxDouble,
    smtp: SmtpServer,
    hook_port: int,
    password: str = PASSWORD,
) -> Path:
    user, influx_password = influx.auth or ("", "")
    secrets = {
        "nb": secret_file(tmp_path, "nb.token", TOKEN),
        "ix": secret_file(tmp_path, "ix.password", influx_password),
        "smtp": secret_file(tmp_path, "smtp.password", password),
        "hook": secret_file(tmp_path, "hook.url", f"http://127.0.0.1:{hook_port}/hooks/T0K3N"),
    }
    influx.create_database()
    return config_file(
        tmp_path,
        f"""
[netbox]
url = "{netbox.url}"
token_file = "{secrets["nb"]}"
[influxdb]
url = "{influx.url}"
api = "v1"
username = "{user}"
password_file = "{secrets["ix"]}"
[notify.email]
host = "127.0.0.1"
port = {smtp.port}
ca_file = "{smtp.ca_file}"
username = "{USER}"
password_file = "{secrets["smtp"]}"
to = ["noc@example.org"]
[[notify.webhooks]]
url_file = "{secrets["hook"]}"
""",
    )


@pytest.mark.slow
def test_connect_reaches_every_server_and_changes_nothing(
    tmp_path: Path,
    influxdb_auth: InfluxServer,
    smtp_server: SmtpServer,  # noqa: F811 (the fixture imported above)
    listener: Listener,
) -> None:
    with NetBoxDouble() as netbox:
        path = connected_world(tmp_path, influxdb_auth, netbox, smtp_server, listener.port)
        netbox.reset_counts()
        res = check(["--config", str(path), "--connect"])
        assert res.exit_code == 0, res.output
        assert netbox.writes == 0
    out = lines(res)
    assert any(
        ln.startswith(
            f"✓ {path}:7: netbox.url: NetBox at {netbox.url}: status read with the token (NetBox "
        )
        for ln in out
    ), out
    assert any(
        ln.startswith(f"✓ {path}:10: influxdb.url: InfluxDB at {influxdb_auth.url}")
        and ln.endswith(": may write to database 'netagent' (checked with an empty write)")
        for ln in out
    ), out
    assert (
        f"✓ {path}:15: notify.email.host: SMTP 127.0.0.1:{smtp_server.port}: EHLO, STARTTLS,"
        f" login as {USER} OK (no mail sent)"
    ) in out
    assert (
        f"✓ {path}:22: notify.webhooks[0].url: 127.0.0.1:{listener.port}: TCP connection OK"
        " (no request sent)"
    ) in out
    assert not smtp_server.box.messages and listener.received == b""
    assert influxdb_auth.query("SELECT * FROM /.*/")["results"][0].get("series") is None
    assert "T0K3N" not in res.output and TOKEN not in res.output


@pytest.mark.slow
def test_connect_names_what_failed(
    tmp_path: Path,
    influxdb_auth: InfluxServer,
    smtp_server: SmtpServer,  # noqa: F811 (the fixture imported above)
) -> None:
    closed = free_port()
    with NetBoxDouble() as netbox:
        path = connected_world(
            tmp_path, influxdb_auth, netbox, smtp_server, closed, password="wrong-password"
        )
        (tmp_path / "nb.token").write_text("f" * 40)
        (tmp_path / "ix.password").write_text("wrong")
        res = check(["--config", str(path), "--connect"])
    assert res.exit_code == 1
    out = lines(res)
    assert any(
        ln.startswith(f"✗ {path}:7: netbox.url: NetBox at {netbox.url} refused the token (HTTP 40")
        for ln in out
    ), out
    assert any(
        ln.startswith(f"✗ {path}:10: influxdb.url: InfluxDB at {influxdb_auth.url}")
        and "refused the credentials for database 'netagent' (HTTP 401)" in ln
        for ln in out
    ), out
    assert (f"✗ {path}:15: notify.email.host: the server refused the login (SMTP 535)") in out
    assert (f"✗ {path}:22: notify.webhooks[0].url: cannot connect: Connection refused") in out
    assert "wrong-password" not in res.output and "T0K3N" not in res.output


def test_connect_to_closed_ports_and_an_untrusted_tls_webhook(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    hook = Listener(tls)
    closed = free_port()
    path = config_file(
        tmp_path,
        f"""
[netbox]
url = "http://127.0.0.1:{closed}"
token = "{TOKEN}"
[influxdb]
url = "http://127.0.0.1:{closed}"
[notify.email]
host = "127.0.0.1"
port = {closed}
to = ["noc@example.org"]
[[notify.webhooks]]
url = "https://127.0.0.1:{hook.port}/T0K3N"
""",
    )
    try:
        res = check(["--config", str(path), "--connect"])
    finally:
        hook.close()
    assert res.exit_code == 1
    out = [ln for ln in lines(res) if ln.startswith("✗")]
    assert out == [
        f"✗ {path}:7: netbox.url: cannot connect: Connection refused",
        f"✗ {path}:10: influxdb.url: cannot connect: Connection refused",
        f"✗ {path}:12: notify.email.host: cannot connect: Connection refused",
        f"✗ {path}:16: notify.webhooks[0].url: TLS certificate not accepted: self-signed"
        " certificate",
    ]
    assert TOKEN not in res.output and "T0K3N" not in res.output


def test_connect_influxdb_v2_token_checked_by_an_empty_write(tmp_path: Path) -> None:
    with influx_v2_serve() as v2:
        token = secret_file(tmp_path, "v2.token", v2.token)
        path = config_file(
            tmp_path,
            f"""
[influxdb]
url = "{v2.url}"
org = "{v2.org}"
bucket = "{v2.bucket}"
token_file = "{token}"
""",
        )
        good = check(["--config", str(path), "--connect"])
        token.write_text("wrong-token")
        bad = check(["--config", str(path), "--connect"])
        path.write_text(path.read_text().replace(f'"{v2.bucket}"', '"nope"'))
        token.write_text(v2.token)
        missing = check(["--config", str(path), "--connect"])
        assert v2.received == []
    assert good.exit_code == 0, good.output
    assert (
        f"✓ {path}:7: influxdb.url: InfluxDB at {v2.url}: may write to bucket 'netagent' of"
        " org 'comune-re' (checked with an empty write)"
    ) in lines(good)
    assert bad.exit_code == 1 and "refused the credentials" in bad.stdout
    assert missing.exit_code == 1 and "bucket 'nope' of org 'comune-re' not found" in missing.stdout
    assert v2.token not in good.output + bad.output


def test_a_netbox_inventory_is_pulled_and_checked_with_connect(tmp_path: Path) -> None:
    token = secret_file(tmp_path, "nb.token", TOKEN)
    with NetBoxDouble() as netbox:
        path = tmp_path / "netagent.toml"
        path.write_text(f"""
[agent]
source = "netbox"
data_dir = "{tmp_path / "data"}"
[netbox]
url = "{netbox.url}"
token_file = "{token}"
[snmp.device_credentials.no-such-device]
community = "c"
""")
        offline = check(["--config", str(path)])
        online = check(["--config", str(path), "--connect"])
        assert netbox.writes == 0
        closed = free_port()
        path.write_text(path.read_text().replace(netbox.url, f"http://127.0.0.1:{closed}"))
        down = check(["--config", str(path), "--connect"], {"NETAGENT_NETBOX__RETRIES": "0"})
    assert offline.exit_code == 0, offline.output
    assert f"✓ inventory: pulled from NetBox {netbox.url} at start" in offline.stdout
    assert online.exit_code == 1
    assert (
        f"✗ {path}:8: snmp.device_credentials.no-such-device: no device named"
        " 'no-such-device' in the inventory"
    ) in online.stdout
    assert down.exit_code == 1
    assert f"✗ {path}:6: netbox.url: cannot pull the inventory from NetBox" in down.stdout, (
        down.stdout
    )
    assert TOKEN not in online.output + down.output


def test_connect_smtps_logs_in_without_sending(tmp_path: Path, smtps_server: SmtpServer) -> None:  # noqa: F811
    password = secret_file(tmp_path, "smtp.password", PASSWORD)
    path = config_file(
        tmp_path,
        f"""
[notify.email]
host = "127.0.0.1"
port = {smtps_server.port}
implicit_tls = true
ca_file = "{smtps_server.ca_file}"
username = "{USER}"
password_file = "{password}"
to = ["noc@example.org"]
""",
    )
    res = check(["--config", str(path), "--connect"])
    assert res.exit_code == 0, res.output
    assert (
        f"✓ {path}:7: notify.email.host: SMTP 127.0.0.1:{smtps_server.port}: SMTPS, login as"
        f" {USER} OK (no mail sent)"
    ) in lines(res)
    assert smtps_server.box.logins == [USER] and not smtps_server.box.messages
