"""`netagent netbox plan|sync` on the bundled sample, against the NetBox double."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from agent.cli.main import _register, app
from tests.netbox_double import TOKEN, NetBoxDouble


@pytest.fixture
def netbox() -> Iterator[NetBoxDouble]:
    with NetBoxDouble() as nb:
        yield nb
        assert nb.violations == []


def test_plan_sync_resync_on_the_sample(netbox: NetBoxDouble) -> None:
    _register()
    runner = CliRunner()
    env = {"NETAGENT_NETBOX__URL": netbox.url, "NETAGENT_NETBOX__TOKEN": TOKEN}
    planned = runner.invoke(app, ["netbox", "plan"], env=env)
    assert planned.exit_code == 0, planned.output
    assert "+ create   devices" in planned.output and netbox.writes == 0
    synced = runner.invoke(app, ["netbox", "sync"], env=env)
    assert synced.exit_code == 0, synced.output
    assert "sync: all done" in synced.output
    assert TOKEN not in planned.output + synced.output
    netbox.reset_counts()
    again = runner.invoke(app, ["netbox", "plan", "--json"], env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["changes"] == []
    assert netbox.writes == 0
    targets = runner.invoke(app, ["netbox", "targets", "--json"], env=env)
    assert targets.exit_code == 0, targets.output
    rows = json.loads(targets.stdout)
    assert rows and all(r["status"] not in ("planned", "staged") for r in rows)
    assert all(r["mgmt_ip"].startswith("127.") for r in rows)


def test_refused_token_exits_3_with_a_clear_message(netbox: NetBoxDouble) -> None:
    _register()
    env = {"NETAGENT_NETBOX__URL": netbox.url, "NETAGENT_NETBOX__TOKEN": "a" * 40}
    result = CliRunner().invoke(app, ["netbox", "sync"], env=env)
    assert result.exit_code == 3
    assert "refused the token" in result.output and "a" * 40 not in result.output
