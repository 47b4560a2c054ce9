"""One line of `netagent config check`: ✓ fine, ! a warning (accepted), ✗ a problem, and
the exit code a list of them gives.

Its own module because both the offline checks (netagent.agent.preflight) and the ones
that reach servers (netagent.agent.preflight_connect) make lines, and the offline
checks call the connecting ones: with the line model in either, the two import each
other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from netagent.agent.exitcodes import ExitCode


class Level(StrEnum):
    OK = "✓"
    WARN = "!"
    FAIL = "✗"
    BROKEN = "✗✗"  # the check itself could not run: exit 3


@dataclass(frozen=True)
class Check:
    level: Level
    text: str

    def line(self) -> str:
        return f"{self.level.value[0]} {self.text}"


def ok(text: str) -> Check:
    return Check(Level.OK, text)


def warn(text: str) -> Check:
    return Check(Level.WARN, text)


def fail(text: str) -> Check:
    return Check(Level.FAIL, text)


def exit_code(checks: list[Check]) -> ExitCode:
    levels = {c.level for c in checks}
    if Level.BROKEN in levels:
        return ExitCode.FAILED
    return ExitCode.PROBLEMS if Level.FAIL in levels else ExitCode.OK
