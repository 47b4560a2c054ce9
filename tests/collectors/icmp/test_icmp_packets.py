"""Echo templates patched per echo are what scapy itself would build; result maths."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from scapy.layers.inet import ICMP
from scapy.layers.inet6 import ICMPv6EchoRequest

from netagent.collectors.icmp import IcmpConfig, IcmpResult, IcmpTarget
from netagent.collectors.icmp.packets import TOKEN, EchoTemplate, describe, payload

u16 = st.integers(0, 0xFFFF)


@given(ident=u16, seq=u16, cookie=st.integers(0, 2**32 - 1), size=st.integers(8, 200))
def test_patched_v4_echo_equals_scapys_own(ident: int, seq: int, cookie: int, size: int) -> None:
    data = payload(cookie, 7, size)
    pkt = EchoTemplate.build(False, data, kernel_checksum=False).packet(ident, seq)
    expected = ICMP(type=8, id=ident, seq=seq) / data
    dissected = ICMP(pkt)
    assert (dissected.type, dissected.id, dissected.seq) == (8, ident, seq)
    # one's complement: 0x0000 and 0xffff are the same checksum
    assert dissected.chksum % 0xFFFF == ICMP(bytes(expected)).chksum % 0xFFFF
    assert bytes(dissected.payload) == data
    assert TOKEN.unpack_from(data) == (cookie, 7)


def test_v6_and_ping_socket_templates_leave_the_checksum_to_the_kernel() -> None:
    data = payload(1, 2, 56)
    v6 = ICMPv6EchoRequest(EchoTemplate.build(True, data, kernel_checksum=False).packet(5, 6))
    assert (v6.type, v6.id, v6.seq, v6.cksum, v6.data) == (128, 5, 6, 0, data)
    v4 = ICMP(EchoTemplate.build(False, data, kernel_checksum=True).packet(5, 6))
    assert v4.chksum == 0


def test_describe_dissects_with_scapy() -> None:
    reply = bytes(ICMP(type=0, id=3, seq=4))
    assert "echo-reply" in describe(reply, v6=False, offset=0)


def result(rtts: tuple[float, ...], sent: int = 4, **kw: int) -> IcmpResult:
    tags = {"role": "wifi-ap", "site": "Piazza Prampolini", "quartiere": "Centro Storico"}
    return IcmpResult(IcmpTarget("ap-1", "127.0.0.1", tags), sent, len(rtts), rtts, **kw)


def test_stats_and_jitter_is_mean_absolute_successive_difference() -> None:
    r = result((1.0, 3.0, 2.0))
    assert r.loss_pct == 25.0
    assert (r.rtt_min_ms, r.rtt_avg_ms, r.rtt_max_ms) == (1.0, 2.0, 3.0)
    assert r.jitter_ms == 1.5  # (|3-1| + |2-3|) / 2
    assert result((4.0,)).jitter_ms is None
    assert result(()).rtt_avg_ms is None and not result(()).up
    assert not result((1.0,), up_threshold=2).up and result((1.0, 1.0), up_threshold=2).up


def test_sample_follows_the_contract() -> None:
    s = result((1.0, 3.0)).to_sample(123)
    assert s.measurement == "icmp" and s.time_ns == 123
    assert dict(s.tags) == {
        "device": "ap-1",
        "role": "wifi-ap",
        "site": "Piazza Prampolini",
        "quartiere": "Centro Storico",
    }
    assert dict(s.fields) == {
        "rtt_min_ms": 1.0,
        "rtt_avg_ms": 2.0,
        "rtt_max_ms": 3.0,
        "jitter_ms": 2.0,
        "loss_pct": 50.0,
        "sent": 4,
        "received": 2,
        "up": True,
    }
    down = IcmpResult(IcmpTarget("x", "::1"), 3, 0, ()).to_sample(1)
    assert dict(down.tags) == {"device": "x", "quartiere": "outside"}
    assert dict(down.fields) == {"loss_pct": 100.0, "sent": 3, "received": 0, "up": False}


def test_targets_key_dicts() -> None:
    a = IcmpTarget("ap-1", "127.0.0.1", {"role": "wifi-ap"})
    assert {a: 1}[IcmpTarget("ap-1", "127.0.0.1", {"role": "wifi-ap"})] == 1


def test_bad_target_and_config_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"'ap-9'.*'10.0.0.300'.*IPv4 or IPv6"):
        IcmpTarget("ap-9", "10.0.0.300")
    with pytest.raises(ValidationError, match="up_threshold"):
        IcmpConfig(count=2, up_threshold=3)
    with pytest.raises(ValidationError, match="count"):
        IcmpConfig(count=0)
