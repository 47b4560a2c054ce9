"""The profiles built from MIBs alone (PMP 450 SM, ePMP AP stations): what the value-by-value
test of test_snmp_profile_gear does not show on its own.

The walks are synthetic (tests.synthetic_walks): the committed files must be what the
generator writes, the profile must be chosen from every sysObjectID the vendor's MIB names
(and not for the AP or the ePTP link that shares it), and the stations are named by the MAC
the AP gives, normalised, bounded by max_stations like any station table.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from netagent.collectors.snmp import ProfileError, load_profiles
from tests import synthetic_walks
from tests.collectors.snmp.test_snmp_profile_gear import bulkwalk, capped, poll_lines, poll_once
from tests.collectors.snmp.test_snmp_vendor_profiles import RECORDINGS, _of

SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SESSION_STATUS = "1.3.6.1.4.1.161.19.3.2.2.1.0"
STA_TABLE = "1.3.6.1.4.1.17713.21.1.2.30."
# ucos and the 450 family of WHISP-GLOBAL-REG-MIB (canopySnmpAgent 256..261)
CANOPY_IDS = [f"1.3.6.1.4.1.161.19.250.{n}" for n in range(256, 262)]


def _walk(name: str, object_id: str | None = None, drop: str | None = None) -> list[str]:
    """A recording's lines, with another sysObjectID and without the lines under `drop`."""
    out = []
    for line in (RECORDINGS / f"{name}.snmprec").read_text().splitlines():
        if drop and line.startswith(drop):
            continue
        if object_id and line.startswith(SYS_OBJECT_ID + "|"):
            line = f"{SYS_OBJECT_ID}|6|{object_id}"
        out.append(line)
    return out


def _chosen(lines: list[str]) -> str | None:
    return asyncio.run(poll_lines(lines)).profile


@pytest.mark.parametrize("name", sorted(synthetic_walks.WALKS))
def test_committed_synthetic_walk_is_the_generators_output(name: str) -> None:
    committed = (RECORDINGS / f"{name}.snmprec").read_text()
    assert committed == synthetic_walks.snmprec(synthetic_walks.WALKS[name]), (
        f"{name}.snmprec differs from tests/synthetic_walks.py: run "
        "`python -m tests.synthetic_walks`"
    )


@pytest.mark.parametrize("object_id", CANOPY_IDS)
def test_canopy_sm_and_ap_told_apart_under_every_canopy_sysobjectid(object_id: str) -> None:
    assert _chosen(_walk("pmp_450_sm", object_id)) == "cambium-pmp450-sm"
    assert _chosen(_walk("pmp_450i", object_id)) == "cambium-pmp450-ap"
    # a Canopy radio answering neither regCount nor sessionStatus is read as generic
    assert _chosen(_walk("pmp_450_sm", object_id, SESSION_STATUS[:-2])) == "generic"


def test_epmp_ap_chosen_by_its_station_table() -> None:
    assert _chosen(_walk("epmp_ap")) == "epmp-ap"
    # the same AP with no SM connected, and the real ePTP master: plain epmp
    assert _chosen(_walk("epmp_ap", drop=STA_TABLE)) == "epmp"
    assert _chosen(_walk("epmp")) == "epmp"


def test_epmp_stations_named_by_the_mac_the_ap_gives(snmpsim_recordings: int) -> None:
    walked = bulkwalk(snmpsim_recordings, "epmp_ap")
    o = poll_once(snmpsim_recordings, "epmp_ap")
    assert o.problems == []
    macs = {k.rsplit(".", 1)[1]: v for k, v in walked.items() if k.startswith(STA_TABLE + "1.1.")}
    assert macs == {"1": "00:04:56:A1:B2:C3", "2": "0:4:56:a1:b2:4", "3": "00:04:56:A1:B2:C5"}
    stations = {s.tags["station"]: s.fields for s in _of(o, "radio_station")}
    # lower case, leading zeros put back: one series per SM whatever the firmware's spelling
    assert sorted(stations) == ["00:04:56:a1:b2:04", "00:04:56:a1:b2:c3", "00:04:56:a1:b2:c5"]
    assert stations["00:04:56:a1:b2:04"]["ip"] == walked[STA_TABLE + "1.10.2"] == "10.20.1.12"
    assert stations["00:04:56:a1:b2:04"]["hostname"] == "sm-stalla"
    assert "hostname" not in stations["00:04:56:a1:b2:c5"]  # empty on the AP: not written


def test_epmp_stations_bounded_by_max_stations(snmpsim_recordings: int, tmp_path: Path) -> None:
    mine = capped(tmp_path, "epmp-ap", "kind: station", 2)
    o = poll_once(snmpsim_recordings, "epmp_ap", profiles_dir=mine)
    assert [s.tags["station"] for s in _of(o, "radio_station")] == [
        "00:04:56:a1:b2:c3",
        "00:04:56:a1:b2:04",
    ]
    assert o.problems == [
        "table epmp-ap-stations: 3 stations, only the first 2 kept (max_stations of the profile)"
    ]


def test_station_column_only_in_a_station_table(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "name: mine\ntables:\n  - name: link\n    kind: radio_link\n    scalar: true\n"
        "    columns:\n      station: 1.3.6.1.4.1.17713.21.1.2.30.1.1\n"
    )
    with pytest.raises(ProfileError, match=r"(?s)mine.yaml: .*station is not a radio field"):
        load_profiles(tmp_path)


def test_station_without_a_readable_mac_keeps_what_the_ap_gives() -> None:
    # a MAC cell that is no MAC is the station's name as written; an empty one, its row
    given = {f"{STA_TABLE}1.1.2": "sm-stalla", f"{STA_TABLE}1.1.3": ""}
    lines = [
        f"{oid}|4|{given[oid]}" if (oid := line.split("|")[0]) in given else line
        for line in _walk("epmp_ap")
    ]
    o = asyncio.run(poll_lines(lines))
    assert [s.tags["station"] for s in _of(o, "radio_station")] == [
        "00:04:56:a1:b2:c3",
        "sm-stalla",
        "3",
    ]
