"""The wheel, as someone installs it: one import package `netagent`, the CLI, the data.

`python -m build --wheel` on a copy of the tree, then the wheel installed into a new venv
made with `python -m venv` (no system site packages), and used from a temporary
directory, so nothing can come from the source tree: `netagent --help`, `import
netagent.agent.config` (from the venv's site-packages), `netagent inventory validate`
on the bundled sample (its YAML, CSV and GeoJSON must be in the wheel), and every file
of the five source folders present in the wheel under `netagent/`.

The runtime dependencies come from this test run's own environment, made visible to the
new venv by a .pth file, and pip installs with --no-index: the wheel's declared
requirements are still resolved by pip (a missing one fails the install), but nothing is
downloaded, so the test does not depend on the package index being up, and it installs
against the versions the rest of the suite ran on. Only `python -m build` itself fetches
its build backend (setuptools, as `pip install -e .` does).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
FOLDERS = ("agent", "inventory", "collectors", "geo", "grafana")
SKIP = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=900, env=env, check=False
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(cmd)} exited {done.returncode}:\n{out[-4000:]}"
    return done.stdout


def _source_files(tree: Path) -> set[str]:
    out = set()
    for folder in FOLDERS:
        for f in (tree / folder).rglob("*"):
            rel = f.relative_to(tree)
            keep = f.is_file() and f.suffix != ".pyc" and ".egg-info" not in str(rel)
            if keep and not SKIP & set(rel.parts):
                out.add(f"netagent/{rel.as_posix()}")
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[str]]:
    """(venv, wheel, files the wheel should hold)."""
    pytest.importorskip("build", reason="python -m build needs `build`: pip install -e '.[test]'")
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv*", "build", "dist", "*.egg-info", *SKIP, ".hypothesis"
        ),
    )
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp / "dist")], src)
    (wheel,) = (tmp / "dist").glob("netagent-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp)
    py = venv / "bin" / "python"
    purelib = Path(
        _run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], tmp).strip()
    )
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()}
    (purelib / "_netagent_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")
    _run([str(py), "-m", "pip", "install", "-q", "--no-index", str(wheel)], tmp)
    return venv, wheel, _source_files(src)


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NETAGENT_CONFIG")}
    return {**env, "NETAGENT_DATA_DIR": str(tmp / "data")}


def test_the_wheel_holds_one_package_with_every_file(
    installed: tuple[Path, Path, set[str]],
) -> None:
    _venv, wheel, expected = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"netagent"}, f"top-level names in the wheel: {sorted(tops)}"
    missing = sorted(expected - names)
    assert not missing, f"files of the tree missing from the wheel: {missing[:20]}"


def test_the_installed_cli_and_package_work_away_from_the_source(
    installed: tuple[Path, Path, set[str]], tmp_path: Path
) -> None:
    venv, _wheel, _ = installed
    env = _env(tmp_path)
    assert "Usage" in _run([str(venv / "bin" / "netagent"), "--help"], tmp_path, env)
    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import netagent.agent.config as m; print(m.__file__)",
        ],
        tmp_path,
        env,
    ).strip()
    assert Path(where).is_relative_to(venv), f"netagent.agent.config came from {where}"
    out = _run([str(venv / "bin" / "netagent"), "inventory", "validate"], tmp_path, env)
    assert "valid:" in out and "25 quartieri" in out, out
    _run([str(venv / "bin" / "python"), "-m", "netagent.agent", "--help"], tmp_path, env)
