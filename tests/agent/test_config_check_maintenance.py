"""A maintenance window naming a device, site or quartiere the inventory does not have
(`op-ap-l` for `op-ap-1`) never applied, silently: the alerts of the works it was meant
to hush went out. `config check` and `inventory validate` warn, naming the closest name."""

from __future__ import annotations

from pathlib import Path

from tests.cli_operator import operator

WINDOW = """
[[alerts.maintenance]]
name = "lavori via Emilia"
devices = ["op-ap-l"]
quartieri = ["Centro Operatore"]
cron = "0 2 * * 0"
duration_s = 7200
"""


def test_a_window_naming_no_device_is_a_located_warning(tmp_path: Path) -> None:
    op = operator(tmp_path)
    with op.config.open("a") as f:
        f.write(WINDOW)
    r = op.run("config", "check")
    assert r.returncode == 0, r.stdout + r.stderr  # a warning: the agent still runs
    (line,) = [ln for ln in r.stdout.splitlines() if ln.startswith("!")]
    assert "alerts.maintenance[0].devices: no device named 'op-ap-l'" in line
    assert "did you mean 'op-ap-1'?" in line and str(op.config) in line
    validate = op.run("inventory", "validate")
    assert validate.returncode == 0 and "op-ap-l" in validate.stderr
