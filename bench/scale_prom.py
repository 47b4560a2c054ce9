"""The peer of the scale bench: Debian's Prometheus + snmp_exporter + blackbox_exporter.

What a user would run instead of netagent, on the same simulated devices at the same
intervals: snmp_exporter's `if_mib` module scraped every 60 s, blackbox_exporter's `icmp`
prober every 30 s, Prometheus storing both. The three binaries are run here, on free
loopback ports with temporary directories, never through systemd (the packages are
installed when missing, with services kept from starting).

Debian cannot ship a generated snmp.yml (MIB licences) and no IF-MIB text is installed,
so `if_mib` is written here from a table: the same walks, lookups and metric types as
the module in snmp_exporter's upstream snmp.yml (its ifType enum reduced to a few names;
the simulated agents only report ethernet ports).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from tests.fixtures.ports import free_port, wait_port

PACKAGES = {
    "prometheus": "prometheus",
    "prometheus-snmp-exporter": "prometheus-snmp-exporter",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
}
_POLICY_RC = Path("/usr/sbin/policy-rc.d")

# if_mib as upstream generates it: (name, OID, type); table columns are indexed by ifIndex.
_IF_TABLE = [
    ("ifIndex", "1.3.6.1.2.1.2.2.1.1", "gauge"),
    ("ifType", "1.3.6.1.2.1.2.2.1.3", "EnumAsInfo"),
    ("ifMtu", "1.3.6.1.2.1.2.2.1.4", "gauge"),
    ("ifSpeed", "1.3.6.1.2.1.2.2.1.5", "gauge"),
    ("ifPhysAddress", "1.3.6.1.2.1.2.2.1.6", "PhysAddress48"),
    ("ifAdminStatus", "1.3.6.1.2.1.2.2.1.7", "gauge"),
    ("ifOperStatus", "1.3.6.1.2.1.2.2.1.8", "gauge"),
    ("ifLastChange", "1.3.6.1.2.1.2.2.1.9", "gauge"),
    *[
        (name, f"1.3.6.1.2.1.2.2.1.{col}", "counter")
        for name, col in [
            ("ifInOctets", 10),
            ("ifInUcastPkts", 11),
            ("ifInNUcastPkts", 12),
            ("ifInDiscards", 13),
            ("ifInErrors", 14),
            ("ifInUnknownProtos", 15),
            ("ifOutOctets", 16),
            ("ifOutUcastPkts", 17),
            ("ifOutNUcastPkts", 18),
            ("ifOutDiscards", 19),
            ("ifOutErrors", 20),
        ]
    ],
    ("ifOutQLen", "1.3.6.1.2.1.2.2.1.21", "gauge"),
    ("ifSpecific", "1.3.6.1.2.1.2.2.1.22", "OctetString"),
    *[
        (name, f"1.3.6.1.2.1.31.1.1.1.{col}", "counter")
        for name, col in [
            ("ifInMulticastPkts", 2),
            ("ifInBroadcastPkts", 3),
            ("ifOutMulticastPkts", 4),
            ("ifOutBroadcastPkts", 5),
            ("ifHCInOctets", 6),
            ("ifHCInUcastPkts", 7),
            ("ifHCInMulticastPkts", 8),
            ("ifHCInBroadcastPkts", 9),
            ("ifHCOutOctets", 10),
            ("ifHCOutUcastPkts", 11),
            ("ifHCOutMulticastPkts", 12),
            ("ifHCOutBroadcastPkts", 13),
        ]
    ],
    ("ifLinkUpDownTrapEnable", "1.3.6.1.2.1.31.1.1.1.14", "gauge"),
    ("ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15", "gauge"),
    ("ifPromiscuousMode", "1.3.6.1.2.1.31.1.1.1.16", "gauge"),
    ("ifConnectorPresent", "1.3.6.1.2.1.31.1.1.1.17", "gauge"),
    ("ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19", "gauge"),
]
_LOOKUPS = [  # label -> the column that holds it
    ("ifAlias", "1.3.6.1.2.1.31.1.1.1.18"),
    ("ifDescr", "1.3.6.1.2.1.2.2.1.2"),
    ("ifName", "1.3.6.1.2.1.31.1.1.1.1"),
]


def if_mib_module() -> dict[str, object]:
    """snmp_exporter 0.21's `if_mib` module (its pre-0.23 flat snmp.yml layout)."""
    lookups = [
        {"labels": ["ifIndex"], "labelname": label, "oid": oid, "type": "DisplayString"}
        for label, oid in _LOOKUPS
    ]
    metrics: list[dict[str, object]] = [
        {"name": "sysUpTime", "oid": "1.3.6.1.2.1.1.3", "type": "gauge"},
        {"name": "ifNumber", "oid": "1.3.6.1.2.1.2.1", "type": "gauge"},
    ]
    for name, oid, kind in _IF_TABLE:
        m: dict[str, object] = {
            "name": name,
            "oid": oid,
            "type": kind,
            "indexes": [{"labelname": "ifIndex", "type": "gauge"}],
            "lookups": lookups,
        }
        if kind == "EnumAsInfo":
            m["enum_values"] = {1: "other", 6: "ethernetCsmacd", 24: "softwareLoopback"}
        metrics.append(m)
    return {
        "walk": ["1.3.6.1.2.1.2", "1.3.6.1.2.1.31.1.1"],
        "get": ["1.3.6.1.2.1.1.3.0"],
        "metrics": metrics,
        "version": 2,
        "auth": {"community": "public"},
    }


def ensure_installed() -> None:
    """apt-get the three packages when a binary is missing, without starting services."""
    missing = [pkg for binary, pkg in PACKAGES.items() if shutil.which(binary) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"not installed and not root: apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    guard = not _POLICY_RC.exists()
    if guard:  # the postinst scripts would start the services under systemd
        _POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        _POLICY_RC.chmod(0o755)
    try:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            env=env,
            check=True,
        )
    finally:
        if guard:
            _POLICY_RC.unlink()


@dataclass
class PromStack:
    """The three processes; `start()` then `stop()` (also after a failed start)."""

    root: Path
    targets: list[str]  # device addresses
    snmp_port: int
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['prometheus']}"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in ("prometheus", "snmp", "blackbox")}
        snmp_yml = self.root / "snmp.yml"
        snmp_yml.write_text(yaml.safe_dump({"if_mib": if_mib_module()}, sort_keys=False))
        blackbox_yml = self.root / "blackbox.yml"
        blackbox_yml.write_text(yaml.safe_dump({"modules": {"icmp": {"prober": "icmp"}}}))
        self._write_prometheus_yml()
        self._spawn(
            "snmp",
            [
                "prometheus-snmp-exporter",
                f"--config.file={snmp_yml}",
                f"--web.listen-address=127.0.0.1:{self.ports['snmp']}",
                "--log.level=warn",
            ],
        )
        self._spawn(
            "blackbox",
            [
                "prometheus-blackbox-exporter",
                f"--config.file={blackbox_yml}",
                f"--web.listen-address=127.0.0.1:{self.ports['blackbox']}",
                "--log.level=warn",
            ],
        )
        self._spawn(
            "prometheus",
            [
                "prometheus",
                f"--config.file={self.root / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.root / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.ports['prometheus']}",
                "--log.level=warn",
            ],
        )
        for name, port in self.ports.items():
            wait_port(port, timeout=60)
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited at start; see {self.root / name}.log")

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.root / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=log, cwd=self.root)

    def _write_prometheus_yml(self) -> None:
        def job(
            name: str, interval: int, path: str, module: str, exporter: str, port: int = 0
        ) -> dict[str, object]:
            targets = [f"{a}:{port}" if port else a for a in self.targets]
            return {
                "job_name": name,
                "scrape_interval": f"{interval}s",
                "scrape_timeout": "10s",
                "metrics_path": path,
                "params": {"module": [module]},
                "static_configs": [{"targets": targets}],
                "relabel_configs": [
                    {"source_labels": ["__address__"], "target_label": "__param_target"},
                    {"source_labels": ["__param_target"], "target_label": "instance"},
                    {"target_label": "__address__", "replacement": f"127.0.0.1:{exporter}"},
                ],
            }

        config = {
            "global": {"scrape_interval": "60s", "evaluation_interval": "60s"},
            "scrape_configs": [
                job("snmp", 60, "/snmp", "if_mib", str(self.ports["snmp"]), self.snmp_port),
                job("icmp", 30, "/probe", "icmp", str(self.ports["blackbox"])),
            ],
        }
        # JSON is YAML: 15,000 targets dump faster this way.
        (self.root / "prometheus.yml").write_text(json.dumps(config))

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.procs.items()}

    def query(self, q: str, at: float) -> float:
        r = httpx.get(f"{self.url}/api/v1/query", params={"query": q, "time": at}, timeout=120)
        r.raise_for_status()
        result = r.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else 0.0

    def successes(self, start: float, end: float) -> dict[str, int]:
        """Successful samples per job in (start, end]: SNMP scrapes that answered
        (`up`), ICMP probes that got their echo (`probe_success`)."""
        w = f"{round(end - start)}s"
        return {
            "snmp": round(self.query(f'sum(sum_over_time(up{{job="snmp"}}[{w}]))', end)),
            "icmp": round(self.query(f'sum(sum_over_time(probe_success{{job="icmp"}}[{w}]))', end)),
        }

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 30
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
