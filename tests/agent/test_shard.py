"""Sharding: N agents split the devices, every device exactly once, stably."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netagent.agent.shard import Shard, ShardBy, assign, plan, shard_of
from netagent.inventory.model import Device, Role


@given(
    names=st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=200),
    count=st.integers(min_value=1, max_value=12),
)
def test_n_shards_cover_every_device_exactly_once(names: list[str], count: int) -> None:
    owners = {n: [k for k in range(count) if Shard(k, count).owns(n)] for n in names}
    assert all(len(ks) == 1 for ks in owners.values())


def test_split_is_roughly_even_and_stable_across_runs() -> None:
    names = [f"ap-{i:04d}" for i in range(3000)]
    sizes = [sum(Shard(k, 3).owns(n) for n in names) for k in range(3)]
    assert sum(sizes) == 3000
    assert min(sizes) > 800  # md5 spreads names evenly
    # Prometheus hashmod: last 8 bytes of the MD5, big-endian, modulo N.
    digest = hashlib.md5(b"ap-0001").digest()
    assert shard_of("ap-0001", 7) == int.from_bytes(digest[8:], "big") % 7


def test_adding_a_device_moves_no_other_device() -> None:
    names = [f"sw-{i}" for i in range(100)]
    before = {n: shard_of(n, 4) for n in names}
    after = {n: shard_of(n, 4) for n in [*names, "sw-new"]}
    assert all(after[n] == before[n] for n in names)


@pytest.mark.parametrize(
    ("text", "expected"), [("", Shard(0, 1)), ("0/3", Shard(0, 3)), (" 2 / 3 ", Shard(2, 3))]
)
def test_parse(text: str, expected: Shard) -> None:
    assert Shard.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3/3", "between 0 and 2"),
        ("1/0", "at least 1"),
        ("a/b", "expected 'K/N'"),
        ("2", "expected 'K/N'"),
    ],
)
def test_parse_errors_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Shard.parse(text)


def _tree(switches: int, aps_per_switch: int) -> list[Device]:
    """A core, `switches` switches under it, APs under each switch."""
    devs = [Device(name="core", site="s", role=Role.ROUTER, mgmt_ip="127.0.0.1")]
    n = 2
    for s in range(switches):
        devs.append(
            Device(
                name=f"sw{s}",
                site="s",
                role=Role.SWITCH,
                parent="core",
                mgmt_ip=f"127.0.{n // 250}.{n % 250 + 1}",
            )
        )
        n += 1
        for a in range(aps_per_switch):
            devs.append(
                Device(
                    name=f"sw{s}-ap{a}",
                    site=f"site{s}",
                    role=Role.WIFI_AP,
                    parent=f"sw{s}",
                    mgmt_ip=f"127.0.{n // 250}.{n % 250 + 1}",
                )
            )
            n += 1
    return devs


@pytest.mark.parametrize("by", ["device", "subtree", "site"])
def test_every_method_puts_each_device_in_exactly_one_shard(by: ShardBy) -> None:
    devs = _tree(12, 9)
    owners = [[k for k in range(4) if d in Shard(k, 4).select_devices(devs, by)] for d in devs]
    assert all(len(o) == 1 for o in owners)
    assert sum(len(s.devices) for s in plan(devs, 4, by)) == len(devs)


def test_subtree_keeps_a_switch_with_its_aps_and_splits_evenly() -> None:
    devs = _tree(12, 9)
    owner = assign(devs, 4, "subtree")
    for s in range(12):
        assert {owner[f"sw{s}-ap{a}"] for a in range(9)} == {owner[f"sw{s}"]}
    sizes = [len(s.devices) for s in plan(devs, 4, "subtree")]
    assert max(sizes) - min(sizes) <= 10  # whole subtrees of 10, packed
    by_device = sum(len(s.foreign_uplinks) for s in plan(devs, 4, "device"))
    by_subtree = sum(len(s.foreign_uplinks) for s in plan(devs, 4, "subtree"))
    assert by_subtree <= 12 < by_device  # only the switches' uplink to the core crosses


def test_a_switch_bigger_than_a_share_is_split_below_it() -> None:
    devs = _tree(1, 40)  # one switch carries everything
    sizes = [len(s.devices) for s in plan(devs, 2, "subtree")]
    assert min(sizes) >= 15


def test_shard_plan_command_reads_the_operators_inventory(tmp_path: Path) -> None:
    inv = tmp_path / "inventory.yaml"
    inv.write_text(
        "sites:\n  - {name: Depot, lat: 44.70, lon: 10.63}\n"
        "devices:\n"
        "  - {name: core-1, site: Depot, role: router, mgmt_ip: 127.0.0.1}\n"
        + "".join(
            f"  - {{name: sw-{i}, site: Depot, role: switch, mgmt_ip: 127.0.1.{i + 1},"
            f" parent: core-1}}\n"
            for i in range(4)
        )
        + "".join(
            f"  - {{name: ap-{i}-{j}, site: Depot, role: wifi-ap, mgmt_ip: 127.0.2.{i * 8 + j + 1},"
            f" parent: sw-{i}}}\n"
            for i in range(4)
            for j in range(5)
        )
    )
    cfg = tmp_path / "netagent.toml"
    cfg.write_text(
        f'[agent]\ninventory = ["{inv}"]\ndata_dir = "{tmp_path / "data"}"\nshard_by = "subtree"\n'
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "netagent.agent",
            "shard",
            "plan",
            "--shards",
            "2",
            "--config",
            str(cfg),
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["by"] == "subtree"
    names = sorted(n for p in out["plan"] for n in p["device_names"])
    assert len(names) == 25 and "core-1" in names and "bundled" not in proc.stderr
    assert [p["devices"] for p in out["plan"]] in ([13, 12], [12, 13])
