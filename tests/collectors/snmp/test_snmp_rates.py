"""Counters to rates: no spikes after reboots or clears, wraps only where plausible, the
state kept across restarts."""

from __future__ import annotations

from pathlib import Path

from netagent.collectors.snmp.rates import WRAP32, CounterState
from netagent.collectors.snmp.state import load_state, snapshot, write_state
from netagent.collectors.snmp.walk import Memory

SPEED_100M = 12_500_000.0  # bytes/s


def _poll(
    st: CounterState,
    uptime: int | None,
    value: int,
    bits: int = 64,
    limit: float | None = None,
    wall: float | None = None,
) -> float | None:
    iv = st.begin("sw1", uptime, wall)
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
    assert st.stats.counter_resets == 1


def test_64bit_counter_going_back_is_a_reset_not_a_wrap() -> None:
    st = CounterState()
    _poll(st, 100, 10_000)
    assert _poll(st, 200, 5) is None
    assert st.stats.counter_resets == 1 and st.stats.counter_wraps == 0


def test_32bit_counter_wraps_when_the_speed_allows_it() -> None:
    st = CounterState()
    _poll(st, 100, WRAP32 - 500, bits=32, limit=SPEED_100M)
    assert _poll(st, 200, 500, bits=32, limit=SPEED_100M) == 1000.0
    assert st.stats.counter_wraps == 1


def test_32bit_clear_on_a_port_of_unknown_speed_is_a_reset_not_a_spike() -> None:
    """The field case: 8 Mb/s on a port of unknown speed, counters cleared (uptime moves)."""
    st = CounterState()
    _poll(st, 0, 3_000_000_000, bits=32)
    assert _poll(st, 3000, 3_030_000_000, bits=32) == 1_000_000.0  # 8 Mb/s
    assert _poll(st, 6000, 30_000_000, bits=32) is None  # cleared: would imply 1.4 Gb/s
    assert st.stats.counter_resets == 1 and st.stats.counter_wraps == 0
    assert _poll(st, 9000, 60_000_000, bits=32) == 1_000_000.0


def test_32bit_wrap_at_the_same_pace_is_a_wrap_even_without_a_speed() -> None:
    st = CounterState()
    _poll(st, 0, WRAP32 - 60_000_000, bits=32)
    assert _poll(st, 3000, WRAP32 - 30_000_000, bits=32) == 1_000_000.0
    assert _poll(st, 6000, 0, bits=32) == 1_000_000.0
    assert st.stats.counter_wraps == 1


def test_32bit_clear_without_any_history_gives_no_rate() -> None:
    st = CounterState()
    _poll(st, 100, 3_000_000_000, bits=32)
    assert _poll(st, 200, 10, bits=32) is None  # unknown speed, no previous rate
    assert st.stats.counter_resets == 1


def test_rate_above_the_speed_is_kept() -> None:
    """The speed bounds what a wrap may imply, never a measured rate."""
    st = CounterState()
    _poll(st, 100, 1000, limit=SPEED_100M)
    assert _poll(st, 200, 50_001_000, limit=SPEED_100M) == 50_000_000.0


def test_frozen_uptime_times_rates_with_the_wall_clock() -> None:
    st = CounterState()
    _poll(st, 500, 0, wall=1000.0)
    iv = st.begin("sw1", 500, 1010.0)
    assert iv.frozen and iv.rate("1:in", 1000, 64) == 100.0


def test_no_uptime_falls_back_to_the_wall_clock() -> None:
    st = CounterState()
    _poll(st, None, 0, wall=10.0)
    assert _poll(st, None, 600, wall=16.0) == 100.0


def test_state_older_than_max_age_reseeds() -> None:
    st = CounterState(max_age_s=60)
    _poll(st, None, 0, wall=10.0)
    assert _poll(st, None, 600, wall=100.0) is None


def test_discontinuity_marker_reseeds_its_counters() -> None:
    st = CounterState()
    iv = st.begin("sw1", 100)
    assert not iv.discontinuity("1:d", 50)
    iv.rate("1:in", 1000, 64)
    iv.commit()
    iv = st.begin("sw1", 200)
    assert iv.discontinuity("1:d", 150)
    assert iv.rate("1:in", 999_999, 64, reseed=True) is None
    assert st.stats.counter_resets == 1


def test_state_survives_a_restart_and_a_bad_file_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / "data" / "snmp-counters.json"
    st = CounterState()
    _poll(st, 1000, 5_000)
    write_state(path, snapshot(st, {"sw1": Memory(rows={b"\x2b\x06": 24}, getnext={b"\x2b"})}))
    again, memory = CounterState(), dict[str, Memory]()
    assert load_state(path, again, memory) is None
    assert _poll(again, 2000, 15_000) == 1_000.0  # first poll after the restart: a rate
    assert memory["sw1"].rows == {b"\x2b\x06": 24} and memory["sw1"].getnext == {b"\x2b"}
    path.write_text("{not json")
    why = load_state(path, CounterState(), {})
    assert why and "unreadable SNMP state" in why and str(path) in why
    assert load_state(tmp_path / "absent.json", CounterState(), {}) is None
