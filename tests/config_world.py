"""An operator's own small world for the configuration tests: an inventory, a config file.

Not the bundled sample: the configuration must work with what an operator writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netagent.agent import config as config_module

INVENTORY = """\
sites:
  - {name: Piazza Prampolini, lat: 44.698333, lon: 10.631111, kind: square}
devices:
  - {name: sw-centro, site: Piazza Prampolini, role: switch, mgmt_ip: 127.10.0.1, tags: [core]}
  - {name: AP-Centro, site: Piazza Prampolini, role: wifi-ap, mgmt_ip: 127.20.0.1,
     parent: sw-centro, snmp_profile: unifi}
"""


def inventory(tmp_path: Path, text: str = INVENTORY) -> Path:
    """A directory holding the operator's inventory file."""
    d = tmp_path / "inventory"
    d.mkdir(exist_ok=True)
    (d / "network.yaml").write_text(text)
    return d / "network.yaml"


def config_file(tmp_path: Path, body: str = "", inv: Path | None = None) -> Path:
    """netagent.toml naming the inventory (and a data directory in tmp), plus `body`."""
    inv = inv or inventory(tmp_path)
    p = tmp_path / "netagent.toml"
    p.write_text(f'[agent]\ninventory = ["{inv}"]\ndata_dir = "{tmp_path / "data"}"\n\n{body}')
    return p


def secret_file(tmp_path: Path, name: str, value: str, mode: int = 0o600) -> Path:
    p = tmp_path / name
    p.write_text(value + "\n")
    p.chmod(mode)
    return p


@pytest.fixture(autouse=True)
def no_system_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The host's /etc/netagent/netagent.toml, if any, is not these tests' input."""
    monkeypatch.setattr(config_module, "CONFIG_SEARCH_PATH", ())
