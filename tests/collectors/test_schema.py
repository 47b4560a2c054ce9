"""The schema table is the one declaration: the README, the line protocol's types, /metrics
HELP, the dashboards' units and the SNMP profiles all come from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from netagent.agent.health import Health, HealthLimits
from netagent.agent.metrics import metrics_text
from netagent.collectors import line_protocol as lp
from netagent.collectors import schema
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import ProfileError, load_profiles
from netagent.collectors.spool import Spool

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def test_readme_schema_section_is_the_rendering_of_the_table() -> None:
    section = schema.section_of(README.read_text())
    assert section is not None, f"{README}: no {schema.BEGIN} ... {schema.END} markers"
    assert section == schema.markdown(), (
        "README's schema section is stale: run `python -m netagent.collectors.schema --update "
        "README.md`"
    )


def test_python_m_prints_the_section_and_update_rewrites_a_stale_one(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "netagent.collectors.schema"]
    out = subprocess.run(run, capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out == schema.markdown()
    doc = tmp_path / "doc.md"
    doc.write_text(f"# Mine\n\n{schema.BEGIN}\n| old | table |\n{schema.END}\n\nafter\n")
    r = subprocess.run([*run, "--update", str(doc)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert doc.read_text() == f"# Mine\n\n{schema.BEGIN}\n{out}{schema.END}\n\nafter\n"
    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n")
    r = subprocess.run([*run, "--update", str(plain)], capture_output=True, text=True, cwd=ROOT)
    assert (r.returncode, plain.read_text()) == (1, "no markers\n")
    assert "no <!-- schema:begin" in r.stderr and "Traceback" not in r.stderr
    gone = tmp_path / "gone.md"
    r = subprocess.run([*run, "--update", str(gone)], capture_output=True, text=True, cwd=ROOT)
    assert (r.returncode, r.stderr) == (3, f"error: {gone}: No such file or directory\n")


def test_grafana_unit_per_field_and_a_clear_error_for_an_unknown_one() -> None:
    assert schema.grafana_unit("interface", "in_bps") == "bps"
    assert schema.grafana_unit("radio_station", "rssi_dbm") == "dBm"
    assert schema.grafana_unit("icmp", "loss_pct") == "percent"
    assert schema.grafana_unit("sensor", "ok") == "bool"
    with pytest.raises(KeyError, match="field 'in_mbps' of measurement 'interface'"):
        schema.grafana_unit("interface", "in_mbps")
    with pytest.raises(KeyError, match="measurement 'ifaces' is not declared"):
        schema.grafana_unit("ifaces", "in_bps")


def test_problems_name_undeclared_fields_tags_measurements_and_wrong_types() -> None:
    samples = [
        Sample("host", {"device": "d"}, {"cpu_pct": 3, "cpus": 2.0, "temp_c": 40.0}),
        Sample("host", {"device": "d", "rack": "r1"}, {"cpu_pct": 1.5}),
        Sample("hosts", {}, {"x": 1}),
    ]
    assert schema.problems(samples) == [
        "host: field 'cpus' is declared int, written as float",
        "host: field 'temp_c' is not declared",
        "host: tag 'rack' is not declared",
        "measurement 'hosts' is not declared",
    ]


def test_stored_types_are_the_declared_ones(tmp_path: Path) -> None:
    """A float field given as an int is stored as a float, an int field given an integral
    float as an int: InfluxDB refuses a field that changes type."""
    fields = {"cpu_pct": 0, "cpus": 4.0, "mem_used_bytes": 1024}
    assert lp.encode_fields(fields, "host") == "cpu_pct=0,cpus=4i,mem_used_bytes=1024"
    assert lp.encode_fields(fields) == "cpu_pct=0i,cpus=4,mem_used_bytes=1024i"  # undeclared
    with pytest.raises(lp.LineProtocolError, match="'cpus' of 'host' is declared int, got"):
        lp.encode_fields({"cpus": 2.5}, "host")
    spool = Spool(tmp_path / "spool.sqlite")
    try:
        spool.put([Sample("host", {"device": "d"}, fields, 1)])
        (back,) = spool.query("host")
    finally:
        spool.close()
    assert back.fields == {"cpu_pct": 0.0, "cpus": 4, "mem_used_bytes": 1024.0}
    assert [type(v) for v in back.fields.values()] == [float, int, float]
    assert schema.problems([back]) == []


def test_metrics_help_of_agent_figures_is_the_schema_description() -> None:
    h = Health()
    h.job("icmp", 60.0)
    h.gauges.update(rss_mb=10.0, cpu_s=1.0, notify_failures=0)
    families = {
        f.name: f.documentation
        for f in text_string_to_metric_families(metrics_text(h, HealthLimits).decode())
    }
    for metric, field in (
        ("netagent_job_runs", "runs"),
        ("netagent_job_duration_seconds", "cycle_s"),
        ("netagent_job_scheduler_lag_p99_seconds", "scheduler_lag_p99_s"),
        ("netagent_uptime_seconds", "uptime_s"),
        ("netagent_process_resident_memory_bytes", "rss_mb"),
        ("netagent_notify_failed_attempts", "notify_failures"),
    ):
        assert families[metric] == schema.field_of("agent", field).description


def test_a_profile_column_that_is_not_a_radio_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        "name: mine\n"
        "tables:\n"
        "  - name: links\n"
        "    kind: radio_link\n"
        "    columns:\n"
        "      rssi_dbm: 1.3.6.1.4.1.9.1\n"
        "      signal_dbm: 1.3.6.1.4.1.9.2\n"
    )
    with pytest.raises(ProfileError) as e:
        load_profiles(tmp_path)
    assert str(tmp_path / "mine.yaml") in str(e.value)
    assert "table 'links': signal_dbm is not a radio field (one of rssi_dbm, snr_db" in str(e.value)
