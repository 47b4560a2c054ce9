"""The counter state file (the data directory's snmp-counters.json) as an operator meets
it: written after the first poll, then at most every `state_save_interval_s` (at region
size its JSON is too dear for every cycle), always at a clean shutdown; and a restart
from an older file, as a crash leaves it, still gives the right rates."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from netagent.collectors.snmp import PollOutcome, SnmpConfig, SnmpPoller, SnmpTarget, ber
from tests.fixtures.snmp_responder import Responder, interfaces_table, responding

UPTIME = "1.3.6.1.2.1.1.3.0"
IF_IN_64 = "1.3.6.1.2.1.31.1.1.1.6.1"


def _in_bps(o: PollOutcome) -> Any:
    assert o.ok, o.error
    (eth1,) = (s for s in o.samples if s.tags.get("ifname") == "eth1")
    return eth1.fields.get("in_bps")


async def _poll(poller: SnmpPoller, r: Responder, uptime_s: int, octets: int) -> PollOutcome:
    r.set(UPTIME, ber.TIMETICKS, uptime_s * 100)
    r.set(IF_IN_64, ber.COUNTER64, octets)
    target = SnmpTarget("sw-1", "127.0.0.1", r.port, tags={"role": "switch"})
    (o,) = await poller.poll([target])
    return o


def _poller(state: Path, save_s: float = 300.0) -> SnmpPoller:
    return SnmpPoller(
        SnmpConfig(device_deadline_s=4.0, state_save_interval_s=save_s), state_path=state
    )


def test_the_state_is_saved_after_the_first_poll_then_at_most_every_interval_and_on_close(
    tmp_path: Path,
) -> None:
    state = tmp_path / "data" / "snmp-counters.json"

    async def body() -> None:
        async with responding(interfaces_table(1)) as r:
            poller = _poller(state)
            await _poll(poller, r, 1000, 1_000_000)
            first = state.read_bytes()  # a first `run --once` leaves its counters
            await _poll(poller, r, 1060, 1_600_000)
            assert state.read_bytes() == first  # not rewritten at every cycle
            poller.close()  # a clean shutdown saves the last poll's counters
            assert state.read_bytes() != first
            again = _poller(state)
            # 80,000 octets in 10 s since the poll before the shutdown
            assert _in_bps(await _poll(again, r, 1070, 1_680_000)) == 64_000
            again.close()

    asyncio.run(body())


def test_interval_zero_saves_after_every_cycle(tmp_path: Path) -> None:
    state = tmp_path / "snmp-counters.json"

    async def body() -> None:
        async with responding(interfaces_table(1)) as r:
            poller = _poller(state, save_s=0)
            await _poll(poller, r, 1000, 1_000_000)
            first = state.read_bytes()
            await _poll(poller, r, 1060, 1_600_000)
            assert state.read_bytes() != first
            poller.close()

    asyncio.run(body())


def test_a_restart_from_an_older_state_gives_the_rate_since_the_poll_it_holds(
    tmp_path: Path,
) -> None:
    """A crash (no clean shutdown) leaves the file of the last save, polls older than
    the last one: the first rate after the restart spans the time since that save's
    poll, measured by the device's sysUpTime, never the octets of one interval over
    the time of another."""
    state = tmp_path / "snmp-counters.json"
    crashed = tmp_path / "as-the-crash-left-it.json"

    async def body() -> None:
        async with responding(interfaces_table(1)) as r:
            poller = _poller(state)
            await _poll(poller, r, 1000, 1_000_000)
            assert _in_bps(await _poll(poller, r, 1060, 1_600_000)) == 80_000
            shutil.copy(state, crashed)  # what is on disk when the agent is killed now
            poller.close()
            shutil.copy(crashed, state)
            again = _poller(state)
            # 1,250,000 octets in the 100 s of sysUpTime since the saved poll (since
            # the lost one: 650,000 in 40 s, 130,000 b/s)
            assert _in_bps(await _poll(again, r, 1100, 2_250_000)) == 100_000
            again.close()

    asyncio.run(body())


def test_a_poller_rebuilt_by_a_reload_continues_from_the_one_it_replaces(
    tmp_path: Path,
) -> None:
    """A SIGHUP that changes [snmp] builds a new poller while the old one still runs: it
    takes the old one's counters, not the file's last save, which is older (the old poller
    only saves when it closes, after the new one is built)."""
    state = tmp_path / "snmp-counters.json"

    async def body() -> None:
        async with responding(interfaces_table(1)) as r:
            old = _poller(state)
            await _poll(old, r, 1000, 1_000_000)  # saved: the file holds this poll
            await _poll(old, r, 1060, 1_600_000)  # not saved yet
            new = SnmpPoller(
                SnmpConfig(device_deadline_s=4.0, max_repetitions=10),
                state_path=state,
                replaces=old,
            )
            old.close()
            # 80,000 octets in 10 s since the old poller's last poll (from the file:
            # 680,000 in 70 s)
            assert _in_bps(await _poll(new, r, 1070, 1_680_000)) == 64_000
            new.close()

    asyncio.run(body())
