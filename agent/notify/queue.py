"""The durable notification queue, in the agent's state DB (state.sqlite).

A notification row is written in the same transaction as the incident change that caused
it, so a crash can neither lose it nor send it twice for one incident change. Delivery
rows (one per target) are created when the router first routes it; each keeps its own
attempts and back-off, so a dead SMTP server does not hold back the webhook.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from netagent.agent.notify.event import AlertEvent

SCHEMA = """
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident INTEGER NOT NULL,
    event TEXT NOT NULL,
    created REAL NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS notifications_open ON notifications(done, id);
CREATE TABLE IF NOT EXISTS deliveries (
    notification INTEGER NOT NULL REFERENCES notifications(id),
    target TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    delivered REAL,
    given_up REAL,
    last_error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (notification, target)
);
"""


@dataclass(frozen=True)
class Pending:
    id: int
    event: AlertEvent
    created: float


@dataclass(frozen=True)
class Delivery:
    notification: int
    target: str
    attempts: int
    next_at: float
    finished: bool


class NotificationQueue:
    """Queue operations over a connection shared with the alert store (one lock)."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self._lock = lock
        db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db.in_transaction:  # nested in the alert store's transaction
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def enqueue(self, event: AlertEvent, now: float) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO notifications(incident, event, created) VALUES (?,?,?)",
                (event.incident, json.dumps(event.to_json()), now),
            )
            return int(cur.lastrowid or 0)

    def pending(self) -> list[Pending]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, event, created FROM notifications WHERE done=0 ORDER BY id"
            ).fetchall()
        return [Pending(int(i), AlertEvent.from_json(json.loads(e)), float(c)) for i, e, c in rows]

    def deliveries(self, notification: int) -> list[Delivery]:
        with self._lock:
            rows = self._db.execute(
                "SELECT notification, target, attempts, next_at,"
                " delivered IS NOT NULL OR given_up IS NOT NULL"
                " FROM deliveries WHERE notification=? ORDER BY target",
                (notification,),
            ).fetchall()
        return [Delivery(int(n), str(t), int(a), float(x), bool(f)) for n, t, a, x, f in rows]

    def route(self, notification: int, targets: list[str], now: float) -> None:
        """Fan a notification out to its targets (done at once when none wants it)."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO deliveries(notification, target, next_at) VALUES (?,?,?)",
                [(notification, t, now) for t in targets],
            )
            if not targets:
                db.execute("UPDATE notifications SET done=1 WHERE id=?", (notification,))

    def delivered(self, notification: int, target: str, now: float) -> None:
        self._finish(notification, target, "delivered", now, "")

    def give_up(self, notification: int, target: str, now: float, error: str) -> None:
        self._finish(notification, target, "given_up", now, error)

    def _finish(self, notification: int, target: str, column: str, now: float, error: str) -> None:
        with self._tx() as db:
            db.execute(
                f"UPDATE deliveries SET {column}=?, attempts=attempts+1, last_error=?"
                " WHERE notification=? AND target=?",
                (now, error, notification, target),
            )
            left = db.execute(
                "SELECT COUNT(*) FROM deliveries WHERE notification=?"
                " AND delivered IS NULL AND given_up IS NULL",
                (notification,),
            ).fetchone()[0]
            if left == 0:
                db.execute("UPDATE notifications SET done=1 WHERE id=?", (notification,))

    def retry_at(self, notification: int, target: str, next_at: float, error: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE deliveries SET attempts=attempts+1, next_at=?, last_error=?"
                " WHERE notification=? AND target=?",
                (next_at, error, notification, target),
            )

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(d.next_at) FROM deliveries d JOIN notifications n"
                " ON n.id=d.notification WHERE n.done=0 AND d.delivered IS NULL"
                " AND d.given_up IS NULL"
            ).fetchone()
            unrouted = self._db.execute(
                "SELECT MIN(created) FROM notifications n WHERE done=0 AND NOT EXISTS"
                " (SELECT 1 FROM deliveries d WHERE d.notification=n.id)"
            ).fetchone()
        times = [t for t in (row[0], unrouted[0]) if t is not None]
        return min(times) if times else None

    def depth(self) -> int:
        with self._lock:
            return int(
                self._db.execute("SELECT COUNT(*) FROM notifications WHERE done=0").fetchone()[0]
            )

    def given_up_total(self) -> int:
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM deliveries WHERE given_up IS NOT NULL"
                ).fetchone()[0]
            )
