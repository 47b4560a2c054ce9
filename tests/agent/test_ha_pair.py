"""An HA pair: two real agents on the same devices, one SIGKILLed mid-run, and InfluxDB and
the on-call receiver see one agent.

Both run `netagent run` with the same configuration but each its own data directory
(and health port, and webhook path: how the test tells who sent what), write one
influxd and notify one webhook receiver that keeps one notification per Idempotency-Key,
as Alertmanager keeps one per label set. The devices are network namespaces (a switch
bridging two APs), each with a simulated SNMP agent on its lab address; the agents poll
from the lab's probe namespace. Every ICMP, device_status and SNMP point lies on its
job's grid, so for each series InfluxDB holds exactly one point per round: none missing
after the kill, none doubled while both ran. Needs root.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netagent.agent.grid import slot_of
from tests.agent.daemon.test_daemon_run import wait_for
from tests.fixtures.fleet import (
    Fleet,
    Node,
    at_mid_slot,
    idempotency_key,
    kept,
    open_fleet,
    serve_snmp,
    write_inventory,
)
from tests.fixtures.influx import InfluxServer
from tests.fixtures.netlab import NetLab

pytestmark = [pytest.mark.slow, pytest.mark.root]

ICMP_S, SNMP_S = 1, 2
PER_ROUND = {"icmp": ICMP_S, "device_status": ICMP_S}  # the rest: one point per SNMP poll
NOT_PER_ROUND = {"agent", "alert", "coverage"}  # each agent's own, or per event


@pytest.fixture
def fleet(tmp_path: Path, netlab: NetLab, influxdb: InfluxServer) -> Iterator[Fleet]:
    with open_fleet(tmp_path, netlab, influxdb) as f:
        yield f


def grid(since: float, until: float, step: int) -> list[int]:
    """The stamps of every round of a `step` job from `since` to `until` (inclusive)."""
    first = math.ceil(since / step)
    return [int(float(k * step) * 1e9) for k in range(first, int(until // step) + 1)]


def test_one_agent_killed_mid_run_leaves_no_gap_no_duplicate_one_notification(
    fleet: Fleet,
) -> None:
    switch = fleet.lab.add_host(switch=True)
    nodes = [Node("sw-nord", "switch", switch)]
    nodes += [
        Node(n, "wifi-ap", fleet.lab.add_host(behind=switch), "sw-nord") for n in ("ap-a", "ap-b")
    ]
    write_inventory(fleet.inventory, nodes)
    serve_snmp(fleet.lab, fleet.root, nodes)
    ap_b = nodes[2].host
    a, b = fleet.agent("a").run(), fleet.agent("b").run()
    wait_for(
        "both agents polling",
        lambda: all(d.runs("icmp") >= 3 and d.runs("snmp") >= 2 for d in (a, b)),
        60,
    )
    assert b.metric("job_device_failures", "snmp") == 0  # SNMP answers inside the lab
    wait_for(  # both write the shared InfluxDB
        "both agents to deliver",
        lambda: all((d.metric("job_devices", "flush") or 0) > 0 for d in (a, b)),
        10,
    )
    since = time.time() + SNMP_S  # from here on both agents run every round

    at_mid_slot(ICMP_S)
    ap_b.link(False)  # an AP dies while both agents watch

    def fired(name: str) -> list[str]:
        return [idempotency_key(r) for r in fleet.sent_by(name) if r.body["status"] == "firing"]

    wait_for("both agents to notify", lambda: fired("a") != [] and fired("b") != [], 30)
    assert fired("a") == fired("b")  # the same incident under the same identity

    time.sleep(SNMP_S - time.time() % SNMP_S + 0.1)  # while both rounds are in flight
    b.kill()
    seen = a.runs("icmp")
    wait_for("three rounds of the survivor", lambda: a.runs("icmp") >= seen + 3, 30)
    at_mid_slot(ICMP_S)
    ap_b.link(True)
    wait_for("the recovery", lambda: len(kept(fleet.receiver)) == 2, 30)
    seen = a.runs("snmp")
    wait_for("two more SNMP polls", lambda: a.runs("snmp") >= seen + 2, 30)
    until = slot_of(time.time(), SNMP_S) - SNMP_S  # every run of that slot has finished
    assert a.stop() == 0  # SIGTERM: the spool is delivered before it exits

    since_ns, until_ns = int(since * 1e9), int(until * 1e9)
    measurements = {
        v[0] for v in fleet.influx.query("SHOW MEASUREMENTS")["results"][0]["series"][0]["values"]
    }
    assert {"icmp", "device_status", "snmp_system", "interface"} <= measurements
    checked = 0
    for m in sorted(measurements - NOT_PER_ROUND):
        step = PER_ROUND.get(m, SNMP_S)
        rounds = grid(since, until, step)
        for series, times in fleet.series(m, since_ns, until_ns).items():
            if step == SNMP_S and "device=ap-b" in series:
                continue  # SNMP does not ask a device that does not ping: its gap is right
            assert sorted(times) == rounds, (m, series)
            checked += 1
    assert checked > 30

    # One notification per incident and change: what the survivor's store recorded. The
    # AP's outage was notified by both agents under one key, and kept once.
    incidents = [i for i in a.incidents() if i["notified"]]
    expected = sorted(
        (i["device"], i["kind"], status)
        for i in incidents
        for status in (["firing", "resolved"] if i["state"] == "resolved" else ["firing"])
    )
    got = [(r.body["device"], r.body["kind"], r.body["status"]) for r in kept(fleet.receiver)]
    assert sorted(got) == expected and ("ap-b", "down", "resolved") in got, got
    assert len({idempotency_key(r) for r in fleet.receiver.received}) == len(expected)
    assert [(r.path, r.body["status"]) for r in fleet.receiver.received][:2] in (
        [("/hook/a", "firing"), ("/hook/b", "firing")],
        [("/hook/b", "firing"), ("/hook/a", "firing")],
    )
