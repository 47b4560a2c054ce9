"""Synthetic SNMP walks, built from vendor MIBs, for the radios no public recording covers.

No public walk exists of a Cambium PMP 450 subscriber module, nor of an ePMP access point
with SMs connected (LibreNMS's tests/snmpsim has 450 APs and an ePTP master only). Their
profiles are tested against the .snmprec files this module writes: every object is named
below with its MIB, OID and SYNTAX (as the snmprec type tag), and given a plausible value.
They prove that a profile reads what the MIB defines, with the MIB's types; not that real
firmware answers so. tests/data/snmprec/SOURCES.md labels them as synthetic.

    python -m tests.synthetic_walks     # rewrite the files; a test checks they match
"""

from __future__ import annotations

from pathlib import Path

RECORDINGS = Path(__file__).parent / "data" / "snmprec"

# snmprec type tags (the BER tag numbers snmpsim uses)
INTEGER, STRING, OID, IP, COUNTER32, GAUGE32, TIMETICKS, COUNTER64 = 2, 4, 6, 64, 65, 66, 67, 70

Obj = tuple[str, str, int, object]  # (MIB object, OID instance, type tag, value)


def system(descr: str, object_id: str, uptime: int) -> list[Obj]:
    """SNMPv2-MIB's system group as the real walks of the same vendor have it."""
    return [
        ("sysDescr", "1.3.6.1.2.1.1.1.0", STRING, descr),
        ("sysObjectID", "1.3.6.1.2.1.1.2.0", OID, object_id),
        ("sysUpTime", "1.3.6.1.2.1.1.3.0", TIMETICKS, uptime),
        ("sysName", "1.3.6.1.2.1.1.5.0", STRING, "<private>"),
    ]


def interfaces(ports: list[tuple[str, str, int, int, int]]) -> list[Obj]:
    """IF-MIB ifTable/ifXTable rows: (ifDescr, ifName, ifHighSpeed, in octets, out octets)."""
    out: list[Obj] = []
    for i, (descr, name, mbps, rx, tx) in enumerate(ports, 1):
        out += [
            ("ifDescr", f"1.3.6.1.2.1.2.2.1.2.{i}", STRING, descr),
            ("ifType", f"1.3.6.1.2.1.2.2.1.3.{i}", INTEGER, 6),
            ("ifSpeed", f"1.3.6.1.2.1.2.2.1.5.{i}", GAUGE32, min(mbps * 10**6, 2**32 - 1)),
            ("ifAdminStatus", f"1.3.6.1.2.1.2.2.1.7.{i}", INTEGER, 1),
            ("ifOperStatus", f"1.3.6.1.2.1.2.2.1.8.{i}", INTEGER, 1),
            ("ifInOctets", f"1.3.6.1.2.1.2.2.1.10.{i}", COUNTER32, rx % 2**32),
            ("ifInErrors", f"1.3.6.1.2.1.2.2.1.14.{i}", COUNTER32, 0),
            ("ifOutOctets", f"1.3.6.1.2.1.2.2.1.16.{i}", COUNTER32, tx % 2**32),
            ("ifOutErrors", f"1.3.6.1.2.1.2.2.1.20.{i}", COUNTER32, 0),
            ("ifName", f"1.3.6.1.2.1.31.1.1.1.1.{i}", STRING, name),
            ("ifHCInOctets", f"1.3.6.1.2.1.31.1.1.1.6.{i}", COUNTER64, rx),
            ("ifHCOutOctets", f"1.3.6.1.2.1.31.1.1.1.10.{i}", COUNTER64, tx),
            ("ifHighSpeed", f"1.3.6.1.2.1.31.1.1.1.15.{i}", GAUGE32, mbps),
        ]
    return out


SM = "1.3.6.1.4.1.161.19.3.2.2."  # WHISP-SM-MIB whispSmStatus
BOX = "1.3.6.1.4.1.161.19.3.3.1."  # WHISP-BOX-MIBV2-MIB whispBoxStatus

# A PMP 450i SM at 3 km from the 450i AP of the real recording pmp_450i.snmprec (its MAC,
# its 3565 MHz carrier). System and interfaces as that AP's walk has them.
PMP_450_SM: list[Obj] = [
    *system("CANOPY 21.1.0.1 (Build STA-1)  SM", "1.3.6.1.4.1.161.19.250.256", 380881234),
    *interfaces(
        [
            ("Cambium 10/100/1000 Ethernet Main", "et0", 1000, 8_812_334_551, 61_003_114_092),
            ("Canopy MultiPoint", "rf1", 0, 60_881_224_003, 8_790_113_442),
        ]
    ),
    ("sessionStatus", SM + "1.0", STRING, "REGISTERED"),
    ("jitter", SM + "3.0", GAUGE32, 3),
    ("radioDbm", SM + "8.0", STRING, "-55.0"),
    ("registeredToAp", SM + "9.0", STRING, "0a-00-3e-45-59-e4"),
    ("radioDbmInt", SM + "21.0", INTEGER, -55),
    ("radioTxPwr", SM + "23.0", STRING, "22"),
    ("smSessionTimer", SM + "36.0", TIMETICKS, 8640000),
    ("airDelayns", SM + "64.0", GAUGE32, 20015),
    ("currentChanFreq", SM + "67.0", GAUGE32, 3565000),
    ("signalToNoiseRatioSMVertical", SM + "95.0", INTEGER, 31),
    ("signalToNoiseRatioSMHorizontal", SM + "106.0", INTEGER, 29),
    ("signalStrengthRatio", SM + "108.0", STRING, "1.4"),  # V - H, in this MIB's words
    ("radioDbmHorizontal", SM + "117.0", STRING, "-58.7"),
    ("radioDbmVertical", SM + "118.0", STRING, "-57.3"),
    ("adaptRateLowPri", SM + "128.0", INTEGER, 8),
    ("beaconsPercentReceived", SM + "139.0", INTEGER, 99),
    ("boxDeviceType", BOX + "6.0", STRING, "3.6GHz MIMO OFDM - Multipoint - Subscriber Module"),
    ("fecInErrorsCount", BOX + "95.0", GAUGE32, 1207),
    ("fecOutErrorsCount", BOX + "97.0", GAUGE32, 36),
    ("fecCRCError", BOX + "223.0", COUNTER32, 1207),
]

EPMP = "1.3.6.1.4.1.17713.21.1."  # CAMBIUM-PMP80211-MIB cambiumPmp80211SystemStatus
STA = EPMP + "2.30.1."  # cambiumAPConnectedSTAEntry, indexed by a row number


def station(row: int, mac: str, ip: str, host: str, radio: tuple[int, ...]) -> list[Obj]:
    """One cambiumAPConnectedSTAEntry: (UL RSSI, DL RSSI, UL SNR, DL SNR, UL MCS, DL MCS,
    TX capacity, TX quality, distance)."""
    ul_rssi, dl_rssi, ul_snr, dl_snr, ul_mcs, dl_mcs, cap, qual, dist = radio
    return [
        ("connectedSTAMAC", f"{STA}1.{row}", STRING, mac),
        ("connectedSTAAID", f"{STA}2.{row}", INTEGER, row),
        ("connectedSTAChannel", f"{STA}3.{row}", INTEGER, 149),
        ("connectedSTAULRSSI", f"{STA}4.{row}", INTEGER, ul_rssi),
        ("connectedSTADLRSSI", f"{STA}5.{row}", INTEGER, dl_rssi),
        ("connectedSTAULSNR", f"{STA}6.{row}", INTEGER, ul_snr),
        ("connectedSTADLSNR", f"{STA}7.{row}", INTEGER, dl_snr),
        ("connectedSTAULMCS", f"{STA}8.{row}", INTEGER, ul_mcs),
        ("connectedSTADLMCS", f"{STA}9.{row}", INTEGER, dl_mcs),
        ("connectedSTAIP", f"{STA}10.{row}", IP, ip),
        ("connectedSTAClickTHostName", f"{STA}18.{row}", STRING, host),
        ("connectedSTATXCapacity", f"{STA}19.{row}", INTEGER, cap),
        ("connectedSTATXQuality", f"{STA}20.{row}", INTEGER, qual),
        ("connectedSTASessionTime", f"{STA}27.{row}", STRING, "02:11:45:09"),
        ("connectedSTADistance", f"{STA}29.{row}", INTEGER, dist),
    ]


# An ePMP AP with three SMs. The MIB allows a MAC of 11 to 17 characters: one is written
# without leading zeros, one SM has no host name. Like the real ePTP master's walk
# (epmp.snmprec), the AP also answers cambiumSTAConnectedRFFrequency.
EPMP_AP: list[Obj] = [
    *system("Cambium ePMP", "1.3.6.1.4.1.17713.21", 192014368),
    *interfaces(
        [
            ("LAN interface 1", "LAN interface 1", 1000, 3_377_931_056_550, 258_804_512_221),
            ("WLAN interface", "WLAN interface", 220, 258_804_512_221, 3_377_931_056_550),
        ]
    ),
    ("cambiumEffectiveSSID", EPMP + "1.11.0", STRING, "Coviolo-Nord"),
    ("cambiumSubModeType", EPMP + "1.33.0", INTEGER, 1),
    ("cambiumSTAConnectedRFFrequency", EPMP + "2.1.0", INTEGER, 5745),
    ("cambiumAPNumberOfConnectedSTA", EPMP + "2.10.0", INTEGER, 3),
    *station(
        1, "00:04:56:A1:B2:C3", "10.20.1.11", "sm-casa-rossi", (-62, -60, 28, 30, 7, 7, 94, 98, 1)
    ),
    *station(2, "0:4:56:a1:b2:4", "10.20.1.12", "sm-stalla", (-71, -69, 19, 21, 5, 6, 71, 90, 3)),
    *station(3, "00:04:56:A1:B2:C5", "10.20.1.13", "", (-78, -77, 12, 13, 3, 3, 42, 76, 5)),
]

WALKS: dict[str, list[Obj]] = {"pmp_450_sm": PMP_450_SM, "epmp_ap": EPMP_AP}


def snmprec(objects: list[Obj]) -> str:
    """The .snmprec text: `OID|tag|value` lines in OID order, as snmpsim serves them."""
    ordered = sorted(objects, key=lambda o: tuple(int(x) for x in o[1].split(".")))
    return "".join(f"{oid}|{tag}|{value}\n" for _, oid, tag, value in ordered)


def main() -> None:
    for name, objects in WALKS.items():
        (RECORDINGS / f"{name}.snmprec").write_text(snmprec(objects))


if __name__ == "__main__":
    main()
