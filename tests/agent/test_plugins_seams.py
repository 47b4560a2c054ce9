"""The seams as an operator meets them: the configuration names an inventory source, a
writer or a notifier type; what no installed package provides is a located error that
names what is installed; netagent's own implementations are reached by name like a
plugin's; a plugin package on the path (a module and a dist-info with entry points, as
pip leaves one) is found and used by the daemon's own assembly.
"""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from netagent.agent.alerts import open_store
from netagent.agent.cli import main
from netagent.agent.config import ConfigError, load_config
from netagent.agent.inventory_source import from_files
from netagent.agent.inventory_sources import INVENTORY_SOURCES
from netagent.agent.jobs import netbox_sync
from netagent.agent.notify import NotifyConfig, Router
from netagent.agent.notify.registry import NOTIFIERS
from netagent.agent.notify.router import TargetError
from netagent.agent.preflight import preflight
from netagent.agent.secrets import masked_dump
from netagent.agent.services import load_configured_inventory
from netagent.collectors.influx import Flusher, InfluxConfig, WriteResult, make_delivery
from netagent.collectors.influx.writer_types import WRITERS
from netagent.collectors.plugins import Registry
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import SnmpConfig, SnmpCredentials, SnmpPoller, SnmpTarget
from netagent.collectors.snmp.table_kinds import TABLE_KINDS, interface
from netagent.collectors.spool import Spool, SpoolConfig
from tests.agent.daemon.test_daemon_faults import INVENTORY
from tests.alerts_lab import Lab, WebhookReceiver
from tests.fixtures.snmpsim import RunningLab

REGISTRIES: tuple[Registry[Any], ...] = (INVENTORY_SOURCES, WRITERS, NOTIFIERS, TABLE_KINDS)


# install(module, source, {group: {name: attribute}})
Install = Callable[[str, str, dict[str, dict[str, str]]], None]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """install(module, source, {group: {name: attribute}}): a package on sys.path the way
    pip leaves one, found by the registries from then on."""
    site = tmp_path / "site-packages"
    site.mkdir()

    def put(module: str, source: str, entry_points: dict[str, dict[str, str]]) -> None:
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{module}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text(
            "".join(
                f"[{group}]\n" + "".join(f"{n} = {module}:{a}\n" for n, a in names.items())
                for group, names in entry_points.items()
            )
        )
        monkeypatch.syspath_prepend(str(site))
        for r in REGISTRIES:
            r.reload()

    yield put
    monkeypatch.undo()
    for r in REGISTRIES:
        r.reload()


def write_config(tmp_path: Path, body: str) -> Path:
    inventory = tmp_path / "network.yaml"
    inventory.write_text(INVENTORY)
    config = tmp_path / "netagent.toml"
    config.write_text(
        f'[agent]\ndata_dir = "{tmp_path / "data"}"\ninventory = ["{inventory}"]\n{body}'
    )
    return config


def test_names_nothing_installed_provides_are_located_errors(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'source = "librenms"\n[influxdb]\napi = "v3"\n')
    with pytest.raises(ConfigError) as e:
        load_config(config)
    assert e.value.problems == [
        f"{config}:4: agent.source: expected an installed inventory source: files, netbox"
        " (got 'librenms')",
        f"{config}:6: influxdb.api: expected an installed writer: v1, v2 (got 'v3')",
    ]


def test_netagent_s_own_webhook_is_a_notifier_type_like_any(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    """[[notify.targets]] type = "webhook": the same webhook as [[notify.webhooks]], its
    secrets (the URL's token from url_file, header values) sent but never shown by
    `config show`; url_file read like any `<key>_file`: a file every user can read is
    warned about, and its content is redacted from every message; a header written in
    the file is warned about and redacted."""
    url_file = tmp_path / "hook.url"
    url_file.write_text(f"{receiver.url}/T0KEN-in-path\n")
    url_file.chmod(0o644)
    config = load_config(
        write_config(
            tmp_path,
            f'[[notify.targets]]\ntype = "webhook"\nname = "oncall"\nurl_file = "{url_file}"\n'
            '[notify.targets.headers]\nAuthorization = "Bearer s3cret-value"\n',
        ),
        env={},
    )
    notify = config.notify
    assert any(
        "notify.targets[0].url_file" in w and "readable by every user" in w for w in config.warnings
    ), config.warnings
    # the header written in the file itself: warned about as in [[notify.webhooks]]
    assert any(
        "notify.targets[0].headers: a secret written in" in w and "headers_file" in w
        for w in config.warnings
    ), config.warnings
    assert "s3cret" not in config.redact("rejected: Bearer s3cret-value")
    assert "T0KEN" not in config.redact(f"POST {receiver.url}/T0KEN-in-path failed")
    shown = str(masked_dump(notify))
    assert "T0KEN" not in shown and "s3cret" not in shown, shown
    lab = Lab(tmp_path, notify=notify)
    assert "oncall" in lab.router.targets
    lab.rounds(3, down={"ap-centro"})
    [got] = receiver.received
    assert (got.body["device"], got.body["status"]) == ("ap-centro", "firing")
    assert got.path == "/hook/T0KEN-in-path"
    assert got.headers["Authorization"] == "Bearer s3cret-value"


def test_a_target_s_unreadable_file_is_a_located_error(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, f'[[notify.targets]]\ntype = "webhook"\nurl_file = "{tmp_path / "nope"}"\n'
    )
    with pytest.raises(ConfigError) as e:
        load_config(config)
    assert e.value.problems == [
        f"{config}:6: notify.targets[0].url_file: the file {tmp_path / 'nope'} does not exist"
    ]


def test_an_installed_inventory_source_is_what_the_daemon_watches(
    tmp_path: Path, install: Install
) -> None:
    """A source that keeps the first device of the files: the daemon's loader uses it."""
    install(
        "netagent_first_only",
        f"""
        from {from_files.__module__} import {from_files.__name__} as files

        def first_only(config):
            inventory = files(config)
            return inventory.replace(devices=inventory.devices[:1])
        """,
        {"netagent.inventory_sources": {"first-only": "first_only"}},
    )
    path = write_config(tmp_path, 'source = "first-only"\n')
    inventory = load_configured_inventory(load_config(path))
    assert [d.name for d in inventory.devices] == ["sw-a"]
    # config check names the source; with --connect it loads it, as the daemon will
    assert "✓ inventory: from the 'first-only' source at start" in [
        c.line() for c in preflight(path)
    ]
    assert "✓ inventory first-only: 1 device(s), 1 site(s)" in [
        c.line() for c in preflight(path, connect=True)
    ]
    # and so do the commands that read the inventory
    main._register()
    shown = CliRunner().invoke(main.app, ["inventory", "show", "--json", "-c", str(path)], env={})
    assert shown.exit_code == 0, shown.output
    assert (
        sum(n for roles in json.loads(shown.stdout)["quartieri"].values() for n in roles.values())
        == 1
    )


def test_an_installed_source_that_fails_is_one_line_from_the_commands(
    tmp_path: Path, install: Install
) -> None:
    """What the source says is wrong: exit 1, a line each; its own crash: exit 3."""
    install(
        "netagent_failing",
        """
        def wrong(config):
            raise ValueError("row 3: mgmt_ip: expected an address\\nrow 9: site: missing")

        def broken(config):
            raise ConnectionError("the API at https://cmdb.example/ did not answer")
        """,
        {"netagent.inventory_sources": {"wrong": "wrong", "broken": "broken"}},
    )
    main._register()
    for source, code, lines in (
        (
            "wrong",
            1,
            [
                "inventory source 'wrong': row 3: mgmt_ip: expected an address",
                "inventory source 'wrong': row 9: site: missing",
            ],
        ),
        (
            "broken",
            3,
            [
                "inventory source 'broken' failed: ConnectionError: the API at "
                "https://cmdb.example/ did not answer",
            ],
        ),
    ):
        path = write_config(tmp_path, f'source = "{source}"\n')
        r = CliRunner().invoke(main.app, ["inventory", "show", "-c", str(path)], env={})
        assert r.exit_code == code, r.output
        assert r.stderr.splitlines() == lines


def test_an_installed_writer_receives_the_spooled_samples(tmp_path: Path, install: Install) -> None:
    install(
        "netagent_memory_writer",
        f"""
        from {WriteResult.__module__} import {WriteResult.__name__} as WriteResult

        class MemoryWriter:
            received = []

            def __init__(self, config):
                self.precision = config.precision

            async def write(self, lines):
                MemoryWriter.received.append(lines)
                return WriteResult(204)

            async def close(self):
                pass
        """,
        {"netagent.writers": {"memory": "MemoryWriter"}},
    )
    config = load_config(
        write_config(tmp_path, '[influxdb]\nurl = "http://127.0.0.1:9"\napi = "memory"\n')
    )
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig())
    try:
        delivery = make_delivery(spool, config.influxdb, spool.config)
        assert isinstance(delivery, Flusher)
        spool.put([Sample("wifi", {"device": "ap-1", "radio": "5g"}, {"clients": 3})])
        report = asyncio.run(delivery.flush())
    finally:
        spool.close()
    assert report.delivered == 1
    [lines] = WRITERS.get("memory").received  # type: ignore[attr-defined]
    assert lines.startswith(b"wifi,device=ap-1,radio=5g clients=3i ")


def test_a_plugin_that_is_not_callable_is_named_not_used(
    tmp_path: Path, install: Install, caplog: pytest.LogCaptureFixture
) -> None:
    install(
        "netagent_not_a_writer",
        "WRITER = 42\n",
        {"netagent.writers": {"answer": "WRITER"}},
    )
    assert "answer" not in WRITERS.names()
    [broken] = WRITERS.broken()
    assert broken.line() == (
        "plugin 'answer' (netagent.writers entry point netagent_not_a_writer:WRITER from"
        " netagent_not_a_writer 0.1) cannot be used: 42 is not a class or a function"
    )
    with pytest.raises(ValueError, match="writer 'answer' is installed but plugin 'answer'"):
        InfluxConfig(url="http://127.0.0.1:9", api="answer")
    WRITERS.get("v2")
    assert [r.message for r in caplog.records] == [broken.line()]


def test_a_plugin_claiming_a_kind_of_netagent_s_costs_that_table_only(
    tmp_path: Path, install: Install, snmpsim_lab: RunningLab
) -> None:
    """Two packages declaring table kind `interface`: neither is used, each poll says so,
    and the device's other tables still give their samples."""
    install(
        "netagent_my_interfaces",
        "def rows(table, rows, poll):\n    return []\n",
        {"netagent.snmp_table_kinds": {"interface": "rows"}},
    )
    [broken] = TABLE_KINDS.broken()
    assert broken.line() == (
        "plugin 'interface' (netagent.snmp_table_kinds entry point) cannot be used: claimed by"
        f" {interface.__module__}:interface (netagent {version('netagent')}) and"
        " netagent_my_interfaces:rows (netagent_my_interfaces 0.1)"
    )
    [switch] = [d for d in snmpsim_lab.devices if d.name == "sim-switch"]
    target = SnmpTarget(
        switch.name,
        switch.address,
        switch.port,
        credentials=SnmpCredentials(community=SecretStr(snmpsim_lab.lab.communities[switch.name])),
    )
    poller = SnmpPoller(SnmpConfig(device_deadline_s=8))
    try:
        [out] = asyncio.run(poller.poll([target]))
    finally:
        poller.close()
    assert out.ok, out.error
    assert any("SNMP table kind 'interface' is installed but" in p for p in out.problems)
    assert "interface" not in {s.measurement for s in out.samples}
    assert "snmp_system" in {s.measurement for s in out.samples}


def test_a_plugin_s_failure_is_retried_unless_it_says_permanent(
    tmp_path: Path, install: Install
) -> None:
    """A plugin cannot raise netagent's DeliveryError without importing netagent: any
    exception is a failed attempt, retried; one with `permanent = True` is given up."""
    install(
        "netagent_refusing",
        """
        class Refused(Exception):
            permanent = True

        class Busy:
            def __init__(self, settings):
                pass

            async def send(self, event):
                raise ConnectionError("pager busy")

        class Refusing(Busy):
            async def send(self, event):
                raise Refused("pager says no")
        """,
        {"netagent.notifiers": {"busy": "Busy", "refusing": "Refusing"}},
    )
    notify = NotifyConfig.model_validate({"targets": [{"type": "busy"}, {"type": "refusing"}]})
    lab = Lab(tmp_path, notify=notify)
    lab.rounds(3, down={"ap-centro"})
    busy, refusing = lab.router.health["busy"], lab.router.health["refusing"]
    assert (busy.given_up, busy.last_error) == (0, "ConnectionError: pager busy")
    assert (refusing.given_up, refusing.last_error) == (1, "Refused: pager says no")
    assert lab.router.next_due() is not None  # busy's retry


def test_a_plugin_that_cannot_start_is_one_line_naming_its_target(
    tmp_path: Path, install: Install
) -> None:
    """The daemon refuses the configuration (at start, or keeps the running one at a
    SIGHUP) with this line, as for any target it cannot build."""
    install(
        "netagent_needs_a_server",
        """
        class Pager:
            def __init__(self, settings):
                raise ConnectionRefusedError("pager gateway 127.0.0.1:9 refused")
        """,
        {"netagent.notifiers": {"pager": "Pager"}},
    )
    notify = NotifyConfig.model_validate({"targets": [{"type": "log"}, {"type": "pager"}]})
    with pytest.raises(TargetError) as e:
        Router.from_config(open_store(tmp_path).queue, notify)
    assert str(e.value) == (
        "notify.targets[1] (pager): cannot build the target: ConnectionRefusedError:"
        " pager gateway 127.0.0.1:9 refused"
    )


def test_the_netbox_push_of_any_source_runs_on_the_shared_writer_only(
    tmp_path: Path, install: Install
) -> None:
    """N agents never write NetBox N times: the files and an installed source are pushed
    by `shared_jobs_shard` alone; a NetBox pull runs on every shard (each needs its
    devices). An installed source was pushed by every shard."""
    install(
        "netagent_cmdb",
        f"""
        from {from_files.__module__} import {from_files.__name__} as pull
        """,
        {"netagent.inventory_sources": {"cmdb": "pull"}},
    )
    netbox = '[netbox]\nurl = "http://127.0.0.1:9/"\n'
    plan: dict[tuple[str, str], str | None] = {}
    for source in ("files", "cmdb", "netbox"):
        for shard in ("0/2", "1/2"):
            path = write_config(tmp_path, f'source = "{source}"\nshard = "{shard}"\n{netbox}')
            plan[(source, shard)] = netbox_sync(load_config(path, env={}))
    assert plan == {
        ("files", "0/2"): "push",
        ("files", "1/2"): None,
        ("cmdb", "0/2"): "push",
        ("cmdb", "1/2"): None,
        ("netbox", "0/2"): "pull",
        ("netbox", "1/2"): "pull",
    }
