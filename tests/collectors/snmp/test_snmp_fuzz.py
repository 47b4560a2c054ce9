"""Whatever well-formed nonsense an agent answers, reading a device never raises."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netagent.collectors.snmp import PollOutcome, SnmpConfig, SnmpPoller, SnmpTarget, ber
from netagent.collectors.snmp.ber import VarBind
from netagent.collectors.snmp.transport import SnmpError

TAGS = [
    ber.INTEGER,
    ber.OCTET_STRING,
    ber.OBJECT_ID,
    ber.COUNTER32,
    ber.GAUGE32,
    ber.TIMETICKS,
    ber.COUNTER64,
    ber.IP_ADDRESS,
    ber.NO_SUCH_OBJECT,
    ber.END_OF_MIB_VIEW,
]
PROFILES = SnmpPoller(SnmpConfig()).profiles
Draw = Callable[[st.SearchStrategy[Any]], Any]


def _value(draw: Draw, tag: int) -> ber.Value:
    if tag in ber.EXCEPTIONS:
        return None
    if tag in (ber.OCTET_STRING, ber.IP_ADDRESS):
        return draw(st.sampled_from([b"", b"-71.0", b"ng", b"\xff\xfe", b"x" * 300]))
    if tag == ber.OBJECT_ID:
        return ber.oid_encode("1.3.6.1.4.1.41112.1")
    return draw(st.integers(-(2**31), 2**64 - 1))


class _Fake:
    """What the walker reads of a session besides its requests."""

    can_bulk = True
    overhead = 40
    served = 0
    last_size = 0


class FuzzSession(_Fake):
    """Answers each request with random varbinds near (or far from) what was asked."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self.calls = 0

    def _answer(self, oids: Sequence[bytes], n: int) -> list[VarBind]:
        self.calls += 1
        if self.calls > 30:
            raise SnmpError("timeout", "fuzz session is done")
        out: list[VarBind] = []
        for _ in range(self.draw(st.integers(0, n))):
            base = self.draw(st.sampled_from(list(oids)))
            oid = base + bytes(self.draw(st.lists(st.integers(0, 127), max_size=3)))
            tag = self.draw(st.sampled_from(TAGS))
            out.append((oid, tag, _value(self.draw, tag)))
        return out

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]:
        return self._answer(oids, len(oids))

    async def next(self, oids: Sequence[bytes]) -> list[VarBind]:
        return self._answer(oids, len(oids))

    async def bulk(
        self, oids: Sequence[bytes], max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        return self._answer(oids, len(oids) * 3)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from([None, "switch", "unifi", "airmax", "mikrotik"]))
def test_reading_random_answers_never_raises(data: st.DataObject, profile: str | None) -> None:
    t = SnmpTarget("fuzz", "127.0.0.1", profile=profile, tags={"role": "x"})
    out = PollOutcome("fuzz", False, None, 0.0, [])
    poller = SnmpPoller(SnmpConfig(), PROFILES)  # fresh: its profile cache is per-device state
    # SnmpError is the only way out besides success: recorded as the device's error
    with contextlib.suppress(SnmpError):
        asyncio.run(poller._read(FuzzSession(data.draw), t, out))
    for s in out.samples:
        assert s.measurement in {"interface", "wifi", "radio_link"}
        assert all(isinstance(v, int | float | bool | str) for v in s.fields.values())


class WrongSysObjectId(_Fake):
    """An agent whose sysObjectID is not an OID (seen in the field as an OCTET STRING)."""

    def __init__(self, tag: int, value: bytes) -> None:
        self.tag, self.value = tag, value

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]:
        sys_oid = ber.oid_encode("1.3.6.1.2.1.1.2.0")
        return [(o, self.tag, self.value) if o == sys_oid else (o, ber.NULL, None) for o in oids]

    async def next(self, oids: Sequence[bytes]) -> list[VarBind]:
        return [(o, ber.END_OF_MIB_VIEW, None) for o in oids]

    async def bulk(
        self, oids: Sequence[bytes], max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        return [(o, ber.END_OF_MIB_VIEW, None) for o in oids]


def test_a_malformed_sys_object_id_is_a_problem_not_a_failed_poll() -> None:
    poller = SnmpPoller(SnmpConfig(), PROFILES)
    for tag, value in [(ber.OCTET_STRING, b"\xff\xfe"), (ber.OBJECT_ID, b"\x2b\x86")]:
        out = PollOutcome("odd", False, None, 0.0, [])
        t = SnmpTarget("odd", "127.0.0.1", tags={"role": "x"})
        asyncio.run(poller._read(WrongSysObjectId(tag, value), t, out))
        assert out.info["sysObjectID"] == ""
        assert out.profile == SnmpConfig().default_profile
    assert any("sysObjectID is not a valid OID" in p for p in out.problems)
