"""A small, fast SNMP v2c agent over snmprec data, for benchmarks and bad-peer tests.

snmpsim is the reference simulator (and what the lab uses), but it answers a few
hundred requests per second: a 1,000-device benchmark would measure snmpsim, not the
poller. This agent answers from a sorted table with the same .snmprec lines (including
`numeric` counters that grow with time), and `answer()` is the seam tests override to
misbehave (garbage, truncation, wrong types).
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from netagent.collectors.snmp import ber

_TAGS = {
    2: ber.INTEGER,
    4: ber.OCTET_STRING,
    6: ber.OBJECT_ID,
    64: ber.IP_ADDRESS,
    65: ber.COUNTER32,
    66: ber.GAUGE32,
    67: ber.TIMETICKS,
    70: ber.COUNTER64,
}


@dataclass(frozen=True)
class _Rec:
    oid: tuple[int, ...]
    raw: bytes
    tag: int
    value: ber.Value
    rate: float = 0.0  # numeric variation: value grows by rate per second


class Mib:
    """Sorted records of one simulated device."""

    def __init__(self, lines: Iterable[str]) -> None:
        recs = [_parse(line) for line in lines if line.strip() and not line.startswith("#")]
        recs.sort(key=lambda r: r.oid)
        self.recs = recs
        self.keys = [r.oid for r in recs]
        self.index = {r.raw: i for i, r in enumerate(recs)}  # walks ask for what we returned
        self.born = time.monotonic()

    def _val(self, r: _Rec) -> ber.VarBind:
        if r.rate and isinstance(r.value, int):
            bits = 64 if r.tag == ber.COUNTER64 else 32
            v = (r.value + int(r.rate * (time.monotonic() - self.born))) % (1 << bits)
            return r.raw, r.tag, v
        return r.raw, r.tag, r.value

    def get(self, raw: bytes) -> ber.VarBind:
        if (i := self.index.get(raw)) is not None:
            return self._val(self.recs[i])
        oid = ber.oid_decode(raw)
        i = bisect.bisect_left(self.keys, oid)
        if i < len(self.keys) and self.keys[i] == oid:
            return self._val(self.recs[i])
        return raw, ber.NO_SUCH_OBJECT, None

    def next(self, raw: bytes) -> ber.VarBind:
        i = self.index.get(raw)
        i = bisect.bisect_right(self.keys, ber.oid_decode(raw)) if i is None else i + 1
        if i < len(self.keys):
            return self._val(self.recs[i])
        return raw, ber.END_OF_MIB_VIEW, None

    def bulk(self, oids: list[bytes], reps: int) -> list[ber.VarBind]:
        out: list[ber.VarBind] = []
        cur = list(oids)
        for _ in range(reps):
            row = [self.next(o) for o in cur]
            out += row
            cur = [vb[0] for vb in row]
            if all(vb[1] == ber.END_OF_MIB_VIEW for vb in row):
                break
        return out


def _parse(line: str) -> _Rec:
    oid_s, tag_s, value_s = line.rstrip("\n").split("|", 2)
    rate = 0.0
    hexed = tag_s.endswith("x")
    tag_s = tag_s.rstrip("x")
    if ":" in tag_s:  # snmpsim variation: only `numeric` is understood
        tag_s, _module = tag_s.split(":", 1)
        opts = dict(kv.split("=", 1) for kv in value_s.split(",") if "=" in kv)
        value_s, rate = opts.get("initial", "0"), float(opts.get("rate", "0"))
    tag = _TAGS[int(tag_s)]
    raw = ber.oid_encode(oid_s)
    value: ber.Value
    if tag == ber.OCTET_STRING or tag == ber.IP_ADDRESS:
        value = bytes.fromhex(value_s) if hexed else value_s.encode()
        if tag == ber.IP_ADDRESS and not hexed:
            value = bytes(int(x) for x in value_s.split("."))
    elif tag == ber.OBJECT_ID:
        value = ber.oid_encode(value_s)
    else:
        value = int(float(value_s))
    return _Rec(ber.oid_decode(raw), raw, tag, value, rate)


class FakeAgent(asyncio.DatagramProtocol):
    """Serves one Mib on one UDP socket; any community is accepted."""

    def __init__(self, mib: Mib) -> None:
        self.mib = mib
        self.transport: asyncio.DatagramTransport | None = None
        self.requests = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.requests += 1
        reply = self.answer(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def answer(self, data: bytes) -> bytes | None:
        try:
            req = ber.decode_message(data, (ber.GET, ber.GETNEXT, ber.GETBULK))
        except ber.BerError:
            return None
        oids = [vb[0] for vb in req.varbinds]
        if req.pdu_type == ber.GET:
            vbs = [self.mib.get(o) for o in oids]
        elif req.pdu_type == ber.GETNEXT:
            vbs = [self.mib.next(o) for o in oids]
        else:
            vbs = self.mib.bulk(oids, max(1, req.error_index))
        return ber.encode_message(ber.RESPONSE, req.community, req.request_id, vbs)


async def serve(host: str, port: int, agent: FakeAgent) -> asyncio.DatagramTransport:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: agent, local_addr=(host, port))
    return transport


def serve_lab(manifest: Path) -> None:
    """Serves every device of a `simlab.write_lab` manifest until interrupted.

    Devices sharing an address:port would be ambiguous without communities: the first
    one listed there wins. An address that does not exist here (the demo lab namespace
    holds only the devices meant to be up) is skipped: that device is down.
    """
    entries = json.loads(manifest.read_text())

    async def main() -> None:
        seen: set[tuple[str, int]] = set()
        skipped = 0
        for e in entries:
            key = (e["address"], int(e["port"]))
            if key in seen:
                continue
            seen.add(key)
            lines = (manifest.parent / e["file"]).read_text().splitlines()
            try:
                await serve(key[0], key[1], FakeAgent(Mib(lines)))
            except OSError:
                skipped += 1
        # The tables live as long as the process: out of the cyclic GC's reach, so a full
        # collection does not walk millions of records while every agent waits (at 15,000
        # devices, bursts of answers slower than the poller's timeout came every 2-2.5
        # minutes; fewer with this, not gone: their cause is not pinned down).
        gc.freeze()
        print(
            f"serving {len(seen) - skipped} simulated SNMP agents ({skipped} addresses "
            "absent here)",
            flush=True,
        )
        await asyncio.Event().wait()

    asyncio.run(main())


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m netagent.agent.demo.fakeagent LAB.json")
    serve_lab(Path(sys.argv[1]))
