"""Per-role intervals split the devices into jobs; the shard selects this agent's devices."""

from __future__ import annotations

from netagent.agent.config import load_config
from netagent.agent.jobs import group_by_interval, job_name
from netagent.agent.shard import Shard
from netagent.inventory.model import Device, Role


def device(name: str, role: Role) -> Device:
    return Device(name=name, site="s", role=role, mgmt_ip="127.0.0.1")  # type: ignore[arg-type]


def test_per_role_intervals_make_their_own_jobs() -> None:
    cfg = load_config(None, env={"NETAGENT_ROLES__WIFI_AP__ICMP_INTERVAL_S": "10"})
    devices = [device("ap1", Role.WIFI_AP), device("sw1", Role.SWITCH), device("ap2", Role.WIFI_AP)]
    groups = group_by_interval(cfg, "icmp", devices)
    assert {k: [d.name for d in v] for k, v in groups.items()} == {10: ["ap1", "ap2"], 30: ["sw1"]}
    assert [job_name("icmp", k, cfg.jobs.icmp.interval_s) for k in groups] == ["icmp@10s", "icmp"]
    assert set(group_by_interval(cfg, "snmp", devices)) == {60}


def test_shards_of_a_config_split_the_devices() -> None:
    devices = [device(f"ap-{i}", Role.WIFI_AP) for i in range(50)]
    picked = [
        d.name
        for k in range(3)
        for d in load_config(None, env={}).with_shard(f"{k}/3").shard().select(devices)
    ]
    assert sorted(picked) == sorted(d.name for d in devices)
    assert Shard(1, 3).select(devices) != Shard(2, 3).select(devices)
