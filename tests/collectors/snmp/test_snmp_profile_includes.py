"""The includes any profile can use (ENTITY-SENSOR with SFP DOM, HOST-RESOURCES) against
real walks, value by value against `snmpbulkwalk` of the same recording.

arista_eos.snmprec: an Arista DCS-7050TX's transceiver on Ethernet17 (temperature,
voltage, bias current, TX power 0.2454 mW, and an RX power of -10^9: no light).
airos-af-ltu_1.1.snmprec: an airFiber LTU's hrStorageTable and two processors.
"""

from __future__ import annotations

import asyncio
import math

from tests.collectors.snmp.test_snmp_profile_gear import bulkwalk, poll_lines
from tests.collectors.snmp.test_snmp_vendor_profiles import RECORDINGS, _of, _poll_twice, _target

SENSOR = "1.3.6.1.2.1.99.1.1.1."
DESCR = "1.3.6.1.2.1.47.1.1.1.1.2."
UNITS = {8: "celsius", 4: "volts_dc", 5: "amperes", 6: "watts"}


def test_entity_sensors_and_optical_power(snmpsim_recordings: int) -> None:
    w = bulkwalk(snmpsim_recordings, "arista_eos")
    indexes = [k.removeprefix(SENSOR + "4.") for k in w if k.startswith(SENSOR + "4.")]
    assert len(indexes) == 5
    expected = {}
    for i in indexes:
        raw, scale, prec = (int(w[f"{SENSOR}{c}.{i}"]) for c in (4, 2, 3))
        kind = UNITS[int(w[f"{SENSOR}1.{i}"])]
        fields: dict[str, object] = {"ok": w[f"{SENSOR}5.{i}"] == "1"}
        if not (kind == "watts" and raw < 0):  # -10^9: no light, no reading
            fields["value"] = raw * 10 ** (3 * (scale - 9)) / 10**prec
        if kind == "watts" and raw > 0:
            fields["dbm"] = 10 * math.log10(raw * 10 ** (3 * (scale - 9)) / 10**prec * 1000)
        expected[(w[DESCR + i], kind)] = fields
    for o in _poll_twice(_target(snmpsim_recordings, "arista_eos", "entity-sensor")):
        assert o.problems == []
        got = {(s.tags["sensor"], s.tags["type"]): dict(s.fields) for s in _of(o, "sensor")}
        assert got.keys() == expected.keys()
        for key, fields in expected.items():
            assert got[key].keys() == fields.keys(), key
            for f, v in fields.items():
                g = got[key][f]
                # the test computes in another order: equal to the last few ulps
                same = g == v if isinstance(v, bool) else math.isclose(g, v, rel_tol=1e-12)  # type: ignore[arg-type]
                assert same, (key, f, g, v)
    # the figures an operator reads on the dashboard, from the datasheet units
    tx = got[("DOM TX Power Sensor for Ethernet17", "watts")]
    assert (round(float(tx["value"]) * 1000, 4), round(float(tx["dbm"]), 2)) == (0.2454, -6.10)
    assert got[("DOM Temperature Sensor for Ethernet17", "celsius")]["value"] == 34.8
    assert got[("DOM RX Power Sensor for Ethernet17", "watts")] == {"ok": True}


def test_host_resources_cpu_and_memory(snmpsim_recordings: int) -> None:
    w = bulkwalk(snmpsim_recordings, "airos-af-ltu_1.1")
    storage = "1.3.6.1.2.1.25.2.3.1."
    (ram,) = [
        k.rsplit(".", 1)[1]
        for k, v in w.items()
        if k.startswith(storage + "2.") and v == ".1.3.6.1.2.1.25.2.1.2"
    ]
    unit = int(w[f"{storage}4.{ram}"])
    loads = [int(v) for k, v in w.items() if k.startswith("1.3.6.1.2.1.25.3.3.1.2.")]
    for o in _poll_twice(_target(snmpsim_recordings, "airos-af-ltu_1.1", "host-resources")):
        assert o.problems == []
        (h,) = _of(o, "host")
        assert h.tags == {"device": "airos-af-ltu_1.1"}
        assert h.fields == {
            "mem_total_bytes": float(int(w[f"{storage}5.{ram}"]) * unit),
            "mem_used_bytes": float(int(w[f"{storage}6.{ram}"]) * unit),
            "cpu_pct": sum(loads) / len(loads),
            "cpus": len(loads),
        }
    # 251032 KiB of RAM, 193332 KiB used, processors at 23 % and 8 %
    assert (h.fields["mem_total_bytes"], h.fields["cpu_pct"]) == (257_056_768.0, 15.5)


def test_sensor_not_ok_and_nameless_sensors() -> None:
    """The Arista walk with the temperature sensor failed (entPhySensorOperStatus
    nonoperational) and the voltage sensor's entity description gone."""
    lines = (RECORDINGS / "arista_eos.snmprec").read_text().splitlines()
    lines = [ln for ln in lines if not ln.startswith(DESCR + "100317202|")]
    lines = [ln.replace(f"{SENSOR}5.100317201|2|1", f"{SENSOR}5.100317201|2|3") for ln in lines]
    o = asyncio.run(poll_lines(lines, "entity-sensor"))
    got = {s.tags["sensor"]: dict(s.fields) for s in _of(o, "sensor")}
    assert got["DOM Temperature Sensor for Ethernet17"] == {"ok": False}  # no stale value
    assert got["sensor100317202"] == {"ok": True, "value": 3.34}
