"""The demo lab: a network namespace where only the sample's healthy devices answer.

On the host every 127.x address answers, so a demo could never show a device down. The
lab is a private network namespace whose loopback carries, as /32s, only the management
addresses of devices that are meant to be up; the prober opens its sockets in there
(netagent.collectors.netns), and the faulty devices' addresses simply do not exist. Nothing is
added to the host's own interfaces. Needs root (or CAP_SYS_ADMIN); without it the agent
probes the host's loopback, where every device answers.

What a daemon's lab creates (namespace, simulated agent process, temporary directory) is
recorded in the data directory (`lab.json`) as it is created, so the next start there
removes what a SIGKILLed (or crashed) lab left behind: nothing else would.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from ipaddress import ip_address
from pathlib import Path

import yaml

from netagent.agent.demo.simlab import inventory_devices, write_lab
from netagent.inventory.model import Inventory
from netagent.inventory.sample import LAB_FAULTS_PATH

log = logging.getLogger(__name__)


class LabUnavailable(RuntimeError):
    """Why the lab namespace could not be made (not root, no iproute2…)."""


def _ip(*args: str, stdin: str | None = None) -> None:
    proc = subprocess.run(["ip", *args], input=stdin, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LabUnavailable(f"ip {' '.join(args[:4])}: {proc.stderr.strip()}")


def can_build() -> str | None:
    """None when a lab can be built here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "the demo lab needs root to create a network namespace"
    if shutil.which("ip") is None:
        return "the demo lab needs iproute2 (the `ip` command)"
    return None


class LabRecord:
    """lab.json in the data directory: what the running lab created, for the next start."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "lab.json"
        self._items: dict[str, object] = {}

    def note(self, **items: object) -> None:
        self._items.update(items)
        self._save()

    def forget(self, *keys: str) -> None:
        for key in keys:
            self._items.pop(key, None)
        self._save()

    def _save(self) -> None:
        if not self._items:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._items))
        tmp.replace(self.path)

    def clean_leftovers(self) -> list[str]:
        """Remove what an earlier lab here left (its daemon died without cleaning up);
        returns what was removed. The caller holds the data directory's lock, so that
        daemon is gone."""
        try:
            left = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return []
        removed = []
        pid = left.get("agent_pid")
        if isinstance(pid, int) and _is_fake_agent(pid):
            os.kill(pid, signal.SIGKILL)
            removed.append(f"simulated SNMP agents (pid {pid})")
        ns = left.get("namespace")
        if (
            isinstance(ns, str)
            and ns.startswith("netagent-lab-")
            and subprocess.run(["ip", "netns", "del", ns], capture_output=True).returncode == 0
        ):
            removed.append(f"namespace {ns}")
        tmp = left.get("tmp_dir")
        if (
            isinstance(tmp, str)
            and Path(tmp).name.startswith("netagent-snmplab-")
            and Path(tmp).is_dir()
        ):
            shutil.rmtree(tmp, ignore_errors=True)
            removed.append(f"directory {tmp}")
        self.path.unlink(missing_ok=True)
        return removed


def _is_fake_agent(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"netagent.agent.demo.fakeagent" in cmdline


@contextmanager
def lab_namespace(answering: Iterable[str], record: LabRecord | None = None) -> Iterator[str]:
    """A namespace whose loopback holds exactly the `answering` addresses; yields its name."""
    if (reason := can_build()) is not None:
        raise LabUnavailable(reason)
    name = f"netagent-lab-{os.getpid()}"
    if record is not None:
        record.note(namespace=name)
    _ip("netns", "add", name)
    try:
        # Bringing lo up adds 127.0.0.1/8, which would answer for the whole range.
        commands = ["link set lo up", "addr del 127.0.0.1/8 dev lo"]
        for addr in answering:
            bits = 32 if ip_address(addr).version == 4 else 128
            commands.append(f"addr add {addr}/{bits} dev lo")
        _ip("-n", name, "-batch", "-", stdin="\n".join(commands) + "\n")
        log.info("demo lab namespace %s: %d answering addresses", name, len(commands) - 2)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        if record is not None:
            record.forget("namespace")


@contextmanager
def simulated_snmp(
    inv: Inventory, netns: str | None, record: LabRecord | None = None
) -> Iterator[str]:
    """SNMP agents for every polled device of a loopback-only inventory, served by one
    process (in `netns` when given) until the block ends; yields what it says it serves."""
    with tempfile.TemporaryDirectory(prefix="netagent-snmplab-") as tmp:
        if record is not None:
            record.note(tmp_dir=tmp)
        lab = write_lab(Path(tmp), inventory_devices(inv))
        argv = ["ip", "netns", "exec", netns, *lab.fast_command] if netns else lab.fast_command
        # stderr to a file, not a pipe: nobody drains a pipe during a months-long daemon.
        errors = Path(tmp) / "stderr.log"
        with errors.open("w") as err:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True)
        if record is not None:
            record.note(agent_pid=proc.pid)
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline().strip()
            if not first.startswith("serving"):
                proc.wait(timeout=10)
                why = first or errors.read_text(errors="replace").strip()[-500:]
                raise LabUnavailable(f"simulated SNMP agents did not start: {why}")
            yield first
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            if record is not None:
                record.forget("agent_pid", "tmp_dir")


def lab_answering(inv: Inventory, faults_path: Path) -> list[str]:
    """Management addresses that answer in the demo lab: all but the listed faults."""
    data = yaml.safe_load(faults_path.read_text(encoding="utf-8")) or {}
    faulty = {str(f["device"]) for f in data.get("faults", [])}
    unknown = faulty - set(inv.device_by_name)
    if unknown:
        raise ValueError(f"{faults_path}: faults: devices not in the inventory: {sorted(unknown)}")
    return [str(d.mgmt_ip) for d in inv.devices if d.name not in faulty]


@contextmanager
def sample_lab(inv: Inventory, data_dir: Path, namespace: bool) -> Iterator[str | None]:
    """The bundled sample's simulated SNMP agents, in its lab namespace if asked; yields
    the namespace's name (None on the host's loopback). Recorded in `data_dir`, whose
    earlier leftovers are removed first."""
    record = LabRecord(data_dir)
    for what in record.clean_leftovers():
        log.warning("removed what an earlier lab left behind: %s", what)
    with ExitStack() as stack:
        netns = (
            stack.enter_context(lab_namespace(lab_answering(inv, LAB_FAULTS_PATH), record))
            if namespace
            else None
        )
        served = stack.enter_context(simulated_snmp(inv, netns, record))
        log.info(
            "bundled sample: %s%s",
            served,
            ""
            if namespace
            else " on the host's loopback (--lab: the demo lab, where some devices are down)",
        )
        yield netns
