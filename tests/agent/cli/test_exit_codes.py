"""The README's exit-code table, one test per row, on an operator's own configuration:
0 all well; 1 problems found (devices down, invalid input); 2 usage; 3 could not do its
job (no data yet, a data directory that cannot be used, a missing namespace)."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from netagent.agent.lock import DataDirLock
from tests.cli_operator import DEVICES, UP, Operator, namespace, needs_root, operator

READING = [
    ["status"],
    ["query", "icmp"],
    ["alerts"],
    ["spool", "dead-letters"],
    ["spool", "requeue"],
    ["coverage", "--live"],
]


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    return operator(tmp_path)


def _ran_before(op: Operator) -> None:
    """What a run leaves: the operator's two devices stored (both answer on the host)."""
    r = op.run("run", "--once")
    assert r.returncode == 0, r.stderr


def test_row_0_all_well_on_the_operators_own_inventory(op: Operator) -> None:
    needs_root()
    code, out = op.json("run", "--once")
    assert code == 0
    assert {d["device"] for d in out["devices"]} == DEVICES
    assert "inventory" not in out
    r = op.run("status")
    assert r.returncode == 0, r.stderr
    assert "bundled" not in r.stderr and "op-" not in r.stdout  # none down, none listed
    assert "2 devices: 2 up" in r.stdout
    assert (op.data / "spool.sqlite").exists()
    assert not (op.root / "not-this-one").exists()  # the file's data_dir, not the env's


def test_row_1_devices_down_run_once_and_status(op: Operator) -> None:
    needs_root()
    with namespace([UP]) as ns:
        op.write_config(f'netns = "{ns}"')
        r = op.run("run", "--once")
    assert r.returncode == 1, r.stderr
    assert "1 up, 1 down" in r.stdout and "op-ap-1" in r.stdout
    code, out = op.json("status")
    assert code == 1
    states = {d["device"]: d["state"] for d in out["devices"]}
    assert states == {"op-sw-1": "up", "op-ap-1": "down"}


def test_row_1_invalid_input(op: Operator) -> None:
    (op.root / "inventory.yaml").write_text(
        "devices: [{name: x, site: nowhere, role: switch, mgmt_ip: 127.66.0.9}]\n"
    )
    for args in (["run", "--once"], ["status"], ["inventory", "validate"]):
        r = op.run(*args)
        assert r.returncode == 1, (args, r.stderr)
        assert "inventory.yaml" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--no-such-option"],
        ["query", "icmp", "--since", "yesterday-ish"],
        ["query", "icmp", "--limit", "0"],
        ["poll", "icmp", "127.0.0.1:80"],  # ICMP has no port
        ["poll", "snmp", "[::1]:99999"],
        ["run", "--once", "--shard", "4/2"],
        ["run", "--once", "--lab"],  # the demo lab is the sample's, not the operator's
    ],
)
def test_row_2_usage(op: Operator, args: list[str]) -> None:
    r = op.run(*args)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", READING, ids=" ".join)
def test_row_3_empty_data_dir_is_no_data_yet_everywhere(op: Operator, args: list[str]) -> None:
    r = op.run(*args)
    assert r.returncode == 3, r.stderr
    assert r.stderr.strip() == (
        f"no data yet in {op.data}: the agent has not run here "
        "(start the daemon, or `netagent run --once`)"
    )
    assert not op.data.exists()  # reading made nothing


@pytest.mark.parametrize("args", [*READING, ["run", "--once"], ["run"]], ids=" ".join)
def test_row_3_data_dir_that_is_a_file(op: Operator, args: list[str]) -> None:
    op.data.write_text("someone's notes\n")
    r = op.run(*args)
    assert r.returncode == 3, r.stderr
    [line] = r.stderr.strip().splitlines()
    assert line.startswith(f"error: {op.data}: not a directory") and "data_dir" in line
    assert op.data.read_text() == "someone's notes\n"


def _spool_bytes(op: Operator) -> bytes:
    _ran_before(op)
    db = sqlite3.connect(op.data / "spool.sqlite")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    db.close()
    return (op.data / "spool.sqlite").read_bytes()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_row_3_corrupt_or_truncated_spool(op: Operator, damage: str) -> None:
    needs_root()
    whole = _spool_bytes(op)
    bad = b"not sqlite at all, somebody's file\n" * 200 if damage == "garbage" else whole[:8192]
    (op.data / "spool.sqlite").write_bytes(bad)
    for args in (
        ["status"],
        ["query", "icmp"],
        ["spool", "dead-letters"],
        ["run", "--once"],
        ["coverage", "--live"],
    ):
        r = op.run(*args)
        assert r.returncode == 3, (args, r.stderr)
        [line] = r.stderr.strip().splitlines()  # one line, the file named, what to do
        assert str(op.data / "spool.sqlite") in line and "move it aside" in line
    assert (op.data / "spool.sqlite").read_bytes() == bad  # left for the operator to look at


def test_row_3_corrupt_alert_state(op: Operator) -> None:
    needs_root()
    _ran_before(op)
    (op.data / "state.sqlite").write_bytes(b"\x00garbage" * 100)
    for args in (["alerts"], ["run"]):
        r = op.run(*args)
        assert r.returncode == 3, (args, r.stderr)
        [line] = r.stderr.strip().splitlines()
        assert f"{op.data / 'state.sqlite'}: not a usable database" in line


def test_row_3_read_only_data_dir(op: Operator) -> None:
    """A read-only mount (root writes through plain permissions), in a mount namespace."""
    needs_root()
    if shutil.which("unshare") is None:
        pytest.skip("util-linux unshare not installed")
    _ran_before(op)
    d = op.data
    script = (
        f"mount --bind {d} {d} && mount -o remount,bind,ro {d} && "
        f"{sys.executable} -m netagent.agent run --once -c {op.config}; echo rc=$?; "
        f"{sys.executable} -m netagent.agent status -c {op.config}; echo rc=$?"
    )
    r = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=op.env(),
        timeout=240,
        cwd=op.root,
    )
    lines = r.stderr.strip().splitlines()
    assert r.stdout.count("rc=3") == 2, (r.stdout, r.stderr)
    assert len(lines) == 2 and all(str(d) in li and "read-only" in li for li in lines), lines
    assert lines[0].startswith(f"error: {d / 'lock'}:")


def test_row_3_missing_namespace_never_falls_back_to_the_host(op: Operator) -> None:
    op.write_config('netns = "no-such-netagent-ns"')
    r = op.run("run", "--once")
    assert r.returncode == 3
    [line] = r.stderr.strip().splitlines()
    assert "no-such-netagent-ns" in line and "nothing was probed" in line
    assert not op.data.exists()  # nothing stored, no lock taken


@pytest.mark.parametrize(
    "args",
    [["poll", "icmp", "127.0.0.1"], ["poll", "snmp", "127.0.0.1", "-t", "0.5"]],
    ids=" ".join,
)
def test_row_3_polls_honour_the_configured_namespace_too(op: Operator, args: list[str]) -> None:
    op.write_config('netns = "no-such-netagent-ns"')
    r = op.run(*args)
    assert r.returncode == 3, r.stderr
    [line] = r.stderr.strip().splitlines()
    assert "no-such-netagent-ns" in line and "does not exist" in line


def test_run_once_while_a_daemon_holds_the_data_dir(op: Operator) -> None:
    needs_root()
    op.data.mkdir()
    with DataDirLock(op.data):
        r = op.run("run", "--once")
    assert r.returncode == 0, r.stderr
    assert "is running on" in r.stderr and "stores nothing" in r.stderr
    assert "2 devices: 2 up" in r.stdout  # it probed and printed
    assert not (op.data / "spool.sqlite").exists()  # and kept out of the daemon's spool


def test_run_once_polls_snmp_inside_the_namespace_too(op: Operator) -> None:
    """snmpd answers only inside the namespace, at the device's address there: read from
    the host's namespace instead, op-sw-1 would time out."""
    if shutil.which("snmpd") is None:
        pytest.skip("net-snmp snmpd is not installed (apt-get install snmpd)")
    with namespace([UP]) as ns:
        conf = op.root / "snmpd.conf"
        conf.write_text("rocommunity public 127.66.0.0/16\nsysName op-sw-1-in-the-ns\n")
        snmpd = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                "snmpd",
                "-f",
                "-Lf",
                str(op.root / "snmpd.log"),
                "-C",
                "-c",
                str(conf),
                "-p",
                str(op.root / "snmpd.pid"),
                f"udp:{UP}:161",
            ],
            env={**op.env(), "SNMP_PERSISTENT_DIR": str(op.root / "persist"), "MIBS": ""},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_snmp_in(ns)
            op.write_config(f'netns = "{ns}"')
            text = op.config.read_text().replace("[jobs.snmp]\nenabled = false\n", "")
            op.config.write_text(text + "[snmp]\ndevice_deadline_s = 2\n")
            code, out = op.json("run", "--once")
        finally:
            snmpd.terminate()
            snmpd.wait(timeout=20)
    assert code == 1  # op-ap-1 is down
    [snmp] = out["snmp"].values()
    assert (snmp["read"], snmp["failed"], snmp["skipped"]) == (1, [], 1)


def _wait_snmp_in(ns: str, timeout: float = 20.0) -> None:
    from netagent.collectors.netns import open_socket_in
    from netagent.collectors.snmp import ber

    msg = ber.encode_request(ber.GET, b"public", 1, [ber.oid_encode("1.3.6.1.2.1.1.3.0")])
    with open_socket_in(ns, socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        for _ in range(int(timeout / 0.3)):
            s.sendto(msg, (UP, 161))
            try:
                s.recvfrom(65535)
                return
            except OSError:
                continue
    raise TimeoutError(f"snmpd in {ns} did not answer")
