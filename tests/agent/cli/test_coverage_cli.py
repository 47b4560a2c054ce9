"""`netagent coverage` on the bundled Reggio Emilia sample, with a real local spool."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netagent.agent import inventory_source
from netagent.agent.cli.main import _register, app
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool
from netagent.geo.coverage import CoverageConfig, compute
from netagent.inventory.model import Inventory, Role
from netagent.inventory.sample import SAMPLE_DIR

_register()
runner = CliRunner()


@pytest.fixture(scope="module")
def sample() -> Inventory:
    inv = inventory_source.load([]).inventory
    assert inv is not None
    return inv


def store_states(data_dir: Path, inv: Inventory, down: str) -> None:
    """The local store the CLI reads, as `netagent run` leaves it: `down` down, all up."""
    spool = Spool(data_dir / "spool.sqlite")
    spool.put(
        Sample(
            "device_status",
            {"device": d.name, "role": d.role.value, "quartiere": inv.quartiere_of(d) or "outside"},
            {"state": "down" if d.name == down else "up", "since": 0},
            10,
        )
        for d in inv.devices
    )
    spool.close()


def _run(*args: str) -> tuple[int, str]:
    r = runner.invoke(app, ["coverage", *args])
    return r.exit_code, r.stdout


def test_json_table_matches_the_api(sample: Inventory, tmp_path: Path) -> None:
    code, out = _run("--json", "--data-dir", str(tmp_path))
    assert code == 0, out
    data = json.loads(out)
    assert data["mode"] == "planned" and "uniform density" in data["residents_basis"]
    expected = {(r.quartiere, r.technology): r for r in compute(sample, CoverageConfig()).rows}
    rows = [r for r in data["rows"] if r["quartiere"] != "comune"]
    assert len(rows) == len(sample.quartieri) * 4 == len(expected)
    for r in rows:
        assert r["covered_km2"] == pytest.approx(
            expected[(r["quartiere"], r["technology"])].covered_km2
        )
    assert not (tmp_path / "spool.sqlite").exists()  # planned figures never touch the store


def test_filters_sort_and_csv(sample: Inventory, tmp_path: Path) -> None:
    name = sample.quartieri[0].name
    code, out = _run(
        "--quartiere", name.upper(), "--technology", "wifi", "--csv", "--data-dir", str(tmp_path)
    )
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["quartiere"], r["technology"]) for r in rows] == [(name, "wifi")]
    code, out = _run(
        "--technology", "all", "--sort", "covered_pct", "--json", "--data-dir", str(tmp_path)
    )
    pct = [r["covered_pct"] for r in json.loads(out)["rows"] if r["quartiere"] != "comune"]
    assert pct == sorted(pct, reverse=True)
    assert _run("--sort", "colour", "--data-dir", str(tmp_path))[0] == 2
    assert _run("--quartiere", "Atlantide", "--data-dir", str(tmp_path))[0] == 2


def test_live_counts_what_the_outages_cost(sample: Inventory, tmp_path: Path) -> None:
    def lost(name: str) -> float:  # in the AP's own quartiere
        rows = compute(sample, CoverageConfig(), down={name}).rows
        q = sample.quartiere_of(name)
        return next(r.lost_km2 for r in rows if r.quartiere == q and r.technology == "wifi")

    # an AP whose disc no other AP overlaps completely
    ap = next(d for d in sample.devices if d.role is Role.WIFI_AP and lost(d.name) > 0)
    q = sample.quartiere_of(ap)
    store_states(tmp_path, sample, ap.name)
    code, out = _run("--live", "--json", "--data-dir", str(tmp_path))
    assert code == 0, out
    data = json.loads(out)
    assert data["mode"] == "live" and data["down"] == [ap.name]
    row = next(r for r in data["rows"] if r["quartiere"] == q and r["technology"] == "wifi")
    assert row["lost_km2"] == pytest.approx(lost(ap.name))
    assert row["elements"] == row["elements_planned"] - 1


def test_write_samples_export_and_report(tmp_path: Path) -> None:
    code, _ = _run("--write-samples", "--data-dir", str(tmp_path))
    assert code == 0
    spool = Spool(tmp_path / "spool.sqlite")
    stored = spool.latest("coverage")
    spool.close()
    assert stored and {s.tags["technology"] for s in stored} == {
        "wifi",
        "fibre",
        "fixed-wireless",
        "all",
    }
    code, out = _run("export", str(tmp_path / "geo"), "--data-dir", str(tmp_path))
    assert code == 0, out
    assert json.loads((tmp_path / "geo" / "quartieri.geojson").read_text())["features"]
    elements = json.loads((tmp_path / "geo" / "coverage_elements.geojson").read_text())
    assert {f["properties"]["technology"] for f in elements["features"]} == {
        "wifi",
        "fibre",
        "fixed-wireless",
    }
    devices = json.loads((tmp_path / "geo" / "devices.geojson").read_text())["features"]
    assert {f["properties"]["state"] for f in devices} == {"unknown"}  # no store yet
    code, out = _run("report", str(tmp_path / "map.html"), "--data-dir", str(tmp_path))
    assert code == 0, out
    page = (tmp_path / "map.html").read_text()
    assert 'id="legend"' in page and "approximate" in page


def test_inventory_without_quartieri_is_a_clear_error(tmp_path: Path) -> None:
    inv = tmp_path / "net.yaml"
    inv.write_text(
        "sites:\n  - {name: s, lat: 44.7, lon: 10.63}\n"
        "devices:\n  - {name: ap, site: s, role: wifi-ap, mgmt_ip: 127.0.0.9}\n"
    )
    r = runner.invoke(app, ["coverage", "-i", str(inv), "--data-dir", str(tmp_path)])
    assert r.exit_code == 1
    assert "no quartieri" in r.stderr


def test_export_and_report_take_the_options_given_before_them(tmp_path: Path) -> None:
    # an operator's own config and inventory, the options written where the table takes
    # them: `coverage -c own.toml --quartieri Q export DIR` must map their network, not
    # fall back to the bundled sample
    (tmp_path / "inv").mkdir()
    (tmp_path / "inv" / "net.yaml").write_text(
        "sites:\n  - {name: s, lat: 44.698, lon: 10.631}\n"
        "devices:\n  - {name: own-ap, site: s, role: wifi-ap, mgmt_ip: 127.0.0.9}\n"
    )
    own = tmp_path / "own.toml"
    own.write_text(f'[agent]\ndata_dir = "{tmp_path}"\ninventory = ["{tmp_path / "inv"}"]\n')
    before = ["-c", str(own), "--quartieri", str(SAMPLE_DIR / "quartieri.geojson")]
    r = runner.invoke(app, ["coverage", *before, "export", str(tmp_path / "geo")])
    assert r.exit_code == 0, r.output
    devices = json.loads((tmp_path / "geo" / "devices.geojson").read_text())["features"]
    assert [f["properties"]["device"] for f in devices] == ["own-ap"]
    assert "sample" not in r.stderr
    Spool(tmp_path / "spool.sqlite").close()  # the map shows live too: the agent has run
    r = runner.invoke(app, ["coverage", *before, "report", str(tmp_path / "map.html")])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "map.html").read_text()
    assert "own-ap" in page and "ap-centro" not in page
    # the table's own options mean nothing to a file: a usage error, not ignored
    r = runner.invoke(app, ["coverage", "--csv", *before, "export", str(tmp_path / "geo")])
    assert r.exit_code == 2
    assert r.stderr.strip() == "error: --csv: only for the table, not for `coverage export`"
