"""The exit codes every command and the daemon share (the README's table).

In the core, not the CLI, because the daemon returns them too and the core never imports
`netagent.agent.cli`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    PROBLEMS = 1  # the command ran and found problems (invalid input, devices down…)
    USAGE = 2
    FAILED = 3  # the command could not do its job (server unreachable, no permission…)
