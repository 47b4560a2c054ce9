"""`poll snmp -t 0` (or a negative one) gave up before its first request and reported a
failed device, exit 1, as if the device were down; `poll icmp -t 0` named the config key
`timeout_ms`. Both are usage errors (2) naming the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_operator import UP, operator


@pytest.mark.parametrize(
    ("command", "timeout"),
    [("snmp", "0"), ("snmp", "-1"), ("icmp", "0")],
)
def test_a_timeout_of_zero_is_a_usage_error(tmp_path: Path, command: str, timeout: str) -> None:
    r = operator(tmp_path).run("poll", command, UP, "-t", timeout)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "--timeout" in r.stderr and "expected more than 0" in r.stderr
    assert "failed" not in r.stdout
