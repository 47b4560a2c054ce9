"""Two shards, two real agents: a switch that really fails in shard 0 makes its access
points in shard 1 UNREACHABLE, not DOWN, and only shard 0 notifies; coverage, a job every
shard would do alike, is written by the designated shard alone.

`netagent run` twice (`shard = "0/2"` and `"1/2"`, each its own TOML file and data
directory), one real influxd, a webhook receiver on loopback. The devices are network
namespaces: the switch bridges its APs behind it, so taking its uplink down cuts them off
for real. Each agent pings from inside the lab's probe namespace; the host's own
namespace blackholes the lab's addresses, so an agent that fell back to it would find
every device down. Needs root.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netagent.agent.alerts import Observation
from netagent.agent.shard import shard_of
from netagent.collectors.samples import Sample
from tests.agent.alerts.test_alerts_shards import ShardedLab, _ask, _write
from tests.agent.daemon.test_daemon_lab import alerts
from tests.agent.daemon.test_daemon_run import wait_for
from tests.alerts_lab import BRANCH_APS
from tests.fixtures.fleet import Fleet, Node, at_mid_slot, open_fleet, write_inventory
from tests.fixtures.influx import InfluxServer
from tests.fixtures.netlab import NetLab

SWITCH = "sw-nord"
APS = ["ap-a", "ap-b", "ap-e"]  # names that hash into shard 1 of 2; the switch into 0


@pytest.fixture
def fleet(tmp_path: Path, netlab: NetLab, influxdb: InfluxServer) -> Iterator[Fleet]:
    with open_fleet(tmp_path, netlab, influxdb) as f:
        yield f


def states(fleet: Fleet, since_ns: int) -> dict[str, list[tuple[str, str]]]:
    """device -> its (state, root cause) in every device_status point since then."""
    body = fleet.influx.query(
        f'SELECT "state", "root_cause" FROM "device_status" WHERE time >= {since_ns} '
        'GROUP BY "device"'
    )
    out: dict[str, list[tuple[str, str]]] = {}
    for s in body["results"][0].get("series", []):
        out[s["tags"]["device"]] = [(v[1], v[2]) for v in s["values"]]
    return out


@pytest.mark.slow
@pytest.mark.root
def test_switch_down_in_shard_0_leaves_its_aps_in_shard_1_unreachable(fleet: Fleet) -> None:
    assert shard_of(SWITCH, 2) == 0 and {shard_of(ap, 2) for ap in APS} == {1}
    switch = fleet.lab.add_host(switch=True)
    nodes = [Node(SWITCH, "switch", switch)]
    nodes += [Node(ap, "wifi-ap", fleet.lab.add_host(behind=switch), SWITCH) for ap in APS]
    write_inventory(fleet.inventory, nodes)
    s0 = fleet.agent("0", shard="0/2", snmp="false", coverage="true").run()
    s1 = fleet.agent("1", shard="1/2", snmp="false", coverage="true").run()
    wait_for("both shards polling", lambda: min(s0.runs("icmp"), s1.runs("icmp")) >= 3, 60)
    assert fleet.receiver.received == []  # every device answers through its namespace

    at_mid_slot(1.0)
    failed_ns = time.time_ns()
    switch.link(False)  # the switch's uplink: the switch and every AP behind it go dark

    def notified(status: str, path: str = "/hook/0") -> list[tuple[str, str]]:
        return [
            (r.body["device"], r.body["kind"])
            for r in fleet.receiver.received
            if r.body["status"] == status and r.path == path
        ]

    wait_for("shard 0 to alert", lambda: notified("firing") != [], 30)
    seen = s1.runs("icmp")
    wait_for("four more rounds of shard 1", lambda: s1.runs("icmp") >= seen + 4, 30)
    assert notified("firing") == [(SWITCH, "down")]
    shown = states(fleet, failed_ns)
    assert shown[SWITCH][-1] == ("down", SWITCH)
    for ap in APS:  # once shard 0's verdict is in the store, the APs are the switch's
        assert shown[ap][-1] == ("unreachable", SWITCH), shown[ap]
    shard1_down = {ap for ap in APS if ("down", ap) in shown[ap]}
    shard1_fired = notified("firing", "/hook/1")
    shard1_open = sorted(str(i["device"]) for i in alerts(s1.data)["open"])

    at_mid_slot(1.0)
    switch.link(True)
    wait_for("shard 0 to resolve", lambda: notified("resolved") != [], 30)
    assert notified("resolved") == [(SWITCH, "down")]

    # coverage: a job every shard would do alike, run by the designated shard (0) only
    assert s0.runs("coverage") >= 1 and s1.metric("job_runs_total", "coverage") is None
    fleet.stop()
    assert s0.latest("coverage") and s1.latest("coverage") == []
    written = fleet.influx.query('SELECT count("area_km2") FROM "coverage"')["results"][0]
    assert written.get("series"), written

    # both shards count the same failed rounds: shard 1 holds its APs while the switch's
    # last probe failed, before shard 0's "down" is in the store
    assert (shard1_down, shard1_fired, shard1_open) == (set(), [], [])
    assert fleet.sent_by("1") == []


def daemon_round(lab: ShardedLab, influx: InfluxServer, down: set[str]) -> None:
    """One round as two daemons run it when shard B's round reads the store before shard
    A's round of the same slot is written (it writes its ICMP points, then its states)."""
    lab.clock.t += 30
    for shard in (lab.b, lab.a):
        own: frozenset[str] = shard.engine.own or frozenset()
        obs = [Observation(n, n not in down, None if n in down else True) for n in own]
        icmp = [
            Sample("icmp", {"device": n}, {"up": n not in down}, int(lab.clock.t * 1e9))
            for n in own
        ]
        _write(influx, icmp)
        foreign = shard.engine.foreign_uplinks(obs)
        remote = _ask(lab.shared, foreign) if foreign and lab.shared else {}
        samples, _ = asyncio.run(shard.engine.observe_and_notify(obs, lab.clock.t, remote))
        shard.samples += samples
        _write(influx, samples)


def test_aps_are_held_while_their_foreign_uplink_fails_in_the_same_round(
    tmp_path: Path, influxdb: InfluxServer
) -> None:
    """The two-process race, made deterministic: shard B always reads before A writes."""
    influxdb.create_database()
    lab = ShardedLab(tmp_path, influxdb)
    for _ in range(2):
        daemon_round(lab, influxdb, set())
    for _ in range(4):
        daemon_round(lab, influxdb, {"rpt-coviolo-nord", *BRANCH_APS})
    assert [e.device for e in lab.a.sent("firing")] == ["rpt-coviolo-nord"]
    assert lab.b.sent() == []
