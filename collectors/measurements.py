"""Every measurement the agent writes, declared once: tags, and fields with type and unit.

In the style of Home Assistant's entity descriptions: frozen dataclasses in one table,
read by everything that needs a measurement's shape (the SNMP mapping's field names and
types, the line protocol's int-or-float decision, `/metrics` HELP text, the README's
schema section, the dashboards' units). `netagent.collectors.schema` is the API over this table;
this module is only data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

FieldType = Literal["int", "float", "bool", "str"]


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class Field:
    """One field. `unit` is for people ('' when it has none); `grafana` is Grafana's unit id
    (https://github.com/grafana/grafana, packages/grafana-data/src/valueFormats/categories.ts)
    or a `suffix: …` custom unit where Grafana has none (MHz, km²)."""

    name: str
    type: FieldType
    unit: str
    grafana: str
    description: str


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    written_by: str
    description: str
    tags: tuple[Tag, ...]
    fields: tuple[Field, ...]


# On every sample the daemon and `run --once` take on the bundled sample (the demo), so its
# points are never mistaken for a real network's (netagent.agent.runtime.SAMPLE_TAG).
COMMON_TAGS = (Tag("inventory", "`bundled-sample` on the demo's samples, absent otherwise."),)

DEVICE = Tag("device", "Device name, as in the inventory.")
ROLE = Tag("role", "Device role (wifi-ap, switch, ptp-radio, …).")
QUARTIERE = Tag("quartiere", "Quartiere of the device's site (`outside` when in none).")


def _kind(type_: FieldType, unit: str, grafana: str, tail: str = "") -> Callable[[str, str], Field]:
    """A maker of fields of one kind: name and description are all that differ."""

    def make(name: str, what: str) -> Field:
        return Field(name, type_, unit, grafana, what + tail)

    return make


_dbm = _kind("float", "dBm", "dBm")
_db = _kind("float", "dB", "dB")
_pct = _kind("float", "%", "percent")
_mbps = _kind("float", "Mbit/s", "Mbits")
_secs = _kind("float", "s", "s")
_count = _kind("int", "", "short")
_per_s = _kind("float", "1/s", "pps", " per second.")
_total = _kind("int", "", "short", " (the device's running total).")
_flag = _kind("bool", "", "bool")
_text = _kind("str", "", "none")
_ms = _kind("float", "ms", "ms")
_bps = _kind("float", "bit/s", "bps")
_score = _kind("float", "", "short")  # a vendor's index or score, no unit


# What a radio reports of a link (or an AP of one of its stations): gauges first, then the
# device's cumulative error counters. Shared by `radio_link` and `radio_station`.
RADIO_READINGS: tuple[Field, ...] = (
    _dbm("rssi_dbm", "Received signal strength (chain 0 where the radio has chains)."),
    _db("snr_db", "Signal-to-noise ratio; rssi_dbm - noise_dbm when the device gives no SNR."),
    _dbm("noise_dbm", "Noise floor."),
    _mbps("capacity_mbps", "Transmit capacity."),
    _pct("ccq_pct", "Client connection quality (airMAX CCQ)."),
    _mbps("rx_capacity_mbps", "Receive capacity."),
    _mbps("rx_rate_mbps", "Receive PHY rate."),
    _mbps("tx_rate_mbps", "Transmit PHY rate."),
    Field("frequency_mhz", "float", "MHz", "suffix: MHz", "Centre frequency of the channel."),
    _dbm("tx_power_dbm", "Transmit power."),
    _dbm("eirp_dbm", "Effective isotropic radiated power."),
    Field("distance_m", "float", "m", "lengthm", "Link distance the radio measures."),
    _dbm("rssi_chain0_dbm", "Received power on chain 0."),
    _dbm("rssi_chain1_dbm", "Received power on chain 1."),
    _db("snr_h_db", "Signal-to-noise ratio, horizontal polarisation."),
    _db("snr_v_db", "Signal-to-noise ratio, vertical polarisation."),
    _db("ssr_db", "Signal strength ratio, horizontal minus vertical."),
    _pct("airmax_quality_pct", "airMAX quality."),
    _pct("airmax_capacity_pct", "airMAX capacity."),
    _pct("airtime_pct", "Airtime used."),
    _pct("util_dl_pct", "Frame utilisation, downlink (1 minute)."),
    _pct("util_ul_pct", "Frame utilisation, uplink (1 minute)."),
    _total("fec_in_errors_total", "FEC errors received"),
    _total("fec_out_errors_total", "FEC errors sent"),
    _total("crc_errors_total", "CRC errors"),
    _total("reg_failures_total", "Registration failures"),
    # Cambium PMP 450 SM (WHISP-SM-MIB) and ePMP AP station table (CAMBIUM-PMP80211-MIB)
    _dbm("rssi_h_dbm", "Received power, horizontal polarisation."),
    _dbm("rssi_v_dbm", "Received power, vertical polarisation."),
    _dbm("rssi_dl_dbm", "Downlink signal as the station receives it (an AP's station row)."),
    _db("snr_dl_db", "Downlink signal-to-noise ratio at the station (an AP's station row)."),
    _score("mcs_ul", "Uplink MCS index (ePMP 1-15)."),
    _score("mcs_dl", "Downlink MCS index (ePMP 1-15)."),
    _pct("quality_pct", "Link quality score 0-100 (ePMP TX quality)."),
    _pct("capacity_pct", "Link capacity score 0-100 (ePMP TX capacity)."),
    _score("jitter", "Canopy jitter 0-15, multipath interference (FSK radios)."),
    _pct("beacons_pct", "Share of the AP's beacons the SM receives (Canopy link quality)."),
    _score(
        "modulation_x",
        "Data channel rate as a multiple of QPSK SISO (Canopy 1X-8X, 0 out of session).",
    ),
    _text("session_status", "Registration state as the SM words it (Canopy sessionStatus)."),
    _text("registered_ap", "MAC of the AP the SM is registered to."),
    _text("ip", "The station's IP address, as its AP reports it."),
    _text("hostname", "The station's host name, as its AP reports it."),
)

ICMP = Measurement(
    "icmp",
    "ICMP collector, every round",
    "One ping round of a device. RTT fields are absent when nothing answered, jitter_ms "
    "below two replies.",
    (
        DEVICE,
        ROLE,
        Tag("site", "Site of the device."),
        QUARTIERE,
    ),
    (
        _ms("rtt_min_ms", "Fastest reply of the round."),
        _ms("rtt_avg_ms", "Mean round-trip time of the replies."),
        _ms("rtt_max_ms", "Slowest reply of the round."),
        _ms("jitter_ms", "Mean absolute difference of successive round-trip times."),
        _pct("loss_pct", "Echo requests without a reply in time."),
        _count("sent", "Echo requests sent."),
        _count("received", "Replies received in time."),
        _flag("up", "At least the configured number of replies came."),
    ),
)

SNMP_SYSTEM = Measurement(
    "snmp_system",
    "SNMP collector, every poll",
    "The outcome of one SNMP poll of a device.",
    (DEVICE, ROLE),
    (
        _secs("uptime_s", "sysUpTime; only when the poll succeeded."),
        _flag("reachable", "The device answered the poll."),
        _ms("poll_ms", "Duration of the poll."),
    ),
)

INTERFACE = Measurement(
    "interface",
    "SNMP collector (IF-MIB)",
    "One network interface; rates need two polls, and each field is absent when the "
    "device does not say.",
    (DEVICE, Tag("ifname", "ifName, else ifDescr (`#ifIndex` added when two share a name).")),
    (
        _bps("in_bps", "Received traffic."),
        _bps("out_bps", "Sent traffic."),
        Field("in_errors", "float", "1/s", "suffix: err/s", "Received packets with errors."),
        Field("out_errors", "float", "1/s", "suffix: err/s", "Packets that could not be sent."),
        _per_s("in_discards", "Received packets discarded"),
        _per_s("out_discards", "Packets to send discarded"),
        _per_s("in_ucast_pps", "Unicast packets received"),
        _per_s("out_ucast_pps", "Unicast packets sent"),
        _per_s("in_mcast_pps", "Multicast packets received"),
        _per_s("out_mcast_pps", "Multicast packets sent"),
        _per_s("in_bcast_pps", "Broadcast packets received"),
        _per_s("out_bcast_pps", "Broadcast packets sent"),
        _flag("over_speed", "A bit rate above speed_bps (more than 2%): kept, and flagged."),
        _flag("oper_up", "ifOperStatus up; absent when the status is neither up nor down."),
        _text(
            "oper_status",
            "ifOperStatus by name: up, down, testing, unknown, dormant, notPresent, "
            "lowerLayerDown.",
        ),
        _flag("admin_up", "ifAdminStatus up."),
        _bps("speed_bps", "Nominal speed (ifHighSpeed, else ifSpeed)."),
        Field("if_index", "int", "", "none", "ifIndex."),
        _text("alias", "ifAlias, the port's description, when set."),
    ),
)

WIFI = Measurement(
    "wifi",
    "SNMP collector",
    "Wi-Fi clients of an access point, summed per radio (several SSIDs share one radio).",
    (DEVICE, Tag("radio", "Radio label (SSID or radio name, else the row index).")),
    (_count("clients", "Associated clients (or registered stations)."),),
)

RADIO_LINK = Measurement(
    "radio_link",
    "SNMP collector",
    "A radio link as one end reports it; each field is absent when the device does not say.",
    (
        Tag("link", "Radio link name from the inventory (device/index for a station row)."),
        DEVICE,
        Tag("side", "Which end of the link (a or b)."),
    ),
    RADIO_READINGS,
)

RADIO_STATION = Measurement(
    "radio_station",
    "SNMP collector (station tables)",
    "One station registered to an AP (PMP 450 SMs, LTU/AF60 remotes, MikroTik registration "
    "table): the radio_link fields the profile reads. At most max_stations (256) per table "
    "per device; more are cut and reported as a problem.",
    (DEVICE, Tag("station", "The station's MAC (aa:bb:…), else its row index.")),
    RADIO_READINGS,
)

HOST = Measurement(
    "host",
    "SNMP collector (HOST-RESOURCES-MIB)",
    "CPU and memory of a device.",
    (DEVICE,),
    (
        _pct("cpu_pct", "CPU load, mean of hrProcessorLoad over the processors."),
        _count("cpus", "Processors counted."),
        Field("mem_total_bytes", "float", "B", "decbytes", "RAM size (hrStorageRam)."),
        Field("mem_used_bytes", "float", "B", "decbytes", "RAM in use (hrStorageRam)."),
    ),
)

SENSOR = Measurement(
    "sensor",
    "SNMP collector (ENTITY-SENSOR-MIB)",
    "One hardware sensor: temperature, voltage, optical power of an SFP…",
    (
        DEVICE,
        Tag("sensor", "entPhysicalDescr of the sensor (`#index` added when two share it)."),
        Tag("type", "Unit of the value: celsius, volts_dc, amperes, watts, dbm, rpm, …"),
    ),
    (
        Field(
            "value",
            "float",
            "",
            "none",
            "Reading in the unit the type tag names, scaled by entPhySensorScale/Precision.",
        ),
        _dbm("dbm", "A power in watts (SFP DOM) as dBm."),
        _flag("ok", "entPhySensorOperStatus is ok; no value otherwise."),
    ),
)

DEVICE_STATUS = Measurement(
    "device_status",
    "alert engine, every round",
    "The state the alert engine shows for a device.",
    (DEVICE, ROLE, QUARTIERE),
    (
        _text("state", "up, down, degraded, unreachable, maintenance or unknown."),
        Field(
            "since",
            "int",
            "s",
            "dateTimeFromNow",
            "When the state began, unix seconds (x 1000 in a query for Grafana's time units).",
        ),
        Field("lat", "float", "°", "none", "Latitude of the site (WGS84), for the map."),
        Field("lon", "float", "°", "none", "Longitude of the site (WGS84), for the map."),
        _text(
            "root_cause",
            "The device itself when down, the nearest down uplink when unreachable, else empty.",
        ),
    ),
)

ALERT = Measurement(
    "alert",
    "alert engine, when an incident opens or closes",
    "One alert event (the annotations of the dashboards).",
    (
        DEVICE,
        Tag("severity", "critical, warning or info."),
        Tag("kind", "down, degraded or flapping."),
    ),
    (
        _text("state", "firing or resolved."),
        _text("text", "The alert's text."),
        _text("root_cause", "The failure that explains it."),
        _count("affected", "Devices cut off behind it."),
    ),
)

COVERAGE = Measurement(
    "coverage",
    "coverage job",
    "Coverage of one quartiere (or the whole comune) by one technology.",
    (
        Tag("quartiere", "Quartiere name, or `comune` for the totals."),
        Tag("technology", "wifi, fibre, fixed-wireless or all."),
        Tag("view", "planned (every device as planned) or live (devices that are up)."),
    ),
    (
        Field("area_km2", "float", "km²", "suffix: km²", "Area of the quartiere."),
        Field("covered_km2", "float", "km²", "suffix: km²", "Area covered."),
        _pct("area_pct", "Share of the area covered; absent when the quartiere has no area."),
        Field(
            "residents_covered",
            "float",
            "",
            "short",
            "Residents covered; absent when the population is unknown.",
        ),
    ),
)

AGENT = Measurement(
    "agent",
    "daemon (housekeeping job)",
    "The agent's own health: one row per job (tag job), one for the whole agent (no job tag).",
    (
        Tag("agent", "The agent's name ([agent] name, or its host's name)."),
        Tag("shard", "The agent's shard, 'K/N' ([agent] shard); absent when it polls all."),
        Tag("job", "Scheduled job (icmp, snmp, …); absent on the agent-wide row."),
    ),
    (
        _secs("cycle_s", "Duration of the last run."),
        _count("devices", "Devices the last run handled."),
        _count("failures", "Devices that failed in the last run."),
        _secs("scheduler_lag_s", "Start of the last run minus its scheduled time."),
        _secs("scheduler_lag_p99_s", "99th percentile of the scheduler lag."),
        _count("runs", "Runs of the job since start."),
        _count("errors", "Runs that ended in an error."),
        _count("overruns", "Runs that took longer than the interval."),
        _count("skipped", "Runs skipped: the previous one was still running."),
        _count("missed", "Runs later than their misfire grace, not run."),
        _secs("uptime_s", "Seconds since the daemon started."),
        Field("rss_mb", "float", "MiB", "mbytes", "Resident memory of the daemon."),
        _secs("cpu_s", "CPU time (user + system) used by the daemon."),
        _count("notify_failures", "Failed notification delivery attempts."),
        _count("spool_depth", "Samples waiting in the spool (or held as local history)."),
        _secs("spool_oldest_s", "Age of the oldest sample in the spool."),
        _count("dropped_total", "Samples dropped by the spool's size bound."),
        _count("dead_letters", "Lines InfluxDB refused for good, kept aside."),
    ),
)

MEASUREMENTS: tuple[Measurement, ...] = (
    ICMP,
    SNMP_SYSTEM,
    INTERFACE,
    WIFI,
    RADIO_LINK,
    RADIO_STATION,
    HOST,
    SENSOR,
    DEVICE_STATUS,
    ALERT,
    COVERAGE,
    AGENT,
)
