"""Counters to rates: no spikes after reboots, wraps only for 32-bit, implausible dropped."""

from __future__ import annotations

from collectors.snmp.rates import WRAP32, CounterState


def _poll(
    st: CounterState,
    uptime: int | None,
    value: int,
    bits: int = 64,
    limit: float | None = None,
    mono: float | None = None,
) -> float | None:
    iv = st.begin("sw1", uptime, mono)
    r = iv.rate("1:in", value, bits, limit)
    iv.commit()
    return r


def test_first_poll_seeds_then_rate_uses_agent_uptime() -> None:
    st = CounterState()
    assert _poll(st, 1000, 5_000) is None
    assert _poll(st, 2000, 15_000) == 1_000.0  # 10 000 octets in 10 s of sysUpTime


def test_reboot_reseeds_without_a_spike() -> None:
    st = CounterState()
    _poll(st, 100_000, 9_000_000)
    assert _poll(st, 500, 10) is None  # sysUpTime went back: rebooted
    assert _poll(st, 1500, 1010) == 100.0
    assert st.stats.resets == 1


def test_64bit_counter_going_back_is_a_reset_not_a_wrap() -> None:
    st = CounterState()
    _poll(st, 100, 10_000)
    assert _poll(st, 200, 5) is None
    assert st.stats.resets == 1 and st.stats.wraps == 0


def test_32bit_counter_wraps_at_2_pow_32() -> None:
    st = CounterState()
    _poll(st, 100, WRAP32 - 500, bits=32)
    assert _poll(st, 200, 500, bits=32) == 1000.0
    assert st.stats.wraps == 1


def test_rate_above_interface_speed_is_dropped_and_counted() -> None:
    st = CounterState()
    _poll(st, 100, 1000, bits=32, limit=12_500_000)  # 100 Mbit/s = 12.5 MB/s
    # a 32-bit counter cleared without a reboot looks like a near-2^32 wrap: implausible
    assert _poll(st, 200, 10, bits=32, limit=12_500_000) is None
    assert _poll(st, 300, 50_000_000, bits=64, limit=12_500_000) is None  # 50 MB in 1 s
    assert st.stats.dropped == 2
    assert _poll(st, 400, 51_000_000, bits=64, limit=12_500_000) == 1_000_000.0


def test_no_uptime_falls_back_to_monotonic_clock() -> None:
    st = CounterState()
    _poll(st, None, 0, mono=10.0)
    assert _poll(st, None, 600, mono=16.0) == 100.0
