"""The airFiber and Cambium ePMP profiles against real devices' walks (LibreNMS recordings).

Expected values are read by hand from tests/data/snmprec/airos-af.snmprec and epmp.snmprec:

airFiber (sysObjectID 1.3.6.1.4.1.10002.1, shared with airMAX and UniFi: the probe decides)
  41112.1.3.2.1.11.1 = -42         rxPower0, RX chain 0 (dBm)        -> rssi_dbm -42.0
  41112.1.3.2.1.6.1  = 684856960   txCapacity (bit/s) x 1e-6         -> capacity_mbps 684.85696
  41112.1.3.2.1.5.1  = 686400640   rxCapacity (bit/s) x 1e-6         -> rx_capacity_mbps 686.40064
  41112.1.3.2.1.14.1 = -42         rxPower1, RX chain 1 (dBm)        -> rssi_chain1_dbm -42.0
  41112.1.3.2.1.4.1  = 11450       radioLinkDistM (m)                -> distance_m 11450.0
  no noise floor / SNR / CCQ in UBNT-AirFIBER-MIB                    -> absent, not guessed
ePMP (sysObjectID 1.3.6.1.4.1.17713.21)
  17713.21.1.2.18.0  = 34          cambiumSTADLSNR (dB)              -> snr_db 34.0
  17713.21.1.2.3.0   absent        cambiumSTADLRSSI                  -> no rssi_dbm
  17713.21.1.2.1.0   = 5210        cambiumSTAConnectedRFFrequency    -> frequency_mhz 5210.0
  17713.21.1.2.10.0  = 1           cambiumAPNumberOfConnectedSTA     -> wifi clients 1
  17713.21.1.1.11.0  absent        cambiumEffectiveSSID              -> radio label "0" (the index)

The recordings' counters and sysUpTime are static, so two polls of them give no rate; the
rate tests serve the same recording again with sysUpTime and a few counters advanced by known
amounts (the fake agent), and check the exact rates.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from netagent.agent.demo.fakeagent import FakeAgent, Mib, serve
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import (
    PollOutcome,
    SnmpConfig,
    SnmpCredentials,
    SnmpPoller,
    SnmpTarget,
    load_profiles,
)

RECORDINGS = Path(__file__).parents[2] / "data" / "snmprec"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"

AIRFIBER_LINK = {
    "rssi_dbm": -42.0,
    "capacity_mbps": 684.85696,
    "rx_capacity_mbps": 686.40064,
    "rssi_chain1_dbm": -42.0,
    "distance_m": 11450.0,
}
EPMP_LINK = {"snr_db": 34.0, "frequency_mhz": 5210.0}
AIRFIBER_IFACES = {"lo", "sit0", "eth0", "air0", "eth0.101", "air0.101", "br1"}  # ifDescr
EPMP_IFACES = {"LAN interface 1", "WLAN interface"}  # ifName


def _target(port: int, community: str, profile: str | None) -> SnmpTarget:
    return SnmpTarget(
        community,
        "127.0.0.1",
        port,
        profile=profile,
        credentials=SnmpCredentials(community=SecretStr(community)),
        tags={"role": "ptp-radio", "link": "test-link", "side": "a"},
    )


def _of(o: PollOutcome, measurement: str) -> list[Sample]:
    return [s for s in o.samples if s.measurement == measurement]


def _poll_twice(target: SnmpTarget) -> tuple[PollOutcome, PollOutcome]:
    poller = SnmpPoller(SnmpConfig(device_deadline_s=10))
    try:
        (first,) = asyncio.run(poller.poll([target]))
        (second,) = asyncio.run(poller.poll([target]))
    finally:
        poller.close()
    assert first.ok and second.ok, (first.error, second.error)
    return first, second


# --- choice of profile ---------------------------------------------------------------------


def test_candidates_for_the_shared_ubiquiti_id_and_for_cambium() -> None:
    p = load_profiles()
    # airFiber, AF60, airMAX and UniFi share 10002.1: all four are probed, in this order
    assert [c.name for c in p.candidates("1.3.6.1.4.1.10002.1")] == [
        "airfiber",
        "airfiber-af60",
        "airmax",
        "unifi",
    ]
    assert p["airfiber"].probe == "1.3.6.1.4.1.41112.1.3.2.1"
    # an ePMP AP with SMs connected is probed for first (its station table)
    assert [c.name for c in p.candidates("1.3.6.1.4.1.17713.21")] == ["epmp-ap", "epmp"]
    assert p.for_platform("airos-af") == "airfiber"
    assert p.for_platform("epmp") == "epmp"
    assert p.for_platform("airos") == "airmax"


@pytest.mark.parametrize(
    ("community", "expected"),
    [
        ("airos-af", "airfiber"),
        ("airos_airos8", "airmax"),
        ("unifi", "unifi"),
        ("epmp", "epmp"),
    ],
)
def test_profile_from_sys_object_id_on_the_recordings(
    snmpsim_recordings: int, community: str, expected: str
) -> None:
    first, second = _poll_twice(_target(snmpsim_recordings, community, None))
    assert (first.profile, second.profile) == (expected, expected)  # probed, then remembered


# --- airFiber ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [None, "airfiber"], ids=["by-sysObjectID", "explicit"])
def test_airfiber_recording_link_quality(snmpsim_recordings: int, profile: str | None) -> None:
    polls = _poll_twice(_target(snmpsim_recordings, "airos-af", profile))
    for o in polls:
        assert o.profile == "airfiber"
        assert o.problems == []
        (r,) = _of(o, "radio_link")
        assert r.tags == {"link": "test-link", "device": "airos-af", "side": "a"}
        assert r.fields == AIRFIBER_LINK
        assert _of(o, "wifi") == []
        ifaces = {s.tags["ifname"]: s.fields for s in _of(o, "interface")}
        assert set(ifaces) == AIRFIBER_IFACES
        assert {n for n, f in ifaces.items() if f["oper_up"]} == {"lo", "air0", "air0.101", "br1"}
        assert ifaces["eth0"]["speed_bps"] == 10_000_000.0  # ifSpeed; no ifXTable here
    # static counters and sysUpTime: no interval, so no rate at all (rather than a false 0)
    assert not any("in_bps" in s.fields for s in _of(polls[1], "interface"))


# --- ePMP ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [None, "epmp"], ids=["by-sysObjectID", "explicit"])
def test_epmp_recording_link_and_stations(snmpsim_recordings: int, profile: str | None) -> None:
    polls = _poll_twice(_target(snmpsim_recordings, "epmp", profile))
    for o in polls:
        assert o.profile == "epmp"
        assert o.problems == []
        (r,) = _of(o, "radio_link")
        assert r.tags == {"link": "test-link", "device": "epmp", "side": "a"}
        assert r.fields == EPMP_LINK  # no cambiumSTADLRSSI in the walk: no rssi_dbm
        assert {s.tags["radio"]: s.fields["clients"] for s in _of(o, "wifi")} == {"0": 1}
        ifaces = {s.tags["ifname"]: s.fields for s in _of(o, "interface")}
        assert set(ifaces) == EPMP_IFACES
        assert all(f["oper_up"] is True for f in ifaces.values())
    assert not any("in_bps" in s.fields for s in _of(polls[1], "interface"))


# --- rates: the same recordings, served again with counters advanced -------------------------


def _advanced(lines: list[str], ticks: int, deltas: dict[str, int]) -> list[str]:
    """The recording with sysUpTime + ticks and each OID of `deltas` increased by its delta."""
    out = []
    for line in lines:
        oid, tag, value = line.split("|", 2)
        if oid == SYS_UPTIME:
            value = str(int(value) + ticks)
        elif oid in deltas:
            value = str(int(value) + deltas.pop(oid))
        out.append(f"{oid}|{tag}|{value}")
    assert not deltas, f"not in the recording: {deltas}"
    return out


async def _poll_before_after(
    before: list[str], after: list[str], community: str, profile: str | None
) -> tuple[PollOutcome, PollOutcome]:
    agent = FakeAgent(Mib(before))
    transport = await serve("127.0.0.1", 0, agent)
    port = int(transport.get_extra_info("sockname")[1])
    poller = SnmpPoller(SnmpConfig(device_deadline_s=5))
    target = _target(port, community, profile)
    try:
        (first,) = await poller.poll([target])
        agent.mib = Mib(after)
        (second,) = await poller.poll([target])
    finally:
        poller.close()
        transport.close()
    assert first.ok and second.ok, (first.error, second.error)
    return first, second


def _rates(o: PollOutcome) -> dict[str, tuple[float, float]]:
    return {
        s.tags["ifname"]: (float(s.fields["in_bps"]), float(s.fields["out_bps"]))
        for s in _of(o, "interface")
        if "in_bps" in s.fields
    }


@pytest.mark.parametrize("profile", [None, "airfiber"], ids=["by-sysObjectID", "explicit"])
def test_airfiber_rates_from_32bit_iftable(profile: str | None) -> None:
    lines = (RECORDINGS / "airos-af.snmprec").read_text().splitlines()
    # 10 s later (1000 ticks): air0 (ifIndex 4) got 12.5 MB in and 25 MB out
    after = _advanced(
        lines,
        1000,
        {"1.3.6.1.2.1.2.2.1.10.4": 12_500_000, "1.3.6.1.2.1.2.2.1.16.4": 25_000_000},
    )
    first, second = asyncio.run(_poll_before_after(lines, after, "airos-af", profile))
    assert first.profile == second.profile == "airfiber"
    assert _rates(first) == {}
    assert _rates(second) == {
        "lo": (0.0, 0.0),
        "sit0": (0.0, 0.0),
        "eth0": (0.0, 0.0),
        "air0": (10_000_000.0, 20_000_000.0),
        "eth0.101": (0.0, 0.0),
        "air0.101": (0.0, 0.0),
        "br1": (0.0, 0.0),
    }
    (r,) = _of(second, "radio_link")
    assert r.fields == AIRFIBER_LINK


@pytest.mark.parametrize("profile", [None, "epmp"], ids=["by-sysObjectID", "explicit"])
def test_epmp_rates_from_64bit_counters(profile: str | None) -> None:
    lines = (RECORDINGS / "epmp.snmprec").read_text().splitlines()
    # 10 s later: the WLAN interface (ifIndex 2) got 125 MB in and 62.5 MB out (ifHC*),
    # and 50 more outbound errors (ifOutErrors)
    after = _advanced(
        lines,
        1000,
        {
            "1.3.6.1.2.1.31.1.1.1.6.2": 125_000_000,
            "1.3.6.1.2.1.31.1.1.1.10.2": 62_500_000,
            "1.3.6.1.2.1.2.2.1.20.2": 50,
        },
    )
    first, second = asyncio.run(_poll_before_after(lines, after, "epmp", profile))
    assert first.profile == second.profile == "epmp"
    assert _rates(first) == {}
    assert _rates(second) == {
        "LAN interface 1": (0.0, 0.0),
        "WLAN interface": (100_000_000.0, 50_000_000.0),
    }
    wlan = next(s for s in _of(second, "interface") if s.tags["ifname"] == "WLAN interface")
    assert (wlan.fields["in_errors"], wlan.fields["out_errors"]) == (0.0, 5.0)
    (r,) = _of(second, "radio_link")
    assert r.fields == EPMP_LINK
    assert {s.tags["radio"]: s.fields["clients"] for s in _of(second, "wifi")} == {"0": 1}
