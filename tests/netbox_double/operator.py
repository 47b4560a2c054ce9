"""An operator's own inventory and config file for the NetBox CLI tests (not the sample)."""

from __future__ import annotations

from pathlib import Path

INVENTORY = """\
sites:
  - {name: Magazzino Comunale, lat: 44.6981, lon: 10.6312, kind: municipal-building}
  - {name: Scuola Pertini, lat: 44.7012, lon: 10.6401, kind: school}
devices:
  - {name: sw-magazzino, site: Magazzino Comunale, role: switch, vendor: MikroTik,
     model: CRS326-24G-2S+, mgmt_ip: 127.30.0.1}
  - {name: sw-pertini, site: Scuola Pertini, role: switch, vendor: MikroTik,
     model: CRS326-24G-2S+, mgmt_ip: 127.30.0.2, parent: sw-magazzino}
  - {name: ap-pertini-1, site: Scuola Pertini, role: wifi-ap, vendor: Ubiquiti, model: U6-Pro,
     mgmt_ip: 127.30.0.3, parent: sw-pertini,
     wifi: {placement: indoor, coverage_radius_m: 35.5}}
  - {name: ap-pertini-2, site: Scuola Pertini, role: wifi-ap, vendor: Ubiquiti, model: U6-Pro,
     mgmt_ip: 127.30.0.4, parent: sw-pertini, wifi: {}}
segments:
  - {name: Fibra Magazzino - Pertini, a_site: Magazzino Comunale, b_site: Scuola Pertini,
     a_device: sw-magazzino, a_port: sfp-sfpplus1, b_device: sw-pertini, b_port: sfp-sfpplus1,
     capacity_mbps: 0.5, path: [[10.6312, 44.6981], [10.6350, 44.6990], [10.6401, 44.7012]]}
"""


def write_setup(
    tmp: Path, url: str, token: str | None, *, inventory: str = INVENTORY, extra: str = ""
) -> Path:
    """inventory.yaml, a token file (when token is not None) and netagent.toml in tmp."""
    inv = tmp / "inventory.yaml"
    inv.write_text(inventory, encoding="utf-8")
    token_file = tmp / "netbox.token"
    if token is not None:
        token_file.write_text(token + "\n", encoding="utf-8")
    cfg = tmp / "netagent.toml"
    cfg.write_text(
        f'[agent]\ninventory = ["{inv}"]\n\n'
        f'[netbox]\nurl = "{url}"\ntoken_file = "{token_file}"\nbackoff_s = 0.01\n{extra}',
        encoding="utf-8",
    )
    return cfg
