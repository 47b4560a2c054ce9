"""A minimal BER codec for SNMPv2c messages: the poller's hot path.

pysnmp decodes through pyasn1, which tops out near 21k varbinds/s per core; a v2c
response is a fixed, shallow structure, so a hand-rolled decoder that slices bytes and
keeps OIDs in their encoded form is several times faster. OIDs stay as their BER content
bytes: sub-identifiers are self-delimiting, so "is X under subtree P" is
`X.startswith(P)` and the index of a table row is the bytes after the column prefix.
Anything malformed raises `BerError`, which the caller records against the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

# Application/context tags of SNMP values.
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_ID: Final = 0x06
IP_ADDRESS: Final = 0x40
COUNTER32: Final = 0x41
GAUGE32: Final = 0x42
TIMETICKS: Final = 0x43
OPAQUE: Final = 0x44
COUNTER64: Final = 0x46
NO_SUCH_OBJECT: Final = 0x80
NO_SUCH_INSTANCE: Final = 0x81
END_OF_MIB_VIEW: Final = 0x82

# Message version field: 0 is SNMPv1, 1 is SNMPv2c.
V1: Final = 0
V2C: Final = 1

GET: Final = 0xA0
GETNEXT: Final = 0xA1
RESPONSE: Final = 0xA2
GETBULK: Final = 0xA5

EXCEPTIONS: Final = frozenset({NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW})
_UNSIGNED: Final = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})
TAG_NAMES: Final = {
    NO_SUCH_OBJECT: "noSuchObject",
    NO_SUCH_INSTANCE: "noSuchInstance",
    END_OF_MIB_VIEW: "endOfMibView",
}

Value = int | bytes | None
VarBind = tuple[bytes, int, Value]  # (encoded OID, tag, value)


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message."""


def oid_encode(dotted: str) -> bytes:
    """'1.3.6.1.2.1' -> BER content bytes (without tag and length)."""
    try:
        parts = [int(p) for p in dotted.strip().strip(".").split(".")]
    except ValueError:
        raise ValueError(f"{dotted!r} is not a numeric OID") from None
    if len(parts) < 2 or parts[0] > 2 or min(parts) < 0:
        raise ValueError(f"{dotted!r} is not a numeric OID")
    return b"".join(_subid(p) for p in [parts[0] * 40 + parts[1], *parts[2:]])


def _subid(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    chunks = [n & 0x7F]
    n >>= 7
    while n:
        chunks.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(chunks))


def oid_decode(raw: bytes, whole: bool = True) -> tuple[int, ...]:
    """Sub-identifiers of an OID; whole=False for a suffix (a row index: no 40*x+y head)."""
    if not raw:
        return ()
    out: list[int] = []
    n = 0
    for b in raw:
        n = (n << 7) | (b & 0x7F)
        if not b & 0x80:
            out.append(n)
            n = 0
    if raw[-1] & 0x80:
        raise BerError("OID ends inside a sub-identifier")
    if not whole:
        return tuple(out)
    first = out[0]
    head = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    return (*head, *out[1:])


def oid_str(raw: bytes, whole: bool = True) -> str:
    return ".".join(map(str, oid_decode(raw, whole)))


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _len(len(body)) + body


def _int(n: int) -> bytes:
    return _tlv(INTEGER, n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big", signed=True))


def _value(tag: int, val: Value) -> bytes:
    if val is None:
        return bytes((tag, 0))
    if isinstance(val, bytes):
        return _tlv(tag, val)
    if tag == INTEGER:
        return _int(val)
    return _tlv(tag, val.to_bytes(val.bit_length() // 8 + 1, "big"))  # unsigned, minimal


def encode_message(
    pdu_type: int,
    community: bytes,
    request_id: int,
    varbinds: Sequence[VarBind],
    a: int = 0,
    b: int = 0,
    version: int = V2C,
) -> bytes:
    """A v1/v2c message: a and b are error-status/index, or non-repeaters/max-repetitions."""
    vbs = b"".join(_tlv(0x30, _tlv(OBJECT_ID, o) + _value(t, v)) for o, t, v in varbinds)
    return _message(pdu_type, community, request_id, vbs, a, b, version)


def _message(
    pdu_type: int, community: bytes, request_id: int, vbs: bytes, a: int, b: int, version: int
) -> bytes:
    """The message around encoded varbinds."""
    pdu = _tlv(pdu_type, _int(request_id) + _int(a) + _int(b) + _tlv(0x30, vbs))
    return _tlv(0x30, _int(version) + _tlv(OCTET_STRING, community) + pdu)


def encode_request(
    pdu_type: int,
    community: bytes,
    request_id: int,
    oids: list[bytes],
    a: int = 0,
    b: int = 0,
    version: int = V2C,
) -> bytes:
    """A GET/GETNEXT (a=b=0) or GETBULK (a=non-repeaters, b=max-repetitions).

    Every varbind is an OID and a NULL: one whose OID is under 124 bytes (all of them in
    practice) has one-byte lengths and is built in one step, not through `_tlv` three
    times (a poller encodes a request for every answer it reads)."""
    vbs = b"".join(
        bytes((0x30, len(o) + 4, OBJECT_ID, len(o))) + o + _NULL_VALUE
        if len(o) < 124
        else _tlv(0x30, _tlv(OBJECT_ID, o) + _NULL_VALUE)
        for o in oids
    )
    return _message(pdu_type, community, request_id, vbs, a, b, version)


_NULL_VALUE: Final = bytes((NULL, 0))


def _hdr(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Reads tag and length at pos; returns (tag, content start, content end)."""
    if pos + 2 > end:
        raise BerError(f"truncated at byte {pos}")
    tag = data[pos]
    ln = data[pos + 1]
    pos += 2
    if ln & 0x80:
        k = ln & 0x7F
        if k == 0 or k > 4 or pos + k > end:
            raise BerError(f"bad length at byte {pos - 1}")
        ln = int.from_bytes(data[pos : pos + k], "big")
        pos += k
    if pos + ln > end:
        raise BerError(f"truncated: element at byte {pos} needs {ln} bytes")
    return tag, pos, pos + ln


def _read_int(data: bytes, pos: int, end: int) -> tuple[int, int]:
    tag, s, e = _hdr(data, pos, end)
    if tag != INTEGER or s == e:
        raise BerError(f"expected INTEGER at byte {pos}, found tag 0x{tag:02x}")
    return int.from_bytes(data[s:e], "big", signed=True), e


class Message:
    """A decoded v1/v2c message; error_status/index are non-repeaters/max-reps in GETBULK."""

    __slots__ = (
        "community",
        "error_index",
        "error_status",
        "pdu_type",
        "request_id",
        "varbinds",
        "version",
    )

    def __init__(
        self,
        pdu_type: int,
        community: bytes,
        request_id: int,
        error_status: int,
        error_index: int,
        varbinds: list[VarBind],
        version: int = V2C,
    ) -> None:
        self.version = version
        self.pdu_type = pdu_type
        self.community = community
        self.request_id = request_id
        self.error_status = error_status
        self.error_index = error_index
        self.varbinds = varbinds


Response = Message


def decode_response(data: bytes) -> Message:
    """Decodes a v1/v2c Response; raises BerError on anything else or anything malformed."""
    return decode_message(data, (RESPONSE,))


def decode_message(data: bytes, pdu_types: tuple[int, ...]) -> Message:
    """Decodes a v1/v2c message whose PDU is one of `pdu_types`."""
    end = len(data)
    tag, pos, end = _hdr(data, 0, end)
    if tag != 0x30:
        raise BerError(f"not an SNMP message (starts with 0x{tag:02x})")
    version, pos = _read_int(data, pos, end)
    if version not in (0, 1):
        raise BerError(f"unexpected SNMP version {version}")
    tag, s, pos = _hdr(data, pos, end)
    if tag != OCTET_STRING:
        raise BerError("community is not an OCTET STRING")
    community = data[s:pos]
    tag, pos, pend = _hdr(data, pos, end)
    if tag not in pdu_types:
        raise BerError(f"unexpected PDU type 0x{tag:02x}")
    pdu_type = tag
    request_id, pos = _read_int(data, pos, pend)
    error_status, pos = _read_int(data, pos, pend)
    error_index, pos = _read_int(data, pos, pend)
    tag, pos, vend = _hdr(data, pos, pend)
    if tag != 0x30:
        raise BerError("varbind list is not a SEQUENCE")
    varbinds: list[VarBind] = []
    append = varbinds.append
    frm = int.from_bytes
    try:
        while pos < vend:
            # The hot path: one-byte lengths (all but long strings) read inline, `_hdr`
            # only for the long form; an index past the end is a truncation.
            if data[pos] != 0x30:
                raise BerError(f"varbind at byte {pos} is not a SEQUENCE")
            ln = data[pos + 1]
            if ln & 0x80:
                _, s, vbend = _hdr(data, pos, vend)
            else:
                s, vbend = pos + 2, pos + 2 + ln
                if vbend > vend:
                    raise BerError(f"truncated: varbind at byte {pos} needs {ln} bytes")
            if data[s] != OBJECT_ID:
                raise BerError(f"varbind name at byte {s} is not an OID")
            ln = data[s + 1]
            if ln & 0x80:
                _, s, e = _hdr(data, s, vbend)
            else:
                s, e = s + 2, s + 2 + ln
            oid = data[s:e]
            if e + 2 > vbend:
                raise BerError(f"truncated: varbind at byte {pos} has no value")
            tag, ln = data[e], data[e + 1]
            if ln & 0x80:
                tag, s, pos = _hdr(data, e, vbend)
            else:
                s, pos = e + 2, e + 2 + ln
            if pos != vbend:
                raise BerError(f"varbind ending at byte {vbend} does not end with its value")
            if tag in _UNSIGNED:
                val: Value = frm(data[s:pos], "big") if s < pos else 0
            elif tag == INTEGER:
                val = frm(data[s:pos], "big", signed=True) if s < pos else 0
            elif tag in EXCEPTIONS or tag == NULL:
                val = None
            else:
                val = data[s:pos]
            append((oid, tag, val))
    except IndexError:
        raise BerError(f"truncated inside the varbind at byte {pos}") from None
    return Message(pdu_type, community, request_id, error_status, error_index, varbinds, version)
