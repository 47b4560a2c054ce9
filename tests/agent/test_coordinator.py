"""The device coordinator: one owner of every device's latest state, and what its
listeners hear (each change once, nothing when nothing changed), on an operator's own
small network: a switch and two access points behind it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path

import httpx
import pytest

from netagent.agent.config import AgentConfig
from netagent.agent.coordinator import Change, DeviceCoordinator
from netagent.agent.health import Health, HealthLimits
from netagent.agent.health_http import HealthServer
from netagent.agent.jobs import alert_round
from netagent.agent.services import Services
from netagent.collectors.icmp import IcmpResult, IcmpTarget
from netagent.inventory.model import Device, Inventory, Role, Site
from tests.fixtures.ports import free_port

T0 = 1_800_000_000 * 10**9  # a round's slot, ns
ROUND = 30 * 10**9


def network(*names: str) -> Inventory:
    site = Site(name="Piazza Prampolini", lat=44.698, lon=10.631, quartiere="Centro")
    devices = [
        Device(name="sw", site=site.name, role=Role.SWITCH, mgmt_ip=ip_address("127.30.0.1"))
    ]
    for i, n in enumerate(names or ("ap-1", "ap-2")):
        devices.append(
            Device(
                name=n,
                site=site.name,
                role=Role.WIFI_AP,
                mgmt_ip=ip_address(f"127.30.1.{i + 1}"),
                parent="sw",
            )
        )
    return Inventory(sites=(site,), devices=tuple(devices))


def answer(name: str, up: bool, rtt: float = 1.0) -> IcmpResult:
    return IcmpResult(IcmpTarget(name, "127.0.0.1"), 1, int(up), (rtt,) if up else ())


@dataclass
class Heard:
    """A listener that keeps every call it gets."""

    calls: list[dict[str, Change]] = field(default_factory=list)

    def __call__(self, changes: Mapping[str, Change]) -> None:
        self.calls.append(dict(changes))

    def states(self, call: int = -1) -> dict[str, tuple[str | None, str | None]]:
        return {
            n: (c.before.state if c.before else None, c.after.state if c.after else None)
            for n, c in self.calls[call].items()
        }


def coordinator(inv: Inventory | None = None, **kw: object) -> tuple[DeviceCoordinator, Heard]:
    inv = inv or network()
    c = DeviceCoordinator(inv, kw.pop("own", [d.name for d in inv.devices]), **kw)  # type: ignore[arg-type]
    heard = Heard()
    c.add_listener(heard)
    return c, heard


def test_listeners_hear_each_change_once_and_nothing_when_nothing_changed() -> None:
    c, heard = coordinator()
    every = ("sw", "ap-1", "ap-2")
    c.publish_icmp([answer(n, True) for n in every], T0, {n: "up" for n in every})
    assert len(heard.calls) == 1
    assert heard.states() == {n: ("unknown", "up") for n in every}

    # The next round: other RTTs, same verdicts: nobody is woken.
    c.publish_icmp([answer(n, True, rtt=7.5) for n in every], T0 + ROUND, {})
    assert len(heard.calls) == 1
    assert c.states()["ap-1"].rtt_avg_ms == 7.5  # but the latest figures are kept

    # ap-1 stops answering; the alert engine still shows it up (it waits for down_after).
    c.publish_icmp([answer("ap-1", False)], T0 + 2 * ROUND, {"ap-1": "up"})
    assert len(heard.calls) == 2
    [(name, change)] = heard.calls[-1].items()
    assert name == "ap-1" and change.after is not None and change.before is not None
    assert (change.before.icmp_up, change.after.icmp_up, change.after.state) == (True, False, "up")

    # Then the engine calls it down: the answer and the alert state are one update.
    c.publish_icmp([answer("ap-1", False)], T0 + 3 * ROUND, {"ap-1": "down"})
    assert len(heard.calls) == 3 and heard.states() == {"ap-1": ("up", "down")}
    c.publish_icmp([answer("ap-1", False)], T0 + 4 * ROUND, {"ap-1": "down"})
    assert len(heard.calls) == 3

    # SNMP: a verdict is a change, its repetition is not.
    c.publish_snmp([("sw", True), ("ap-2", True)])
    c.publish_snmp([("sw", True), ("ap-2", True)])
    assert len(heard.calls) == 4 and set(heard.calls[-1]) == {"sw", "ap-2"}
    assert c.snmp_ok("sw") is True and c.snmp_ok("ap-1") is None


def test_a_device_the_engine_shows_without_probing_it_changes_too() -> None:
    """The switch dies: its APs are not probed this round (another ICMP job's), yet the
    engine shows them unreachable; listeners hear it in the same update."""
    c, heard = coordinator()
    every = ("sw", "ap-1", "ap-2")
    c.publish_icmp([answer(n, True) for n in every], T0, {n: "up" for n in every})
    c.publish_icmp(
        [answer("sw", False)], T0 + ROUND, {"sw": "down", "ap-1": "unreachable", "ap-2": "up"}
    )
    assert heard.states() == {"sw": ("up", "down"), "ap-1": ("up", "unreachable")}
    assert c.states()["ap-1"].icmp_up is True  # its own last answer is unchanged


def test_without_an_alert_state_the_last_answer_says_up_or_down() -> None:
    """The alert round failed (its state store could not commit): the answers count."""
    c, heard = coordinator()
    c.publish_icmp([answer("ap-1", True)], T0, {})
    c.publish_icmp([answer("ap-1", False)], T0 + ROUND, {})
    assert [h["ap-1"].after.state for h in heard.calls if h["ap-1"].after] == ["up", "down"]
    assert c.pings("ap-1", True) is False and c.pings("ap-2", True) is True  # default: never probed


def test_an_inventory_change_tells_of_devices_gone_and_new_and_keeps_the_rest() -> None:
    c, heard = coordinator()
    c.publish_icmp([answer("ap-1", False)], T0, {"ap-1": "down"})
    c.set_inventory(network("ap-1", "ap-3"), ["sw", "ap-1", "ap-3"], None)
    assert heard.states() == {"ap-2": ("unknown", None), "ap-3": (None, "unknown")}
    assert c.states()["ap-1"].state == "down"
    c.set_inventory(network("ap-1", "ap-3"), ["sw", "ap-1", "ap-3"], None)
    assert len(heard.calls) == 2  # the same inventory again: nothing to say


def test_a_failing_listener_costs_neither_the_others_nor_the_round(
    caplog: pytest.LogCaptureFixture,
) -> None:
    c, heard = coordinator()

    def broken(changes: Mapping[str, Change]) -> None:
        raise KeyError("ap-9")

    c.add_listener(broken)
    later = Heard()
    c.add_listener(later)
    c.publish_icmp([answer("ap-1", True)], T0, {"ap-1": "up"})
    assert len(heard.calls) == len(later.calls) == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "broken failed: KeyError: 'ap-9'" in errors[0].getMessage()


@dataclass
class Store:
    """Other shards' states as the shared store answers (None: it does not answer)."""

    answer: dict[str, str] | None
    max_age_s: float = 120.0
    asked: list[Collection[str] | None] = field(default_factory=list)

    async def fetch(self, devices: Collection[str] | None) -> dict[str, str] | None:
        self.asked.append(None if devices is None else sorted(devices))
        return None if self.answer is None else dict(self.answer)


def test_other_shards_states_come_from_the_shared_store_with_bounded_staleness() -> None:
    """This agent polls ap-1; the switch and ap-2 are another shard's. The alert round asks
    for the uplink it needs; once live coverage follows them, every round asks for all.
    When the store stops answering, what it confirmed stays for max_age_s, then expires."""
    now = [T0]
    store = Store({"sw": "down", "ap-2": "unreachable"})
    c, heard = coordinator(own=["ap-1"], shared=store, clock=lambda: now[0])
    assert asyncio.run(c.fetch_remote(())) == {}  # nothing needed: nothing asked
    assert asyncio.run(c.fetch_remote({"sw"})) == {"sw": "down"}
    assert store.asked == [["sw"]] and heard.states() == {"sw": ("unknown", "down")}

    c.follow_remote = True
    assert asyncio.run(c.fetch_remote(())) == {"sw": "down", "ap-2": "unreachable"}
    assert store.asked[-1] is None and heard.states() == {"ap-2": ("unknown", "unreachable")}
    assert c.counts() == {"unknown": 1}  # /healthz counts this agent's own devices only

    store.answer = None  # InfluxDB away: the round gets nothing, the states stay a while
    now[0] += 100 * 10**9
    assert asyncio.run(c.fetch_remote({"sw"})) == {}
    assert c.states()["sw"].state == "down" and len(heard.calls) == 2
    now[0] += 30 * 10**9  # 130 s since the store last confirmed them: too old to use
    asyncio.run(c.fetch_remote(()))
    assert heard.states() == {"sw": ("down", "unknown"), "ap-2": ("unreachable", "unknown")}

    store.answer = {"sw": "up"}  # back, and ap-2 has no fresh state there: unknown
    asyncio.run(c.fetch_remote(()))
    assert heard.states() == {"sw": ("unknown", "up")}


def test_healthz_shows_this_agents_devices_per_state() -> None:
    health = Health()
    c, _ = coordinator()
    health.device_counts = c.counts  # as the daemon's services set it
    port = free_port()

    async def scenario() -> list[dict[str, object]]:
        server = HealthServer(health, HealthLimits)
        await server.start("127.0.0.1", port)
        pages = []
        async with httpx.AsyncClient() as client:
            pages.append((await client.get(f"http://127.0.0.1:{port}/healthz")).json())
            c.publish_icmp(
                [answer("sw", True), answer("ap-1", False), answer("ap-2", True)],
                T0,
                {"sw": "up", "ap-1": "down", "ap-2": "up"},
            )
            pages.append((await client.get(f"http://127.0.0.1:{port}/healthz")).json())
        await server.stop()
        return pages

    before, after = asyncio.run(scenario())
    assert before == {"healthy": True, "reasons": [], "devices": {"unknown": 3}}
    assert after == {"healthy": True, "reasons": [], "devices": {"down": 1, "up": 2}}


def test_the_alert_round_reads_snmp_from_the_coordinator_and_publishes_its_states(
    tmp_path: Path,
) -> None:
    """ap-1 answers ping but its SNMP poll fails: the alert round takes that verdict from
    the coordinator (no dict shared with the SNMP job), shows ap-1 degraded after
    degraded_after (3) rounds, and that state is back in the coordinator for its
    listeners and /healthz."""
    inv = network()
    config = AgentConfig.model_validate({"agent": {"data_dir": str(tmp_path)}})
    every = ("sw", "ap-1", "ap-2")

    async def scenario() -> tuple[Heard, dict[str, int]]:
        services = Services.assemble(config, inv, None, Health())
        services.adopt()
        heard = Heard()
        services.coordinator.add_listener(heard)
        services.coordinator.publish_snmp([("sw", True), ("ap-1", False), ("ap-2", True)])
        for k in range(4):
            await alert_round(services, [answer(n, True) for n in every], 1000.0 + 30 * k)
        counts = services.health.device_counts()
        services.close()
        return heard, counts

    heard, counts = asyncio.run(scenario())
    assert [heard.states(i) for i in range(len(heard.calls))] == [
        {n: ("unknown", "unknown") for n in every},  # the SNMP verdicts
        {n: ("unknown", "up") for n in every},  # the first round
        {"ap-1": ("up", "degraded")},  # the third
    ]
    assert counts == {"up": 2, "degraded": 1}
