"""Sending SNMP requests: one shared UDP socket for v2c, pysnmp's engine for v3.

Every request of a device shares that device's deadline: a request is re-sent after
`timeout` seconds, then twice as long each time, until the answer arrives or the deadline
passes, so a dead device costs exactly its deadline, whatever the number of OIDs, and
never blocks the socket others use.

An answer that cannot be used is never silent: one with a request-id this socket never
sent, one that comes after its request was given up (and how late), an SNMPv1 answer to a
v2c request: each is noted against its agent and named in that device's error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import socket
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from netagent.collectors.netns import open_socket_in
from netagent.collectors.snmp import ber
from netagent.collectors.snmp.ber import VarBind
from netagent.collectors.snmp.counters import SnmpCounters
from netagent.collectors.snmp.errors import SnmpError, raise_for_status

__all__ = ["Reply", "Session", "SnmpError", "V2cClient", "V2cSession"]

_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; absent from Python 3.11
_RCVBUF = 16 << 20


class Session(Protocol):
    """What the walker needs from a device connection, whatever the SNMP version."""

    served: int  # varbinds received so far
    last_size: int  # bytes of the last answer; 0 when unknown

    @property
    def can_bulk(self) -> bool:  # SNMPv1 has no GETBULK: walks use GETNEXT
        ...

    @property
    def overhead(self) -> int:  # bytes of a message around its varbinds (size limits)
        ...

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]: ...
    async def next(self, oids: Sequence[bytes]) -> list[VarBind]: ...
    async def bulk(
        self, oids: Sequence[bytes], max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]: ...


@dataclass
class _Peer:
    """Per-address notes: why a device's answers were unusable, for its error message."""

    malformed: int = 0
    last_problem: str = ""
    wrong_ids: int = 0
    late: int = 0
    late_s: float = 0.0  # the latest answer's delay after its request was first sent


@dataclass
class _Pending:
    future: asyncio.Future[ber.Message]
    addr: tuple[str, int]
    community: bytes
    version: int
    first_sent: float
    size: int = 0


@dataclass
class Reply:
    varbinds: list[VarBind]
    sends: int
    latency_s: float  # from the first send to the answer
    size: int


_RECENT = 65536  # request-ids remembered after they end, to recognise late answers
_VERSION_NAMES = {ber.V1: "SNMPv1", ber.V2C: "SNMPv2c"}


class V2cClient(asyncio.DatagramProtocol):
    """One UDP socket for every v1/v2c device; answers are routed by request-id and address."""

    def __init__(self, netns: str | None = None, counters: SnmpCounters | None = None) -> None:
        self.netns = netns  # open the socket inside this network namespace (the demo lab)
        self.counters = counters or SnmpCounters()
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self._pending: dict[int, _Pending] = {}
        self._recent: OrderedDict[int, tuple[tuple[str, int], float]] = OrderedDict()
        self._asked: dict[tuple[str, int], int] = {}  # addresses with requests in flight
        self._peers: dict[tuple[str, int], _Peer] = {}
        self._ids = itertools.count(1)
        self.stray = 0  # duplicate or foreign datagrams, dropped
        self.dual_stack = False

    async def resolve(self, host: str, port: int) -> tuple[str, int]:
        """The address answers will come from, in this socket's form (names resolved once)."""
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
            except OSError as e:
                raise SnmpError("resolve", f"cannot resolve {host!r}: {e}") from None
            ip = ipaddress.ip_address(infos[0][4][0])
        if self.dual_stack:
            return (f"::ffff:{ip}" if ip.version == 4 else str(ip)), port
        if ip.version == 6:
            raise SnmpError("config", f"{ip}: IPv6 is not available on this host")
        return str(ip), port

    def _socket(self, family: int) -> socket.socket:
        if self.netns is None:
            return socket.socket(family, socket.SOCK_DGRAM)
        return open_socket_in(self.netns, family, socket.SOCK_DGRAM)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # One dual-stack socket (IPv4 peers as ::ffff:a.b.c.d); IPv4 only if v6 is off.
        try:
            sock = self._socket(socket.AF_INET6)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(("::", 0))
            self.dual_stack = True
        except OSError:
            sock = self._socket(socket.AF_INET)
            sock.bind(("0.0.0.0", 0))
            self.dual_stack = False
        # Hundreds of ~8 KB answers may land between two reads of the event loop; the
        # kernel caps SO_RCVBUF at net.core.rmem_max (often 208 KB), so as root force it.
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        self._sock = sock
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport = transport

    def close(self) -> None:
        if self._transport is not None:
            try:
                self._transport.close()
            except RuntimeError:  # its event loop is already closed: close the socket
                if self._sock is not None:
                    self._sock.close()
            self._transport = None
        for p in self._pending.values():
            if not p.future.done():
                p.future.cancel()
        self._pending.clear()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        key = (addr[0], addr[1])
        try:
            resp = ber.decode_response(data)
        except ber.BerError as e:
            peer = self._peers.setdefault(key, _Peer())
            peer.malformed += 1
            peer.last_problem = f"malformed response ({e})"
            return
        p = self._pending.get(resp.request_id)
        if p is None or p.addr != key:
            self._unexpected(key, resp.request_id)
            return
        if p.community != resp.community or p.future.done():
            self.stray += 1
            return
        if resp.version != p.version:
            got, want = _VERSION_NAMES[resp.version], _VERSION_NAMES[p.version]
            p.future.set_exception(
                SnmpError(
                    "protocol",
                    f"the agent answered in {got} to an {want} request "
                    f"(set this device's SNMP version to match)",
                )
            )
            return
        p.size = len(data)
        p.future.set_result(resp)

    def _unexpected(self, key: tuple[str, int], rid: int) -> None:
        """An answer nobody waits for: late (its request was given up), or a request-id
        this socket never sent to that agent (a broken agent or a rewriting middlebox)."""
        recent = self._recent.get(rid)
        if recent is not None and recent[0] == key:
            peer = self._peers.setdefault(key, _Peer())
            peer.late += 1
            peer.late_s = asyncio.get_running_loop().time() - recent[1]
            self.counters.late_answers += 1
        elif key in self._asked:
            self._peers.setdefault(key, _Peer()).wrong_ids += 1
            self.counters.wrong_request_ids += 1
        else:
            self.stray += 1

    def late_note(self, addr: tuple[str, int]) -> str | None:
        """Answers of this agent that came after the poller gave up, since the last note."""
        peer = self._peers.get(addr)
        if peer is None or not peer.late:
            return None
        n, late_s = peer.late, peer.late_s
        peer.late = 0
        return (
            f"late answers: {n} came after their request was given up, the last "
            f"{late_s:.2f} s after it was sent (slow agent: raise request_timeout_s or "
            "device_deadline_s)"
        )

    def session(
        self,
        host: str,
        port: int,
        community: bytes,
        deadline: float,
        timeout: float,
        version: int = ber.V2C,
    ) -> V2cSession:
        return V2cSession(self, host, port, community, deadline, timeout, version)

    async def request(
        self,
        addr: tuple[str, int],
        community: bytes,
        pdu: int,
        oids: Sequence[bytes],
        a: int,
        b: int,
        deadline: float,
        timeout: float,
        version: int = ber.V2C,
    ) -> Reply:
        if self._transport is None:
            raise RuntimeError("V2cClient.start() was not awaited")
        loop = asyncio.get_running_loop()
        rid = next(self._ids) & 0x7FFFFFFF
        msg = ber.encode_request(pdu, community, rid, list(oids), a, b, version)
        fut: asyncio.Future[ber.Message] = loop.create_future()
        first = loop.time()
        pending = self._pending[rid] = _Pending(fut, addr, community, version, first)
        self._asked[addr] = self._asked.get(addr, 0) + 1
        sent = 0
        transport = self._transport
        handle: asyncio.TimerHandle | None = None

        # Re-send on a timer instead of a task per attempt: cheap with thousands in flight.
        # The timer is handed the function rather than it naming itself: a closure that
        # names itself is a reference cycle, holding the answer, that only the cyclic GC
        # frees (at thousands of requests a cycle, a quarter of the poller's CPU).
        def send(again: Callable[..., None]) -> None:
            nonlocal sent, handle
            if fut.done():
                return
            if loop.time() >= deadline:
                fut.set_exception(SnmpError("timeout", self._why_silent(addr, sent)))
                return
            transport.sendto(msg, addr)
            sent += 1
            # Back off (x2 per re-send): a slow agent is not drowned in its own retries.
            when = min(loop.time() + timeout * 2 ** (sent - 1), deadline)
            handle = loop.call_at(when, again, again)

        send(send)
        try:
            resp = await fut
        finally:
            del self._pending[rid]
            if not fut.done() or fut.cancelled() or fut.exception() is not None:
                self._recent[rid] = (addr, first)  # an answer may still come: late
                if len(self._recent) > _RECENT:
                    self._recent.popitem(last=False)
            if (left := self._asked[addr] - 1) > 0:
                self._asked[addr] = left
            else:
                del self._asked[addr]
            if handle is not None:
                handle.cancel()
        raise_for_status(resp.error_status, resp.error_index)
        return Reply(resp.varbinds, sent, loop.time() - first, pending.size)

    def _why_silent(self, addr: tuple[str, int], sent: int) -> str:
        peer = self._peers.pop(addr, None)
        why = f"no answer after {sent} request(s) (device down, or wrong community)"
        if peer and peer.malformed:
            why = f"no valid answer after {sent} request(s): {peer.malformed} {peer.last_problem}"
        elif peer and peer.wrong_ids:
            why = (
                f"no valid answer after {sent} request(s): {peer.wrong_ids} answer(s) carried "
                "a request-id that was never sent (agent bug, or a device rewriting them)"
            )
        if peer and peer.late:
            why += (
                f"; {peer.late} earlier answer(s) came late, the last {peer.late_s:.2f} s "
                "after its request: a slow agent, not a dead one"
            )
        return why


@dataclass
class V2cSession:
    client: V2cClient
    host: str
    port: int
    community: bytes
    deadline: float
    timeout: float
    version: int = ber.V2C
    requests: int = field(default=0)
    served: int = 0
    last_size: int = 0
    resends: int = 0
    slowest_s: float = 0.0  # the slowest answer that needed a re-send
    addr: tuple[str, int] | None = None

    @property
    def can_bulk(self) -> bool:
        return self.version != ber.V1

    @property
    def overhead(self) -> int:
        return 40 + len(self.community)

    async def _request(self, pdu: int, oids: Sequence[bytes], a: int, b: int) -> list[VarBind]:
        if self.addr is None:
            self.addr = await self.client.resolve(self.host, self.port)
        self.requests += 1
        r = await self.client.request(
            self.addr, self.community, pdu, oids, a, b, self.deadline, self.timeout, self.version
        )
        self.served += len(r.varbinds)
        self.last_size = r.size
        if r.sends > 1:
            self.resends += r.sends - 1
            self.slowest_s = max(self.slowest_s, r.latency_s)
        return r.varbinds

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]:
        return await self._request(ber.GET, oids, 0, 0)

    async def next(self, oids: Sequence[bytes]) -> list[VarBind]:
        return await self._request(ber.GETNEXT, oids, 0, 0)

    async def bulk(
        self, oids: Sequence[bytes], max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        return await self._request(ber.GETBULK, oids, non_repeaters, max_repetitions)

    def notes(self) -> list[str]:
        """Problem lines about how this device answered (slow, late), for its outcome."""
        out = []
        if self.resends:
            out.append(
                f"slow answers: {self.resends} request(s) re-sent, the slowest answered "
                f"{self.slowest_s:.2f} s after it was first sent (request_timeout_s "
                f"{self.timeout:g} s)"
            )
        if self.addr is not None and (late := self.client.late_note(self.addr)):
            out.append(late)
        return out
