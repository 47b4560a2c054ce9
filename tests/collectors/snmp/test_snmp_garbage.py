"""A poll leaves nothing for the cyclic garbage collector: each answer is freed when its
request ends. At region size every request's decoded answer kept alive by a reference
cycle until a full collection was a quarter of the agent's CPU (bench/README.md)."""

from __future__ import annotations

import asyncio
import gc

from netagent.collectors.snmp import SnmpConfig, SnmpPoller, SnmpTarget, ber
from tests.fixtures.snmp_responder import Faults, interfaces_table, responding


def test_a_poll_leaves_no_answer_or_request_to_the_cyclic_gc() -> None:
    async def body() -> list[object]:
        # One device that answers, one that answers only after a re-send was scheduled.
        async with (
            responding(interfaces_table(4)) as quick,
            responding(interfaces_table(4), Faults(delay_s=0.3)) as slow,
        ):
            poller = SnmpPoller(SnmpConfig(device_deadline_s=4.0, request_timeout_s=0.1))
            targets = [
                SnmpTarget(name, "127.0.0.1", r.port, tags={"role": "switch"})
                for name, r in (("quick", quick), ("slow", slow))
            ]
            await poller.poll(targets)  # the first poll sizes requests, builds caches
            gc.collect()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds goes to gc.garbage
            try:
                outcomes = await poller.poll(targets)
                gc.collect()
                found = list(gc.garbage)
            finally:
                gc.set_debug(0)
                gc.garbage.clear()
                gc.enable()
            poller.close()
        assert all(o.ok for o in outcomes), [o.error for o in outcomes]
        assert any("re-sent" in p for p in outcomes[1].problems)
        return found

    found = asyncio.run(body())
    answers = [o for o in found if isinstance(o, ber.Message)]
    requests = [o for o in found if isinstance(o, asyncio.Future)]
    assert not answers and not requests
