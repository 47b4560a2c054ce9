"""`netagent run` (the daemon) on an operator's own files that it cannot use: it exits with
the README's code for invalid input (1), as `run --once` and `config check` do, and
systemd does not restart it over and over for what no restart can fix."""

from __future__ import annotations

import configparser
from pathlib import Path

from tests.cli_operator import Operator, operator

UNIT = Path(__file__).resolve().parents[3] / "agent" / "deploy" / "netagent.service"


def _no_restart_codes() -> set[int]:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNIT)
    return {int(c) for c in unit["Service"]["RestartPreventExitStatus"].split()}


def _bad_inventory(op: Operator) -> None:
    inv = op.root / "inventory.yaml"
    inv.write_text(
        inv.read_text()
        + "  - {name: op-ap-2, site: Piazza Prampolini, role: wifi-ap, mgmt_ip: 999.1.1.1}\n"
    )


def test_the_daemon_exits_1_on_an_invalid_inventory(tmp_path: Path) -> None:
    op = operator(tmp_path)
    _bad_inventory(op)
    daemon, once = op.run("run"), op.run("run", "--once")
    assert (daemon.returncode, once.returncode) == (1, 1), daemon.stderr
    lines = daemon.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in daemon.stderr, daemon.stderr
    assert "inventory.yaml" in lines[0] and "mgmt_ip" in lines[0] and "999.1.1.1" in lines[0]


def test_systemd_does_not_restart_a_daemon_given_invalid_input(tmp_path: Path) -> None:
    op = operator(tmp_path)
    op.write_config("[jobs.icmp]\nintervall_s = 10")  # a typo in a key
    typo = op.run("run")
    op.write_config()
    _bad_inventory(op)
    inventory = op.run("run")
    assert {typo.returncode, inventory.returncode} == {1}, typo.stderr + inventory.stderr
    assert {1, 2} <= _no_restart_codes()
