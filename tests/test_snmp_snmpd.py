"""Against the real net-snmp snmpd: v2c, v3 authNoPriv and authPriv (SHA/AES), bad keys."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr, ValidationError

from collectors.snmp import PollOutcome, SnmpConfig, SnmpCredentials, SnmpPoller, SnmpTarget
from tests.fixtures.snmpd import Snmpd


def _poll(snmpd: Snmpd, cred: SnmpCredentials) -> PollOutcome:
    poller = SnmpPoller(SnmpConfig(device_deadline_s=4, request_timeout_s=1))
    t = SnmpTarget(
        "snmpd",
        "127.0.0.1",
        snmpd.port,
        profile="generic",
        credentials=cred,
        tags={"role": "router"},
    )
    try:
        (o,) = asyncio.run(poller.poll([t]))
    finally:
        poller.close()
    return o


def _check_read(o: PollOutcome) -> None:
    assert o.ok, o.error
    assert o.info["sysName"] == "netagent-test-snmpd"
    names = {s.tags["ifname"] for s in o.samples if s.measurement == "interface"}
    assert "lo" in names


def test_v2c(snmpd: Snmpd) -> None:
    _check_read(_poll(snmpd, SnmpCredentials(community=SecretStr(snmpd.community))))


def test_v3_auth_priv_sha_aes(snmpd: Snmpd) -> None:
    cred = SnmpCredentials(
        version="3",
        user=snmpd.user,
        auth_protocol="SHA",
        auth_key=SecretStr(snmpd.auth_key),
        priv_protocol="AES",
        priv_key=SecretStr(snmpd.priv_key),
    )
    assert cred.level == "v3 authPriv"
    _check_read(_poll(snmpd, cred))


def test_v3_auth_no_priv(snmpd: Snmpd) -> None:
    cred = SnmpCredentials(
        version="3",
        user=snmpd.user + "np",
        auth_key=SecretStr(snmpd.auth_key),
        priv_protocol="none",
    )
    assert cred.level == "v3 authNoPriv"
    _check_read(_poll(snmpd, cred))


def test_v3_wrong_auth_key_is_an_auth_error_without_the_key(snmpd: Snmpd) -> None:
    cred = SnmpCredentials(
        version="3",
        user=snmpd.user,
        auth_key=SecretStr("not-the-key-42"),
        priv_key=SecretStr(snmpd.priv_key),
    )
    o = _poll(snmpd, cred)
    assert not o.ok and o.error is not None
    assert o.error.startswith("auth"), o.error
    assert "not-the-key-42" not in o.error and "not-the-key-42" not in repr(cred)


def test_v3_credentials_are_checked() -> None:
    with pytest.raises(ValidationError, match="at least 8"):
        SnmpCredentials(version="3", user="u", auth_key=SecretStr("short"))
