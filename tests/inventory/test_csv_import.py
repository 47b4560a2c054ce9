"""CSV import of access-point lists: column mapping, translations, located errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from netagent.inventory.load import load_inventory
from netagent.inventory.model import Placement

OPERATOR_CSV = """\
nome_ap;sito;tipo_sito;indirizzo;lat;lon;ip_gestione;interno_esterno;raggio_m
ap-prampolini-1;Piazza Prampolini;piazza;Piazza Prampolini 1;44,698333;10,631111;127.20.0.1;esterno;90
ap-prampolini-2;Piazza Prampolini;piazza;Piazza Prampolini 1;44,698333;10,631111;127.20.0.2;esterno;
ap-panizzi;Biblioteca Panizzi;biblioteca;Via Farini 3;44.6997;10.6275;127.20.0.3;interno;35
"""

MAPPING_YAML = """\
imports:
  - csv: aps.csv
    mapping:
      device.name: nome_ap
      site.name: sito
      site.kind: tipo_sito
      site.address: indirizzo
      site.lat: lat
      site.lon: lon
      device.mgmt_ip: ip_gestione
      wifi.placement: interno_esterno
      wifi.coverage_radius_m: raggio_m
    values:
      wifi.placement: {interno: indoor, esterno: outdoor}
      site.kind: {piazza: square, biblioteca: library}
    defaults: {device.role: wifi-ap, device.vendor: Ubiquiti}
"""


def setup(tmp_path: Path, csv_text: str, yaml_text: str = MAPPING_YAML) -> Path:
    (tmp_path / "aps.csv").write_text(csv_text, encoding="utf-8")
    (tmp_path / "inv.yaml").write_text(yaml_text, encoding="utf-8")
    return tmp_path / "inv.yaml"


def test_operator_export_with_mapping(tmp_path: Path) -> None:
    r = load_inventory([setup(tmp_path, OPERATOR_CSV)])
    assert r.errors == []
    inv = r.inventory
    assert inv is not None
    assert [s.name for s in inv.sites] == ["Piazza Prampolini", "Biblioteca Panizzi"]
    assert inv.sites[0].lat == 44.698333  # Italian decimal comma understood
    ap1, ap2, ap3 = inv.devices
    assert ap1.wifi is not None and ap1.wifi.coverage_radius_m == 90
    assert ap2.wifi is not None and ap2.wifi.coverage_radius_m is None  # empty cell: default
    assert ap3.wifi is not None and ap3.wifi.placement is Placement.INDOOR
    assert {d.vendor for d in inv.devices} == {"Ubiquiti"}


def test_bad_rows_are_located_by_line_and_column(tmp_path: Path) -> None:
    text = OPERATOR_CSV + (
        "ap-x;Piazza Prampolini;piazza;;44.7;10.63;127.20.0.9;esterno;\n"  # line 5: other coords
        "ap-y;Parco;parco;;44.7;10.63;not-an-ip;sotterraneo;\n"  # line 6: bad ip, placement
    )
    r = load_inventory([setup(tmp_path, text)])
    assert r.inventory is None
    got = {(e.where, e.field) for e in r.errors}
    assert ("line 5", "lat") in got
    assert ("line 6", "ip_gestione (device.mgmt_ip)") in got
    assert ("line 6", "interno_esterno (wifi.placement)") in got
    assert ("line 6", "tipo_sito (site.kind)") in got


def test_mapping_to_a_missing_column_lists_the_columns(tmp_path: Path) -> None:
    r = load_inventory([setup(tmp_path, OPERATOR_CSV, MAPPING_YAML.replace("nome_ap", "nome"))])
    assert r.inventory is None
    [e] = r.errors
    assert e.field == "nome" and "ip_gestione" in e.message and e.where == "line 1"


def test_mapping_to_an_unknown_field(tmp_path: Path) -> None:
    bad = MAPPING_YAML.replace(
        "device.name: nome_ap", "device.name: nome_ap\n      device.colour: lat"
    )
    r = load_inventory([setup(tmp_path, OPERATOR_CSV, bad)])
    assert r.inventory is None
    assert [e.field for e in r.errors] == ["device.colour"]
    assert r.errors[0].file.endswith("inv.yaml")


def test_plain_csv_with_target_names_needs_no_mapping(tmp_path: Path) -> None:
    p = tmp_path / "aps.csv"
    p.write_text(
        "device.name,device.mgmt_ip,site.name,site.lat,site.lon\n"
        "ap-1,127.20.0.1,Piazza,44.7,10.63\n",
        encoding="utf-8",
    )
    r = load_inventory([p])
    assert r.errors == [] and r.inventory is not None and len(r.inventory.devices) == 1


# --- property-based: any column names, order, delimiter; values come back intact ----------

_column = (
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ ", min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
_ap = st.tuples(
    st.integers(0, 255),
    st.integers(0, 255),
    st.floats(44.62, 44.77, allow_nan=False).map(lambda x: round(x, 6)),
    st.floats(10.49, 10.77, allow_nan=False).map(lambda x: round(x, 6)),
    st.sampled_from(["indoor", "outdoor"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZàèéìòù '-", min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool),
)
TARGETS = ["device.name", "device.mgmt_ip", "site.name", "site.lat", "site.lon", "wifi.placement"]


@settings(max_examples=60, deadline=None)
@given(
    columns=st.lists(_column, min_size=6, max_size=6, unique=True),
    order=st.permutations(list(range(6))),
    delimiter=st.sampled_from([";", ",", "\t", "|"]),
    aps=st.lists(_ap, min_size=1, max_size=8, unique_by=lambda a: (a[0], a[1])),
)
def test_any_export_layout_round_trips(
    columns: list[str],
    order: list[int],
    delimiter: str,
    aps: list[tuple[int, int, float, float, str, str]],
) -> None:
    import tempfile

    d = Path(tempfile.mkdtemp())
    mapping = {TARGETS[i]: columns[i] for i in range(6)}
    header = [columns[i] for i in order]
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    expected = {}
    for n, (x, y, lat, lon, placement, site) in enumerate(aps):
        name = f"ap-{n}"
        values = {
            "device.name": name,
            "device.mgmt_ip": f"127.{x}.{y}.1",
            "site.name": f"{site} {n}",
            "site.lat": repr(lat),
            "site.lon": repr(lon),
            "wifi.placement": placement,
        }
        w.writerow([values[TARGETS[i]] for i in order])
        expected[name] = (f"127.{x}.{y}.1", f"{site} {n}", lat, lon, placement)
    (d / "aps.csv").write_text(buf.getvalue(), encoding="utf-8")
    lines = [
        "imports:",
        "  - csv: aps.csv",
        f"    delimiter: {delimiter!r}".replace("'\\t'", '"\\t"'),
        "    mapping:",
    ] + [f"      {t}: {c!r}" for t, c in mapping.items()]
    (d / "inv.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = load_inventory([d / "inv.yaml"])
    assert r.errors == [], [str(e) for e in r.errors]
    assert r.inventory is not None
    got = {
        dev.name: (
            str(dev.mgmt_ip),
            dev.site,
            r.inventory.site_of(dev).lat,
            r.inventory.site_of(dev).lon,
            dev.wifi.placement.value if dev.wifi else None,
        )
        for dev in r.inventory.devices
    }
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(
    bad_row=st.integers(0, 5),
    # Any cell text that stays one cell: no delimiter, newline or CSV quote.
    text=st.text(min_size=1, max_size=15).filter(lambda t: not set(t) & set('\n\r;"')),
)
def test_a_bad_ip_is_always_located_at_its_line(bad_row: int, text: str) -> None:
    import ipaddress
    import tempfile

    try:
        ipaddress.ip_address(text.strip())
        return  # happened to be a valid address
    except ValueError:
        pass
    d = Path(tempfile.mkdtemp())
    rows = ["nome;ip;sito;lat;lon"]
    for n in range(6):
        ip = text if n == bad_row else f"127.20.0.{n + 1}"
        rows.append(f"ap-{n};{ip};S{n};44.7;10.6{n}")
    (d / "aps.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (d / "inv.yaml").write_text(
        "imports:\n  - csv: aps.csv\n    mapping: {device.name: nome, device.mgmt_ip: ip, site.name: sito,"
        " site.lat: lat, site.lon: lon}\n",
        encoding="utf-8",
    )
    r = load_inventory([d / "inv.yaml"])
    assert r.inventory is None
    assert {(e.where, e.field) for e in r.errors} >= {
        (f"line {bad_row + 2}", "ip (device.mgmt_ip)")
    }
