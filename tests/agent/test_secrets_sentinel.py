"""One secret through every channel and every command: it never comes out.

A sentinel string is the secret everywhere an operator may put one: inline in the TOML,
in an environment variable, in `*_file` files, in a URL's userinfo, in webhook URLs and
headers, as SNMP community and v3 keys per device and per role. Every command of the CLI
runs (as a user runs it: a subprocess, `python -m netagent.agent`) on a good configuration whose
servers are closed loopback ports, and on a bad one whose errors sit in the secret fields
themselves. The sentinel must not appear in stdout, stderr, or any file the commands
write (spool, state, logs).

COMMANDS is the table to extend: a test fails when `netagent --help` lists a command that
the table does not run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from netagent.agent.cli import main
from tests.config_world import INVENTORY
from tests.fixtures.ports import free_port

SENTINEL = "S3NT1NEL-q7Zx-4242"
ROOT = Path(__file__).resolve().parents[2]

# argv after `netagent`; {inv} is the inventory file, {closed} a closed loopback port, {out}
# a directory for output files. The
# configuration goes by --config where the command has it, else by $NETAGENT_CONFIG.
COMMANDS: list[tuple[str, ...]] = [
    ("config", "check"),
    ("config", "check", "--connect"),
    ("config", "show"),
    ("config", "example"),
    ("inventory", "validate", "{inv}"),
    ("inventory", "show"),
    ("netbox", "plan"),
    ("netbox", "targets"),
    ("netbox", "sync"),
    ("coverage",),
    ("coverage", "export", "{out}/geojson"),
    ("coverage", "report", "{out}/report.html"),
    ("status",),
    ("query", "icmp"),
    ("alerts",),
    ("poll", "icmp", "127.0.0.1"),
    ("poll", "snmp", "127.0.0.1:{closed}"),
    ("spool", "dead-letters"),
    ("spool", "requeue"),
    ("shard", "plan", "--shards", "2"),
    ("dashboards", "check"),
    ("run", "--once"),
]
DAEMON = ("run",)  # started, then stopped with SIGTERM after a few seconds
DAEMON_LIFE_S = 6.0


def _leaf_commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if getattr(group, "commands", None):
        for name, sub in group.commands.items():
            yield from _leaf_commands(sub, (*prefix, name))
    else:
        yield prefix


def test_the_table_runs_every_command() -> None:
    main._register()
    listed = set(_leaf_commands(typer.main.get_command(main.app)))
    covered = {
        c[: len(leaf)] for c in [*COMMANDS, DAEMON] for leaf in listed if c[: len(leaf)] == leaf
    }
    assert listed - covered == set(), "add these commands to COMMANDS"


@dataclass
class World:
    tmp: Path
    inv: Path
    data: Path
    closed: int
    good: Path
    bad: Path

    def env(self, config: Path, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NETAGENT_")}
        return {
            **env,
            "NETAGENT_CONFIG": str(config),
            "NETAGENT_DATA_DIR": str(self.data),
            "COLUMNS": "200",
            **extra,
        }


def _secret(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text + "\n")
    p.chmod(0o600)
    return p


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    tmp = tmp_path_factory.mktemp("sentinel")
    secrets = tmp / "secrets"  # config and secret files: the sentinel is in them by design
    secrets.mkdir()
    inv = secrets / "network.yaml"
    inv.write_text(INVENTORY)
    data = tmp / "data"
    closed = free_port()
    files = {
        "community": _secret(secrets, "ap.community", SENTINEL),
        "priv": _secret(secrets, "sw.priv", SENTINEL),
        "smtp": _secret(secrets, "smtp.password", SENTINEL),
        "hook": _secret(secrets, "hook.url", f"http://127.0.0.1:{closed}/x/{SENTINEL}"),
        "headers": _secret(secrets, "hook.headers", f"X-Token: {SENTINEL}"),
    }
    common = f"""
[agent]
inventory = ["{inv}"]
data_dir = "{data}"
[icmp]
count = 1
timeout_ms = 200
[snmp]
device_deadline_s = 1.0
request_timeout_s = 0.3
[netbox]
url = "http://127.0.0.1:{closed}"
# one quick retry: the retry path runs, not 15 s of back-off per NetBox command
retries = 1
backoff_s = 0.1
[notify.email]
host = "127.0.0.1"
port = {closed}
username = "noc"
password_file = "{files["smtp"]}"
to = ["noc@example.org"]
[[notify.webhooks]]
url = "http://127.0.0.1:{closed}/hooks/{SENTINEL}"
headers = {{Authorization = "Bearer {SENTINEL}"}}
[[notify.webhooks]]
url_file = "{files["hook"]}"
headers_file = "{files["headers"]}"
"""
    good = secrets / "good.toml"
    good.write_text(
        common
        + f"""
[influxdb]
url = "http://netagent:{SENTINEL}@127.0.0.1:{closed}"
token = "{SENTINEL}"
[snmp.device_credentials."AP-Centro"]
community_file = "{files["community"]}"
[snmp.device_credentials.sw-centro]
version = "3"
user = "netagent"
auth_key = "{SENTINEL}"
priv_key_file = "{files["priv"]}"
[snmp.role_credentials.switch]
community = "{SENTINEL}"
"""
    )
    bad = secrets / "bad.toml"
    bad.write_text(
        common
        + f"""
[influxdb]
url = "ftp://netagent:{SENTINEL}@127.0.0.1:{closed}"
[netbox.token]
value = "{SENTINEL}"
[snmp.device_credentials."AP-Centro"]
version = "3"
auth_key = "{SENTINEL}"
priv_key = "{SENTINEL[:5]}"
priv_protocol = "bogus"
[snmp.device_credentials.sw-centro]
comunity = "{SENTINEL}"
[snmp.role_credentials.switch]
community = ["{SENTINEL}"]
"""
    )
    return World(tmp, inv, data, closed, good, bad)


GOOD_ENV = {"NETAGENT_NETBOX__TOKEN": SENTINEL}
BAD_ENV = {
    "NETAGENT_INFLUXDB__TOKEN": SENTINEL,
    "NETAGENT_NETBOX__TIMEOUT_S": "soon",
    "NETAGENT_SNMP__CREDENTIALS": json.dumps(
        {"version": "4", "community": SENTINEL, "auth_key": SENTINEL}
    ),
    "NETAGENT_SNMP__TAG_CREDENTIALS": '{"core": {"community": "' + SENTINEL,  # broken JSON
}


def _has_config_option(words: list[str]) -> bool:
    """Whether the command these words name takes --config (the cli helper adds it)."""
    main._register()
    node: Any = typer.main.get_command(main.app)
    for word in words:
        if word not in getattr(node, "commands", {}):
            break
        node = node.commands[word]
    return any("--config" in p.opts for p in node.params)


def _argv(world: World, command: tuple[str, ...], config: Path) -> list[str]:
    words = [w.format(inv=world.inv, closed=world.closed, out=world.data) for w in command]
    with_config = ["--config", str(config)] if _has_config_option(words) else []
    return [sys.executable, "-m", "netagent.agent", *words, *with_config]


def _run(world: World, command: tuple[str, ...], config: Path, env: dict[str, str]) -> str:
    """The command's stdout and stderr together."""
    res = subprocess.run(
        _argv(world, command, config),
        cwd=ROOT,
        env=world.env(config, env),
        capture_output=True,
        timeout=180,
        check=False,
    )
    return (
        f"$ netagent {' '.join(command)} -> {res.returncode}\n"
        + res.stdout.decode(errors="replace")
        + res.stderr.decode(errors="replace")
    )


def _daemon(world: World, config: Path, env: dict[str, str]) -> str:
    proc = subprocess.Popen(
        _argv(world, DAEMON, config),
        cwd=ROOT,
        env=world.env(config, env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(DAEMON_LIFE_S)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return (
        f"$ netagent run -> {proc.returncode}\n"
        + out.decode(errors="replace")
        + err.decode(errors="replace")
    )


def _written_files(world: World) -> Iterator[Path]:
    """Everything the commands wrote: the data directory and any log beside it."""
    for p in world.tmp.rglob("*"):
        if p.is_file() and world.tmp / "secrets" not in p.parents:
            yield p


@pytest.mark.slow
@pytest.mark.parametrize("which", ["good", "bad"])
def test_the_sentinel_never_comes_out(world: World, which: str) -> None:
    config, env = (world.good, GOOD_ENV) if which == "good" else (world.bad, BAD_ENV)
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(lambda c: _run(world, c, config, env), COMMANDS))
    outputs.append(_daemon(world, config, env))
    leaked = [o.splitlines()[0] for o in outputs if SENTINEL in o]
    assert leaked == [], "\n\n".join(o for o in outputs if SENTINEL in o)
    files = [p for p in _written_files(world) if SENTINEL.encode() in p.read_bytes()]
    assert files == []
    if which == "bad":  # the bad configuration is refused by the commands that read it
        check = next(o for o in outputs if o.startswith("$ netagent config check -> "))
        assert check.startswith("$ netagent config check -> 1"), check
        for key in (
            "influxdb.url",
            "netbox.token",
            "AP-Centro",
            "sw-centro.comunity",
            "role_credentials.switch.community",
            "NETAGENT_NETBOX__TIMEOUT_S",
            "NETAGENT_SNMP__CREDENTIALS",
            "NETAGENT_SNMP__TAG_CREDENTIALS",
        ):
            assert key in check, check
