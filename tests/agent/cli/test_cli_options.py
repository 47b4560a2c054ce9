"""One CLI: every command reads the operator's configuration (`-c` or $NETAGENT_CONFIG),
one short option means one thing everywhere, host names and [v6]:port are addresses,
-v/-q go anywhere, --version, and help that shows what a person types."""

from __future__ import annotations

import json
import re
import socket
from importlib.metadata import version
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from netagent.agent.cli.main import _register, app
from netagent.agent.cli.options import SAMPLE_NOTICE
from tests.cli_operator import DEVICES, Operator, needs_root, operator
from tests.fixtures.ports import free_port
from tests.fixtures.snmpd import Snmpd

_register()


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    return operator(tmp_path)


def test_every_command_reads_the_operators_config_and_never_the_sample(op: Operator) -> None:
    code, shown = op.json("inventory", "show")
    assert code == 0 and shown == {"quartieri": {"Centro Operatore": {"switch": 1, "wifi-ap": 1}}}
    code, cov = op.json("coverage")
    assert code == 0 and {r["quartiere"] for r in cov["rows"]} == {"Centro Operatore", "comune"}
    # $NETAGENT_CONFIG is the same file as -c
    r = op.run(
        "inventory", "show", "--json", with_config=False, env={"NETAGENT_CONFIG": str(op.config)}
    )
    assert r.returncode == 0 and json.loads(r.stdout) == shown
    assert "bundled" not in r.stderr and "sample" not in r.stderr


def test_without_a_config_every_command_says_it_runs_the_sample(op: Operator) -> None:
    for args in (["inventory", "show"], ["coverage"]):
        r = op.run(*args, "--json", with_config=False)
        assert r.returncode == 0, r.stderr
        assert r.stderr.strip() == SAMPLE_NOTICE  # one line
        assert json.loads(r.stdout)["inventory"] == "bundled-sample"
    r = op.run("status", with_config=False)  # the sample's data dir is empty: still said
    assert r.returncode == 3 and r.stderr.splitlines()[0] == SAMPLE_NOTICE


def test_c_is_the_config_in_poll_icmp_too_and_n_the_count(op: Operator) -> None:
    needs_root()
    op.write_config("[icmp]\ncount = 2\ninterval_ms = 10")
    r = op.run("poll", "icmp", "127.0.0.1", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["sent"] == 2  # [icmp] count from the file
    r = op.run("poll", "icmp", "127.0.0.1", "-n", "1", "-t", "0.5", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["sent"] == 1  # the option wins over the file


def test_host_names_and_bracketed_v6_are_addresses(op: Operator) -> None:
    needs_root()
    r = op.run("poll", "icmp", "localhost", "[::1]", "-n", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert [(t["target"], t["up"]) for t in json.loads(r.stdout)] == [
        ("localhost", True),
        ("[::1]", True),
    ]


def test_poll_snmp_takes_v6_with_port_and_t_is_seconds(op: Operator) -> None:
    port = free_port(socket.SOCK_DGRAM)  # nothing answers there: a timeout, not "resolve"
    r = op.run("poll", "snmp", f"[::1]:{port}", "-t", "0.5", "--json")
    assert r.returncode == 1, r.stderr
    [dev] = json.loads(r.stdout)
    assert dev["device"] == f"[::1]:{port}" and "timeout" in dev["error"]


def test_a_name_that_does_not_resolve_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def nowhere(*_: object, **__: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", nowhere)
    r = CliRunner().invoke(app, ["poll", "icmp", "ap-centro.example"])
    assert r.exit_code == 2
    assert r.stderr.strip() == (
        "error: 'ap-centro.example': 'ap-centro.example' does not "
        "resolve: Name or service not known"
    )


def test_poll_snmp_tries_a_custom_profile_with_the_configs_credentials(
    op: Operator, snmpd: Snmpd
) -> None:
    profiles = op.root / "profiles"
    profiles.mkdir()
    (profiles / "my-switch.yaml").write_text(
        "name: my-switch\ndescription: the operator's own, being tried\ninclude: [if-mib]\n"
    )
    secret = op.root / "community"
    secret.write_text(snmpd.community + "\n")
    op.write_config(
        f'[snmp]\nprofiles_dir = "{profiles}"\n[snmp.credentials]\ncommunity_file = "{secret}"'
    )
    r = op.run("poll", "snmp", f"127.0.0.1:{snmpd.port}", "-p", "my-switch", "--json")
    assert r.returncode == 0, r.stderr
    [dev] = json.loads(r.stdout)
    assert dev["ok"] and dev["profile"] == "my-switch"
    assert {s["measurement"] for s in dev["samples"]} >= {"snmp_system", "interface"}
    assert snmpd.community not in r.stdout + r.stderr


def test_verbose_and_quiet_after_the_command_too(op: Operator) -> None:
    for flags in (["-v"], ["-vv"], ["-q"], ["--verbose"]):
        after = op.run("inventory", "show", *flags)
        before = op.run(*flags, "inventory", "show")
        assert after.returncode == before.returncode == 0, after.stderr
        assert after.stdout == before.stdout


def test_version_from_the_package_metadata() -> None:
    r = CliRunner().invoke(app, ["--version"])
    assert r.exit_code == 0 and r.stdout.strip() == f"netagent {version('netagent')}"


def _commands(group: typer.Typer, prefix: list[str]) -> list[list[str]]:
    cmd = typer.main.get_command(group)
    out = [prefix]

    def walk(c: object, path: list[str]) -> None:
        for name, sub in getattr(c, "commands", {}).items():
            out.append([*path, name])
            walk(sub, [*path, name])

    walk(cmd, prefix)
    return out


def test_help_shows_what_a_person_types() -> None:
    seen = 0
    for path in _commands(app, []):
        r = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0, (path, r.output)
        types = set(re.findall(r"<(?:list|int|float|str|bool|path|file|dir)[^>]*>", r.stdout))
        assert not types, (path, types)
        assert "[x>=" not in r.stdout and "range" not in r.stdout, path
        seen += 1
    assert seen > 15


def test_one_short_option_one_meaning() -> None:
    """-c config, -i inventory, -n count, -t timeout, -p profile: in every command."""
    meaning: dict[str, set[str]] = {
        "-c": {"--config"},
        "-i": {"--inventory"},
        "-n": {"--count", "--limit"},
        "-t": {"--timeout"},
        "-p": {"--profile"},
        "-v": {"--verbose"},
        "-q": {"--quiet"},
    }
    root = typer.main.get_command(app)

    def walk(c: object, path: str) -> None:
        for p in getattr(c, "params", []):
            longs = {o for o in p.opts if o.startswith("--")}
            for short in (o for o in p.opts if re.fullmatch(r"-\w", o)):
                allowed = meaning.get(short)
                assert allowed is not None, f"{path}: {short} means nothing agreed"
                assert longs & allowed, (path, p.opts)
        for name, sub in getattr(c, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(root, "netagent")


def test_the_sample_devices_never_reach_an_operator_command(op: Operator) -> None:
    needs_root()
    code, out = op.json("run", "--once")
    assert code == 0 and {d["device"] for d in out["devices"]} == DEVICES


def test_every_command_takes_the_config_file() -> None:
    """`-c/--config FILE` everywhere (`config example` prints the defaults: no file)."""
    root = typer.main.get_command(app)
    # netbox: its helper adds the option on its own branch; drop this once merged.
    skip = {"netagent config example", "netagent netbox"}

    def walk(c: object, path: str) -> None:
        subs = getattr(c, "commands", {})
        if not subs and path not in skip:
            opts = {o for p in getattr(c, "params", []) for o in p.opts}
            assert {"-c", "--config"} <= opts, path
        for name, sub in subs.items():
            if f"{path} {name}" not in skip:
                walk(sub, f"{path} {name}")

    walk(root, "netagent")
