"""Misbehaving agents on loopback (tests/fixtures/snmp_responder.py): a device that
misbehaves loses a column, a rate or a poll, never the cycle, and says which and why."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from netagent.collectors.samples import Sample
from netagent.collectors.snmp import (
    PollOutcome,
    SnmpConfig,
    SnmpCredentials,
    SnmpPoller,
    SnmpTarget,
    ber,
)
from netagent.collectors.snmp.config import parse_host_port
from tests.fixtures.snmp_responder import (
    Faults,
    Responder,
    interfaces_table,
    load_snmprec,
    responding,
)

RECORDINGS = Path(__file__).parents[2] / "data" / "snmprec"
IF_IN_32 = "1.3.6.1.2.1.2.2.1.10.1"
IF_OUT_32 = "1.3.6.1.2.1.2.2.1.16.1"
IF_IN_64 = "1.3.6.1.2.1.31.1.1.1.6.1"
UPTIME = "1.3.6.1.2.1.1.3.0"


def _target(r: Responder, name: str = "dev", **kw: Any) -> SnmpTarget:
    return SnmpTarget(name, "127.0.0.1", r.port, tags={"role": "switch"}, **kw)


def _ports(o: PollOutcome) -> dict[str, dict[str, Any]]:
    return {s.tags["ifname"]: dict(s.fields) for s in o.samples if s.measurement == "interface"}


def _system(o: PollOutcome) -> Sample:
    return o.samples[0]


def _run(body: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(body())


def _cfg(**kw: Any) -> SnmpConfig:
    return SnmpConfig(**{"device_deadline_s": 4.0, "request_timeout_s": 1.0, **kw})


def test_32bit_reset_with_and_without_sysuptime_change_gives_no_spike() -> None:
    """8 Mb/s on a port of unknown speed: counters cleared (uptime moves on), then a
    reboot (uptime goes back). Neither is a 1 Gb/s spike; rates come back after each."""

    async def body() -> None:
        table = interfaces_table(1, hc=False, speed=None)
        async with responding(table) as r:
            poller = SnmpPoller(_cfg())
            t = _target(r)

            async def poll(uptime: int, octets: int) -> dict[str, Any]:
                r.set(UPTIME, ber.TIMETICKS, uptime)
                r.set(IF_IN_32, ber.COUNTER32, octets)
                (o,) = await poller.poll([t])
                assert o.ok, o.error
                return _ports(o)["eth1"]

            await poll(100_000, 3_000_000_000)
            assert (await poll(103_000, 3_030_000_000))["in_bps"] == 8e6
            cleared = await poll(106_000, 30_000_000)  # cleared, sysUpTime moving
            assert "in_bps" not in cleared
            assert (await poll(109_000, 60_000_000))["in_bps"] == 8e6
            rebooted = await poll(500, 1_000)  # reboot: sysUpTime back
            assert "in_bps" not in rebooted
            assert (await poll(3_500, 30_001_000))["in_bps"] == 8e6
            assert poller.counters.counter_resets >= 2 and poller.counters.counter_wraps == 0
            poller.close()

    _run(body)


def test_gen_err_on_one_column_skips_that_column_only_and_remembers() -> None:
    async def body() -> None:
        alias = "1.3.6.1.2.1.31.1.1.1.18"
        async with responding(interfaces_table(4), Faults(gen_err_under=alias)) as r:
            poller = SnmpPoller(_cfg())
            (o,) = await poller.poll([_target(r)])
            assert o.ok, o.error
            ports = _ports(o)
            assert len(ports) == 4 and all(p["oper_up"] for p in ports.values())
            assert not any("alias" in p for p in ports.values())
            assert any("column alias: skipped: the agent answers genErr" in p for p in o.problems)
            first = r.requests
            (again,) = await poller.poll([_target(r)])
            assert again.ok and len(_ports(again)) == 4
            assert any("column alias" in p and "remembered" in p for p in again.problems)
            assert r.requests - first < first  # what failed is not asked again
            assert poller.counters.columns_skipped >= 2
            poller.close()

    _run(body)


def test_too_big_over_n_varbinds_shrinks_the_requests_and_remembers() -> None:
    async def body() -> None:
        async with responding(interfaces_table(12), Faults(max_varbinds=10)) as r:
            poller = SnmpPoller(_cfg())
            (o,) = await poller.poll([_target(r)])
            assert o.ok, o.error
            assert len(_ports(o)) == 12 and r.too_big > 0
            seen = r.too_big
            (again,) = await poller.poll([_target(r)])
            assert again.ok and len(_ports(again)) == 12
            assert r.too_big == seen  # the second poll starts from what worked
            assert poller.counters.request_splits > 0
            poller.close()

    _run(body)


def _radio(o: PollOutcome) -> dict[str, Any]:
    (s,) = [s for s in o.samples if s.measurement == "radio_link"]
    return dict(s.fields)


def test_a_484_byte_agent_is_polled_with_the_airmax_profile() -> None:
    """A LiteBeam recording behind a 484-byte message limit reads what it reads without."""

    async def body() -> None:
        table = load_snmprec(RECORDINGS / "airos_airos8.snmprec")
        async with responding(table) as free, responding(table, Faults(max_size=484)) as small:
            poller = SnmpPoller(_cfg(device_deadline_s=8))
            want, got = await poller.poll([_target(free, "free"), _target(small, "small")])
            assert got.ok and got.profile == "airmax", got.error
            assert _radio(got) == _radio(want)
            assert _ports(got).keys() == _ports(want).keys() and len(_ports(got)) == 9
            assert small.too_big > 0
            # told the size, the poller sizes its requests to fit from the first one
            told = SnmpPoller(_cfg(device_deadline_s=8))
            seen = small.too_big
            (o,) = await told.poll([_target(small, "told", max_message_size=484)])
            assert o.ok and _radio(o) == _radio(want)
            assert small.too_big == seen
            poller.close()
            told.close()

    _run(body)


def test_no_such_object_everywhere_is_a_failed_profile() -> None:
    async def body() -> None:
        async with responding(interfaces_table(2), Faults(nosuch_everything=True)) as r:
            poller = SnmpPoller(_cfg())
            (o,) = await poller.poll([_target(r, profile="generic")])
            poller.close()
        assert not o.ok and o.error
        assert o.error.startswith("profile generic: no table gave a row (every object")
        assert _system(o).fields["reachable"] is False

    _run(body)


def test_wrong_request_id_is_named() -> None:
    async def body() -> None:
        async with responding(interfaces_table(1), Faults(wrong_request_id=True)) as r:
            poller = SnmpPoller(_cfg(device_deadline_s=1.0, request_timeout_s=0.3))
            (o,) = await poller.poll([_target(r)])
            poller.close()
        assert not o.ok and o.error and "request-id that was never sent" in o.error, o.error
        assert "wrong community" not in o.error
        assert poller.counters.wrong_request_ids > 0

    _run(body)


def test_late_answers_say_how_late() -> None:
    async def body() -> None:
        # slow but within the deadline: read, with a problem line
        async with responding(interfaces_table(1), Faults(delay_s=0.5)) as r:
            poller = SnmpPoller(_cfg(device_deadline_s=6.0, request_timeout_s=0.2))
            (o,) = await poller.poll([_target(r)])
            assert o.ok, o.error
            slow = [p for p in o.problems if p.startswith("slow answers")]
            assert slow and "re-sent" in slow[0] and "request_timeout_s 0.2 s" in slow[0]
            poller.close()
        # later than the deadline: the first poll times out, the answers that come after
        # are counted and the next poll's error says the agent is slow, not dead
        async with responding(interfaces_table(1), Faults(delay_s=0.8)) as r:
            poller = SnmpPoller(_cfg(device_deadline_s=0.5, request_timeout_s=0.2))
            (first,) = await poller.poll([_target(r)])
            await asyncio.sleep(1.0)
            (second,) = await poller.poll([_target(r)])
            poller.close()
        assert not first.ok and not second.ok
        assert second.error and "came late, the last" in second.error, second.error
        assert "not a dead one" in second.error
        assert poller.counters.late_answers > 0

    _run(body)


def test_a_failed_poll_stores_no_uptime() -> None:
    async def body() -> None:
        async with responding(interfaces_table(1), Faults(silent_walks=True)) as r:
            poller = SnmpPoller(_cfg(device_deadline_s=0.8, request_timeout_s=0.3))
            (o,) = await poller.poll([_target(r)])
            poller.close()
        assert not o.ok and o.error and o.error.startswith("timeout")
        assert _system(o).fields["reachable"] is False
        assert "uptime_s" not in _system(o).fields

    _run(body)


def test_snmpv1_agent_and_a_v1_answer_to_v2c() -> None:
    async def body() -> None:
        v1 = SnmpCredentials(version="1", community=SecretStr("public"))
        async with responding(interfaces_table(3), Faults(v1_only=True)) as r:
            poller = SnmpPoller(_cfg())
            (o,) = await poller.poll([_target(r, credentials=v1)])
            assert o.ok, o.error
            assert len(_ports(o)) == 3 and o.info["sysName"] == "bad-agent"
            poller.close()
        async with responding(interfaces_table(1), Faults(answer_version=ber.V1)) as r:
            poller = SnmpPoller(_cfg())
            (o,) = await poller.poll([_target(r)])
            poller.close()
        assert not o.ok and o.error
        assert "answered in SNMPv1 to an SNMPv2c request" in o.error

    _run(body)


def test_frozen_sysuptime_is_named_and_rates_use_the_clock() -> None:
    async def body() -> None:
        async with responding(interfaces_table(1)) as r:
            poller = SnmpPoller(_cfg())
            await poller.poll([_target(r)])
            await asyncio.sleep(1.1)  # sysUpTime stays put while time passes
            r.set(IF_IN_64, ber.COUNTER64, 10**6)
            (o,) = await poller.poll([_target(r)])
            poller.close()
        assert any(p.startswith("sysUpTime frozen at 100000 ticks") for p in o.problems)
        assert _ports(o)["eth1"]["in_bps"] > 0

    _run(body)


def test_unreadable_counters_are_a_problem_line(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> None:
        table = {
            k: v
            for k, v in interfaces_table(2).items()
            if k[:10] != (1, 3, 6, 1, 2, 1, 2, 2, 1, 10)
            and k[:10] != (1, 3, 6, 1, 2, 1, 2, 2, 1, 16)
            and k[:11]
            not in ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 10))
        }
        async with responding(table) as r:
            poller = SnmpPoller(_cfg())
            with caplog.at_level(logging.INFO, logger="netagent.collectors.snmp.poller"):
                (o,) = await poller.poll([_target(r)])
                await poller.poll([_target(r)])  # the same problem again: not news
            poller.close()
        assert o.ok
        assert any("no octet counter readable on any of 2 port(s)" in p for p in o.problems)
        said = [
            rec
            for rec in caplog.records
            if "no octet counter readable" in rec.getMessage() and rec.levelno >= logging.INFO
        ]
        assert len(said) == 1

    _run(body)


def test_interfaces_as_peers_read_them() -> None:
    """Alias, admin status, oper status by name (notPresent is not down), ifIndex; an
    invalid 64-bit counter falls back to 32-bit; a negative speed is a problem line; a
    rate above the nominal speed is kept and flagged."""

    async def body() -> None:
        table = interfaces_table(3, speed=10_000_000)
        async with responding(table) as r:
            r.set("1.3.6.1.2.1.2.2.1.8.2", ber.INTEGER, 6)  # notPresent
            r.set("1.3.6.1.2.1.2.2.1.7.2", ber.INTEGER, 2)  # admin down
            r.set("1.3.6.1.2.1.2.2.1.8.3", ber.INTEGER, 7)  # lowerLayerDown
            r.set("1.3.6.1.2.1.31.1.1.1.6.2", ber.OCTET_STRING, b"bogus")  # invalid HC
            r.set("1.3.6.1.2.1.31.1.1.1.15.3", ber.INTEGER, -1)  # negative ifHighSpeed
            poller = SnmpPoller(_cfg())
            await poller.poll([_target(r)])
            r.set(UPTIME, ber.TIMETICKS, 101_000)  # 10 s later
            r.set(IF_IN_64, ber.COUNTER64, 1_000 + 25_000_000)  # 20 Mb/s on a 10 Mb/s port
            r.set("1.3.6.1.2.1.2.2.1.10.2", ber.COUNTER32, 2_000 + 1_250_000)  # 1 Mb/s
            (o,) = await poller.poll([_target(r)])
            poller.close()
        assert o.ok, o.error
        p = _ports(o)
        assert p["eth1"]["in_bps"] == 20e6 and p["eth1"]["over_speed"] is True
        assert p["eth1"]["alias"] == "port 1" and p["eth1"]["if_index"] == 1
        assert p["eth1"]["oper_status"] == "up" and p["eth1"]["admin_up"] is True
        assert p["eth2"]["oper_status"] == "notPresent" and "oper_up" not in p["eth2"]
        assert p["eth2"]["admin_up"] is False
        assert p["eth2"]["in_bps"] == 1e6 and p["eth2"]["over_speed"] is False
        assert p["eth3"]["oper_status"] == "lowerLayerDown" and p["eth3"]["oper_up"] is False
        assert p["eth3"]["speed_bps"] == 10e6  # ifSpeed, not the negative ifHighSpeed
        assert any("negative speed -1e+06 ignored" in x for x in o.problems), o.problems
        assert poller.counters.over_speed == 1

    _run(body)


def test_served_varbinds_stay_near_those_used() -> None:
    """From the second poll on, max-repetitions follow the rows seen: an agent serves
    at most ~1.3x the varbinds that are used."""

    async def body() -> None:
        async with responding(interfaces_table(24)) as r:
            poller = SnmpPoller(_cfg())
            await poller.poll([_target(r)])
            before = r.served
            (o,) = await poller.poll([_target(r)])
            poller.close()
        served = r.served - before
        assert o.varbinds_served == served
        assert served <= 1.3 * o.varbinds_used, (served, o.varbinds_used)

    _run(body)


def test_counter_state_survives_a_restart(tmp_path: Path) -> None:
    """A second `run --once` (a new poller on the same data directory) gives rates, and
    remembers the column its agent fails on."""
    state = tmp_path / "snmp-counters.json"

    async def body() -> None:
        alias = "1.3.6.1.2.1.31.1.1.1.18"
        async with responding(interfaces_table(1), Faults(gen_err_under=alias)) as r:
            first = SnmpPoller(_cfg(), state_path=state)
            await first.poll([_target(r)])
            first.close()
            r.set(UPTIME, ber.TIMETICKS, 101_000)
            r.set(IF_IN_64, ber.COUNTER64, 1_000 + 1_250_000)
            second = SnmpPoller(_cfg(), state_path=state)
            (o,) = await second.poll([_target(r)])
            second.close()
        assert _ports(o)["eth1"]["in_bps"] == 1e6
        assert any("column alias" in p and "remembered" in p for p in o.problems)

    _run(body)


def test_devices_sharing_an_address_on_different_ports_and_ipv6_with_a_port() -> None:
    async def body() -> None:
        a, b = interfaces_table(1), interfaces_table(2)
        b[(1, 3, 6, 1, 2, 1, 1, 5, 0)] = (ber.OCTET_STRING, b"other")
        async with responding(a) as ra, responding(b) as rb:
            poller = SnmpPoller(_cfg())
            oa, ob = await poller.poll([_target(ra, "a"), _target(rb, "b")])
            poller.close()
        assert (oa.info["sysName"], len(_ports(oa))) == ("bad-agent", 1)
        assert (ob.info["sysName"], len(_ports(ob))) == ("other", 2)
        try:
            async with responding(b, host="::1") as r6:
                host, port = parse_host_port(f"[::1]:{r6.port}")
                poller = SnmpPoller(_cfg())
                (o6,) = await poller.poll([SnmpTarget("v6", host, port)])
                poller.close()
        except OSError:
            pytest.skip("no IPv6 loopback here")
        assert o6.ok and o6.info["sysName"] == "other", o6.error

    _run(body)


def test_rows_that_appear_between_polls_are_read() -> None:
    """Requests sized from the last poll still find a port added since, and a table that
    was empty (probed with one column) is read whole once it has rows."""

    async def body() -> None:
        four, five = interfaces_table(4), interfaces_table(5)
        bare = {k: v for k, v in four.items() if k[6] not in (2, 31)}  # system group only
        async with responding(bare) as r:
            poller = SnmpPoller(_cfg())
            t = _target(r, profile="generic")
            (empty,) = await poller.poll([t])
            assert not empty.ok  # no interface table at all yet
            r.table.update(four)
            (o4,) = await poller.poll([t])
            r.table.update(five)
            (o5,) = await poller.poll([t])
            poller.close()
        assert len(_ports(o4)) == 4 and len(_ports(o5)) == 5
        assert _ports(o5)["eth5"]["alias"] == "port 5"

    _run(body)


def _vaps(n: int) -> dict[tuple[int, ...], tuple[int, ber.Value]]:
    """n UniFi VAP rows: clients and radio (the last one on its own radio, "nx")."""
    base = "1.3.6.1.4.1.41112.1.6.1.2.1"
    t: dict[tuple[int, ...], tuple[int, ber.Value]] = {}
    for v in range(1, n + 1):
        t[tuple(map(int, f"{base}.8.{v}".split(".")))] = (ber.INTEGER, 10)
        radio = b"nx" if v == 7 else (b"ng" if v % 2 else b"na")
        t[tuple(map(int, f"{base}.9.{v}".split(".")))] = (ber.OCTET_STRING, radio)
    return t


def test_table_ends_are_checked_in_one_request_and_a_grown_table_is_read() -> None:
    """Two tables read to the rows they had last poll: whether each ends there is asked
    in one GETNEXT (one varbind per table) that also reads the system scalars, not a
    request per table and a GET; a table that grew since is walked on, its new row read,
    and the scalars are the same as a GET gives."""

    async def body() -> None:
        async with responding({**interfaces_table(4), **_vaps(6)}) as r:
            asked: list[tuple[int, int]] = []  # (PDU type, varbinds) of each request
            answer = r.answer

            def counting(data: bytes) -> bytes | None:
                q = ber.decode_message(data, (ber.GET, ber.GETNEXT, ber.GETBULK))
                asked.append((q.pdu_type, len(q.varbinds)))
                return answer(data)

            r.answer = counting  # type: ignore[method-assign]
            poller = SnmpPoller(_cfg())
            t = _target(r, profile="unifi")
            (first,) = await poller.poll([t])
            assert first.ok, first.error
            asked.clear()
            (o,) = await poller.poll([t])
            assert o.ok, o.error
            # 2 table ends + sysDescr, sysObjectID, sysUpTime, sysName, ifNumber
            assert [a for a in asked if a[0] != ber.GETBULK] == [(ber.GETNEXT, 7)], asked
            assert o.info == first.info and _system(o).fields["uptime_s"] == 1000.0
            assert len(_ports(o)) == 4
            wifi = {
                s.tags["radio"]: s.fields["clients"] for s in o.samples if s.measurement == "wifi"
            }
            assert wifi == {"ng": 30, "na": 30}
            r.table.update(_vaps(7))  # a seventh VAP, on a radio of its own
            r.set("1.3.6.1.2.1.1.3.0", ber.TIMETICKS, 200_000)
            (o,) = await poller.poll([t])
            poller.close()
        assert o.ok, o.error
        wifi = {s.tags["radio"]: s.fields["clients"] for s in o.samples if s.measurement == "wifi"}
        assert wifi == {"ng": 30, "na": 30, "nx": 10}
        assert len(_ports(o)) == 4

    _run(body)
