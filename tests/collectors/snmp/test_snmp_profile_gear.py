"""The radio profiles against real devices' walks, value by value against `snmpbulkwalk`.

Each recording (LibreNMS, tests/data/snmprec/SOURCES.md) is served by snmpsim; the poller
chooses the profile from sysObjectID (and the probe) as it would for an unknown device,
and every field it reports is compared with what net-snmp's `snmpbulkwalk` reads from the
same agent, times the profile's scale (text fields as text). A field the poller reports
that no row below names fails the test too: nothing is read that is not checked. Two walks
are synthetic, built from the MIBs where no device recording exists (tests.synthetic_walks).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from netagent.agent.demo.fakeagent import FakeAgent, Mib, serve
from netagent.collectors import schema
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import PollOutcome, SnmpConfig, SnmpPoller
from tests.collectors.snmp.test_snmp_vendor_profiles import RECORDINGS, _of, _poll_twice, _target

PMP = "1.3.6.1.4.1.161.19.3."
LTU = "1.3.6.1.4.1.41112.1.10.1."
LTU_STA = "24.232.41.30.56.214"  # the remote's MAC 18:e8:29:1e:38:d6 as the row index
AIRMAX = "1.3.6.1.4.1.41112.1.4."
AF = "1.3.6.1.4.1.41112.1.3.2.1."
RTAB = "1.3.6.1.4.1.14988.1.1.1.2.1.3."


@dataclass(frozen=True)
class Read:
    """One field of one sample and the recording's OID instance it comes from."""

    measurement: str
    key: tuple[str, str] | None  # (tag, value) picking the sample; None: the only one
    field: str
    oid: str
    scale: float = 1.0


def _station(mac: str, field: str, oid: str, scale: float = 1.0) -> Read:
    return Read("radio_station", ("station", mac), field, oid, scale)


# Cambium PMP 450m and 450i APs: the same WHISP-APS/BOX OIDs (the 450i with FEC/CRC errors)
PMP_AP = [
    Read("radio_link", None, "frequency_mhz", PMP + "1.7.37.0", 1e-3),
    Read("radio_link", None, "util_dl_pct", PMP + "1.12.1.1.0"),
    Read("radio_link", None, "util_ul_pct", PMP + "1.12.1.2.0"),
    Read("radio_link", None, "fec_in_errors_total", PMP + "3.1.95.0"),
    Read("radio_link", None, "fec_out_errors_total", PMP + "3.1.97.0"),
    Read("radio_link", None, "crc_errors_total", PMP + "3.1.223.0"),
    Read("radio_link", None, "reg_failures_total", PMP + "1.7.32.0"),
    Read("wifi", ("radio", "0"), "clients", PMP + "1.7.1.0"),
    _station("2", "snr_h_db", PMP + "1.4.1.84.2"),
    _station("2", "snr_v_db", PMP + "1.4.1.74.2"),
    _station("2", "ssr_db", PMP + "1.4.1.86.2"),
]


# Synthetic walks built from the MIBs (tests.synthetic_walks): no device recording exists.
SM = "1.3.6.1.4.1.161.19.3.2.2."
PMP_SM = [
    Read("radio_link", None, "session_status", SM + "1.0"),
    Read("radio_link", None, "registered_ap", SM + "9.0"),
    Read("radio_link", None, "rssi_dbm", SM + "21.0"),
    Read("radio_link", None, "rssi_h_dbm", SM + "117.0"),
    Read("radio_link", None, "rssi_v_dbm", SM + "118.0"),
    Read("radio_link", None, "snr_h_db", SM + "106.0"),
    Read("radio_link", None, "snr_v_db", SM + "95.0"),
    Read("radio_link", None, "ssr_db", SM + "108.0"),
    Read("radio_link", None, "jitter", SM + "3.0"),
    Read("radio_link", None, "beacons_pct", SM + "139.0"),
    Read("radio_link", None, "modulation_x", SM + "128.0"),
    Read("radio_link", None, "frequency_mhz", SM + "67.0", 1e-3),
    Read("radio_link", None, "tx_power_dbm", SM + "23.0"),
    Read("radio_link", None, "distance_m", SM + "64.0", 0.149896229),
    Read("radio_link", None, "fec_in_errors_total", PMP + "3.1.95.0"),
    Read("radio_link", None, "fec_out_errors_total", PMP + "3.1.97.0"),
    Read("radio_link", None, "crc_errors_total", PMP + "3.1.223.0"),
]
STA = "1.3.6.1.4.1.17713.21.1.2.30.1."
EPMP_STATIONS = {"00:04:56:a1:b2:c3": 1, "00:04:56:a1:b2:04": 2, "00:04:56:a1:b2:c5": 3}
EPMP_AP = [
    Read("radio_link", None, "frequency_mhz", "1.3.6.1.4.1.17713.21.1.2.1.0"),
    Read("wifi", ("radio", "Coviolo-Nord"), "clients", "1.3.6.1.4.1.17713.21.1.2.10.0"),
] + [
    _station(mac, field, f"{STA}{column}.{row}")
    for mac, row in EPMP_STATIONS.items()
    for field, column in [
        ("rssi_dbm", 4),
        ("rssi_dl_dbm", 5),
        ("snr_db", 6),
        ("snr_dl_db", 7),
        ("mcs_ul", 8),
        ("mcs_dl", 9),
        ("ip", 10),
        ("hostname", 18),
        ("capacity_pct", 19),
        ("quality_pct", 20),
    ]
    if (mac, field) != ("00:04:56:a1:b2:c5", "hostname")  # empty: not written
]


GEAR: dict[str, tuple[str | None, str, list[Read]]] = {
    # community: (profile asked for, profile expected, reads)
    "epmp": (
        None,
        "epmp",
        [
            Read("radio_link", None, "snr_db", "1.3.6.1.4.1.17713.21.1.2.18.0"),
            Read("radio_link", None, "frequency_mhz", "1.3.6.1.4.1.17713.21.1.2.1.0"),
            Read("wifi", ("radio", "0"), "clients", "1.3.6.1.4.1.17713.21.1.2.10.0"),
        ],
    ),
    "airos-af60": (
        None,
        "airfiber-af60",
        [Read("radio_link", None, "frequency_mhz", "1.3.6.1.4.1.41112.1.11.1.1.2.1")],
    ),
    "pmp": (None, "cambium-pmp450-ap", PMP_AP),
    "pmp_450i": (None, "cambium-pmp450-ap", PMP_AP),
    "airos-af-ltu": (
        None,
        "airfiber-ltu",
        [
            Read("radio_link", None, "frequency_mhz", LTU + "2.2.0"),
            Read("radio_link", None, "eirp_dbm", LTU + "2.6.0"),
            _station("18:e8:29:1e:38:d6", "capacity_mbps", f"{LTU}4.1.3.{LTU_STA}", 1e-3),
            _station("18:e8:29:1e:38:d6", "rx_capacity_mbps", f"{LTU}4.1.4.{LTU_STA}", 1e-3),
            _station("18:e8:29:1e:38:d6", "rssi_chain0_dbm", f"{LTU}4.1.5.{LTU_STA}"),
            _station("18:e8:29:1e:38:d6", "rssi_chain1_dbm", f"{LTU}4.1.6.{LTU_STA}"),
            _station("18:e8:29:1e:38:d6", "distance_m", f"{LTU}4.1.23.{LTU_STA}"),
            Read("host", None, "cpus", ""),  # checked below: two hrProcessorLoad rows
            Read("host", None, "cpu_pct", ""),
        ],
    ),
    "airos_airos8": (
        None,
        "airmax",
        [
            Read("radio_link", None, "rssi_dbm", AIRMAX + "5.1.5.1"),
            Read("radio_link", None, "noise_dbm", AIRMAX + "5.1.8.1"),
            Read("radio_link", None, "ccq_pct", AIRMAX + "5.1.7.1"),
            Read("radio_link", None, "capacity_mbps", AIRMAX + "5.1.9.1", 1e-6),
            Read("radio_link", None, "rx_rate_mbps", AIRMAX + "5.1.10.1", 1e-6),
            Read("radio_link", None, "frequency_mhz", AIRMAX + "1.1.4.1"),
            Read("radio_link", None, "tx_power_dbm", AIRMAX + "1.1.6.1"),
            Read("radio_link", None, "distance_m", AIRMAX + "1.1.7.1"),
            Read("radio_link", None, "airmax_capacity_pct", AIRMAX + "6.1.4.1"),
            Read("radio_link", None, "airtime_pct", AIRMAX + "6.1.7.1", 0.1),
            Read("radio_link", None, "snr_db", ""),  # signal - noise, checked below
            Read("wifi", ("radio", "1"), "clients", AIRMAX + "5.1.15.1"),
        ],
    ),
    "airos-af": (
        None,
        "airfiber",
        [
            Read("radio_link", None, "rssi_dbm", AF + "11.1"),
            Read("radio_link", None, "rssi_chain1_dbm", AF + "14.1"),
            Read("radio_link", None, "capacity_mbps", AF + "6.1", 1e-6),
            Read("radio_link", None, "rx_capacity_mbps", AF + "5.1", 1e-6),
            Read("radio_link", None, "distance_m", AF + "4.1"),
        ],
    ),
    "routeros": (
        "mikrotik-ap",
        "mikrotik-ap",
        [
            _station(mac, "rssi_dbm", RTAB + index)
            for mac, index in [
                ("00:27:10:32:ed:60", "0.39.16.50.237.96.9"),
                ("00:66:65:2d:e4:2e", "0.102.101.45.228.46.1"),
                ("08:8c:2c:15:6e:b9", "8.140.44.21.110.185.9"),
                ("30:5a:3a:3d:bb:4c", "48.90.58.61.187.76.1"),
                ("50:8f:4c:f5:05:48", "80.143.76.245.5.72.1"),
                ("74:23:44:e2:40:b4", "116.35.68.226.64.180.9"),
                ("9c:5c:8e:a4:a4:77", "156.92.142.164.164.119.9"),
                ("a4:e4:b8:4a:d5:ca", "164.228.184.74.213.202.1"),
                ("c0:ee:fb:36:02:9f", "192.238.251.54.2.159.1"),
                ("c8:d7:79:dc:46:25", "200.215.121.220.70.37.1"),
                ("f4:0e:22:2b:34:7b", "244.14.34.43.52.123.1"),
            ]
        ]
        + [
            Read("host", None, "cpus", ""),  # one hrProcessorLoad row: its load is the mean
            Read("host", None, "cpu_pct", "1.3.6.1.2.1.25.3.3.1.2.1"),
            # hrStorageRam is row 65536, allocation unit 1024 bytes
            Read("host", None, "mem_total_bytes", "1.3.6.1.2.1.25.2.3.1.5.65536", 1024),
            Read("host", None, "mem_used_bytes", "1.3.6.1.2.1.25.2.3.1.6.65536", 1024),
            Read("wifi", ("radio", "WARKOP-KOPIBOSS-B"), "clients", ""),
            Read("wifi", ("radio", "WARKOP-KOPIBOSS-A"), "clients", ""),
            Read("wifi", ("radio", "WARKOP-KOPIBOSS"), "clients", ""),
        ],
    ),
    "pmp_450_sm": (None, "cambium-pmp450-sm", PMP_SM),
    "epmp_ap": (None, "epmp-ap", EPMP_AP),
}


# The AF60 recording has no station table: said, not hidden (and no sysUpTime: no uptime).
PROBLEMS = {"airos-af60": ["table af60-stations: nothing there (not supported by the device?)"]}


def bulkwalk(port: int, community: str) -> dict[str, str]:
    """Every OID instance of the agent as net-snmp reads it: numeric OIDs, raw values."""
    if shutil.which("snmpbulkwalk") is None:
        pytest.skip("snmpbulkwalk (net-snmp) is not installed")
    out = subprocess.run(
        [
            "snmpbulkwalk",
            "-v2c",
            "-c",
            community,
            "-On",
            "-OQ",
            "-Oe",
            "-Ot",
            "-t",
            "5",
            f"127.0.0.1:{port}",
            "1.3",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    walked = {}
    for line in out.splitlines():
        oid, _, value = line.partition(" = ")
        if value.startswith("No more variables"):  # the end of the MIB view, not a value
            continue
        walked[oid.lstrip(".")] = value.strip('"')
    return walked


def _number(text: str, scale: float) -> float:
    try:
        return float(int(text) * scale)
    except ValueError:
        return float(text) * scale


def _value(read: Read, walked: str) -> str | float:
    """What the poller should report for this walked value: text as is, numbers scaled."""
    if schema.field_of(read.measurement, read.field).type == "str":
        return walked
    return _number(walked, read.scale)


def _sample(samples: Sequence[Sample], read: Read) -> Sample:
    hits = [
        s
        for s in samples
        if s.measurement == read.measurement
        and (read.key is None or s.tags.get(read.key[0]) == read.key[1])
    ]
    assert len(hits) == 1, (read, hits)
    return hits[0]


def _check_interfaces(samples: Sequence[Sample], walked: dict[str, str]) -> int:
    """Each interface's up/down and speed against ifTable/ifXTable; returns values checked."""
    names = {
        v: k.rsplit(".", 1)[1] for k, v in walked.items() if k.startswith("1.3.6.1.2.1.2.2.1.2.")
    }
    names |= {
        v: k.rsplit(".", 1)[1] for k, v in walked.items() if k.startswith("1.3.6.1.2.1.31.1.1.1.1.")
    }
    checked = 0
    for s in samples:
        if s.measurement != "interface":
            continue
        i = names[s.tags["ifname"]]
        # up (1) is up, down (2) and lowerLayerDown (7) are down; the rest are neither
        status = walked.get(f"1.3.6.1.2.1.2.2.1.8.{i}", "")
        assert s.fields.get("oper_up") == {"1": True, "2": False, "7": False}.get(status), s
        high = int(walked.get(f"1.3.6.1.2.1.31.1.1.1.15.{i}", "0")) * 1e6
        speed = high or float(walked.get(f"1.3.6.1.2.1.2.2.1.5.{i}", "0"))
        assert s.fields.get("speed_bps", 0.0) == speed, s
        checked += 2
    return checked


@pytest.mark.parametrize("community", sorted(GEAR))
def test_every_value_read_matches_snmpbulkwalk(snmpsim_recordings: int, community: str) -> None:
    asked, expected, reads = GEAR[community]
    walked = bulkwalk(snmpsim_recordings, community)
    for o in _poll_twice(_target(snmpsim_recordings, community, asked)):
        assert o.profile == expected
        assert o.problems == PROBLEMS.get(community, [])
        for read in reads:
            if read.oid:
                got = _sample(o.samples, read).fields[read.field]
                assert got == _value(read, walked[read.oid]), (read, got)
        # nothing read that is not checked above
        named = {(r.measurement, r.key, r.field) for r in reads}
        for s in o.samples:
            if s.measurement in ("interface", "snmp_system"):
                continue
            for field in s.fields:
                keys = [None, *((k, v) for k, v in s.tags.items())]
                assert any((s.measurement, k, field) in named for k in keys), (s, field)
        assert _check_interfaces(o.samples, walked) == 2 * len(_of(o, "interface"))
        (system,) = _of(o, "snmp_system")
        assert ("uptime_s" in system.fields) is ("1.3.6.1.2.1.1.3.0" in walked)


def test_derived_and_aggregated_values(snmpsim_recordings: int) -> None:
    """The values computed from several cells: SNR, CPU mean, clients summed per SSID."""
    port = snmpsim_recordings
    w = bulkwalk(port, "airos_airos8")
    (r,) = _of(_poll_twice(_target(port, "airos_airos8", None))[1], "radio_link")
    assert r.fields["snr_db"] == float(w[AIRMAX + "5.1.5.1"]) - float(w[AIRMAX + "5.1.8.1"])

    w = bulkwalk(port, "airos-af-ltu")
    loads = [int(v) for k, v in w.items() if k.startswith("1.3.6.1.2.1.25.3.3.1.2.")]
    (h,) = _of(_poll_twice(_target(port, "airos-af-ltu", None))[1], "host")
    assert (h.fields["cpus"], h.fields["cpu_pct"]) == (len(loads), sum(loads) / len(loads))
    assert len(loads) == 2

    w = bulkwalk(port, "routeros")
    o = _poll_twice(_target(port, "routeros", "mikrotik-ap"))[1]
    ssid = "1.3.6.1.4.1.14988.1.1.1.3.1.4."
    per_ssid: dict[str, int] = {}
    for k, v in w.items():
        if k.startswith(ssid):
            count = int(w["1.3.6.1.4.1.14988.1.1.1.3.1.6." + k[len(ssid) :]])
            per_ssid[v] = per_ssid.get(v, 0) + count
    assert {s.tags["radio"]: s.fields["clients"] for s in _of(o, "wifi")} == per_ssid


# --- choice of profile: the probes tell shared sysObjectIDs apart --------------------------


def _lines(name: str, drop: str | None = None) -> list[str]:
    """The recording's lines, without those under the OID prefix `drop`."""
    lines = (RECORDINGS / name).read_text().splitlines()
    return [line for line in lines if drop is None or not line.startswith(drop)]


async def poll_lines(lines: list[str], profile: str | None = None) -> PollOutcome:
    """One poll of these .snmprec lines served by the in-process fake agent."""
    agent = FakeAgent(Mib(lines))
    transport = await serve("127.0.0.1", 0, agent)
    poller = SnmpPoller(SnmpConfig(device_deadline_s=5))
    try:
        port = transport.get_extra_info("sockname")[1]
        (o,) = await poller.poll([_target(port, "x", profile)])
    finally:
        poller.close()
        transport.close()
    assert o.ok, o.error
    return o


def _profile_of(lines: list[str]) -> str | None:
    return asyncio.run(poll_lines(lines)).profile


def test_probe_tells_ltu_from_any_linux_and_pmp_ap_from_the_rest() -> None:
    # the LTU walk without its UBNT-AFLTU-MIB: just a Linux box with net-snmp's sysObjectID
    assert _profile_of(_lines("airos-af-ltu.snmprec", LTU[:-2])) == "generic"
    assert _profile_of(_lines("airos-af-ltu.snmprec")) == "airfiber-ltu"
    # a Canopy radio that answers neither regCount (AP) nor sessionStatus (SM) is neither
    assert _profile_of(_lines("pmp.snmprec", PMP + "1.7.1.0")) == "generic"


def capped(profiles_dir: Path, profile: str, kind_line: str, cap: int) -> Path:
    """The operator's own copy of a bundled profile, its station table cut at `cap`."""
    own = (Path(__file__).parents[3] / f"collectors/snmp/profiles/{profile}.yaml").read_text()
    (profiles_dir / f"{profile}.yaml").write_text(
        own.replace(kind_line, f"{kind_line}\n    max_stations: {cap}")
    )
    return profiles_dir


def poll_once(
    port: int, community: str, profile: str | None = None, profiles_dir: Path | None = None
) -> PollOutcome:
    poller = SnmpPoller(SnmpConfig(device_deadline_s=10, profiles_dir=profiles_dir))
    try:
        (o,) = asyncio.run(poller.poll([_target(port, community, profile)]))
    finally:
        poller.close()
    return o


def test_station_count_is_bounded_and_reported(snmpsim_recordings: int, tmp_path: Path) -> None:
    # the operator's own profile directory caps MikroTik stations at 4 per device
    mine = capped(tmp_path, "mikrotik-ap", "index_mac: true", 4)
    o = poll_once(snmpsim_recordings, "routeros", "mikrotik-ap", mine)
    stations = _of(o, "radio_station")
    assert [s.tags["station"] for s in stations] == [
        "00:27:10:32:ed:60",
        "00:66:65:2d:e4:2e",
        "08:8c:2c:15:6e:b9",
        "30:5a:3a:3d:bb:4c",
    ]
    assert o.problems == [
        "table mtxr-wl-rtab: 11 stations, only the first 4 kept (max_stations of the profile)"
    ]
