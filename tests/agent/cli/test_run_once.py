"""End to end: the CLI on the bundled sample, as the README's first command runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from netagent.collectors.spool import Spool

ROOT = Path(__file__).resolve().parents[3]


def netagent(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NETAGENT_DATA_DIR": str(data_dir),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "netagent.agent", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )


def needs_icmp() -> None:
    if os.geteuid() != 0:
        pytest.skip("the demo lab and raw ICMP sockets need root (CI runs as root)")


def test_run_once_on_the_sample_lab_then_status(tmp_path: Path) -> None:
    needs_icmp()
    r = netagent("run", "--once", "--json", data_dir=tmp_path)
    assert r.returncode == 1, r.stderr  # the lab's faulty devices are down
    result = json.loads(r.stdout)
    assert result["inventory"] == "bundled-sample" and "bundled" in r.stderr
    assert len(result["devices"]) >= 150
    assert len([q for q in result["quartieri"] if q != "outside"]) >= 20
    totals = result["totals"]
    assert totals.get("down", 0) > 0 and totals.get("up", 0) > 0
    down = {d["device"] for d in result["devices"] if d["state"] == "down"}
    faults = _lab_faults()
    assert down == faults  # exactly the devices the lab leaves without an address

    # SNMP read every device that pinged (simulated agents in the lab), none that did not
    snmp = result["snmp"]
    assert sum(q["read"] for q in snmp.values()) == totals["up"]
    assert sum(q["skipped"] for q in snmp.values()) == len(faults)
    assert all(not q["failed"] for q in snmp.values())
    assert sum(q["clients"] for q in snmp.values()) > 0
    coviolo = snmp["Coviolo"]
    assert coviolo["links"] > 0 and -100 < coviolo["worst_rssi_dbm"] < -30
    spool = Spool(tmp_path / "spool.sqlite")
    wifi = spool.query("wifi", since_ns=0, limit=5000)
    spool.close()
    assert wifi and {s.tags["device"] for s in wifi}.isdisjoint(faults)

    # status reads the same from the store, without probing
    s = netagent("status", "--json", data_dir=tmp_path)
    assert s.returncode == 1, s.stderr
    assert json.loads(s.stdout)["totals"] == totals

    table = netagent("status", data_dir=tmp_path)
    assert "approximate" in table.stdout and "Quartiere" in table.stdout
    assert f"{totals['down']} down" in table.stdout


def _lab_faults() -> set[str]:
    import yaml

    from netagent.inventory.sample import LAB_FAULTS_PATH

    return {f["device"] for f in yaml.safe_load(LAB_FAULTS_PATH.read_text())["faults"]}


def test_run_once_without_lab_probes_the_host_loopback(tmp_path: Path) -> None:
    needs_icmp()
    r = netagent("run", "--once", "--no-lab", "--json", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["totals"].get("down", 0) == 0  # every 127.x answers on the host
    # the simulated SNMP agents serve on the host's loopback then
    assert sum(q["read"] for q in result["snmp"].values()) == result["totals"]["up"]

    table = netagent("run", "--once", "--no-lab", data_dir=tmp_path)
    assert "SNMP, one poll per quartiere" in table.stdout and "Clients" in table.stdout


def test_invalid_inventory_stores_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "sites: [{name: A, lat: 95, lon: 10.6}]\n"
        "devices: [{name: d, site: A, role: switch, mgmt_ip: 127.0.0.300}]\n"
    )
    data = tmp_path / "data"
    r = netagent("run", "--once", "-i", str(bad), data_dir=data)
    assert r.returncode == 1
    assert "bad.yaml:1: " in r.stderr and "mgmt_ip" in r.stderr
    assert not data.exists()


def test_validate_exit_codes(tmp_path: Path) -> None:
    good = netagent(
        "inventory", "validate", str(ROOT / "tests/data/inventory/good.yaml"), data_dir=tmp_path
    )
    assert good.returncode == 0, good.stderr
    assert "valid: 3 sites, 5 devices" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("devices: [{name: d, site: nowhere, role: switch, mgmt_ip: 127.0.0.9}]\n")
    r = netagent("inventory", "validate", "--json", str(bad), data_dir=tmp_path)
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["valid"] is False
    assert [(i["where"], i["field"]) for i in out["issues"]] == [("line 1", "d.site")]


def test_status_before_any_run_says_so(tmp_path: Path) -> None:
    r = netagent("status", data_dir=tmp_path / "empty")
    assert r.returncode == 3
    assert f"no data yet in {tmp_path / 'empty'}" in r.stderr and "run --once" in r.stderr
