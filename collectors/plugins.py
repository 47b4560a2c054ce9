"""Named extensions, found through Python entry points: the one loader every seam uses.

Each seam of netagent (inventory sources, sample writers, notifiers, SNMP table kinds) is
a group of entry points, `netagent.<seam>`. netagent's own implementations are declared
in its pyproject.toml exactly as a third-party package declares its own, so a new
notifier or inventory source is a package that gets installed, never a patch.
importlib.metadata does the finding (the standard mechanism pip, setuptools and every
packaging tool already write); this module only loads each entry point once, keeps what
it loaded by name, and turns a plugin that fails to load into one line naming the entry
point: a broken plugin must never stop the agent from working with the others, nor
print a traceback.

It lives in `collectors`, the lowest package that every seam's owner may import
(`agent` imports `collectors`, never the other way round).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar, cast

log = logging.getLogger(__name__)

T = TypeVar("T")


class UnknownPlugin(LookupError):
    """A configuration names an extension no installed package provides."""


@dataclass(frozen=True)
class Plugin:
    """One loaded entry point: its name, what it points at, and who installed it."""

    name: str
    value: str  # "module:attribute"
    dist: str  # "package version", or "" when the metadata does not say


@dataclass(frozen=True)
class Broken:
    """An entry point that could not be used: why, in one line."""

    group: str
    name: str
    value: str
    dist: str
    error: str

    def line(self) -> str:
        by = f" from {self.dist}" if self.dist else ""
        what = f" {self.value}{by}" if self.value else ""
        return f"plugin {self.name!r} ({self.group} entry point{what}) cannot be used: {self.error}"


def _dist(ep: EntryPoint) -> str:
    d = ep.dist
    return f"{d.name} {d.version}" if d is not None else ""


class Registry(Generic[T]):
    """The extensions of one entry-point group, loaded on first use.

    `check` returns why a loaded object cannot serve (None when it can): a plugin that
    imports but has the wrong shape is reported like one that does not import."""

    def __init__(
        self, group: str, what: str, check: Callable[[Any], str | None] | None = None
    ) -> None:
        self.group = group
        self.what = what  # "notifier type": how messages name one member
        self._check = check
        self._loaded: dict[str, tuple[Plugin, T]] | None = None
        self._broken: list[Broken] = []
        self._said = False  # the broken ones logged

    def _load(self) -> dict[str, tuple[Plugin, T]]:
        if self._loaded is not None:
            return self._loaded
        loaded: dict[str, tuple[Plugin, T]] = {}
        broken: list[Broken] = []
        by_name: dict[str, dict[str, EntryPoint]] = {}
        for ep in entry_points(group=self.group):
            by_name.setdefault(ep.name, {})[ep.value] = ep
        for name, eps in sorted(by_name.items()):
            if len(eps) > 1:  # two packages claim one name: neither wins, both are named
                claims = " and ".join(f"{v} ({_dist(ep)})" for v, ep in sorted(eps.items()))
                broken.append(Broken(self.group, name, "", "", f"claimed by {claims}"))
                continue
            (ep,) = eps.values()
            plugin = Plugin(name, ep.value, _dist(ep))
            try:
                obj = ep.load()
            except Exception as e:  # whatever the plugin's import does wrong: one line
                why: str | None = f"{type(e).__name__}: {e}"
            else:
                why = self._check(obj) if self._check is not None else None
            if why is not None:
                broken.append(Broken(self.group, name, ep.value, plugin.dist, why))
                continue
            loaded[name] = (plugin, cast(T, obj))
        self._loaded, self._broken = loaded, broken
        return loaded

    def names(self) -> list[str]:
        return sorted(self._load())

    def plugins(self) -> list[Plugin]:
        return [p for _, (p, _obj) in sorted(self._load().items())]

    def broken(self) -> list[Broken]:
        self._load()
        return list(self._broken)

    def get(self, name: str) -> T:
        """The extension called `name`, for use; UnknownPlugin names the installed ones.

        The first use logs each broken entry point of the group once (an error: whoever
        installed it meant it to work)."""
        if not self._said:
            self._said = True
            for b in self.broken():
                log.error("%s", b.line())
        return self.lookup(name)

    def lookup(self, name: str) -> T:
        """`get` without the log, for checking a configuration (`config check` lists the
        broken entry points itself)."""
        found = self._load().get(name)
        if found is None:
            raise UnknownPlugin(self.unknown(name))
        return found[1]

    def installed(self, name: str) -> str:
        """`name` when installed, else ValueError naming what is: a config validator."""
        if name not in self._load():
            raise ValueError(self.unknown(name))
        return name

    def unknown(self, name: str) -> str:
        """Why `name` is not usable, naming what is installed (and what is broken)."""
        self._load()
        broken = [b for b in self._broken if b.name == name]
        if broken:
            return f"{self.what} {name!r} is installed but {broken[0].line()}"
        installed = ", ".join(self.names()) or (
            "none (not even netagent's own: its package metadata is missing; reinstall it)"
        )
        return f"expected an installed {self.what}: {installed} (got {name!r})"

    def reload(self) -> None:
        """Find the entry points again (a package was installed since the first use)."""
        self._loaded, self._said = None, False
