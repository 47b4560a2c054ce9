"""The tree's own checks run in CI: formatting, lint and `mypy --strict` fail the suite.

CI runs `./run.sh test`, so a check is only enforced if it is a test: each runs the
venv's own tool (the version pyproject pins for the test extras) over the repository as a
subprocess, with the configuration in pyproject.toml. A missing tool skips with the reason
rather than passing silently.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())


def _tool(name: str) -> Path:
    exe = Path(sys.executable).parent / name
    if not exe.is_file():
        pytest.skip(f"{name} is not installed in this venv ({exe}): pip install -e '.[test]'")
    return exe


@pytest.mark.parametrize(
    "tool, args",
    [
        ("ruff", ["format", "--check", "."]),
        ("ruff", ["check", "."]),
        ("mypy", []),  # packages and strict = true come from [tool.mypy]
    ],
    ids=["ruff-format", "ruff-check", "mypy-strict"],
)
def test_the_tree_passes(tool: str, args: list[str]) -> None:
    done = subprocess.run(
        [str(_tool(tool)), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, f"`{tool} {' '.join(args)}` failed:\n{out[-6000:]}"
