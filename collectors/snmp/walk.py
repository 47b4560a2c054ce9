"""Reading a profile's data from a device: GETs for scalars, GETBULK walks for tables.

Ask for what is read: columns are walked in groups of about the same length (the rows
each had last poll, or ifNumber the first time) with max-repetitions of that length + 1,
so a column is not dragged through rows of a longer neighbour; a column that ends is
dropped from the next request. A column empty last time costs one varbind a poll. A
group of known length is read to it exactly; whether each such group ends there is
asked at the end, all in one GETNEXT that also reads the poll's scalars: a UniFi AP is
three requests a poll, not five (each request is a send, a wait and an answer for both
sides: at 15,000 devices they were most of the poller's cost).

Degrade, don't fail: on tooBig the request shrinks (fewer repetitions, then fewer
columns, then GETNEXT); on genErr/noSuchName the offending column (error-index, or by
halving) is walked alone, then with GETNEXT, then skipped and named. What worked is kept
per device in `Memory` so the next poll starts from it. A table that will not end (an
agent that loops) is cut at `max_rows` and reported, never followed forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netagent.collectors.snmp import ber
from netagent.collectors.snmp.ber import VarBind
from netagent.collectors.snmp.counters import SnmpCounters
from netagent.collectors.snmp.errors import AgentError, TooBig
from netagent.collectors.snmp.transport import Session

Cell = tuple[int, ber.Value]  # (tag, value)
RETRY_EVERY = 10  # a skipped column is asked again every this many polls
_GROUP_SPREAD = 1.25  # columns whose row counts differ more go in separate requests
_SCALAR_CHUNK = 40


@dataclass(slots=True)
class ColumnData:
    """What a walk found under one column: row index (encoded suffix) -> cell."""

    rows: dict[bytes, Cell] = field(default_factory=dict)
    problem: str | None = None


@dataclass
class Memory:
    """What worked for one device, kept between polls."""

    rows: dict[bytes, int] = field(default_factory=dict)  # column -> rows last poll
    max_varbinds: int | None = None  # a request with more got tooBig
    vb_bytes: float = 0.0  # largest average varbind size seen in an answer
    getnext: set[bytes] = field(default_factory=set)  # fails in GETBULK, works in GETNEXT
    skipped: dict[bytes, str] = field(default_factory=dict)  # column -> error it causes
    polls: int = 0

    def dump(self) -> dict[str, Any]:
        """JSON-ready data (OIDs as hex) for `netagent.collectors.snmp.state`."""
        return {
            "rows": {c.hex(): n for c, n in self.rows.items()},
            "max_varbinds": self.max_varbinds,
            "vb_bytes": self.vb_bytes,
            "getnext": sorted(c.hex() for c in self.getnext),
            "skipped": {c.hex(): why for c, why in self.skipped.items()},
            "polls": self.polls,
        }

    @classmethod
    def restore(cls, d: dict[str, Any]) -> Memory:
        """From `dump()`'s data; raises KeyError/ValueError/TypeError if bad."""
        mv = d["max_varbinds"]
        return cls(
            rows={bytes.fromhex(c): int(n) for c, n in d["rows"].items()},
            max_varbinds=None if mv is None else int(mv),
            vb_bytes=float(d["vb_bytes"]),
            getnext={bytes.fromhex(c) for c in d["getnext"]},
            skipped={bytes.fromhex(c): str(why) for c, why in d["skipped"].items()},
            polls=int(d["polls"]),
        )


@dataclass(frozen=True)
class Limits:
    max_repetitions: int = 25
    max_varbinds: int = 256
    max_message_size: int | None = None  # bytes the agent can send in one answer
    max_rows: int = 5000


class Walker:
    """One device's reads in one poll; `problems` names what had to be left out."""

    def __init__(
        self,
        session: Session,
        memory: Memory | None = None,
        limits: Limits | None = None,
        counters: SnmpCounters | None = None,
    ) -> None:
        self.s = session
        self.mem = memory or Memory()
        self.lim = limits or Limits()
        self.counters = counters or SnmpCounters()
        self.problems: list[str] = []
        self.mem.polls += 1
        self._data: list[ColumnData] = []
        self._cols: list[bytes] = []
        self._pos: list[bytes] = []
        self._skipped_now: set[int] = set()
        self._unsure: list[list[int]] = []  # groups read to their known end, not checked
        self.then_read: dict[bytes, Cell] = {}  # the `then` scalars of `columns`

    # --- scalars --------------------------------------------------------------------

    async def scalars(self, oids: Sequence[bytes]) -> dict[bytes, Cell]:
        """GETs; absent objects are left out. An object the agent errors on is dropped
        and named; if every object errors, that error is the device's."""
        out: dict[bytes, Cell] = {}
        cap = min(_SCALAR_CHUNK, self._cap(oids))
        queue = [list(oids[i : i + cap]) for i in range(0, len(oids), cap)]
        dropped: list[bytes] = []
        last: AgentError | None = None
        while queue:
            part = queue.pop()
            try:
                vbs = await self.s.get(part)
            except AgentError as e:
                last = e
                v1_absent = e.name == "noSuchName" and not self.s.can_bulk
                if not v1_absent:
                    self.counters.request_splits += 1
                if len(part) == 1:
                    dropped.append(part[0])
                    if not v1_absent:
                        self.problems.append(
                            f"object {ber.oid_str(part[0])}: the agent answers {e.name} to it"
                        )
                elif not isinstance(e, TooBig) and 1 <= e.index <= len(part):
                    queue += [[part[e.index - 1]], part[: e.index - 1] + part[e.index :]]
                else:
                    queue += [part[: len(part) // 2], part[len(part) // 2 :]]
                continue
            self._learn_size(vbs)
            out.update((o, (t, v)) for o, t, v in vbs if t not in ber.EXCEPTIONS)
        if last is not None and len(dropped) == len(oids):
            raise last
        return out

    # --- tables ---------------------------------------------------------------------

    async def columns(
        self,
        columns: Sequence[bytes],
        hints: Sequence[int | None] | None = None,
        tables: Sequence[str] | None = None,
        then: Sequence[bytes] = (),
    ) -> list[ColumnData]:
        """Walks every column to the end of its subtree. `hints`: rows expected per
        column the first time (ifNumber for interfaces), None when unknown; `tables`:
        the table of each column (an empty table is probed with one column); `then`:
        scalars (`x.0`) to read as well, found in `self.then_read` afterwards: they share
        the request that checks where the tables end (`_check_ends`)."""
        self._data = [ColumnData() for _ in columns]
        self._cols = list(columns)
        self._pos = list(columns)
        self._skipped_now = set()
        mem = self.mem
        retry = mem.polls % RETRY_EVERY == 0
        families: dict[str, list[int]] = {}
        for i, c in enumerate(columns):
            if c in mem.skipped and not retry:
                why = f"{mem.skipped[c]} (remembered: asked again every {RETRY_EVERY}th poll)"
                self._skip(i, why)
            else:
                families.setdefault(tables[i] if tables else str(i), []).append(i)
        todo: list[int] = []
        probes: dict[int, list[int]] = {}  # first column of an empty table -> the others
        for idxs in families.values():
            known = [mem.rows.get(self._cols[i]) for i in idxs]
            if retry or any(k is None for k in known):
                todo += idxs
            elif not any(known):  # the whole table was empty: one column tells
                probes[idxs[0]] = idxs[1:]
            else:  # columns this device lacks while its table has rows: asked now and then
                todo += [i for i, k in zip(idxs, known, strict=True) if k]
        self._unsure = []
        for rows, exact, group in self._groups(todo, hints):
            await self._walk(group, rows, exact)
        self.then_read = await self._check_ends(then)
        if probes:
            await self._walk(list(probes), 0)
            rest = [j for i, others in probes.items() if self._data[i].rows for j in others]
            if rest:
                await self._walk(rest, None)
            todo += list(probes) + rest
        for i in todo:
            if i not in self._skipped_now:
                mem.rows[self._cols[i]] = len(self._data[i].rows)
        self.counters.varbinds_used += sum(len(d.rows) for d in self._data)
        return self._data

    def _groups(
        self, todo: list[int], hints: Sequence[int | None] | None
    ) -> list[tuple[int | None, bool, list[int]]]:
        """Columns by expected length: known from last poll (exact), else the hint, else
        None; columns of about the same length share requests."""
        expect: dict[int, int | None] = {}
        for i in todo:
            known = self.mem.rows.get(self._cols[i])
            expect[i] = known if known is not None else (hints[i] if hints else None)
        unknown = [i for i in todo if expect[i] is None]
        sized = sorted((i for i in todo if expect[i] is not None), key=lambda i: -(expect[i] or 0))
        groups: list[tuple[int | None, bool, list[int]]] = []
        for i in sized:
            n = expect[i] or 0
            # every 10th poll walks past the end of every column: a row that the column
            # checked for the end lacks is then seen too
            exact = self._cols[i] in self.mem.rows and self.mem.polls % RETRY_EVERY != 0
            if (
                groups
                and n * _GROUP_SPREAD >= (groups[-1][0] or 0)
                and (n > 0) == bool(groups[-1][0])
            ):
                top, was_exact, idxs = groups[-1]
                groups[-1] = (top, was_exact and exact, [*idxs, i])
            else:
                groups.append((n, exact, [i]))
        if unknown:
            groups.append((None, False, unknown))
        return groups

    def _cap(self, oids: Sequence[bytes]) -> int:
        """Most varbinds one answer may carry: configured, learned, and message size."""
        cap = self.lim.max_varbinds
        if self.mem.max_varbinds is not None:
            cap = min(cap, self.mem.max_varbinds)
        if self.lim.max_message_size is not None:
            guess = max(len(o) for o in oids) + 24 if oids else 40
            per_vb = max(self.mem.vb_bytes, guess)
            cap = min(cap, int((self.lim.max_message_size - self.s.overhead) // per_vb))
        return max(1, cap)

    def _learn_size(self, vbs: list[VarBind]) -> None:
        if self.s.last_size and vbs:
            per_vb = (self.s.last_size - self.s.overhead) / len(vbs)
            self.mem.vb_bytes = max(self.mem.vb_bytes, per_vb)

    def _skip(self, i: int, why: str) -> None:
        self._data[i].problem = f"skipped: the agent answers {why}"
        self.counters.columns_skipped += 1

    async def _walk(self, group: list[int], expect: int | None, exact: bool = False) -> None:
        """Walks a group of columns expected to hold `expect` rows (None: unknown).
        `exact`: the rows they had last poll; asked for exactly, then one column is checked
        to end there (1 varbind instead of one per column), in one GETNEXT with the other
        groups' checks and the poll's scalars (`_check_ends`)."""
        active = list(group)
        reps = self.lim.max_repetitions
        while active:
            if expect is not None:
                left = expect - max(len(self._data[i].rows) for i in active)
                exact = exact and expect > 0
                if exact and left == 0:  # checked with the other groups' ends
                    self._unsure.append(active)
                    return
                reps = min(left if exact else left + 1, self.lim.max_repetitions)
                if left < 0 or expect is None:  # longer than last time: full size
                    expect, reps = None, self.lim.max_repetitions
            oids = [self._pos[i] for i in active]
            cap = self._cap(oids)
            if len(active) > cap:  # even one repetition would be too big: fewer columns
                half = len(active) // 2
                await self._walk(active[:half], expect, exact)
                await self._walk(active[half:], expect, exact)
                return
            nxt = not self.s.can_bulk or any(self._cols[i] in self.mem.getnext for i in active)
            r = 1 if nxt else max(1, min(reps, cap // len(active)))
            try:
                vbs = await (self.s.next(oids) if nxt else self.s.bulk(oids, r))
            except AgentError as e:
                active = await self._degrade(active, expect, e, nxt, len(active) * r)
                continue
            self._learn_size(vbs)
            progressed, done = self._take(active, vbs)
            if not progressed and not done:
                for i in active:
                    self._data[i].problem = "GETBULK response made no progress"
                return
            active = [i for i in active if i not in done]

    async def _check_ends(self, then: Sequence[bytes]) -> dict[bytes, Cell]:
        """Whether the groups read to the length they had last poll end there, and the
        scalars `then`: one GETNEXT for all (one column of each group; a scalar `x.0` is
        the object after `x`), not a request per group and a GET. A group that goes on
        (grown since last poll) is walked on. If the agent balks at the shared request
        (an error, or not one varbind per OID), each group is asked alone and the
        scalars by GET (`scalars`); with no group to check, they are a GET anyway."""
        unsure, self._unsure = self._unsure, []
        firsts = [group[0] for group in unsure]
        ended: list[bool] | None = None
        got: dict[bytes, Cell] | None = None
        if firsts and len(firsts) + len(then) > 1 and all(map(_is_instance_zero, then)):
            asked = [self._pos[i] for i in firsts] + [o[:-1] for o in then]
            try:
                vbs = await self.s.next(asked) if len(asked) <= self._cap(asked) else []
            except AgentError:
                vbs = []
            if len(vbs) == len(asked):
                ended = [self._past(i, o, tag) for i, (o, tag, _) in zip(firsts, vbs, strict=False)]
                got = {
                    want: (tag, val)
                    for want, (o, tag, val) in zip(then, vbs[len(firsts) :], strict=True)
                    if o == want and tag not in ber.EXCEPTIONS
                }
        if ended is None:
            ended = [await self._ended(i) for i in firsts]
        if got is None:
            got = await self.scalars(then) if then else {}
        for group, end in zip(unsure, ended, strict=True):
            if not end:
                await self._walk(group, None)
        return got

    def _past(self, i: int, oid: bytes, tag: int) -> bool:
        """Whether the object after column i's last row read is outside the column."""
        prefix = self._cols[i]
        return tag == ber.END_OF_MIB_VIEW or not oid.startswith(prefix) or oid == prefix

    async def _ended(self, i: int) -> bool:
        """Whether column i has no row after the last one read."""
        try:
            ((oid, tag, _),) = await self.s.next([self._pos[i]])
        except AgentError as e:
            return e.name == "noSuchName"  # SNMPv1's end of the MIB; else walk on
        except ValueError:  # not exactly one varbind back: walk on to find out
            return False
        return self._past(i, oid, tag)

    async def _degrade(
        self, active: list[int], expect: int | None, e: AgentError, nxt: bool, asked: int
    ) -> list[int]:
        """The columns still to walk in this group after an error answer."""
        if e.name == "noSuchName" and nxt and 1 <= e.index <= len(active):
            return active[: e.index - 1] + active[e.index :]  # SNMPv1's end of the MIB
        self.counters.request_splits += 1
        if isinstance(e, TooBig) and asked > 1:
            self.mem.max_varbinds = max(1, asked // 2)
            return active
        if len(active) > 1:
            if not isinstance(e, TooBig) and 1 <= e.index <= len(active):
                bad = active[e.index - 1]
                await self._walk([bad], expect)
                return [i for i in active if i != bad]
            half = len(active) // 2
            await self._walk(active[:half], expect)
            return active[half:]
        (i,) = active
        col = self._cols[i]
        if not nxt:
            self.mem.getnext.add(col)
            return active
        self.mem.skipped[col] = e.name
        self._skipped_now.add(i)
        self._skip(i, f"{e.name} to it, even alone and with GETNEXT")
        return []

    def _take(self, active: list[int], vbs: list[VarBind]) -> tuple[bool, set[int]]:
        """Stores an answer's varbinds; returns (any column advanced, columns finished)."""
        n = len(active)
        done: set[int] = set()
        progressed = False
        max_rows = self.lim.max_rows
        cols, pos, data, end = self._cols, self._pos, self._data, ber.END_OF_MIB_VIEW
        for j, (oid, tag, val) in enumerate(vbs):  # the hot loop: locals only
            i = active[j % n]
            if i in done:
                continue
            prefix = cols[i]
            if tag == end or not oid.startswith(prefix) or oid == prefix:
                done.add(i)
                continue
            last = pos[i]
            # A column's first row follows the column itself: compared only after it.
            if (oid <= last or len(oid) != len(last)) and last != prefix and not _after(oid, last):
                data[i].problem = f"agent returned OIDs out of order at {ber.oid_str(oid)}"
                done.add(i)
                continue
            rows = data[i].rows
            rows[oid[len(prefix) :]] = (tag, val)
            pos[i] = oid
            progressed = True
            if len(rows) >= max_rows:
                data[i].problem = f"table cut at {max_rows} rows"
                done.add(i)
        return progressed, done


def _is_instance_zero(oid: bytes) -> bool:
    """Whether an encoded OID ends in sub-identifier 0 (a byte 0 not ending a longer one)."""
    return oid.endswith(b"\x00") and (len(oid) < 2 or not oid[-2] & 0x80)


def _after(oid: bytes, last: bytes) -> bool:
    """oid comes after last in OID order (byte order is exact only for equal-length ids)."""
    if oid > last and len(oid) == len(last):
        return True
    return ber.oid_decode(oid) > ber.oid_decode(last)


async def walk_columns(
    session: Session,
    columns: Sequence[bytes],
    max_repetitions: int,
    max_rows: int,
    max_varbinds: int = 256,
) -> list[ColumnData]:
    """Walks columns once with no memory of earlier polls (tools and benchmarks)."""
    limits = Limits(max_repetitions, max_varbinds, None, max_rows)
    return await Walker(session, limits=limits).columns(columns)
