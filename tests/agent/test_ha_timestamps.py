"""SNMP samples of an HA pair land on one point: both agents stamp a poll with the SNMP
job's grid slot, not with the moment the answer came, while rates still come from the
real time between two polls of the same agent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from netagent.agent.grid import slot_of
from netagent.agent.runtime import snmp_cycle
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import SnmpConfig, SnmpPoller, SnmpTarget, ber
from tests.fixtures.snmp_responder import interfaces_table, responding

UPTIME = "1.3.6.1.2.1.1.3.0"
IF_IN_64 = "1.3.6.1.2.1.31.1.1.1.6.1"
SLOT = 1_790_000_040.0  # an SNMP slot of a 60 s grid
INTERVAL = 60.0


class Stored(list[Sample]):
    """The spool as snmp_cycle sees it."""

    def put(self, samples: Iterable[Sample]) -> int:
        batch = list(samples)
        self.extend(batch)
        return len(batch)


def _points(samples: list[Sample]) -> set[tuple[str, int]]:
    return {(s.series_key(), s.time_ns) for s in samples}


def test_two_agents_polling_in_one_slot_write_the_same_points_and_real_rates() -> None:
    async def body() -> None:
        async with responding(interfaces_table(2)) as r:
            target = SnmpTarget("sw-1", "127.0.0.1", r.port, tags={"role": "switch"})
            agents = [SnmpPoller(SnmpConfig(device_deadline_s=4.0)) for _ in range(2)]
            stores = [Stored(), Stored()]
            for k, uptime, octets in ((0, 100_000, 1_000_000), (1, 103_000, 1_600_000)):
                at_ns = int((SLOT + k * INTERVAL) * 1e9)
                assert slot_of(at_ns / 1e9, INTERVAL) == SLOT + k * INTERVAL
                # The two agents ask at different moments of the slot; the device moved on.
                for agent, store, late in zip(agents, stores, (0, 100), strict=True):
                    r.set(UPTIME, ber.TIMETICKS, uptime + late)
                    r.set(IF_IN_64, ber.COUNTER64, octets + late * 100)
                    outcomes, _ = await snmp_cycle(agent, [target], store, lambda _: True, at_ns)
                    assert outcomes[0].ok, outcomes[0].error
            a, b = stores
            assert {s.measurement for s in a} >= {"snmp_system", "interface"}
            assert _points(a) == _points(b)  # InfluxDB keeps one point per series and time
            assert {s.time_ns for s in a} == {int(SLOT * 1e9), int((SLOT + INTERVAL) * 1e9)}
            # 600,000 octets in the 30 s the device counted between the two polls, not in
            # the 60 s between their stamps
            rates = [s.fields.get("in_bps") for s in a if s.tags.get("ifname") == "eth1"]
            assert rates == [None, 600_000 * 8 / 30]
            for agent in agents:
                agent.close()

    asyncio.run(body())


def test_without_a_slot_a_poll_is_stamped_when_read() -> None:
    """`run --once` and the tools keep the time of the answer."""

    async def body() -> None:
        async with responding(interfaces_table(1)) as r:
            poller = SnmpPoller(SnmpConfig(device_deadline_s=4.0))
            store = Stored()
            t0 = time.time_ns()
            await snmp_cycle(
                poller, [SnmpTarget("sw-1", "127.0.0.1", r.port)], store, lambda _: True
            )
            t1 = time.time_ns()
            assert store and all(t0 <= s.time_ns <= t1 for s in store)
            poller.close()

    asyncio.run(body())
