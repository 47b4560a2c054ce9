"""The durable local store of samples (SQLite in WAL mode).

Every sample is committed here before anything else happens to it. Two tables:
`samples` is the history (what a writer delivers to InfluxDB, and what `netagent query`
reads when no InfluxDB is configured), `latest` keeps the newest point of every series
whatever happened to the history, so `netagent status` works with or without InfluxDB.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from collectors.samples import Sample

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL,
    time_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS samples_m_t ON samples(measurement, time_ns);
CREATE TABLE IF NOT EXISTS latest (
    series TEXT PRIMARY KEY,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,
    fields TEXT NOT NULL,
    time_ns INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS latest_m ON latest(measurement);
"""


def _row_to_sample(row: Sequence[object]) -> Sample:
    measurement, tags, fields, time_ns = row
    return Sample(
        str(measurement), json.loads(str(tags)), json.loads(str(fields)), int(str(time_ns)))


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives power loss, not only a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def put(self, samples: Iterable[Sample]) -> int:
        """Commit samples durably in one transaction; returns how many were stored."""
        rows = [
            (s.measurement, json.dumps(dict(s.tags), sort_keys=True),
             json.dumps(dict(s.fields), sort_keys=True), s.time_ns, s.series_key())
            for s in samples
        ]
        if not rows:
            return 0
        with self._transaction():
            self._db.executemany(
                "INSERT INTO samples(measurement, tags, fields, time_ns) VALUES (?,?,?,?)",
                [r[:4] for r in rows],
            )
            self._db.executemany(
                "INSERT INTO latest(series, measurement, tags, fields, time_ns) VALUES (?,?,?,?,?)"
                " ON CONFLICT(series) DO UPDATE SET fields=excluded.fields,"
                " time_ns=excluded.time_ns WHERE excluded.time_ns >= latest.time_ns",
                [(r[4], r[0], r[1], r[2], r[3]) for r in rows],
            )
        return len(rows)

    def latest(self, measurement: str) -> list[Sample]:
        cur = self._db.execute(
            "SELECT measurement, tags, fields, time_ns FROM latest WHERE measurement=?"
            " ORDER BY series",
            (measurement,),
        )
        return [_row_to_sample(r) for r in cur]

    def query(
        self,
        measurement: str,
        since_ns: int | None = None,
        tags: Mapping[str, str] | None = None,
        limit: int | None = None,
    ) -> list[Sample]:
        """History of one measurement, oldest first, optionally filtered by tag values."""
        sql = "SELECT measurement, tags, fields, time_ns FROM samples WHERE measurement=?"
        args: list[object] = [measurement]
        if since_ns is not None:
            sql += " AND time_ns >= ?"
            args.append(since_ns)
        for k, v in (tags or {}).items():
            sql += " AND json_extract(tags, ?) = ?"
            args += [f"$.{json.dumps(k)}", v]
        sql += " ORDER BY time_ns, id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [_row_to_sample(r) for r in self._db.execute(sql, args)]

    def _transaction(self) -> _Tx:
        return _Tx(self._db)

    def close(self) -> None:
        self._db.close()


class _Tx:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception: all or nothing."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
