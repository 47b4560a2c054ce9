"""The tree's own checks run in CI: formatting, lint and `mypy --strict` fail the suite.

CI runs `./run.sh test`, so a check is only enforced if it is a test: each runs the
venv's own tool (the version pyproject pins for the test extras) over the repository as a
subprocess, with the configuration in pyproject.toml. A missing tool skips with the reason
rather than passing silently.

mypy reads modules by their folders, and cannot follow setuptools' package-dir mapping
(the folders agent/, geo/, … installed as netagent.agent, netagent.geo, …). When
pyproject maps them, mypy runs in a temporary tree whose `netagent/` holds a link to
each mapped folder, so it sees the modules under the names they are imported by.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


def _tool(name: str) -> Path:
    exe = Path(sys.executable).parent / name
    if not exe.is_file():
        pytest.skip(f"{name} is not installed in this venv ({exe}): pip install -e '.[test]'")
    return exe


def _run(tool: str, args: list[str], cwd: Path) -> None:
    done = subprocess.run(
        [str(_tool(tool)), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, f"`{tool} {' '.join(args)}` failed:\n{out[-6000:]}"


@pytest.mark.parametrize(
    "args", [["format", "--check", "."], ["check", "."]], ids=["format", "check"]
)
def test_ruff_passes(args: list[str]) -> None:
    _run("ruff", args, ROOT)


def test_mypy_strict_passes(tmp_path: Path) -> None:
    """strict = true and the packages come from [tool.mypy]."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mapping: dict[str, str] = pyproject["tool"].get("setuptools", {}).get("package-dir", {})
    if not mapping:
        _run("mypy", [], ROOT)
        return
    for name, folder in mapping.items():
        link = tmp_path.joinpath(*name.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT / folder, target_is_directory=True)
        # A regular package for mypy: as a namespace it would take a data folder such as
        # collectors/snmp/profiles/ for the module profiles.py beside it.
        (link.parent / "__init__.py").touch()
    config = str(ROOT / "pyproject.toml")
    _run("mypy", ["--config-file", config, "--cache-dir", str(ROOT / ".mypy_cache")], tmp_path)
