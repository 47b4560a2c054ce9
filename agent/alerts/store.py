"""Alert state on disk (state.sqlite): device trackers, incidents, the notification queue.

One SQLite file, one transaction per round: tracker counters, incident changes and the
notifications they cause commit together, so a restart neither forgets an open incident
nor sends its notification twice.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netagent.agent.alerts.tracker import State, Tracker
from netagent.agent.notify.config import Severity
from netagent.agent.notify.event import Affected
from netagent.agent.notify.queue import NotificationQueue
from netagent.collectors.spool_file import json_rows

STATE_FILE = "state.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS device_state (
    device TEXT PRIMARY KEY,
    tracker TEXT NOT NULL,
    shown TEXT NOT NULL,
    shown_since REAL NOT NULL,
    maintenance TEXT
);
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    role TEXT NOT NULL,
    site TEXT NOT NULL,
    quartiere TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    opened REAL NOT NULL,
    resolved REAL,
    text TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    affected TEXT NOT NULL,
    suppressed TEXT,
    notified INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS incidents_open ON incidents(resolved, device);
"""


@dataclass(frozen=True)
class Incident:
    id: int
    device: str
    role: str  # the device as it was described when the incident opened
    site: str
    quartiere: str
    kind: str
    severity: Severity
    opened: float
    resolved: float | None
    text: str
    root_cause: str
    affected: tuple[Affected, ...]
    suppressed: str | None  # why it was not notified (maintenance…), None if it was or will be
    notified: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "device": self.device,
            "role": self.role,
            "site": self.site,
            "quartiere": self.quartiere,
            "kind": self.kind,
            "severity": self.severity.value,
            "opened": self.opened,
            "resolved": self.resolved,
            "state": "resolved" if self.resolved is not None else "open",
            "text": self.text,
            "root_cause": self.root_cause,
            "affected": [a.__dict__ for a in self.affected],
            "suppressed": self.suppressed,
            "notified": self.notified,
        }


@dataclass(frozen=True)
class DeviceRow:
    device: str
    shown: State
    since: float
    maintenance: str | None
    tracker: Tracker

    def key(self) -> tuple[Any, ...]:
        """Everything stored for the device, to skip rewriting unchanged rows."""
        t = self.tracker
        return (
            self.shown,
            self.since,
            self.maintenance,
            t.state,
            t.since,
            t.fails,
            t.answers,
            t.oks,
            t.degraded,
            t.last,
            tuple(t.flips),
            t.flapping,
        )


_INCIDENT_COLS = (
    "id, device, role, site, quartiere, kind, severity, opened, resolved, text,"
    " root_cause, affected, suppressed, notified"
)


def _incident(r: Sequence[Any]) -> Incident:
    return Incident(
        int(r[0]),
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        Severity(r[6]),
        r[7],
        r[8],
        r[9],
        r[10],
        tuple(Affected(**a) for a in json.loads(r[11])),
        r[12],
        bool(r[13]),
    )


class StateStoreError(Exception):
    """state.sqlite cannot be used as it is (not a database, or from a newer netagent)."""


class AlertStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA busy_timeout=5000")
            version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StateStoreError(
                    f"{path}: written by a newer netagent (schema {version}, this one knows "
                    f"{SCHEMA_VERSION}); left untouched"
                )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self.queue = NotificationQueue(self._db, self._lock)
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise StateStoreError(f"{path}: not usable as the alert state database: {e}") from e
        except StateStoreError:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # devices
    def devices(self) -> list[DeviceRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT device, tracker, shown, shown_since, maintenance FROM device_state"
                " ORDER BY device"
            ).fetchall()
        return [
            DeviceRow(d, State(s), since, m, Tracker.from_json(json.loads(t)))
            for d, t, s, since, m in rows
        ]

    def save_devices(self, rows: Sequence[DeviceRow]) -> None:
        """One statement, the rows bound as one JSON array (`json_rows`: executemany would
        wait out the GIL's switch interval per row), as the first round after a start
        saves every device."""
        data = [
            (r.device, json.dumps(r.tracker.to_json()), r.shown.value, r.since, r.maintenance)
            for r in rows
        ]
        with self._lock:
            self._db.execute(
                "INSERT INTO device_state(device, tracker, shown, shown_since, maintenance)"
                f" SELECT {json_rows(5)} WHERE true"
                " ON CONFLICT(device) DO UPDATE SET tracker=excluded.tracker,"
                " shown=excluded.shown, shown_since=excluded.shown_since,"
                " maintenance=excluded.maintenance",
                (json.dumps(data, ensure_ascii=False),),
            )

    def forget_devices(self, names: Sequence[str]) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM device_state WHERE device IN (SELECT value FROM json_each(?))",
                (json.dumps(list(names), ensure_ascii=False),),
            )

    # incidents
    def open_incident(
        self,
        device: Affected,
        site: str,
        kind: str,
        severity: Severity,
        now: float,
        text: str,
        root_cause: str,
        affected: Sequence[Affected],
        suppressed: str | None,
    ) -> Incident:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO incidents(device, role, site, quartiere, kind, severity, opened,"
                " text, root_cause, affected, suppressed) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    device.device,
                    device.role,
                    site,
                    device.quartiere,
                    kind,
                    severity.value,
                    now,
                    text,
                    root_cause,
                    json.dumps([a.__dict__ for a in affected]),
                    suppressed,
                ),
            )
            return self.incident(int(cur.lastrowid or 0))

    def incident(self, incident_id: int) -> Incident:
        with self._lock:
            r = self._db.execute(
                f"SELECT {_INCIDENT_COLS} FROM incidents WHERE id=?", (incident_id,)
            ).fetchone()
        if r is None:
            raise KeyError(f"no incident {incident_id}")
        return _incident(r)

    def set_notified(self, incident_id: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE incidents SET notified=1, suppressed=NULL WHERE id=?", (incident_id,)
            )

    def set_suppressed(self, incident_id: int, reason: str | None) -> None:
        with self._lock:
            self._db.execute("UPDATE incidents SET suppressed=? WHERE id=?", (reason, incident_id))

    def resolve(self, incident_id: int, now: float) -> Incident:
        with self._lock:
            self._db.execute("UPDATE incidents SET resolved=? WHERE id=?", (now, incident_id))
            return self.incident(incident_id)

    def open_incidents(self, device: str | None = None) -> list[Incident]:
        sql = f"SELECT {_INCIDENT_COLS} FROM incidents WHERE resolved IS NULL"
        args: tuple[str, ...] = ()
        if device is not None:
            sql, args = sql + " AND device=?", (device,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [_incident(r) for r in rows]

    def recent_incidents(self, since: float, limit: int = 200) -> list[Incident]:
        """Open incidents and those resolved after `since`, newest first."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_INCIDENT_COLS} FROM incidents WHERE resolved IS NULL OR resolved>=?"
                " ORDER BY id DESC LIMIT ?",
                (since, limit),
            ).fetchall()
        return [_incident(r) for r in rows]

    def prune(self, before: float) -> None:
        """Drop resolved incidents (and their sent notifications) older than `before`."""
        with self.transaction():
            self._db.execute(
                "DELETE FROM deliveries WHERE notification IN (SELECT n.id FROM notifications n"
                " JOIN incidents i ON i.id=n.incident WHERE n.done=1 AND i.resolved<?)",
                (before,),
            )
            self._db.execute(
                "DELETE FROM notifications WHERE done=1 AND incident IN"
                " (SELECT id FROM incidents WHERE resolved<?)",
                (before,),
            )
            self._db.execute(
                "DELETE FROM incidents WHERE resolved<? AND id NOT IN"
                " (SELECT incident FROM notifications)",
                (before,),
            )


def open_store(data_dir: Path) -> AlertStore:
    """The agent's state store in its data directory (created if missing)."""
    return AlertStore(Path(data_dir) / STATE_FILE)
