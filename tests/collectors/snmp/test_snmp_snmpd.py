"""Against the real net-snmp snmpd: v2c, v3 authNoPriv and authPriv (SHA/AES), bad keys."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from netagent.collectors.snmp import (
    PollOutcome,
    SnmpConfig,
    SnmpCredentials,
    SnmpPoller,
    SnmpTarget,
    ber,
)
from tests.fixtures.snmpd import Snmpd


def _target(snmpd: Snmpd, cred: SnmpCredentials) -> SnmpTarget:
    return SnmpTarget(
        "snmpd", "127.0.0.1", snmpd.port, profile="generic", credentials=cred, tags={"role": "x"}
    )


def _poll(snmpd: Snmpd, cred: SnmpCredentials) -> PollOutcome:
    poller = SnmpPoller(SnmpConfig(device_deadline_s=4, request_timeout_s=1))
    try:
        (o,) = asyncio.run(poller.poll([_target(snmpd, cred)]))
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


def test_v3_security_level_mismatch_is_an_auth_error(snmpd: Snmpd) -> None:
    """A user whose access needs privacy, asked at authNoPriv: credentials, not the agent."""
    cred = SnmpCredentials(
        version="3", user=snmpd.user, auth_key=SecretStr(snmpd.auth_key), priv_protocol="none"
    )
    o = _poll(snmpd, cred)
    assert not o.ok and o.error is not None
    assert o.error.startswith("auth: authorizationError"), o.error


_BLAST = """
import socket, sys, time
rate, until = float(sys.argv[1]), time.monotonic() + float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(("127.0.0.1", 0))
chunk, start, sent = b"x" * 60000, time.monotonic(), 0
while time.monotonic() < until:
    if sent < rate * (time.monotonic() - start):
        s.sendto(chunk, sink.getsockname())
        sent += len(chunk)
        try:
            sink.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            pass
    else:
        time.sleep(0.002)
"""


def _lo_rx_bytes() -> int:
    return int(Path("/sys/class/net/lo/statistics/rx_bytes").read_text())


_LO_IN = ber.oid_encode("1.3.6.1.2.1.31.1.1.1.6.1")  # ifHCInOctets of lo (ifIndex 1)


def _after_refresh(port: int, community: str) -> tuple[int, float]:
    """Waits for snmpd to refresh its cached interface counters (it re-reads them every
    few seconds) and returns the kernel's lo counter and the time at that moment: so
    the poll that follows reads counters taken then, not seconds before."""
    msg = ber.encode_request(ber.GET, community.encode(), 7, [_LO_IN])
    first: object = None
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(2000):
            s.sendto(msg, ("127.0.0.1", port))
            value = ber.decode_response(s.recv(65535)).varbinds[0][2]
            if first is None:
                first = value
            elif value != first:
                return _lo_rx_bytes(), time.monotonic()
            time.sleep(0.005)
    raise AssertionError("snmpd never refreshed its interface counters")


def test_loopback_above_its_nominal_speed_is_kept_and_flagged(snmpd: Snmpd) -> None:
    """Linux `lo` says 10 Mb/s; 40 Mb/s of real traffic (to 127.0.0.1 only) is stored as
    it is, flagged over_speed, within 2% of the kernel's Δoctets x 8 / Δt."""
    if not Path("/sys/class/net/lo/statistics/rx_bytes").exists():
        pytest.skip("no /sys/class/net/lo statistics here")
    blast = subprocess.Popen([sys.executable, "-c", _BLAST, str(40e6 / 8), "60"])
    poller = SnmpPoller(SnmpConfig(device_deadline_s=4, request_timeout_s=1))
    t = _target(snmpd, SnmpCredentials(community=SecretStr(snmpd.community)))

    async def poll() -> tuple[dict[str, Any], int, float]:
        octets, when = _after_refresh(snmpd.port, snmpd.community)
        (o,) = await poller.poll([t])
        assert o.ok, o.error
        (lo,) = [s for s in o.samples if s.measurement == "interface" and s.tags["ifname"] == "lo"]
        return dict(lo.fields), octets, when

    async def run() -> tuple[dict[str, Any], float]:
        _, o1, t1 = await poll()
        await asyncio.sleep(5.0)
        fields, o2, t2 = await poll()
        return fields, (o2 - o1) * 8 / (t2 - t1)

    try:
        fields, truth = asyncio.run(run())
    finally:
        blast.kill()
        blast.wait()
        poller.close()
    assert fields["speed_bps"] == 10e6 and truth > 10e6
    assert fields["over_speed"] is True
    assert abs(float(fields["in_bps"]) - truth) <= 0.02 * truth, (fields["in_bps"], truth)
