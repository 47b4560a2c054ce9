"""Reading a profile's data from a device: one GET for scalars, GETBULK walks for tables.

All columns of a profile are walked side by side in the same GETBULK requests; each
column stops at the end of its own subtree, so a walk never wanders past what it asked for
and never reads a whole MIB. A table that will not end (a huge table or an agent that
loops) is cut at `max_rows` and reported, not followed forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from collectors.snmp import ber
from collectors.snmp.ber import VarBind
from collectors.snmp.transport import Session, TooBig

Cell = tuple[int, ber.Value]  # (tag, value)


@dataclass
class ColumnData:
    """What a walk found under one column: row index (encoded suffix) -> cell."""

    rows: dict[bytes, Cell] = field(default_factory=dict)
    problem: str | None = None


async def get_scalars(
    session: Session, oids: Sequence[bytes], chunk: int = 40
) -> dict[bytes, Cell]:
    """GETs several OIDs per request; absent objects (noSuch*) are left out."""
    out: dict[bytes, Cell] = {}
    for i in range(0, len(oids), chunk):
        for oid, tag, val in await session.get(oids[i : i + chunk]):
            if tag not in ber.EXCEPTIONS:
                out[oid] = (tag, val)
    return out


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
    """Walks every column to the end of its subtree with shared GETBULK requests."""
    data = [ColumnData() for _ in columns]
    pos = list(columns)
    active = [i for i, c in enumerate(columns) if c]
    reps = max(1, min(max_repetitions, max_varbinds // max(1, len(active))))
    while active:
        try:
            vbs: list[VarBind] = await session.bulk([pos[i] for i in active], reps)
        except TooBig:
            if reps == 1:
                raise
            reps = max(1, reps // 2)
            continue
        n = len(active)
        done: set[int] = set()
        progressed = False
        for j, (oid, tag, val) in enumerate(vbs):
            i = active[j % n]
            if i in done:
                continue
            prefix = columns[i]
            if tag == ber.END_OF_MIB_VIEW or not oid.startswith(prefix) or oid == prefix:
                done.add(i)
                continue
            if not _after(oid, pos[i]):
                data[i].problem = f"agent returned OIDs out of order at {ber.oid_str(oid)}"
                done.add(i)
                continue
            col = data[i]
            col.rows[oid[len(prefix) :]] = (tag, val)
            pos[i] = oid
            progressed = True
            if len(col.rows) >= max_rows:
                col.problem = f"table cut at {max_rows} rows"
                done.add(i)
        if not progressed and not done:
            for i in active:
                data[i].problem = "GETBULK response made no progress"
            break
        active = [i for i in active if i not in done]
    return data
