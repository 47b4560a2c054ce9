"""Simulated SNMP agents for the sample lab, tests and benchmarks (served by snmpsim).

`write_lab` writes one .snmprec per device, laid out so that one snmpsim process answers
each device on its own address and port (snmpsim picks the file by community and
transport id), and returns the command line. Counters grow between polls through
snmpsim's `numeric` variation module, so rates are real. snmpsim itself is a test
dependency: the agent never needs it to poll real devices. snmpsim answers a few hundred
requests per second; for the whole sample lab `SimLab.fast_command` serves the same
files with `netagent.agent.demo.fakeagent` (any community, one process, fast).
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from netagent.collectors.snmp.config import SnmpCredentials
from netagent.inventory.model import POLLED_STATUSES, Inventory

KINDS = ("switch", "ap", "airmax", "mikrotik")
# sysObjectID per kind: switch (ALAXALA), UniFi and airOS (net-snmp Linux), MikroTik.
_SYS_OBJECT_ID = {
    "switch": "1.3.6.1.4.1.21839.1.2.7",
    "ap": "1.3.6.1.4.1.10002.1",
    "airmax": "1.3.6.1.4.1.10002.1",
    "mikrotik": "1.3.6.1.4.1.14988.1",
}
# What to simulate for an inventory device: by its profile, else by its role.
_PROFILE_KIND = {
    "switch": "switch",
    "unifi": "ap",
    "airmax": "airmax",
    "mikrotik": "mikrotik",
    "mikrotik-ap": "mikrotik",
    "mikrotik-router": "mikrotik",
    "mikrotik-switch": "switch",
}
_ROLE_KIND = {
    "wifi-ap": "ap",
    "ptp-radio": "airmax",
    "base-station": "mikrotik",
    "cpe": "airmax",
    "switch": "switch",
    "router": "switch",
}
_PORTS = {"switch": 24, "ap": 2, "airmax": 3, "mikrotik": 3}


@dataclass(frozen=True)
class SimDevice:
    address: str  # a loopback address, 127.x.y.z
    port: int
    kind: str  # one of KINDS
    name: str = ""


def _counter(oid: str, tag: int, rate: int, rng: random.Random) -> str:
    initial = rng.randrange(1 << 30)
    wrap = ",wrap=1" if tag == 65 else ""
    return f"{oid}|{tag}:numeric|initial={initial},rate={rate}{wrap}"


def device_records(kind: str, name: str, seed: int) -> list[str]:
    """The .snmprec lines of one simulated device of `kind`, sorted by OID."""
    if kind not in KINDS:
        raise ValueError(f"unknown simulated device kind {kind!r}; expected one of {KINDS}")
    rng = random.Random(seed)
    recs = [
        f"1.3.6.1.2.1.1.1.0|4|netagent simulated {kind}",
        f"1.3.6.1.2.1.1.2.0|6|{_SYS_OBJECT_ID[kind]}",
        f"1.3.6.1.2.1.1.3.0|67:numeric|initial={rng.randrange(10**8)},rate=100",
        f"1.3.6.1.2.1.1.5.0|4|{name or kind}",
    ]
    for i in range(1, _PORTS[kind] + 1):
        up = kind != "switch" or i % 5 != 0  # every fifth switch port is down
        speed_mbps = 1000 if kind == "switch" else 100
        rate = rng.randrange(1_000, 2_000_000) if up else 0  # octets/s
        ifname = f"ge-0/{i}" if kind == "switch" else f"eth{i - 1}"
        recs += [
            f"1.3.6.1.2.1.2.2.1.2.{i}|4|{ifname}",
            f"1.3.6.1.2.1.2.2.1.5.{i}|66|{min(speed_mbps * 10**6, 2**32 - 1)}",
            f"1.3.6.1.2.1.2.2.1.8.{i}|2|{1 if up else 2}",
            _counter(f"1.3.6.1.2.1.2.2.1.10.{i}", 65, rate, rng),
            _counter(f"1.3.6.1.2.1.2.2.1.14.{i}", 65, rng.choice((0, 0, 1)), rng),
            _counter(f"1.3.6.1.2.1.2.2.1.16.{i}", 65, rate // 3, rng),
            _counter(f"1.3.6.1.2.1.2.2.1.20.{i}", 65, 0, rng),
            f"1.3.6.1.2.1.31.1.1.1.1.{i}|4|{ifname}",
            _counter(f"1.3.6.1.2.1.31.1.1.1.6.{i}", 70, rate, rng),
            _counter(f"1.3.6.1.2.1.31.1.1.1.10.{i}", 70, rate // 3, rng),
            f"1.3.6.1.2.1.31.1.1.1.15.{i}|66|{speed_mbps}",
        ]
    if kind == "ap":  # UniFi: 2 radios, 2 SSIDs each
        for v, (radio, ssid) in enumerate(
            [
                ("ng", "EmiliaRomagnaWiFi wifiprivacy.it"),
                ("ng", "staff"),
                ("na", "EmiliaRomagnaWiFi wifiprivacy.it"),
                ("na", "staff"),
            ],
            start=1,
        ):
            base = "1.3.6.1.4.1.41112.1.6.1.2.1"
            recs += [
                f"{base}.6.{v}|4|{ssid}",
                f"{base}.8.{v}|2|{rng.randrange(0, 30)}",
                f"{base}.9.{v}|4|{radio}",
            ]
    elif kind == "airmax":
        base = "1.3.6.1.4.1.41112.1.4.5.1"
        recs += [
            f"{base}.2.1|4|coviolo-ptp",
            f"{base}.5.1|2|{rng.randrange(-75, -50)}",
            f"{base}.7.1|2|{rng.randrange(70, 100)}",
            f"{base}.8.1|2|{rng.randrange(-98, -90)}",
            f"{base}.9.1|2|{rng.choice((130, 270, 390)) * 10**6}",
            f"{base}.15.1|66|1",
        ]
    elif kind == "mikrotik":
        recs += [
            "1.3.6.1.4.1.14988.1.1.1.3.1.4.1|4|coviolo",
            "1.3.6.1.4.1.14988.1.1.1.3.1.6.1|65|1",
        ]
        mac = ".".join(str(rng.randrange(256)) for _ in range(6))
        base = "1.3.6.1.4.1.14988.1.1.1.2.1"
        recs += [
            f"{base}.3.{mac}.1|2|{rng.randrange(-80, -45)}",
            f"{base}.8.{mac}.1|65|{rng.choice((130, 270)) * 10**6}",
            f"{base}.12.{mac}.1|2|{rng.randrange(20, 45)}",
        ]
    return sorted(recs, key=lambda r: tuple(int(x) for x in r.split("|", 1)[0].split(".")))


@dataclass(frozen=True)
class SimLab:
    command: list[str]  # argv that serves the lab with snmpsim (one community per device)
    communities: dict[str, str]  # device name -> its v2c community (for snmpsim)
    # argv that serves it with netagent.agent.demo.fakeagent (any community)
    fast_command: list[str]


def write_lab(data_dir: Path, devices: Sequence[SimDevice], prefix: str = "sim") -> SimLab:
    """Writes the data dir for `devices` and returns the snmpsim command line to serve it.

    Every device listens on its own address:port, but snmpsim 1.2 with pysnmp 7 selects
    data only by community (its per-transport selection is never called), so each device
    gets its own community `<prefix>-<n>`: configure them per device
    (`SnmpConfig.device_credentials`).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable,
        "-m",
        "snmpsim.commands.responder",
        f"--data-dir={data_dir}",
        f"--cache-dir={data_dir / '.cache'}",
        "--max-var-binds=2000",
        "--logging-method=null",
    ]
    if os.geteuid() == 0:  # snmpsim refuses to run as root without these
        args += ["--process-user=root", "--process-group=root"]
    communities: dict[str, str] = {}
    endpoints: dict[str, None] = {}
    manifest = []
    for n, d in enumerate(devices):
        name = d.name or f"{d.kind}-{n}"
        community = f"{prefix}-{n}"
        communities[name] = community
        lines = device_records(d.kind, name, seed=n)
        (data_dir / f"{community}.snmprec").write_text("\n".join(lines) + "\n")
        endpoints[f"{d.address}:{d.port}"] = None
        manifest.append({"address": d.address, "port": d.port, "file": f"{community}.snmprec"})
    args += [f"--agent-udpv4-endpoint={e}" for e in endpoints]
    (data_dir / "lab.json").write_text(json.dumps(manifest, indent=1))
    fast = [sys.executable, "-m", "netagent.agent.demo.fakeagent", str(data_dir / "lab.json")]
    return SimLab(args, communities, fast)


def inventory_devices(inv: Inventory) -> list[SimDevice]:
    """One simulated agent per polled device, on its mgmt_ip and snmp_port (loopback only)."""
    out = []
    for d in inv.devices:
        if d.status not in POLLED_STATUSES:
            continue
        if not d.mgmt_ip.is_loopback:
            raise ValueError(
                f"device {d.name}: mgmt_ip {d.mgmt_ip} is not a loopback address; "
                "simulated agents are only served on 127.0.0.0/8"
            )
        kind = _PROFILE_KIND.get(d.snmp_profile or "") or _ROLE_KIND[str(d.role)]
        out.append(SimDevice(str(d.mgmt_ip), d.snmp_port, kind, d.name))
    return out


def lab_credentials(lab: SimLab) -> dict[str, SnmpCredentials]:
    """`SnmpConfig.device_credentials` that reach each simulated device."""
    return {name: SnmpCredentials(community=SecretStr(c)) for name, c in lab.communities.items()}
