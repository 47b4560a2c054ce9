"""Root cause across shards: an agent whose device's uplink lives in another shard reads
that uplink's state from the shared InfluxDB, so only the shard that owns the fault alerts.

Two engines on one Coviolo-like topology share a real influxd: shard A polls the core,
the base station and the repeater; shard B polls the five APs behind the repeater. The
repeater dies: A alerts once for it; B's APs go silent and are UNREACHABLE, not DOWN.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from netagent.agent.alerts import AlertEngine, Observation
from netagent.collectors.influx.config import InfluxConfig
from netagent.collectors.influx.shared_status import SharedStatus
from netagent.collectors.line_protocol import encode_fields, encode_key, line
from netagent.collectors.samples import Sample
from tests.alerts_lab import BRANCH_APS, Clock, Lab
from tests.fixtures.influx import InfluxServer

SHARD_A = {"core", "bs-coviolo", "rpt-coviolo-nord", "ap-centro"}


def _write(influx: InfluxServer, samples: list[Sample]) -> None:
    body = "\n".join(
        line(encode_key(s.measurement, s.tags), encode_fields(s.fields), s.time_ns) for s in samples
    )
    if body:
        httpx.post(
            f"{influx.url}/write", params={"db": "netagent"}, content=body.encode()
        ).raise_for_status()


def _ask(shared: SharedStatus, names: set[str]) -> dict[str, str]:
    return asyncio.run(shared.states(names))


class ShardedLab:
    def __init__(self, root: Path, influx: InfluxServer | None, max_age_s: float = 600) -> None:
        clock = Clock(time.time() - 600)  # rounds end near now: inside max_age
        self.a = Lab(root / "a", clock=clock)
        self.b = Lab(root / "b", clock=clock)
        self.a.engine = AlertEngine(
            self.a.inv, self.a.config, self.a.store, self.a.router, own=SHARD_A
        )
        self.b.engine = AlertEngine(
            self.b.inv, self.b.config, self.b.store, self.b.router, own=set(BRANCH_APS)
        )
        self.clock, self.influx = clock, influx
        self.shared = (
            SharedStatus(InfluxConfig(url=influx.url, api="v1"), max_age_s) if influx else None
        )

    def round(self, down: set[str]) -> None:
        self.clock.t += 30
        for lab in (self.a, self.b):
            own = lab.engine.own or set()
            obs = [Observation(n, n not in down, None if n in down else True) for n in own]
            remote: dict[str, str] = {}
            foreign = lab.engine.foreign_uplinks(obs)
            if foreign and self.shared is not None:
                remote = _ask(self.shared, foreign)
            samples, _ = asyncio.run(lab.engine.observe_and_notify(obs, self.clock.t, remote))
            lab.samples += samples
            if self.influx is not None:
                _write(self.influx, samples)


def test_uplink_down_in_another_shard_makes_aps_unreachable_and_only_its_shard_alerts(
    tmp_path: Path, influxdb: InfluxServer
) -> None:
    influxdb.create_database()
    lab = ShardedLab(tmp_path, influxdb)
    for _ in range(2):
        lab.round(set())
    for _ in range(6):
        lab.round({"rpt-coviolo-nord", *BRANCH_APS})
    fired_a = lab.a.sent("firing")
    assert [e.device for e in fired_a] == ["rpt-coviolo-nord"]
    assert lab.b.sent() == []  # the APs' shard stays quiet: the repeater's alert stands
    shown = {
        s.tags["device"]: s.fields["state"]
        for s in lab.b.samples
        if s.measurement == "device_status"
    }
    assert set(shown) == set(BRANCH_APS)  # B shows only its own devices
    assert set(shown.values()) == {"unreachable"}
    roots = {
        s.fields["root_cause"]
        for s in lab.b.samples
        if s.measurement == "device_status" and s.fields["state"] == "unreachable"
    }
    assert roots == {"rpt-coviolo-nord"}
    # and it comes back: one resolution from A, still nothing from B
    for _ in range(3):
        lab.round(set())
    assert [e.device for e in lab.a.sent("resolved")] == ["rpt-coviolo-nord"]
    assert lab.b.sent() == []


def test_without_the_shared_store_each_shard_blames_what_it_sees(tmp_path: Path) -> None:
    lab = ShardedLab(tmp_path, None)
    for _ in range(6):
        lab.round({"rpt-coviolo-nord", *BRANCH_APS})
    assert sorted(e.device for e in lab.b.sent("firing")) == sorted(BRANCH_APS)


def test_a_stale_remote_state_is_not_used(tmp_path: Path, influxdb: InfluxServer) -> None:
    """A 'down' written an hour ago by a shard that is gone must not hide a fault here."""
    influxdb.create_database()
    old = int((time.time() - 3600) * 1e9)
    _write(
        influxdb, [Sample("device_status", {"device": "rpt-coviolo-nord"}, {"state": "down"}, old)]
    )
    shared = SharedStatus(InfluxConfig(url=influxdb.url, api="v1"), max_age_s=300)
    assert _ask(shared, {"rpt-coviolo-nord"}) == {}
    _write(
        influxdb,
        [
            Sample(
                "device_status", {"device": "rpt-coviolo-nord"}, {"state": "down"}, time.time_ns()
            )
        ],
    )
    assert _ask(shared, {"rpt-coviolo-nord", "o'brien"}) == {"rpt-coviolo-nord": "down"}


def test_an_unreachable_store_falls_back_to_what_the_shard_sees(tmp_path: Path) -> None:
    from tests.fixtures.ports import free_port

    shared = SharedStatus(
        InfluxConfig(url=f"http://127.0.0.1:{free_port()}", api="v1", timeout_s=1), max_age_s=300
    )
    assert _ask(shared, {"rpt-coviolo-nord"}) == {}
