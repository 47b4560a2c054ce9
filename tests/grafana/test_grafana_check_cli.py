"""`netagent dashboards check` as an operator runs it after installing the dashboards:
with the agent's own config file (its `[influxdb]` section, credentials from a file), on
an InfluxDB holding what their network gives (no radio, no SNMP). InfluxDB not there is
one line and exit 3, never the password; a --since it cannot read is a usage error (2);
kinds of data the network has none of are listed as without data, not failed."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.cli_operator import needs_root, operator, running_daemon
from tests.fixtures.influx import InfluxServer, influxdb_auth  # noqa: F401 (fixture)
from tests.fixtures.ports import free_port


def _config(op_root: Path, url: str, password: str) -> str:
    secret = op_root / "influx.password"
    secret.write_text(password + "\n")
    secret.chmod(0o600)
    return (
        f'[influxdb]\napi = "v1"\nurl = "{url}"\nusername = "admin"\npassword_file = "{secret}"\n'
    )


def test_influxdb_not_answering_is_one_line_exit_3_and_no_password(tmp_path: Path) -> None:
    op = operator(tmp_path)
    op.config.write_text(
        op.config.read_text().split("[influxdb]")[0]
        + _config(tmp_path, f"http://reader:pw-in-url@127.0.0.1:{free_port()}", "pw-in-file")
        + "[jobs.snmp]\nenabled = false\n"
    )
    r = op.run("dashboards", "check")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "127.0.0.1" in r.stderr
    assert "pw-in-url" not in r.stderr + r.stdout and "pw-in-file" not in r.stderr + r.stdout


def test_a_range_it_cannot_read_is_a_usage_error(tmp_path: Path) -> None:
    r = operator(tmp_path).run("dashboards", "check", "--since", "yesterday")
    assert r.returncode == 2 and "--since" in r.stderr and "yesterday" in r.stderr
    assert "problem(s)" not in r.stdout


def test_a_network_without_radios_or_snmp_checks_clean_against_its_own_data(
    tmp_path: Path,
    influxdb_auth: InfluxServer,  # noqa: F811
) -> None:
    """The operator's two devices, pinged by their daemon into their authenticated
    InfluxDB: what they have is checked and passes; what they have none of (radio
    links, interfaces, an open incident) is listed as without data, and exit 0."""
    needs_root()
    op = operator(tmp_path)
    _user, password = influxdb_auth.auth or ("", "")
    base = op.config.read_text().split("[influxdb]")[0]
    op.config.write_text(
        base
        + _config(tmp_path, influxdb_auth.url, password)
        + "[jobs.snmp]\nenabled = false\n[jobs.icmp]\ninterval_s = 2\njitter_s = 0\n"
        + "[jobs.flush]\ninterval_s = 1\n"
    )
    with running_daemon(op, tmp_path / "daemon.log"):
        deadline = time.monotonic() + 60
        while not {"icmp", "device_status", "coverage"} <= _measurements(influxdb_auth):
            assert time.monotonic() < deadline, _measurements(influxdb_auth)
            time.sleep(0.5)
    r = op.run("dashboards", "check", "--since", "15m")
    said = r.stdout + r.stderr
    assert r.returncode == 0, said
    assert "0 problem(s)" in r.stdout, said
    assert "no data in the range: netagent-coviolo: variable link" in r.stdout, said
    assert "no data in the range: netagent-overview: panel 'Open incidents' query A" in r.stdout
    assert password not in said


def _measurements(server: InfluxServer) -> set[str]:
    user, password = server.auth or ("", "")
    r = httpx.get(
        f"{server.url}/query",
        params={"q": "SHOW MEASUREMENTS", "db": "netagent"},
        auth=(user, password),
    )
    series = r.json()["results"][0].get("series", [])
    return {v[0] for v in series[0]["values"]} if series else set()
