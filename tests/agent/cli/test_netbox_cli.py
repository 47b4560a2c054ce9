"""`netagent netbox plan|sync|targets` as an operator runs them: own config file, own
inventory, own NetBox (the schema-checking double)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from netagent.agent.cli.main import _register, app
from netagent.agent.config import SAMPLE_NOTICE
from tests.netbox_double import TOKEN, NetBoxDouble
from tests.netbox_double.operator import INVENTORY, write_setup

# No NETAGENT_* from the developer's shell may leak into what is tested.
CLEAN = {"NETAGENT_CONFIG": "", "NETAGENT_NETBOX__URL": "", "NETAGENT_NETBOX__TOKEN": ""}


@pytest.fixture
def netbox() -> Iterator[NetBoxDouble]:
    with NetBoxDouble() as nb:
        yield nb
        assert nb.violations == []


def _run(args: list[str], env: dict[str, str] | None = None) -> Result:
    _register()
    full = {k: v for k, v in {**CLEAN, **(env or {})}.items() if v != ""}
    unset = {k: None for k in CLEAN if k not in full}
    return CliRunner().invoke(app, args, env={**unset, **full})


def _one_line(r: Result) -> str:
    assert ("Traceback" not in r.output and r.exception is None) or isinstance(
        r.exception, SystemExit
    ), r.output
    # The one line every command prints on the bundled sample is not the error's.
    lines = [x for x in r.output.splitlines() if x.strip() and x != SAMPLE_NOTICE]
    assert len(lines) == 1, r.output
    return lines[0]


def test_config_file_drives_plan_sync_targets_and_prune_delay(
    netbox: NetBoxDouble, tmp_path: Path
) -> None:
    cfg = write_setup(tmp_path, netbox.url, TOKEN, extra="prune_delay_s = 0\n")
    planned = _run(["netbox", "plan", "-c", str(cfg)])
    assert planned.exit_code == 0, planned.output
    assert "+ create   devices         ap-pertini-1" in planned.output and netbox.writes == 0
    assert "sample" not in planned.output
    synced = _run(["netbox", "sync", "--config", str(cfg)])
    assert synced.exit_code == 0, synced.output
    assert "sync: all done" in synced.output and TOKEN not in synced.output
    devices = {o["name"] for o in netbox.store.tables["devices"].values()}
    assert devices == {"sw-magazzino", "sw-pertini", "ap-pertini-1", "ap-pertini-2"}
    # $NETAGENT_CONFIG is the same file: nothing left to do.
    again = _run(["netbox", "plan", "--json"], {"NETAGENT_CONFIG": str(cfg)})
    assert again.exit_code == 0 and json.loads(again.stdout)["changes"] == []
    targets = _run(["netbox", "targets", "--json", "-c", str(cfg)])
    assert targets.exit_code == 0, targets.output
    assert {r["name"] for r in json.loads(targets.stdout)} == devices
    # prune_delay_s = 0 from the file: an orphan is due for deletion on the next plan.
    (tmp_path / "inventory.yaml").write_text(
        INVENTORY.replace("  - {name: ap-pertini-2", "  - {name: gone").split("  - {name: gone")[0]
        + INVENTORY.split("wifi: {}}\n", 1)[1]
    )
    assert _run(["netbox", "sync", "-c", str(cfg)]).exit_code == 0
    due = _run(["netbox", "plan", "-c", str(cfg)])
    assert "- delete   devices         ap-pertini-2" in due.output, due.output


def test_sync_refuses_the_bundled_sample_unless_asked(netbox: NetBoxDouble) -> None:
    env = {"NETAGENT_NETBOX__URL": netbox.url, "NETAGENT_NETBOX__TOKEN": TOKEN}
    refused = _run(["netbox", "sync"], env)
    assert refused.exit_code == 2
    assert "--sample" in _one_line(refused) and netbox.writes == 0
    planned = _run(["netbox", "plan"], env)
    assert "port sw-mancasale/sfp2 is not a port of MikroTik CRS326-24G-2S+" in planned.output
    synced = _run(["netbox", "sync", "--sample"], env)
    assert synced.exit_code == 0, synced.output
    assert "bundled sample" in synced.output and "sync: all done" in synced.output


@pytest.mark.parametrize("token", [None, ""], ids=["missing", "empty"])
def test_token_file_missing_or_empty_is_one_line(
    netbox: NetBoxDouble, tmp_path: Path, token: str | None
) -> None:
    cfg = write_setup(tmp_path, netbox.url, token)
    for cmd in ("plan", "sync", "targets"):
        r = _run(["netbox", cmd, "-c", str(cfg)])
        assert r.exit_code == 1, r.output
        assert "token_file" in _one_line(r)
    assert netbox.requests == []


def test_a_role_or_tag_netbox_refuses_is_one_line(netbox: NetBoxDouble, tmp_path: Path) -> None:
    cfg = write_setup(tmp_path, netbox.url, TOKEN)
    assert _run(["netbox", "sync", "-c", str(cfg)]).exit_code == 0
    for extra in ('roles = ["routre"]\n', 'tags = ["no-such-tag"]\n'):
        cfg = write_setup(tmp_path, netbox.url, TOKEN, extra=extra)
        r = _run(["netbox", "targets", "-c", str(cfg)])
        assert r.exit_code == 1, r.output
        line = _one_line(r)
        assert ("netbox.roles" in line and "routre" in line) or "netbox.tags" in line, line
    netbox.violations.clear()  # refused on purpose


def test_refused_token_exits_3_with_a_clear_message(netbox: NetBoxDouble, tmp_path: Path) -> None:
    cfg = write_setup(tmp_path, netbox.url, "a" * 40)
    result = _run(["netbox", "sync", "-c", str(cfg)])
    assert result.exit_code == 3
    assert "refused the token" in _one_line(result) and "a" * 40 not in result.output


def test_list_keys_from_the_environment_in_the_documented_json_form(
    netbox: NetBoxDouble, tmp_path: Path
) -> None:
    cfg = write_setup(tmp_path, netbox.url, TOKEN)
    assert _run(["netbox", "sync", "-c", str(cfg)]).exit_code == 0
    env = {"NETAGENT_CONFIG": str(cfg), "NETAGENT_NETBOX__ROLES": '["wifi-ap"]'}
    r = _run(["netbox", "targets", "--json"], env)
    assert r.exit_code == 0, r.output
    assert {x["name"] for x in json.loads(r.stdout)} == {"ap-pertini-1", "ap-pertini-2"}


def test_an_unreachable_netbox_is_one_line_on_stderr(tmp_path: Path) -> None:
    """urllib3's own "Retrying…" warnings do not come before our one line (exit 3)."""
    import subprocess
    import sys

    from tests.fixtures.ports import free_port

    cfg = write_setup(tmp_path, f"http://127.0.0.1:{free_port()}", TOKEN)
    r = subprocess.run(
        [sys.executable, "-m", "netagent.agent", "netbox", "plan", "-c", str(cfg)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 3
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "unreachable" in lines[0], r.stderr
