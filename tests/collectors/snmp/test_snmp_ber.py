"""The hand-rolled v2c codec: exact round trips, and only BerError on bad bytes."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyasn1.codec.ber import encoder
from pysnmp.proto import api

from netagent.collectors.snmp import ber

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


def test_oid_round_trip_with_large_subids() -> None:
    for dotted in (
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.4.1.14988.1.1.1.2.1.3.244.14.34.43.52.123.1",
        "1.3.6.1.2.1.31.1.1.1.6.4294967295",
        "2.999.3",
    ):
        assert ber.oid_str(ber.oid_encode(dotted)) == dotted


def test_bad_oid_is_rejected_with_the_value() -> None:
    with pytest.raises(ValueError, match=r"1\.x\.3"):
        ber.oid_encode("1.x.3")


def test_decodes_what_pysnmp_encodes() -> None:
    """Interop: a Response built by pysnmp/pyasn1 decodes to the same values."""
    pdu = V2C.GetResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, 4242)
    V2C.apiPDU.set_varbinds(
        pdu,
        [
            ((1, 3, 6, 1, 2, 1, 1, 3, 0), V2C.TimeTicks(123456)),
            ((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), V2C.Counter64(2**64 - 1)),
            ((1, 3, 6, 1, 2, 1, 1, 5, 0), V2C.OctetString(b"ap-1")),
            ((1, 3, 6, 1, 4, 1, 41112, 1, 4, 5, 1, 5, 1), V2C.Integer(-70)),
            ((1, 3, 6, 1, 2, 1, 1, 2, 0), V2C.ObjectIdentifier((1, 3, 6, 1, 4, 1, 14988, 1))),
        ],
    )
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, "public")
    V2C.apiMessage.set_pdu(msg, pdu)
    r = ber.decode_response(encoder.encode(msg))
    assert r.request_id == 4242 and r.community == b"public"
    assert [(ber.oid_str(o), v) for o, _, v in r.varbinds[:4]] == [
        ("1.3.6.1.2.1.1.3.0", 123456),
        ("1.3.6.1.2.1.31.1.1.1.6.1", 2**64 - 1),
        ("1.3.6.1.2.1.1.5.0", b"ap-1"),
        ("1.3.6.1.4.1.41112.1.4.5.1.5.1", -70),
    ]
    assert ber.oid_str(r.varbinds[4][2]) == "1.3.6.1.4.1.14988.1"  # type: ignore[arg-type]


def test_every_truncation_is_a_ber_error() -> None:
    o = ber.oid_encode("1.3.6.1.2.1.2.2.1.10.1")
    msg = ber.encode_message(
        ber.RESPONSE, b"c", 9, [(o, ber.COUNTER32, 77), (o, ber.END_OF_MIB_VIEW, None)]
    )
    for n in range(len(msg)):
        with pytest.raises(ber.BerError):
            ber.decode_response(msg[:n])


def test_a_request_is_not_a_response() -> None:
    req = ber.encode_request(ber.GET, b"c", 1, [ber.oid_encode("1.3.6.1")])
    with pytest.raises(ber.BerError, match="unexpected PDU"):
        ber.decode_response(req)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_ber_error(data: bytes) -> None:
    with contextlib.suppress(ber.BerError):
        ber.decode_response(data)


@given(
    st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(-(2**31), 2**31 - 1)), max_size=20)
)
def test_round_trip(values: list[tuple[int, int]]) -> None:
    o = ber.oid_encode("1.3.6.1.2.1.2.2.1.10.1")
    vbs: list[ber.VarBind] = []
    for u, s in values:
        vbs += [(o, ber.COUNTER32, u), (o, ber.INTEGER, s)]
    assert ber.decode_response(ber.encode_message(ber.RESPONSE, b"x", 1, vbs)).varbinds == vbs


def test_a_request_is_the_message_of_its_oids_with_null_values() -> None:
    """encode_request builds short varbinds in one step: the same bytes as the general
    encoder, for an ordinary OID and for one too long for one-byte lengths."""
    short = ber.oid_encode("1.3.6.1.2.1.31.1.1.1.6.1")
    long = ber.oid_encode("1.3.6.1.4.1." + ".".join(["300"] * 70))
    assert len(long) >= 124
    for oids in ([short], [long], [short, long, short]):
        assert ber.encode_request(ber.GETBULK, b"c", 77, oids, 0, 10) == ber.encode_message(
            ber.GETBULK, b"c", 77, [(o, ber.NULL, None) for o in oids], 0, 10
        )
        req = ber.decode_message(ber.encode_request(ber.GET, b"c", 5, oids), (ber.GET,))
        assert [(o, t, v) for o, t, v in req.varbinds] == [(o, ber.NULL, None) for o in oids]
