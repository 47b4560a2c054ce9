"""A misspelt key in an operator's inventory file (`parnet:`, `placemnt:`): pydantic said
"Extra inputs are not permitted", which does not tell a technician what to write. The
error names the key as unknown, suggests the right one and lists what the record takes."""

from __future__ import annotations

from pathlib import Path

from netagent.inventory.load import load_inventory

INVENTORY = """\
sites:
  - {name: Municipio, lat: 44.6976, lon: 10.6306}
devices:
  - {name: sw-municipio, site: Municipio, role: switch, mgmt_ip: 127.77.0.1}
  - {name: ap-1, site: Municipio, role: wifi-ap, mgmt_ip: 127.77.0.2, parnet: sw-municipio,
     wifi: {ssids: [EmiliaRomagnaWiFi], placemnt: indoor}}
"""


def test_misspelt_keys_are_named_with_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "network.yaml"
    path.write_text(INVENTORY)
    result = load_inventory([path])
    assert result.inventory is None
    by_field = {i.field: i.message for i in result.errors}
    parent = by_field["devices[1].parnet"]
    assert parent.startswith("unknown key; did you mean 'parent'?") and "mgmt_ip" in parent
    placement = by_field["devices[1].wifi.placemnt"]
    assert "did you mean 'placement'?" in placement and "coverage_radius_m" in placement
    assert not any("Extra inputs" in i.message for i in result.errors)
