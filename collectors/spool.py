"""The durable local store of samples (SQLite in WAL mode).

Every sample is committed here before anything else happens to it. `samples` holds what
is still to be delivered to InfluxDB (or, with no InfluxDB configured, the local history
that `netagent query` reads); a row leaves it only when InfluxDB acknowledged it, when it
is set aside as a dead letter (InfluxDB refused it for good), when the size bound drops it
(counted, logged) or, in the embedded mode only, when it outlives the retention.
`latest` keeps the newest point of every series of the status measurements
(`SpoolConfig.latest_for`) whatever happened to the history, so `netagent status` works
with or without InfluxDB.

The put() path is the agent's hottest: one row per sample with no secondary index (the
embedded mode's history queries and retention scan, which is cheap at the bound's size),
ids handed out from a counter (monotonic without AUTOINCREMENT's per-row bookkeeping),
and `latest` maintained only for the measurements status reads, not for the bulk of
interface counters.

Samples are stored already encoded as line protocol (series key + field set; the
timestamp is added at delivery), so a replayed batch is byte-identical to the first try
and delivery costs no encoding.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from collectors import line_protocol as lp
from collectors.samples import Sample
from collectors.spool_model import (
    Batch,
    DeadLetter,
    PendingLine,
    SpoolConfig,
    SpoolStats,
)

__all__ = ["Batch", "DeadLetter", "PendingLine", "Spool", "SpoolConfig", "SpoolStats"]

log = logging.getLogger(__name__)

_VERSION = 3
_SYNC = "FULL"  # a committed put() survives a power cut, not only a process crash
_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    fields TEXT NOT NULL,
    time_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS latest (
    key TEXT PRIMARY KEY,
    fields TEXT NOT NULL,
    time_ns INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    fields TEXT NOT NULL,
    time_ns INTEGER NOT NULL,
    reason TEXT NOT NULL,
    failed_at_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('depth', 0), ('dropped_total', 0), ('next_id', 1);
"""
_UPSERT_LATEST = (
    "INSERT INTO latest(key, fields, time_ns) VALUES (?,?,?) ON CONFLICT(key) DO UPDATE"
    " SET fields=excluded.fields, time_ns=excluded.time_ns"
    " WHERE excluded.time_ns >= latest.time_ns"
)
# (series key, field set, time_ns): one encoded sample.
Row = tuple[str, str, int]


class Spool:
    def __init__(self, path: Path, config: SpoolConfig | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.config = config or SpoolConfig()
        self._lock = threading.RLock()
        self._listeners: list[Callable[[int], None]] = []
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={_SYNC}")
        # Delivery reads through its own connection: WAL lets it read committed samples
        # while a put() is writing, instead of queueing behind it.
        self._reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._reader.execute("PRAGMA busy_timeout=10000")
        self._read_lock = threading.Lock()
        self._latest_for = frozenset(self.config.latest_for)
        with self._transaction():
            old, old_latest = self._legacy_rows()
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version={_VERSION}")
            self._db.executemany(_UPSERT_LATEST, self._status_rows(old_latest))
            if old:  # depth counts them again as they are re-stored
                self._db.execute("UPDATE counters SET value = 0 WHERE name = 'depth'")
                self._store(old, [])

    def _legacy_rows(self) -> tuple[list[Row], list[Row]]:
        """(samples, latest) of an older spool, dropped here to be re-stored in the current
        layout: version 1 held JSON columns, version 2 a measurement column and index."""
        cols = {r[1] for r in self._db.execute("PRAGMA table_info(samples)")}
        if "measurement" not in cols:
            return [], []
        if "tags" in cols:
            import json

            old = self._db.execute(
                "SELECT measurement, tags, fields, time_ns FROM samples ORDER BY id"
            ).fetchall()
            rows, latest = self._encode(
                Sample(m, json.loads(t), json.loads(f), ts) for m, t, f, ts in old
            )
        else:
            rows = self._db.execute(
                "SELECT key, fields, time_ns FROM samples ORDER BY id"
            ).fetchall()
            latest = self._db.execute("SELECT key, fields, time_ns FROM latest").fetchall()
        self._db.execute("DROP TABLE samples")
        self._db.execute("DROP TABLE IF EXISTS latest")
        return rows, latest

    # -- writing -------------------------------------------------------------------

    def put(self, samples: Iterable[Sample]) -> int:
        """Commit samples durably in one transaction; returns how many were stored.

        A sample of a wrong field type raises LineProtocolError before anything is stored;
        one whose every field is NaN/infinite has nothing InfluxDB can hold and is skipped.
        """
        rows, status = self._encode(samples)
        if not rows:
            return 0
        with self._transaction():
            dropped, depth = self._store(rows, status)
        if dropped:
            log.warning(
                "spool full (%d samples): dropped the %d oldest; %d dropped since creation",
                self.config.max_samples,
                dropped,
                self.stats().dropped_total,
            )
        for listener in self._listeners:
            listener(depth)
        return min(len(rows), self.config.max_samples)

    def _encode(self, samples: Iterable[Sample]) -> tuple[list[Row], list[Row]]:
        """(all rows, those of the `latest_for` measurements)."""
        rows: list[Row] = []
        status: list[Row] = []
        keep = self._latest_for
        for s in samples:
            try:
                row = (lp.encode_key(s.measurement, s.tags), lp.encode_fields(s.fields), s.time_ns)
            except lp.LineProtocolError as e:
                raise lp.LineProtocolError(f"sample {s.series_key()}: {e}") from None
            if not row[1]:
                log.warning("sample %s has no finite field; not stored", s.series_key())
                continue
            rows.append(row)
            if s.measurement in keep:
                status.append(row)
        return rows, status

    def _status_rows(self, rows: Iterable[Row]) -> list[Row]:
        return [r for r in rows if lp.decode_key(r[0])[0] in self._latest_for]

    def _store(self, rows: list[Row], status: list[Row]) -> tuple[int, int]:
        """Insert within the caller's transaction; returns (dropped, depth after)."""
        dropped = self._make_room(len(rows))
        if len(rows) > self.config.max_samples:  # the batch alone overflows the bound
            rows = rows[len(rows) - self.config.max_samples :]
        first = self._add("next_id", len(rows)) - len(rows)
        self._db.executemany(
            "INSERT INTO samples(id, key, fields, time_ns) VALUES (?,?,?,?)",
            [(i, *r) for i, r in enumerate(rows, first)],
        )
        self._db.executemany(_UPSERT_LATEST, status)
        return dropped, self._add("depth", len(rows))

    def _make_room(self, incoming: int) -> int:
        """Drop the oldest samples so `incoming` more fit; returns how many were dropped."""
        excess = self._counter("depth") + incoming - self.config.max_samples
        if excess <= 0:
            return 0
        cur = self._db.execute(
            "DELETE FROM samples WHERE id IN (SELECT id FROM samples ORDER BY id LIMIT ?)",
            (excess,),
        )
        dropped_new = max(0, incoming - self.config.max_samples)
        self._add("depth", -cur.rowcount)
        self._add("dropped_total", cur.rowcount + dropped_new)
        return cur.rowcount + dropped_new

    def on_put(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call `listener(depth)` after every committed put (the flusher wakes on it);
        returns the function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    # -- delivery ------------------------------------------------------------------

    def next_batch(self, limit: int, after_id: int = 0, divisor: int = 1) -> Batch | None:
        """The next `limit` lines above `after_id` as one request body, built inside SQLite
        (the delivery hot path does no per-line Python work); None when nothing waits."""
        with self._read_lock:
            first, last, count, oldest, body = self._reader.execute(
                "SELECT min(id), max(id), count(*), min(time_ns),"
                " group_concat(key || ' ' || fields || ' ' || (time_ns / ?), char(10))"
                " FROM (SELECT id, key, fields, time_ns FROM samples WHERE id > ?"
                " ORDER BY id LIMIT ?)",
                (divisor, after_id, limit),
            ).fetchone()
        return Batch(first, last, count, oldest, body) if count else None

    def lines(self, first_id: int, last_id: int) -> list[PendingLine]:
        """The lines of a batch one by one (to find the ones InfluxDB refused)."""
        with self._read_lock:
            return self._reader.execute(
                "SELECT id, key, fields, time_ns FROM samples WHERE id BETWEEN ? AND ? ORDER BY id",
                (first_id, last_id),
            ).fetchall()

    def ack(self, first_id: int, last_id: int) -> None:
        """InfluxDB acknowledged the lines `first_id..last_id` (a batch from `next_batch()`):
        they leave the spool. Ids only grow, so no line accepted after that read can fall
        inside the run. No fsync of its own: a process crash keeps the commit (WAL), a
        power cut may undo it, which replays the batch, identical, harmless; the next
        put() fsyncs it anyway."""
        with self._transaction(fsync=False):
            cur = self._db.execute(
                "DELETE FROM samples WHERE id BETWEEN ? AND ?", (first_id, last_id)
            )
            self._add("depth", -cur.rowcount)

    def dead_letter(self, ids: Sequence[int], reason: str) -> None:
        """Set lines InfluxDB refused for good aside, with the server's reason."""
        now = time.time_ns()
        with self._transaction():
            self._db.executemany(
                "INSERT INTO dead_letters(key, fields, time_ns, reason, failed_at_ns)"
                " SELECT key, fields, time_ns, ?, ? FROM samples WHERE id=?",
                [(reason[:4000], now, i) for i in ids],
            )
            cur = self._db.executemany("DELETE FROM samples WHERE id=?", [(i,) for i in ids])
            self._add("depth", -cur.rowcount)

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, fields, time_ns, reason, failed_at_ns FROM dead_letters"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeadLetter(lp.line(k, f, t), r, at) for k, f, t, r, at in rows]

    def requeue_dead_letters(self) -> int:
        """Queue the dead letters for delivery again (once the conflict is fixed in
        InfluxDB, e.g. the measurement dropped); returns how many."""
        with self._transaction():
            rows = self._db.execute(
                "SELECT key, fields, time_ns FROM dead_letters ORDER BY id"
            ).fetchall()
            self._db.execute("DELETE FROM dead_letters")
            if rows:
                self._store(rows, self._status_rows(rows))
        return len(rows)

    def expire(self, retention_s: float | None = None, now_ns: int | None = None) -> int:
        """Embedded mode only: forget local history older than the retention."""
        cutoff = (now_ns or time.time_ns()) - int((retention_s or self.config.retention_s) * 1e9)
        with self._transaction():
            gone = self._db.execute("DELETE FROM samples WHERE time_ns < ?", (cutoff,)).rowcount
            self._add("depth", -gone)
        return gone

    def stats(self, now_ns: int | None = None) -> SpoolStats:
        with self._lock:
            oldest = self._db.execute("SELECT time_ns FROM samples ORDER BY id LIMIT 1").fetchone()
            dead = self._db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
            depth, dropped = self._counter("depth"), self._counter("dropped_total")
        age = max(0.0, ((now_ns or time.time_ns()) - oldest[0]) / 1e9) if oldest else 0.0
        return SpoolStats(depth, age, dropped, int(dead))

    # -- reading -------------------------------------------------------------------

    def latest(self, measurement: str) -> list[Sample]:
        """Newest point of each series of a `latest_for` measurement."""
        where, args = _of_measurement(measurement)
        with self._lock:
            rows = self._db.execute(
                f"SELECT key, fields, time_ns FROM latest WHERE {where} ORDER BY key", args
            ).fetchall()
        return [lp.decode(k, f, t) for k, f, t in rows]

    def query(
        self,
        measurement: str,
        since_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
        limit: int | None = None,
    ) -> list[Sample]:
        """History of one measurement, oldest first, optionally filtered by tag values."""
        where, key_args = _of_measurement(measurement)
        sql = f"SELECT key, fields, time_ns FROM samples WHERE {where}"
        args: list[object] = list(key_args)
        if since_ns is not None:
            sql += " AND time_ns >= ?"
            args.append(since_ns)
        sql += " ORDER BY time_ns, id"
        want = dict(tags or {})
        out: list[Sample] = []
        with self._lock:
            for k, f, t in self._db.execute(sql, args):
                sample = lp.decode(k, f, t)
                if all(sample.tags.get(tk) == tv for tk, tv in want.items()):
                    out.append(sample)
                    if limit is not None and len(out) >= limit:
                        break
        return out

    # -- plumbing ------------------------------------------------------------------

    def _counter(self, name: str) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
        return int(row[0])

    def _add(self, name: str, delta: int) -> int:
        row = self._db.execute(
            "UPDATE counters SET value = value + ? WHERE name=? RETURNING value", (delta, name)
        ).fetchone()
        return int(row[0])

    def _transaction(self, fsync: bool = True) -> _Tx:
        return _Tx(self._db, self._lock, fsync)

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._reader.close()
            self._db.close()


def _of_measurement(measurement: str) -> tuple[str, tuple[str, str, str]]:
    """SQL condition on `key` for one measurement: the key is the escaped measurement,
    alone or followed by `,tags`, i.e. in the range (m + ',', m + '-') since '-' follows ','."""
    m = lp.encode_key(measurement, {})
    return "(key = ? OR (key > ? AND key < ?))", (m, m + ",", m + "-")


class _Tx:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception: all or nothing."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock, fsync: bool) -> None:
        self._db = db
        self._lock = lock
        self._fsync = fsync

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            if not self._fsync:
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._restore()
            raise

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._restore()

    def _restore(self) -> None:
        try:
            if not self._fsync:
                self._db.execute(f"PRAGMA synchronous={_SYNC}")
        finally:
            self._lock.release()
