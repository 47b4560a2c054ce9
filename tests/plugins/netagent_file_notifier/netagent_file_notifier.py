"""netagent notifier type `file`: each alert appended to a file as one JSON line.

The smallest complete notifier plugin. It imports nothing of netagent's: netagent finds
it through the `netagent.notifiers` entry point (pyproject.toml), checks a target's
settings against `config_model`, calls the class with them, and awaits `send(event)` for
every alert routed to the target. Configured as

    [[notify.targets]]
    type = "file"
    path = "/var/log/netagent/alerts.jsonl"
    min_severity = "warning"     # netagent's routing keys work for every type
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileSettings:
    path: Path  # the file alerts are appended to; created when missing


class FileNotifier:
    config_model = FileSettings

    def __init__(self, settings: FileSettings) -> None:
        self.path = Path(settings.path)

    def _append(self, line: str) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")

    async def send(self, event: Any) -> None:
        """An OSError (disk full, no permission) is a failed attempt: netagent retries."""
        line = json.dumps(event.to_json(), default=str, sort_keys=True)
        await asyncio.to_thread(self._append, line)
