"""What the poller keeps across restarts: counters (for rates) and what worked for each
device's requests, in one JSON file of the data directory.

Written by the poller at most every `state_save_interval_s` and on a clean shutdown,
atomically (temp file, fsync, rename): a crash leaves the old file or the new one. An
older file still gives correct rates: each device's counters carry the sysUpTime and
wall time they were read at, and counters older than `rates.MAX_AGE_S` re-seed. An
unreadable file is reported and the poller starts afresh: the cost is one poll without
rates, never a failed start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from netagent.collectors.snmp.rates import CounterState
from netagent.collectors.snmp.walk import Memory

FORMAT = 2


def snapshot(rates: CounterState, memory: dict[str, Memory]) -> dict[str, object]:
    """The state as JSON-ready data, taken between two polls (the poller takes it on the
    event loop, then writes it in a thread while the next polls change the state)."""
    return {
        "format": FORMAT,
        "devices": rates.dump(),
        "requests": {name: m.dump() for name, m in memory.items()},
    }


def write_state(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_state(path: Path, rates: CounterState, memory: dict[str, Memory]) -> str | None:
    """Fills `rates` and `memory` from the file; returns why it could not, if so."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return f"{path}: unknown format {data.get('format')!r}; SNMP state starts afresh"
        rates.restore(data["devices"])
        memory.update({str(n): Memory.restore(m) for n, m in data["requests"].items()})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f"{path}: unreadable SNMP state ({e}); counters start afresh"
    return None
