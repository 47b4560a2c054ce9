"""YAML reading that remembers the line of every node, for located error messages.

PyYAML's `safe_load` throws the positions away; composing the node tree ourselves keeps
them, and lets us refuse duplicate keys (which `safe_load` silently overwrites).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from netagent.inventory.issues import Issue

Loc = tuple[str | int, ...]


class LocatedYaml:
    """Parsed YAML data plus the 1-based line of each path into it."""

    def __init__(self, data: Any, lines: dict[Loc, int]) -> None:
        self.data = data
        self._lines = lines

    def line(self, loc: Loc) -> int | None:
        """Line of the deepest known node on the way to `loc`."""
        for n in range(len(loc), -1, -1):
            if (found := self._lines.get(tuple(loc[:n]))) is not None:
                return found
        return None


def read_yaml(path: Path, issues: list[Issue]) -> LocatedYaml | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        issues.append(Issue(str(path), "", "", f"cannot read the file: {e}"))
        return None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return LocatedYaml({}, {})
        lines: dict[Loc, int] = {}
        data = _build(
            loader,
            root,
            (),
            lines,
            lambda loc, msg: issues.append(
                Issue(str(path), f"line {lines.get(loc, 0)}", dotted(loc), msg)
            ),
        )
        return LocatedYaml(data, lines)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}" if mark else ""
        issues.append(Issue(str(path), where, "", f"not valid YAML: {e.problem or e}"))
        return None
    finally:
        loader.dispose()


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    loc: Loc,
    lines: dict[Loc, int],
    report: Callable[[Loc, str], None],
) -> Any:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                lines[(*loc, key)] = key_node.start_mark.line + 1
                report((*loc, key), f"duplicate key {key!r} (an earlier one would be lost)")
                continue
            out[key] = _build(loader, value_node, (*loc, key), lines, report)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, v, (*loc, i), lines, report) for i, v in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
