"""What the configuration says about the inventory's devices, checked against it: an
`snmp_profile` no profile defines, credentials for a device, role or tag that does not
exist (that device silently polled with community "public")."""

from __future__ import annotations

from pathlib import Path

import pytest

from netagent.agent import inventory_source
from netagent.agent.config import load_config
from netagent.inventory.issues import Severity

INVENTORY = """\
sites: [{name: Municipio, lat: 44.6975, lon: 10.6310}]
devices:
  - {name: sw-municipio, site: Municipio, role: switch, mgmt_ip: 127.10.0.1}
  - name: AP-Centro
    site: Municipio
    role: wifi-ap
    mgmt_ip: 127.20.0.1
    tags: [lepida]
    snmp_profile: {profile}
"""


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.startswith("NETAGENT_")]:
        monkeypatch.delenv(name)


def _setup(tmp_path: Path, profile: str, toml: str) -> tuple[Path, Path]:
    inv = tmp_path / "inventory.yaml"
    inv.write_text(INVENTORY.replace("{profile}", profile), encoding="utf-8")
    cfg = tmp_path / "netagent.toml"
    cfg.write_text(f'[agent]\ninventory = ["{inv}"]\n{toml}', encoding="utf-8")
    return inv, cfg


def test_a_known_profile_and_exact_names_pass(tmp_path: Path) -> None:
    _, cfg = _setup(
        tmp_path,
        "mikrotik-ap",
        "[snmp.device_credentials.AP-Centro]\n"
        'community = "c1"\n[snmp.role_credentials.switch]\ncommunity = "c2"\n'
        '[snmp.tag_credentials.lepida]\ncommunity = "c3"\n',
    )
    config = load_config(cfg)
    r = inventory_source.load_configured(config)
    assert r.inventory is not None and r.issues == [], r.issues


def test_unknown_snmp_profile_is_located_at_the_device(tmp_path: Path) -> None:
    inv, cfg = _setup(tmp_path, "mikrotik-acces-point", "")
    r = inventory_source.load_configured(load_config(cfg))
    assert r.inventory is None
    [e] = r.errors
    assert (e.file, e.where, e.field) == (str(inv), "line 9", "AP-Centro.snmp_profile")
    assert "unknown SNMP profile 'mikrotik-acces-point'" in e.message
    assert "mikrotik-ap" in e.message and "snmp.profiles_dir" in e.message


def test_a_profile_from_the_configured_profiles_dir_is_known(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "my-ap.yaml").write_text(
        "name: my-ap\ndescription: our access points\ninclude: [if-mib]\n", encoding="utf-8"
    )
    _, cfg = _setup(tmp_path, "my-ap", f'[snmp]\nprofiles_dir = "{profiles}"\n')
    r = inventory_source.load_configured(load_config(cfg))
    assert r.inventory is not None, r.issues
    _, cfg = _setup(tmp_path, "my-ap", "")
    assert inventory_source.load_configured(load_config(cfg)).inventory is None


def test_credentials_for_no_device_role_or_tag(tmp_path: Path) -> None:
    _, cfg = _setup(
        tmp_path,
        "generic",
        '[snmp.device_credentials.ap-centro]\ncommunity = "c1"\n'
        '[snmp.role_credentials.wifi_ap]\ncommunity = "c2"\n'
        '[snmp.role_credentials.cpe]\ncommunity = "c3"\n'
        '[snmp.tag_credentials.lepida-fibra]\ncommunity = "c4"\n',
    )
    config = load_config(cfg)
    inv = inventory_source.load(config.agent.inventory).inventory
    assert inv is not None
    issues = inventory_source.check_config_references(inv, config)
    got = {(i.field, i.severity): i.message for i in issues}
    assert set(got) == {
        ("snmp.device_credentials.ap-centro", Severity.ERROR),
        ("snmp.role_credentials.wifi_ap", Severity.ERROR),
        ("snmp.role_credentials.cpe", Severity.WARNING),  # a real role, no device has it yet
        ("snmp.tag_credentials.lepida-fibra", Severity.ERROR),
    }
    assert all(i.file == str(cfg) for i in issues)
    device = got[("snmp.device_credentials.ap-centro", Severity.ERROR)]
    assert "names no device" in device and "'AP-Centro'" in device
    assert "default" in device
    assert "'wifi-ap'" in got[("snmp.role_credentials.wifi_ap", Severity.ERROR)]
    assert "c1" not in " ".join(map(str, issues))  # the secrets are never echoed
