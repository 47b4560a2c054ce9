"""An out-of-tree notifier, installed as a third party installs one, used by netagent.

tests/plugins/netagent_file_notifier is a package of its own (pyproject.toml declaring a
`netagent.notifiers` entry point, no import of netagent's modules); pip installs it,
offline, into a fresh venv layered over the one running the tests, next to a plugin
whose import fails. netagent runs there from its installed entry point, as an operator
runs it: `config check` lists the plugin, checks a target's settings with the plugin's
own model and names the broken plugin in one line; the daemon, with a device down in a
network namespace, hands the alert to the plugin's notifier.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from tests.agent.daemon.test_daemon_faults import DEVICES, INVENTORY, netns, stop  # noqa: F401
from tests.agent.daemon.test_daemon_run import wait_for

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
# netagent as installed (console_scripts), whatever its import package is called.
RUN_NETAGENT = (
    "import sys, importlib.metadata as m; "
    "(ep,) = m.entry_points(group='console_scripts', name='netagent'); "
    "sys.argv[0] = 'netagent'; sys.exit(ep.load()())"
)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv that sees the tests' packages (netagent included) and has the two plugins
    pip-installed into its own site-packages; its python."""
    if importlib.util.find_spec("wheel") is None:
        pytest.skip("pip needs the 'wheel' package to build the plugins offline")
    root = tmp_path_factory.mktemp("plugin-venv")
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120
    )
    python = root / "bin" / "python"
    own = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in site.getsitepackages())
    (Path(own) / "zz-netagent-tests.pth").write_text(lines)
    # built from copies: a build leaves build/ and *.egg-info beside the sources
    sources = [
        shutil.copytree(PLUGINS / name, root / "src" / name)
        for name in ("netagent_file_notifier", "netagent_broken_plugin")
    ]
    pip: list[str | Path] = [python, "-m", "pip", "install", "-q", "--no-deps"]
    subprocess.run(
        [*pip, "--no-build-isolation", "--no-index", *sources],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=root,
    )
    return python


def netagent(
    python: Path, *args: str, cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-P", "-c", RUN_NETAGENT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def write_config(tmp: Path, target: str, extra: str = "") -> Path:
    inventory = tmp / "network.yaml"
    inventory.write_text(INVENTORY)
    config = tmp / "netagent.toml"
    config.write_text(
        f'[agent]\ndata_dir = "{tmp / "data"}"\ninventory = ["{inventory}"]\n{extra}\n'
        f"[[notify.targets]]\n{target}\n"
    )
    return config


def test_config_check_lists_the_plugin_and_validates_its_settings(
    tmp_path: Path, venv: Path
) -> None:
    alerts = tmp_path / "alerts.jsonl"
    config = write_config(tmp_path, f'type = "file"\npath = "{alerts}"')
    r = netagent(venv, "config", "check", "--config", str(config), cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (
        "✓ notifier types ([[notify.targets]] type): email, log, webhook;"
        " plugins: file (netagent-file-notifier 0.1.0)"
    ) in r.stdout
    broken = [line for line in (r.stdout + r.stderr).splitlines() if "'pager'" in line]
    assert broken == [
        "! plugin 'pager' (netagent.notifiers entry point netagent_broken_plugin:PagerNotifier"
        " from netagent-broken-plugin 0.1.0) cannot be used: ModuleNotFoundError: No module"
        " named 'netagent_pager_sdk_not_installed'"
    ]
    assert "Traceback" not in r.stdout + r.stderr

    for target, why in [
        (
            'type = "fil"\npath = "x"',
            "expected an installed notifier type: email, file, log, webhook (got 'fil')",
        ),
        (
            'type = "file"\npth = "x"',
            "unknown key pth; did you mean 'path'? (expected one of: min_severity, name, path, "
            "roles, type)",
        ),
        ('type = "file"', "path: Field required"),
        ('type = "file"\npath = "x"\nmin_severity = "loud"', "min_severity: Input should be"),
        ('type = "pager"', "notifier type 'pager' is installed but plugin 'pager'"),
    ]:
        config = write_config(tmp_path, target)
        r = netagent(venv, "config", "check", "--config", str(config), cwd=tmp_path)
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"✗ {config}:5: notify.targets[0]: {why}" in r.stdout, r.stdout
        assert "Traceback" not in r.stdout + r.stderr


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and raw ICMP need root")
@pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2")
def test_the_daemon_hands_an_alert_to_the_plugin(
    tmp_path: Path,
    venv: Path,
    netns: str,  # noqa: F811
) -> None:
    """sw-c's address exists nowhere in the namespace: it is down from the first round."""
    alerts = tmp_path / "alerts.jsonl"
    config = write_config(
        tmp_path,
        f'type = "file"\nname = "jsonl"\npath = "{alerts}"',
        f'netns = "{netns}"\nstop_timeout_s = 3\n'
        "[jobs.icmp]\ninterval_s = 1\njitter_s = 0\n[jobs.snmp]\nenabled = false\n"
        "[jobs.coverage]\nenabled = false\n[icmp]\ncount = 1\ntimeout_ms = 300\n"
        "[alerts]\ndown_after = 2\n[notify.log]\nenabled = false\n",
    )
    inventory = tmp_path / "network.yaml"
    inventory.write_text(
        INVENTORY + "  - {name: sw-c, site: s, role: switch, mgmt_ip: 127.77.0.3}\n"
    )
    assert "127.77.0.3" not in DEVICES.values()
    log = tmp_path / "agent.log"

    def fired() -> list[dict[str, object]]:
        if not alerts.exists():
            return []
        return [json.loads(line) for line in alerts.read_text().splitlines()]

    with log.open("ab") as out:
        proc = subprocess.Popen(
            [venv, "-P", "-c", RUN_NETAGENT, "run", "--config", str(config)],
            stdout=out,
            stderr=out,
            cwd=tmp_path,
        )
    try:
        wait_for("sw-c's alert in the plugin's file", lambda: bool(fired()), 90)
    finally:
        stop(proc)
    event = fired()[0]
    assert (event["device"], event["kind"], event["status"]) == ("sw-c", "down", "firing")
    text = log.read_text()
    assert "Traceback" not in text
    # The broken plugin is one error line in the journal, and the agent ran on.
    assert text.count("cannot be used: ModuleNotFoundError") == 1, text
