"""An operator's own set-up, as a new user writes it: a TOML file naming their inventory
(two devices on 127.66.x), their quartiere polygon, their data directory and an InfluxDB
on a closed loopback port; `netagent` run as a process with that file.

`$NETAGENT_DATA_DIR` points elsewhere on purpose: the file must win. A namespace helper
makes the one place where only some of the devices answer (on the host every 127.x does).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.netlab import need_root_netns
from tests.fixtures.ports import free_port

# Raw ICMP sockets and network namespaces both need root (CI runs as root).
needs_root = need_root_netns

ROOT = Path(__file__).resolve().parent.parent
UP, DOWN = "127.66.0.1", "127.66.0.2"  # in the operator's namespace only UP exists
DEVICES = {"op-sw-1", "op-ap-1"}

INVENTORY = f"""\
sites:
  - {{name: Piazza Prampolini, lat: 44.698333, lon: 10.631111}}
devices:
  - {{name: op-sw-1, site: Piazza Prampolini, role: switch, mgmt_ip: {UP}}}
  - {{name: op-ap-1, site: Piazza Prampolini, role: wifi-ap, mgmt_ip: {DOWN}, parent: op-sw-1}}
"""
QUARTIERE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Centro Operatore", "population": 1000},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[10.62, 44.69], [10.64, 44.69], [10.64, 44.71], [10.62, 44.71], [10.62, 44.69]]
                ],
            },
        }
    ],
}


@dataclass
class Operator:
    root: Path
    config: Path
    data: Path

    def write_config(self, extra: str = "") -> None:
        self.config.write_text(
            f'[agent]\ndata_dir = "{self.data}"\ninventory = ["{self.root / "inventory.yaml"}"]\n'
            f'quartieri = "{self.root / "quartieri.geojson"}"\n'
            # One quartiere of the operator's own: it covers part of the comune, on purpose.
            f'quartieri_boundary = "none"\n{extra}\n'
            f'[influxdb]\nurl = "http://127.0.0.1:{free_port()}"\n'  # nothing listens there
            "[jobs.snmp]\nenabled = false\n"
        )

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if k != "NETAGENT_CONFIG"}
        return {
            **base,
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "200",
            "NETAGENT_DATA_DIR": str(self.root / "not-this-one"),
            **(extra or {}),
        }

    def run(
        self, *args: str, env: dict[str, str] | None = None, with_config: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`netagent ARGS -c CONFIG` as a process (the config last, as people append it)."""
        full = self.env(env)
        argv = [*args, "-c", str(self.config)] if with_config else list(args)
        return subprocess.run(
            [sys.executable, "-m", "netagent.agent", *argv],
            capture_output=True,
            text=True,
            env=full,
            cwd=self.root,
            timeout=240,
        )

    def json(self, *args: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        r = self.run(*args, "--json", **kw)
        return r.returncode, json.loads(r.stdout)


def operator(root: Path) -> Operator:
    (root / "inventory.yaml").write_text(INVENTORY)
    (root / "quartieri.geojson").write_text(json.dumps(QUARTIERE))
    op = Operator(root, root / "netagent.toml", root / "data")
    op.write_config()
    return op


@contextmanager
def namespace(answering: list[str]) -> Iterator[str]:
    """A network namespace whose loopback carries only `answering` (as /32s)."""
    need_root_netns()
    name = f"netagent-cli-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        batch = [
            "link set lo up",
            "addr del 127.0.0.1/8 dev lo",
            *(f"addr add {a}/32 dev lo" for a in answering),
        ]
        subprocess.run(
            ["ip", "-n", name, "-batch", "-"], input="\n".join(batch) + "\n", text=True, check=True
        )
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


@contextmanager
def running_daemon(op: Operator, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`netagent run -c` on the operator's config, its output in `log`, until it logs that
    it runs; SIGTERM on leaving, and a clean exit (0) asserted."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "netagent.agent", "run", "-c", str(op.config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=op.env(),
            cwd=ROOT,
        )
        try:
            wait_for_log(log, "running: config", proc)
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0


def wait_for_log(log: Path, text: str, proc: subprocess.Popen[bytes]) -> None:
    """Until `text` is in `log` (60 s at most), failing at once if the daemon exits."""
    deadline = time.monotonic() + 60
    while text not in log.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        time.sleep(0.2)
    assert text in log.read_text(), log.read_text()
