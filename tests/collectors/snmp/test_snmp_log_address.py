"""The journal line of a failed SNMP poll names the device's address as people write it
(and as the commands take it): `[::1]:161`, not `::1:161`, which reads as a port 1:161."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import operator
from tests.fixtures.ports import free_port


def test_a_failed_ipv6_poll_is_logged_with_brackets(tmp_path: Path) -> None:
    port = free_port()
    r = operator(tmp_path).run("poll", "snmp", f"[::1]:{port}", "-t", "0.5")
    assert r.returncode == 1, r.stdout + r.stderr
    (line,) = [ln for ln in r.stderr.splitlines() if " WARNING " in ln]
    assert f"([::1]:{port}) failed after" in line
