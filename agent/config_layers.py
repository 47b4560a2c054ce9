"""Where each configuration value came from, and what reading them found.

The loader (netagent.agent.config, netagent.agent.config_sources, netagent.agent.config_walk)
records an origin per
key path: `file:line`, or the variable's name. Every problem and warning is written
through `Layers`, which names that origin and masks every secret seen on the way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from netagent.agent.secrets import Redactor

Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    """('notify', 'webhooks', 0, 'url') -> 'notify.webhooks[0].url'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)
            out += f".{text}" if out else text
    return out


@dataclass(frozen=True)
class SecretFile:
    """A `<key>_file` the loader read: what preflight lists."""

    key: str  # dotted, e.g. "snmp.device_credentials.AP-Centro.community_file"
    path: Path
    mode: int  # permission bits


@dataclass
class Layers:
    """Where each value came from, and what reading them found."""

    origins: dict[Loc, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    secret_files: list[SecretFile] = field(default_factory=list)
    redact: Redactor = field(default_factory=Redactor)
    env_names: set[Loc] = field(default_factory=set)  # locs set by a variable
    # Keys whose `<key>_file` could not be read (reported): not reported missing again.
    unread: set[Loc] = field(default_factory=set)

    def follows_unread(self, loc: Loc, text: str) -> bool:
        """Whether a validation error at loc only says that an unread file's key is missing
        (a model's own field, or a key of a plugin target's table)."""
        return any(
            (u == loc and text == "Field required")
            or (u[:-1] == loc and text == f"{u[-1]}: Field required")
            for u in self.unread
        )

    def where(self, loc: Loc) -> str:
        """The origin of a value, for an error about it: where it was set, else its
        nearest given parent (a table header), else the file."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.origins:
                return self.given(loc[:n])
        return self.given(loc) or self.origins.get((), "")

    def given(self, loc: Loc) -> str:
        """Where a value was set: its own line or variable, a variable holding it in
        JSON, or the first value set inside it (a variable first: it wins over the
        file); '' for a default."""
        if loc in self.env_names or (loc in self.origins and not self._env_under(loc)):
            return self.origins[loc]
        parent = next(
            (loc[:n] for n in range(len(loc) - 1, 0, -1) if loc[:n] in self.env_names), None
        )
        if parent is not None:
            return self.origins[parent]
        if env := self._env_under(loc):
            return self.origins[env[0]]
        under = [k for k in self.origins if k[: len(loc)] == loc and k != ()]
        return self.origins[min(under, key=lambda k: _line(self.origins[k]))] if under else ""

    def _env_under(self, loc: Loc) -> list[Loc]:
        return sorted((k for k in self.env_names if k[: len(loc)] == loc), key=str)

    def problem(self, loc: Loc, text: str) -> None:
        self.problems.append(self.redact(f"{self.where(loc)}: {dotted(loc)}: {text}"))

    def warn(self, loc: Loc, text: str) -> None:
        self.warnings.append(self.redact(f"{self.where(loc)}: {dotted(loc)}: {text}"))


def _line(origin: str) -> int:
    tail = origin.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0
