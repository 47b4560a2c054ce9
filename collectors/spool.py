"""The durable local store of samples (SQLite in WAL mode).

Every sample is committed here before anything else happens to it. `samples` holds what
is still to be delivered to InfluxDB (or, with no InfluxDB configured, the local history
that `netagent query` reads); a row leaves it only when InfluxDB acknowledged it, when it
is set aside as a dead letter (InfluxDB refused it for good), when the size bound drops it
(bulk first, counted per measurement, logged once a period: netagent.collectors.spool_bound) or, in
the embedded mode only, when it outlives the retention. A file that cannot be used or a
write that fails is a one-line `SpoolError` / `SpoolWriteError` (netagent.collectors.spool_file).
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

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from netagent.collectors import line_protocol as lp
from netagent.collectors.samples import Sample
from netagent.collectors.spool_bound import DropLog, key_is_one_of, measurement_of
from netagent.collectors.spool_file import (
    SpoolError,
    SpoolWriteError,
    check_place,
    close_all,
    connect,
    explain,
    json_rows,
)
from netagent.collectors.spool_model import (
    Batch,
    DeadLetter,
    PendingLine,
    SpoolConfig,
    SpoolStats,
)

__all__ = [
    "Batch",
    "DeadLetter",
    "PendingLine",
    "Spool",
    "SpoolConfig",
    "SpoolError",
    "SpoolStats",
    "SpoolWriteError",
]

log = logging.getLogger(__name__)

# The layout 0.1.0 shipped. Earlier layouts only ever existed in development builds: they
# are refused with a clear error instead of migrated.
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
# A put's rows go in as one JSON array, one statement per table (see json_rows).
_INSERT_SAMPLES = f"INSERT INTO samples(id, key, fields, time_ns) SELECT ? + key, {json_rows(3)}"
_UPSERT_LATEST = (
    # WHERE true: the parser needs it between a SELECT and ON CONFLICT
    f"INSERT INTO latest(key, fields, time_ns) SELECT {json_rows(3)} WHERE true"
    " ON CONFLICT(key) DO UPDATE SET fields=excluded.fields, time_ns=excluded.time_ns"
    " WHERE excluded.time_ns >= latest.time_ns"
)
_DROPPED = "dropped:"  # counters named dropped:<measurement>; ';' sorts right after ':'
# (series key, field set, time_ns): one encoded sample.
Row = tuple[str, str, int]


class Spool:
    def __init__(self, path: Path, config: SpoolConfig | None = None) -> None:
        """Open (or create) the spool at `path`; SpoolError, one line, when it cannot be used."""
        self.path = path
        self.config = config or SpoolConfig()
        check_place(path)
        self._lock = threading.RLock()
        self._read_lock = threading.Lock()
        self._latest_for = frozenset(self.config.latest_for)
        self._priority = frozenset(self.config.priority)
        self._priority_sql, self._priority_args = key_is_one_of(sorted(self._priority))
        self._bulk_floor = 0  # no bulk row has a smaller id: where eviction starts looking
        self._drops = DropLog(lambda: f"spool {path} full ({self.config.max_samples:,} samples)")
        connections: list[sqlite3.Connection] = []
        try:
            self._db = connect(path, connections)
            self._check_layout()  # before WAL mode, which rewrites the header
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={_SYNC}")
            # Delivery reads through its own connection: WAL lets it read committed
            # samples while a put() is writing, instead of queueing behind it.
            self._reader = connect(path, connections)
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={_VERSION}")
        except sqlite3.Error as e:
            close_all(connections)
            raise explain(path, e, writing=False) from e
        except SpoolError:
            close_all(connections)
            raise

    def _check_layout(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == _VERSION or (version == 0 and not tables):
            return
        whose = "a newer netagent" if version > _VERSION else "a development build"
        raise SpoolError(
            f"cannot use the spool {self.path}: layout {version} from {whose}, this netagent "
            f"reads layout {_VERSION}; left untouched: stop netagent and move it aside "
            f"(mv {self.path} {self.path}.old), a new spool is created at the next start"
        )

    # -- writing -------------------------------------------------------------------

    def put(self, samples: Iterable[Sample]) -> int:
        """Commit samples durably in one transaction; returns how many were stored.

        A sample of a wrong field type raises LineProtocolError before anything is stored;
        one whose every field is NaN/infinite has nothing InfluxDB can hold and is skipped.
        A failed write (disk full, I/O error) raises SpoolWriteError and stores nothing.
        """
        rows, status = self._encode(samples)
        if not rows:
            return 0
        with self._lock:  # the warning after the commit, one thread at a time
            with self._transaction():
                stored, dropped = self._store(rows, status)
            self._drops.add(dropped)
        return stored

    def _encode(self, samples: Iterable[Sample]) -> tuple[list[Row], list[Row]]:
        """(all rows, those of the `latest_for` measurements)."""
        rows: list[Row] = []
        status: list[Row] = []
        keep = self._latest_for
        for s in samples:
            try:
                key, fieldset = (
                    lp.encode_key(s.measurement, s.tags),
                    lp.encode_fields(s.fields, s.measurement),
                )
                row = (key, fieldset, s.time_ns)
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
        return [r for r in rows if measurement_of(r[0]) in self._latest_for]

    def _store(self, rows: list[Row], status: list[Row]) -> tuple[int, Counter[str]]:
        """Insert within the caller's transaction; returns (stored, dropped per measurement)."""
        rows, dropped = self._make_room(rows)
        first = self._add("next_id", len(rows)) - len(rows)
        self._db.execute(_INSERT_SAMPLES, (first, json.dumps(rows, ensure_ascii=False)))
        if status:
            self._db.execute(_UPSERT_LATEST, (json.dumps(status, ensure_ascii=False),))
        self._add("depth", len(rows))
        return len(rows), dropped

    def _make_room(self, rows: list[Row]) -> tuple[list[Row], Counter[str]]:
        """Keep the bound, fair to the status measurements: the oldest stored bulk rows go
        first, then the incoming bulk rows, then the oldest stored status rows, then the
        incoming ones. Returns (the incoming rows that stay, dropped per measurement)."""
        dropped: Counter[str] = Counter()
        excess = self._counter("depth") + len(rows) - self.config.max_samples
        for bulk in (True, False):
            if excess > 0:
                excess -= self._evict(bulk, excess, dropped)
            if excess > 0:
                rows, excess = self._refuse(rows, bulk, excess, dropped)
        if dropped:
            self._add("dropped_total", sum(dropped.values()))
            self._db.executemany(
                "INSERT INTO counters VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                [(_DROPPED + m, n) for m, n in dropped.items()],
            )
        return rows, dropped

    def _evict(self, bulk: bool, limit: int, dropped: Counter[str]) -> int:
        """Delete the `limit` oldest stored rows of one class; returns how many went."""
        if bulk:
            where, args = f"id >= ? AND NOT {self._priority_sql}", [self._bulk_floor]
        else:
            where, args = self._priority_sql, []
        gone = self._db.execute(
            f"DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE {where}"
            " ORDER BY id LIMIT ?) RETURNING id, key",
            [*args, *self._priority_args, limit],
        ).fetchall()
        if len(gone) == limit and bulk:  # no bulk row is left below the last one deleted
            self._bulk_floor = max(i for i, _ in gone) + 1
        elif bulk:  # none is left at all
            self._bulk_floor = self._counter("next_id")
        dropped.update(measurement_of(k) for _, k in gone)
        self._add("depth", -len(gone))
        return len(gone)

    def _refuse(
        self, rows: list[Row], bulk: bool, excess: int, dropped: Counter[str]
    ) -> tuple[list[Row], int]:
        """Leave out the first `excess` incoming rows of one class; (rows kept, excess left)."""
        kept: list[Row] = []
        for row in rows:
            m = measurement_of(row[0])
            if excess and (m not in self._priority) == bulk:
                dropped[m] += 1
                excess -= 1
            else:
                kept.append(row)
        return kept, excess

    # -- delivery ------------------------------------------------------------------

    def newest_id(self) -> int:
        """The id of the newest waiting line, 0 when none: what a flush sends up to."""
        with self._reading(self._read_lock):
            return int(
                self._reader.execute("SELECT coalesce(max(id), 0) FROM samples").fetchone()[0]
            )

    def next_batch(
        self, limit: int, after_id: int = 0, divisor: int = 1, upto_id: int = 2**63 - 1
    ) -> Batch | None:
        """The next `limit` lines in (`after_id`, `upto_id`] as one request body, built
        inside SQLite (the delivery hot path does no per-line Python work); None when
        nothing waits there."""
        with self._reading(self._read_lock):
            first, last, count, oldest, body = self._reader.execute(
                "SELECT min(id), max(id), count(*), min(time_ns),"
                " group_concat(key || ' ' || fields || ' ' || (time_ns / ?), char(10))"
                " FROM (SELECT id, key, fields, time_ns FROM samples WHERE id > ? AND id <= ?"
                " ORDER BY id LIMIT ?)",
                (divisor, after_id, upto_id, limit),
            ).fetchone()
        return Batch(first, last, count, oldest, body) if count else None

    def lines(self, first_id: int, last_id: int) -> list[PendingLine]:
        """The lines of a batch one by one (to find the ones InfluxDB refused)."""
        with self._reading(self._read_lock):
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
        with self._reading():
            rows = self._db.execute(
                "SELECT key, fields, time_ns, reason, failed_at_ns FROM dead_letters"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [DeadLetter(lp.line(k, f, t), r, at) for k, f, t, r, at in rows]

    def requeue_dead_letters(self) -> int:
        """Queue the dead letters for delivery again (once the conflict is fixed in
        InfluxDB, e.g. the measurement dropped); returns how many."""
        dropped: Counter[str] = Counter()
        with self._lock:
            with self._transaction():
                rows = self._db.execute(
                    "SELECT key, fields, time_ns FROM dead_letters ORDER BY id"
                ).fetchall()
                self._db.execute("DELETE FROM dead_letters")
                if rows:
                    dropped = self._store(rows, self._status_rows(rows))[1]
            self._drops.add(dropped)
        return len(rows)

    def expire(self, retention_s: float | None = None, now_ns: int | None = None) -> int:
        """Embedded mode only: forget local history older than the retention."""
        cutoff = (now_ns or time.time_ns()) - int((retention_s or self.config.retention_s) * 1e9)
        with self._transaction():
            gone = self._db.execute("DELETE FROM samples WHERE time_ns < ?", (cutoff,)).rowcount
            self._add("depth", -gone)
        return gone

    def stats(self, now_ns: int | None = None) -> SpoolStats:
        with self._reading():
            oldest = self._db.execute("SELECT time_ns FROM samples ORDER BY id LIMIT 1").fetchone()
            dead = self._db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
            depth, dropped = self._counter("depth"), self._counter("dropped_total")
            per = self._db.execute(
                "SELECT name, value FROM counters WHERE name > ? AND name < ? ORDER BY name",
                (_DROPPED, _DROPPED[:-1] + ";"),
            ).fetchall()
        age = max(0.0, ((now_ns or time.time_ns()) - oldest[0]) / 1e9) if oldest else 0.0
        by = {name[len(_DROPPED) :]: int(n) for name, n in per}
        return SpoolStats(depth, age, dropped, int(dead), by)

    # -- reading -------------------------------------------------------------------

    def latest(self, measurement: str) -> list[Sample]:
        """Newest point of each series of a `latest_for` measurement, oldest first: a
        device whose tags changed (its site now in a quartiere, another role, the agent
        renamed) has a stale series beside its new one, and a reader keeping one point
        per device or job keeps the newest."""
        where, args = key_is_one_of([measurement])
        with self._reading():
            rows = self._db.execute(
                f"SELECT key, fields, time_ns FROM latest WHERE {where} ORDER BY time_ns, key",
                args,
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
        where, key_args = key_is_one_of([measurement])
        sql = f"SELECT key, fields, time_ns FROM samples WHERE {where}"
        args: list[object] = list(key_args)
        if since_ns is not None:
            sql += " AND time_ns >= ?"
            args.append(since_ns)
        sql += " ORDER BY time_ns, id"
        want = dict(tags or {})
        out: list[Sample] = []
        with self._reading():
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

    @contextmanager
    def _transaction(self, fsync: bool = True) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception: all or nothing. An
        SQLite failure (disk full, I/O error, read-only) comes out as SpoolWriteError."""
        with self._lock:
            try:
                if not fsync:
                    self._db.execute("PRAGMA synchronous=NORMAL")
                try:
                    self._db.execute("BEGIN IMMEDIATE")
                    yield
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        with suppress(sqlite3.Error):
                            self._db.execute("ROLLBACK")
                    raise
                finally:
                    if not fsync:
                        self._db.execute(f"PRAGMA synchronous={_SYNC}")
            except sqlite3.Error as e:
                raise explain(self.path, e, writing=True) from e

    @contextmanager
    def _reading(self, lock: threading.Lock | threading.RLock | None = None) -> Iterator[None]:
        """A read under `lock` (the writer connection's by default): an SQLite failure (a
        corrupt page met only now) comes out as SpoolError."""
        with lock or self._lock:
            try:
                yield
            except sqlite3.Error as e:
                raise explain(self.path, e, writing=False) from e

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._drops.report()
            close_all([self._reader, self._db])
