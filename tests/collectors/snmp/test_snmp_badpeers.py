"""Bad peers on loopback: every misbehaviour is recorded against its device, nothing crashes."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from netagent.agent.demo.fakeagent import FakeAgent, Mib, serve
from netagent.agent.demo.simlab import device_records
from netagent.collectors.snmp import PollOutcome, SnmpConfig, SnmpPoller, SnmpTarget, ber
from tests.fixtures.ports import free_port

Mangle = Callable[[bytes, bytes], bytes | None]  # (request, good reply) -> what is sent


class BadAgent(FakeAgent):
    def __init__(self, mib: Mib, mangle: Mangle) -> None:
        super().__init__(mib)
        self.mangle = mangle

    def answer(self, data: bytes) -> bytes | None:
        good = super().answer(data)
        return None if good is None else self.mangle(data, good)


def _wrong_types(req: bytes, good: bytes) -> bytes:
    r = ber.decode_response(good)
    vbs = [
        (o, ber.OCTET_STRING, b"garbage") if t in (ber.COUNTER64, ber.TIMETICKS) else (o, t, v)
        for o, t, v in r.varbinds
    ]
    return ber.encode_message(ber.RESPONSE, r.community, r.request_id, vbs)


def _all_nosuch(req: bytes, good: bytes) -> bytes:
    q = ber.decode_message(req, (ber.GET, ber.GETBULK))
    tag = ber.NO_SUCH_OBJECT if q.pdu_type == ber.GET else ber.END_OF_MIB_VIEW
    vbs = [(o, tag, None) for o, _, _ in q.varbinds]
    return ber.encode_message(ber.RESPONSE, q.community, q.request_id, vbs)


def _endless_table(req: bytes, good: bytes) -> bytes:
    """Every GETBULK answer continues every column with ever-growing indexes."""
    q = ber.decode_message(req, (ber.GET, ber.GETBULK))
    if q.pdu_type == ber.GET:
        return good
    vbs: list[ber.VarBind] = []
    cur = [o for o, _, _ in q.varbinds]
    for _ in range(q.error_index):
        cur = [o + b"\x01" for o in cur]
        vbs += [(o, ber.COUNTER32, 1) for o in cur]
    return ber.encode_message(ber.RESPONSE, q.community, q.request_id, vbs)


def _loop(req: bytes, good: bytes, _seen: set[bytes] = set()) -> bytes:  # noqa: B006
    """GETBULK answers stop advancing: the row after X is X again."""
    q = ber.decode_message(req, (ber.GET, ber.GETBULK))
    if q.pdu_type == ber.GET:
        return good
    vbs = [o if o in _seen else o + b"\x01" for o, _, _ in q.varbinds]
    _seen.update(vbs)
    return ber.encode_message(
        ber.RESPONSE, q.community, q.request_id, [(o, ber.COUNTER32, 1) for o in vbs]
    )


def _empty_bulk(req: bytes, good: bytes) -> bytes:
    q = ber.decode_message(req, (ber.GET, ber.GETBULK))
    if q.pdu_type == ber.GET:
        return good
    return ber.encode_message(ber.RESPONSE, q.community, q.request_id, [])


def _gen_err(req: bytes, good: bytes) -> bytes:
    r = ber.decode_response(good)
    return ber.encode_message(ber.RESPONSE, r.community, r.request_id, r.varbinds, 5, 1)


CASES: dict[str, tuple[Mangle, bool, str]] = {
    # name: (mangle, ok expected, text expected in error or problems)
    "garbage": (lambda q, g: random.Random(len(q)).randbytes(60), False, "malformed response"),
    "truncated": (lambda q, g: g[: len(g) // 2], False, "truncated"),
    "not-snmp": (lambda q, g: b"HTTP/1.1 400 Bad Request\r\n\r\n", False, "malformed"),
    "wrong-types": (_wrong_types, True, "expected a Counter"),
    "nosuch": (_all_nosuch, False, "no table gave a row (every object answered noSuchObject"),
    "endless-table": (_endless_table, True, "table cut at 50 rows"),
    "loop": (_loop, True, "out of order"),
    "empty-bulk": (_empty_bulk, False, "no table gave a row (GETBULK response made no progress"),
    "gen-err": (_gen_err, False, "genErr"),
}


async def _run(mangle: Mangle) -> PollOutcome:
    port = free_port(socket.SOCK_DGRAM)
    good_port = free_port(socket.SOCK_DGRAM)
    bad = await serve("127.0.0.1", port, BadAgent(Mib(device_records("switch", "bad", 1)), mangle))
    good = await serve("127.0.0.1", good_port, FakeAgent(Mib(device_records("switch", "good", 2))))
    cfg = SnmpConfig(device_deadline_s=1.5, request_timeout_s=0.5)
    poller = SnmpPoller(cfg, profiles=None)
    p = poller.profiles["switch"]
    poller.profiles.resolved["switch"] = p.model_copy(update={"max_rows": 50})
    try:
        out = await poller.poll(
            [
                SnmpTarget("bad", "127.0.0.1", port, tags={"role": "switch"}),
                SnmpTarget("good", "127.0.0.1", good_port, tags={"role": "switch"}),
            ]
        )
    finally:
        poller.close()
        bad.close()
        good.close()
    assert out[1].ok and len([s for s in out[1].samples if s.measurement == "interface"]) == 24
    return out[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_peer_is_recorded_and_the_cycle_goes_on(case: str) -> None:
    mangle, ok, text = CASES[case]
    o = asyncio.run(_run(mangle))
    assert o.ok is ok, (o.error, o.problems)
    where = (o.error or "") if not ok else " | ".join(o.problems)
    assert text in where, where
    assert o.samples[0].measurement == "snmp_system"
    assert o.samples[0].fields["reachable"] is ok


def test_ipv6_and_host_names_reach_their_agents() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this Python")

    async def run() -> list[PollOutcome]:
        port = free_port(socket.SOCK_DGRAM)
        mib = Mib(device_records("ap", "v6", 3))
        servers = [await serve("127.0.0.1", port, FakeAgent(mib))]
        try:
            servers.append(await serve("::1", port, FakeAgent(mib)))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        poller = SnmpPoller(SnmpConfig(device_deadline_s=3))
        try:
            return await poller.poll(
                [
                    SnmpTarget("v6", "::1", port),
                    SnmpTarget("by-name", "localhost", port),
                    SnmpTarget("unknown-name", "no-such-host.invalid", port),
                ]
            )
        finally:
            poller.close()
            for s in servers:
                s.close()

    v6, by_name, unknown = asyncio.run(run())
    assert v6.ok and by_name.ok, (v6.error, by_name.error)
    assert not unknown.ok and unknown.error and unknown.error.startswith("resolve")


def test_scalar_table_from_an_extra_profile_dir(tmp_path: Path) -> None:
    """A site-specific profile: scalars (one GET) with numbers in strings, plus IF-MIB."""
    (tmp_path / "acme.yaml").write_text(
        "name: acme-radio\ninclude: [if-mib]\nsys_object_ids: [1.3.6.1.4.1.99999]\n"
        "tables:\n  - name: link\n    kind: radio_link\n    scalar: true\n    columns:\n"
        "      rssi_dbm: {oid: 1.3.6.1.4.1.99999.1.1, parse: float-text}\n"
        "      snr_db: 1.3.6.1.4.1.99999.1.2\n"
    )
    lines = [
        "1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.7",
        "1.3.6.1.2.1.1.3.0|67|1000",
        "1.3.6.1.2.1.2.2.1.2.1|4|eth0",
        "1.3.6.1.2.1.2.2.1.8.1|2|1",
        "1.3.6.1.4.1.99999.1.1.0|4|-84.5",
        "1.3.6.1.4.1.99999.1.2.0|2|30",
    ]

    async def run() -> PollOutcome:
        port = free_port(socket.SOCK_DGRAM)
        server = await serve("127.0.0.1", port, FakeAgent(Mib(lines)))
        poller = SnmpPoller(SnmpConfig(profiles_dir=tmp_path, device_deadline_s=3))
        try:
            (o,) = await poller.poll([SnmpTarget("acme", "127.0.0.1", port, tags={"link": "L"})])
            return o
        finally:
            poller.close()
            server.close()

    o = asyncio.run(run())
    assert o.ok and o.profile == "acme-radio", o.error
    (r,) = [s for s in o.samples if s.measurement == "radio_link"]
    assert r.fields == {"rssi_dbm": -84.5, "snr_db": 30.0} and r.tags["link"] == "L"
    assert [s.tags["ifname"] for s in o.samples if s.measurement == "interface"] == ["eth0"]
