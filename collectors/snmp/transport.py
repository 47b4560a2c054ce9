"""Sending SNMP requests: one shared UDP socket for v2c, pysnmp's engine for v3.

Every request of a device shares that device's deadline: a request is re-sent after
`timeout` seconds, then twice as long each time, until the answer arrives or the deadline
passes, so a dead device costs exactly its deadline, whatever the number of OIDs, and
never blocks the socket others use.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from collectors.netns import open_socket_in
from collectors.snmp import ber
from collectors.snmp.ber import VarBind

_ERROR_STATUS = {
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}


_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; absent from Python 3.11
_RCVBUF = 16 << 20


class SnmpError(Exception):
    """A request failed; `kind` is short and stable (timeout, auth, agent-error, malformed…)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class TooBig(SnmpError):
    def __init__(self) -> None:
        super().__init__("agent-error", "tooBig")


class Session(Protocol):
    """What the walker needs from a device connection, whatever the SNMP version."""

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]: ...
    async def bulk(self, oids: Sequence[bytes], max_repetitions: int) -> list[VarBind]: ...


@dataclass
class _Peer:
    """Per-address notes: why a device's answers were unusable, for its error message."""

    malformed: int = 0
    last_problem: str = ""


@dataclass
class _Pending:
    future: asyncio.Future[ber.Message]
    addr: tuple[str, int]
    community: bytes


class V2cClient(asyncio.DatagramProtocol):
    """One UDP socket for every v2c device; answers are routed by request-id and address."""

    def __init__(self, netns: str | None = None) -> None:
        self.netns = netns  # open the socket inside this network namespace (the demo lab)
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self._pending: dict[int, _Pending] = {}
        self._peers: dict[tuple[str, int], _Peer] = {}
        self._ids = itertools.count(1)
        self.stray = 0  # late, duplicate or foreign datagrams, dropped
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
        if p is None or p.addr != key or p.community != resp.community or p.future.done():
            self.stray += 1
            return
        p.future.set_result(resp)

    def session(
        self, host: str, port: int, community: bytes, deadline: float, timeout: float
    ) -> V2cSession:
        return V2cSession(self, host, port, community, deadline, timeout)

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
    ) -> list[VarBind]:
        if self._transport is None:
            raise RuntimeError("V2cClient.start() was not awaited")
        loop = asyncio.get_running_loop()
        rid = next(self._ids) & 0x7FFFFFFF
        msg = ber.encode_request(pdu, community, rid, list(oids), a, b)
        fut: asyncio.Future[ber.Message] = loop.create_future()
        self._pending[rid] = _Pending(fut, addr, community)
        sent = 0
        transport = self._transport
        handle: asyncio.TimerHandle | None = None

        # Re-send on a timer instead of a task per attempt: cheap with thousands in flight.
        def send() -> None:
            nonlocal sent, handle
            if fut.done():
                return
            if loop.time() >= deadline:
                fut.set_exception(SnmpError("timeout", self._why_silent(addr, sent)))
                return
            transport.sendto(msg, addr)
            sent += 1
            # Back off (x2 per re-send): a slow agent is not drowned in its own retries.
            handle = loop.call_at(min(loop.time() + timeout * 2 ** (sent - 1), deadline), send)

        send()
        try:
            resp = await fut
        finally:
            del self._pending[rid]
            if handle is not None:
                handle.cancel()
        if resp.error_status:
            if resp.error_status == 1:
                raise TooBig()
            name = _ERROR_STATUS.get(resp.error_status, str(resp.error_status))
            raise SnmpError("agent-error", f"{name} at varbind {resp.error_index}")
        return resp.varbinds

    def _why_silent(self, addr: tuple[str, int], sent: int) -> str:
        peer = self._peers.pop(addr, None)
        if peer and peer.malformed:
            return f"no valid answer after {sent} request(s): {peer.malformed} {peer.last_problem}"
        return f"no answer after {sent} request(s) (device down, or wrong community)"


@dataclass
class V2cSession:
    client: V2cClient
    host: str
    port: int
    community: bytes
    deadline: float
    timeout: float
    requests: int = field(default=0)
    addr: tuple[str, int] | None = None

    async def _request(self, pdu: int, oids: Sequence[bytes], a: int, b: int) -> list[VarBind]:
        if self.addr is None:
            self.addr = await self.client.resolve(self.host, self.port)
        self.requests += 1
        return await self.client.request(
            self.addr, self.community, pdu, oids, a, b, self.deadline, self.timeout
        )

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]:
        return await self._request(ber.GET, oids, 0, 0)

    async def bulk(self, oids: Sequence[bytes], max_repetitions: int) -> list[VarBind]:
        return await self._request(ber.GETBULK, oids, 0, max_repetitions)
