"""ICMP echo packets: scapy builds each round's template, struct patches and reads.

scapy lays out the echo request (and its checksum) once per round and family; every
echo of the round is that template with its identifier, sequence and checksum patched
in, because building one scapy packet costs ~0.3 ms and a sweep sends thousands.
Replies are read with one struct unpack of the fixed echo header plus the 8-byte token
we put at the start of the payload, for the same reason: scapy dissects ~10x slower
than the kernel delivers. scapy still dissects anything unexpected for the debug log.

scapy is imported where a template is built or a packet described, not with this module:
its import is a quarter of a second that every CLI command paid at start, and only a
prober (and a debug log) needs it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from scapy.packet import Packet

ECHO_REPLY_V4 = 0
ECHO_REQUEST_V4 = 8
ECHO_REQUEST_V6 = 128
ECHO_REPLY_V6 = 129

# type, code, checksum, identifier, sequence, then our token: prober cookie, round number
HEADER = struct.Struct("!BBHHH")
REPLY = struct.Struct("!BBHHHII")
TOKEN = struct.Struct("!II")


def payload(cookie: int, round_number: int, size: int) -> bytes:
    """The token that ties a reply to this prober and round, padded like ping's pattern."""
    pad = bytes(i & 0xFF for i in range(8, size))
    return TOKEN.pack(cookie, round_number) + pad


@dataclass(frozen=True, slots=True)
class EchoTemplate:
    """An echo request with identifier and sequence zero, ready to be patched per echo.

    `kernel_checksum`: the kernel fills the checksum (ICMPv6 always, it needs the IPv6
    pseudo-header; Linux ping sockets too), so we leave it zero.
    """

    type: int
    code: int
    checksum: int
    body: bytes
    kernel_checksum: bool

    @classmethod
    def build(cls, v6: bool, data: bytes, kernel_checksum: bool) -> EchoTemplate:
        from scapy.layers.inet import ICMP
        from scapy.layers.inet6 import ICMPv6EchoRequest
        from scapy.packet import Raw

        if v6:
            raw = bytes(ICMPv6EchoRequest(id=0, seq=0, data=data, cksum=0))
        else:
            raw = bytes(ICMP(type=ECHO_REQUEST_V4, code=0, id=0, seq=0) / Raw(data))
        type_, code, checksum, _, _ = HEADER.unpack_from(raw)
        return cls(type_, code, checksum, raw[HEADER.size :], kernel_checksum or v6)

    def packet(self, ident: int, seq: int) -> bytes:
        """The template with `ident`/`seq`; checksum updated incrementally (RFC 1624)."""
        if self.kernel_checksum:
            checksum = 0
        else:
            s = (~self.checksum & 0xFFFF) + ident + seq
            s = (s & 0xFFFF) + (s >> 16)
            s = (s & 0xFFFF) + (s >> 16)
            checksum = ~s & 0xFFFF
        return HEADER.pack(self.type, self.code, checksum, ident, seq) + self.body


def describe(data: bytes, v6: bool, offset: int) -> str:
    """scapy's one-line dissection of a packet we could not match (debug logs only)."""
    from scapy.layers.inet import ICMP
    from scapy.layers.inet6 import icmp6typescls
    from scapy.packet import Raw

    body = data[offset:]
    if not body:
        return "empty packet"
    cls = cast("type[Packet]", icmp6typescls.get(body[0], Raw)) if v6 else ICMP
    pkt = cls(body)
    return str(pkt.summary())
