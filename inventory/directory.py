"""Which files an inventory path stands for: a file itself, a directory its inventory files.

A directory stands for the `INVENTORY_SUFFIXES` files in it (not its subdirectories,
hidden files skipped), loaded in file-name order; a file that a YAML in the same directory
imports is loaded by that import only (with its mapping), not a second time on its own.
Non-recursive on purpose: an operator keeps drafts and backups in a subdirectory without
them going live.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from netagent.inventory.issues import Issue

INVENTORY_SUFFIXES = (".yaml", ".yml", ".csv", ".geojson")


def expand_paths(paths: Sequence[Path]) -> tuple[list[Path], list[Issue]]:
    """Files and directories -> the files to load, in order (see the module docstring)."""
    files: list[Path] = []
    issues: list[Issue] = []
    for path in map(Path, paths):
        if not path.exists():
            issues.append(Issue(str(path), "", "", "no such file or directory"))
            continue
        if not path.is_dir():
            files.append(path)
            continue
        found = sorted(
            (
                p
                for p in path.iterdir()
                if p.suffix.lower() in INVENTORY_SUFFIXES
                and p.is_file()
                and not p.name.startswith(".")
            ),
            key=lambda p: p.name,
        )
        if not found:
            issues.append(
                Issue(
                    str(path),
                    "",
                    "",
                    "the directory holds no inventory file "
                    f"({', '.join('*' + s for s in INVENTORY_SUFFIXES)})",
                )
            )
        imported = _imported(found)
        files += [p for p in found if p.resolve() not in imported]
    return files, issues


def _imported(files: Sequence[Path]) -> set[Path]:
    """Files named by the `imports` of the YAML files among `files` (errors are reported
    when the YAML itself is loaded)."""
    out: set[Path] = set()
    for path in files:
        if path.suffix.lower() not in (".yaml", ".yml"):
            continue
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        imports = doc.get("imports") if isinstance(doc, dict) else None
        for spec in imports if isinstance(imports, list) else []:
            target = spec.get("csv") or spec.get("geojson") if isinstance(spec, dict) else None
            if isinstance(target, str):
                out.add((path.parent / target).resolve())
    return out
