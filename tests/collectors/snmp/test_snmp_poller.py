"""The poller against snmpsim: the generated lab (rates) and real devices' recordings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from pydantic import SecretStr

from netagent.collectors.samples import Sample
from netagent.collectors.snmp import (
    PollOutcome,
    SnmpConfig,
    SnmpCredentials,
    SnmpPoller,
    SnmpTarget,
)
from tests.fixtures.snmpsim import RunningLab


def _targets(lab: RunningLab, **tags: str) -> list[SnmpTarget]:
    return [
        SnmpTarget(
            d.name,
            d.address,
            d.port,
            credentials=SnmpCredentials(community=SecretStr(lab.lab.communities[d.name])),
            tags={"role": d.kind, **tags},
        )
        for d in lab.devices
    ]


def _by(outcomes: Sequence[PollOutcome]) -> dict[str, PollOutcome]:
    return {o.device: o for o in outcomes}


def _of(o: PollOutcome, measurement: str) -> list[Sample]:
    return [s for s in o.samples if s.measurement == measurement]


def test_lab_two_polls_give_rates_and_every_kind(snmpsim_lab: RunningLab) -> None:
    poller = SnmpPoller(SnmpConfig(device_deadline_s=8))
    try:
        first = _by(asyncio.run(poller.poll(_targets(snmpsim_lab, link="coviolo-1", side="a"))))
        time.sleep(1.2)
        second = _by(asyncio.run(poller.poll(_targets(snmpsim_lab, link="coviolo-1", side="a"))))
    finally:
        poller.close()
    assert all(o.ok for o in second.values()), {d: o.error for d, o in second.items()}
    # profiles chosen from sysObjectID (+ probe for the two Ubiquiti kinds)
    assert {d: o.profile for d, o in second.items()} == {
        "sim-switch": "switch",
        "sim-ap": "unifi",
        "sim-airmax": "airmax",
        "sim-mikrotik": "mikrotik",
    }
    sw = second["sim-switch"]
    ports = _of(sw, "interface")
    assert len(ports) == 24
    # the first poll only seeds the counters: no rate yet, so no spike either
    assert not any("in_bps" in s.fields for s in _of(first["sim-switch"], "interface"))
    up = [s for s in ports if s.fields["oper_up"]]
    assert len(up) == 20 and all(0 < float(s.fields["in_bps"]) < 1e9 for s in up)
    assert all(s.fields["speed_bps"] == 1e9 for s in ports)
    system = _of(sw, "snmp_system")[0]
    assert system.tags == {"device": "sim-switch", "role": "switch"}
    assert system.fields["reachable"] is True and float(system.fields["uptime_s"]) > 0
    ap = {s.tags["radio"]: s.fields["clients"] for s in _of(second["sim-ap"], "wifi")}
    assert set(ap) == {"ng", "na"} and all(isinstance(n, int) for n in ap.values())
    (radio,) = _of(second["sim-airmax"], "radio_link")
    assert radio.tags == {"link": "coviolo-1", "device": "sim-airmax", "side": "a"}
    f = radio.fields
    assert float(f["snr_db"]) == float(f["rssi_dbm"]) - float(f["noise_dbm"])
    assert {"ccq_pct", "capacity_mbps"} <= set(f)
    (mt,) = _of(second["sim-mikrotik"], "radio_link")
    assert {"rssi_dbm", "snr_db", "capacity_mbps"} <= set(mt.fields)


def test_dead_device_costs_its_deadline_and_others_still_answer(snmpsim_lab: RunningLab) -> None:
    poller = SnmpPoller(SnmpConfig(device_deadline_s=1.5, request_timeout_s=0.5))
    dead = SnmpTarget("dead-ap", "127.0.0.1", 9, tags={"role": "wifi-ap"})  # discard port
    try:
        out = _by(asyncio.run(poller.poll([dead, *_targets(snmpsim_lab)])))
    finally:
        poller.close()
    assert not out["dead-ap"].ok and out["dead-ap"].error and "timeout" in out["dead-ap"].error
    assert out["dead-ap"].samples[0].fields["reachable"] is False
    assert all(o.ok for d, o in out.items() if d != "dead-ap")


def test_wrong_community_is_reported_as_timeout_without_the_secret(snmpsim_lab: RunningLab) -> None:
    d = snmpsim_lab.devices[0]
    t = SnmpTarget(
        d.name,
        d.address,
        d.port,
        credentials=SnmpCredentials(community=SecretStr("very-secret-wrong")),
    )
    poller = SnmpPoller(SnmpConfig(device_deadline_s=1.0, request_timeout_s=0.4))
    (o,) = asyncio.run(poller.poll([t]))
    poller.close()
    assert not o.ok and o.error and "wrong community" in o.error and "very-secret" not in o.error


def _poll_recording(port: int, community: str, profile: str | None = None) -> PollOutcome:
    t = SnmpTarget(
        community,
        "127.0.0.1",
        port,
        profile=profile,
        credentials=SnmpCredentials(community=SecretStr(community)),
        tags={"role": "x"},
    )
    poller = SnmpPoller(SnmpConfig(device_deadline_s=10))
    try:
        (o,) = asyncio.run(poller.poll([t]))
    finally:
        poller.close()
    assert o.ok, o.error
    return o


def test_recording_unifi_clients_summed_per_radio(snmpsim_recordings: int) -> None:
    o = _poll_recording(snmpsim_recordings, "unifi")
    assert o.profile == "unifi"
    assert {s.tags["radio"]: s.fields["clients"] for s in _of(o, "wifi")} == {"ng": 4}
    # no ifTable in this recording: reported as a problem, not a crash
    assert any("interfaces" in p for p in o.problems)


def test_recording_airmax_link_quality(snmpsim_recordings: int) -> None:
    o = _poll_recording(snmpsim_recordings, "airos_airos8")
    assert o.profile == "airmax"
    (r,) = _of(o, "radio_link")
    assert r.fields == {
        "rssi_dbm": -70.0,
        "ccq_pct": 33.0,
        "noise_dbm": -91.0,
        "capacity_mbps": 39.0,
        "snr_db": 21.0,
        "rx_rate_mbps": 52.0,
        "frequency_mhz": 5780.0,
        "tx_power_dbm": 24.0,
        "distance_m": 1200.0,
        "airmax_capacity_pct": 0.0,
        "airtime_pct": 69.9,
    }
    assert len(_of(o, "interface")) == 9


def test_recording_mikrotik_registration_table(snmpsim_recordings: int) -> None:
    o = _poll_recording(snmpsim_recordings, "routeros")
    assert o.profile == "mikrotik"
    links = _of(o, "radio_link")
    assert len(links) == 11  # one per registered station
    assert sorted(float(s.fields["rssi_dbm"]) for s in links)[0] == -91.0
    # two interfaces share an SSID: their clients add up under one radio tag
    assert {s.tags["radio"]: s.fields["clients"] for s in _of(o, "wifi")} == {
        "WARKOP-KOPIBOSS-B": 7,
        "WARKOP-KOPIBOSS-A": 0,
        "WARKOP-KOPIBOSS": 4,
    }


def test_recording_48_port_switch(snmpsim_recordings: int) -> None:
    o = _poll_recording(snmpsim_recordings, "alaxala_model-ax3630s-48tw")
    assert o.profile == "switch"
    assert len(_of(o, "interface")) >= 49


def test_unknown_profile_in_inventory_falls_back_and_says_so(snmpsim_recordings: int) -> None:
    o = _poll_recording(snmpsim_recordings, "routeros", profile="mikrotk-typo")
    assert o.profile == "mikrotik"
    assert any("unknown SNMP profile 'mikrotk-typo'" in p for p in o.problems)
