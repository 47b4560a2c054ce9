"""What a command's start costs: the CLI must not import what only probing or writing to
InfluxDB needs. scapy and influxdb-client were 0.4 s of every `netagent status`, `query`
or `config check` (1.8 s to 1.3 s on the shared machine); they are imported where used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Every command registered, as `netagent --help` has them; then what got imported.
PROBE = """
import sys
from netagent.agent.cli import main
main._register()
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_the_cli_starts_without_scapy_or_influxdb_client() -> None:
    r = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert r.returncode == 0, r.stderr
    loaded = set(r.stdout.split())
    assert "netagent" in loaded and "typer" in loaded  # the probe saw the CLI load
    assert loaded.isdisjoint({"scapy", "influxdb_client"}), loaded & {"scapy", "influxdb_client"}
