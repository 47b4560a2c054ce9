"""`source = "netbox"` with an operator's own quartieri covering part of the comune and
`[agent] quartieri_boundary = "none"`: the pull (daemon start, netbox job, `config check
--connect`, `inventory show`) judged them against the bundled Reggio Emilia boundary
whatever the configuration said, so the daemon refused its own inventory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr

from netagent.agent import inventory_source
from netagent.agent.config import load_config
from netagent.inventory.netbox import NetBoxConfig, apply, plan
from tests.cli_operator import QUARTIERE
from tests.config_world import no_system_config  # noqa: F401 (autouse fixture)
from tests.netbox_double import TOKEN, NetBoxDouble
from tests.netbox_double.inventories import make_inventory


def _config(tmp_path: Path, url: str, boundary: str) -> Path:
    own = tmp_path / "quartieri.geojson"
    own.write_text(json.dumps(QUARTIERE))
    path = tmp_path / "netagent.toml"
    path.write_text(
        f'[agent]\nsource = "netbox"\ndata_dir = "{tmp_path / "data"}"\n'
        f'quartieri = "{own}"\n{boundary}\n[netbox]\nurl = "{url}"\n'
    )
    return path


def test_the_pull_honours_quartieri_boundary(tmp_path: Path) -> None:
    with NetBoxDouble() as nb:
        cfg = NetBoxConfig(url=nb.url, token=SecretStr(TOKEN))
        assert apply(plan(make_inventory(6), cfg), cfg).ok
        env = {"NETAGENT_NETBOX__TOKEN": TOKEN}
        mine = load_config(_config(tmp_path, nb.url, 'quartieri_boundary = "none"'), env)
        pulled = inventory_source.from_netbox(mine)
        assert [q.name for q in pulled.quartieri] == ["Centro Operatore"] and pulled.devices
        bundled = load_config(_config(tmp_path, nb.url, ""), env)
        with pytest.raises(ValueError, match="gap"):
            inventory_source.from_netbox(bundled)
