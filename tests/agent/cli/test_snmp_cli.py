"""`netagent poll snmp` end to end against snmpd: credentials from env, never printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.fixtures.snmpd import Snmpd


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netagent.agent", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def test_poll_snmp_v3_json(snmpd: Snmpd) -> None:
    env = {
        "NETAGENT_SNMP__CREDENTIALS__VERSION": "3",
        "NETAGENT_SNMP__CREDENTIALS__USER": snmpd.user,
        "NETAGENT_SNMP__CREDENTIALS__AUTH_KEY": snmpd.auth_key,
        "NETAGENT_SNMP__CREDENTIALS__PRIV_KEY": snmpd.priv_key,
    }
    r = _run(["poll", "snmp", f"127.0.0.1:{snmpd.port}", "--profile", "generic", "--json"], env)
    assert r.returncode == 0, r.stderr
    (dev,) = json.loads(r.stdout)
    assert dev["ok"] and dev["info"]["sysName"] == "netagent-test-snmpd"
    assert {s["measurement"] for s in dev["samples"]} == {"snmp_system", "interface"}
    assert snmpd.auth_key not in r.stdout + r.stderr


def test_poll_snmp_failure_names_device_and_exits_1(snmpd: Snmpd) -> None:
    env = {"NETAGENT_SNMP__CREDENTIALS__COMMUNITY": "wrong-community-x"}
    r = _run(["poll", "snmp", f"127.0.0.1:{snmpd.port}", "--deadline", "1"], env)
    assert r.returncode == 1
    assert f"127.0.0.1:{snmpd.port}" in r.stdout and "timeout" in r.stdout
    assert "wrong-community-x" not in r.stdout + r.stderr


def test_unknown_profile_is_a_usage_error() -> None:
    r = _run(["poll", "snmp", "127.0.0.1:9", "--profile", "nope"], {})
    assert r.returncode == 2 and "unknown SNMP profile 'nope'" in r.stderr
