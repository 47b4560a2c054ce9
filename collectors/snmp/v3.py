"""SNMPv3 (USM auth/priv) through pysnmp's asyncio engine, shared by all v3 devices.

USM (key localisation, HMAC, AES) is what pysnmp does well and is not worth re-doing;
v3 devices are few in this network, so they go through pyasn1 and the v2c hot path
keeps its own codec. Answers are turned into the same (OID bytes, tag, value) triples.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from pysnmp.hlapi.v3arch import asyncio as hl

from netagent.collectors.snmp import ber
from netagent.collectors.snmp.ber import VarBind
from netagent.collectors.snmp.errors import SnmpError, raise_for_status

AUTH_PROTOCOLS = {
    "SHA": hl.usmHMACSHAAuthProtocol,
    "SHA224": hl.usmHMAC128SHA224AuthProtocol,
    "SHA256": hl.usmHMAC192SHA256AuthProtocol,
    "SHA384": hl.usmHMAC256SHA384AuthProtocol,
    "SHA512": hl.usmHMAC384SHA512AuthProtocol,
    "MD5": hl.usmHMACMD5AuthProtocol,
}
PRIV_PROTOCOLS = {
    "AES": hl.usmAesCfb128Protocol,
    "AES128": hl.usmAesCfb128Protocol,
    "AES192": hl.usmAesCfb192Protocol,
    "AES256": hl.usmAesCfb256Protocol,
    "DES": hl.usmDESPrivProtocol,
}
# pysnmp's errorIndication names that mean the credentials are wrong, not the network.
_AUTH_ERRORS = (
    "digest",
    "usm user",
    "security name",
    "decrypt",
    "security level",
    "time window",
    "authentication",
)


def _tag(value: Any) -> int:
    t = value.tagSet[0]
    return int(t.tagClass | t.tagFormat | t.tagId)


def varbind_from_pyasn1(name: Any, value: Any) -> VarBind:
    """A pysnmp (name, value) pair as the (OID bytes, tag, value) triple the poller reads."""
    oid = ber.oid_encode(str(name))
    tag = _tag(value)
    if tag in ber.EXCEPTIONS or tag == ber.NULL:
        return oid, tag, None
    if tag in (ber.INTEGER, ber.COUNTER32, ber.GAUGE32, ber.TIMETICKS, ber.COUNTER64):
        return oid, tag, int(value)
    if tag == ber.OBJECT_ID:
        return oid, tag, ber.oid_encode(str(value))
    return oid, tag, bytes(value.asOctets())


class V3Session:
    """One device's v3 conversation; the engine and its USM cache are shared."""

    def __init__(
        self,
        engine: hl.SnmpEngine,
        auth: hl.UsmUserData,
        host: str,
        port: int,
        deadline: float,
        timeout: float,
    ) -> None:
        self.engine, self.auth, self.host, self.port = engine, auth, host, port
        self.deadline, self.timeout = deadline, timeout
        self.requests = 0
        self.served = 0
        self.last_size = 0  # pysnmp does not say: message-size limits use the estimate
        self.can_bulk = True
        self.overhead = 160  # USM header, engine id, HMAC, privacy parameters

    async def _call(self, fn: Any, *args: Any, oids: Sequence[bytes]) -> list[VarBind]:
        loop = asyncio.get_running_loop()
        varbinds = [hl.ObjectType(hl.ObjectIdentity(ber.oid_str(o))) for o in oids]
        while True:
            remaining = self.deadline - loop.time()
            if remaining <= 0:
                raise SnmpError(
                    "timeout", f"no answer within the deadline ({self.requests} requests)"
                )
            self.requests += 1
            target = await hl.UdpTransportTarget.create(
                (self.host, self.port), timeout=min(self.timeout, remaining), retries=0
            )
            try:
                err_ind, err_status, err_index, vbs = await asyncio.wait_for(
                    fn(
                        self.engine,
                        self.auth,
                        target,
                        hl.ContextData(),
                        *args,
                        *varbinds,
                        lookupMib=False,
                    ),
                    remaining + 0.5,
                )
            except TimeoutError:
                continue
            if err_ind:
                text = str(err_ind)
                if "timeout" in text.lower() or "No SNMP response" in text:
                    continue
                kind = "auth" if any(a in text.lower() for a in _AUTH_ERRORS) else "protocol"
                raise SnmpError(kind, text)
            raise_for_status(int(err_status), int(err_index))
            self.served += len(vbs)
            return [varbind_from_pyasn1(n, v) for n, v in vbs]

    async def get(self, oids: Sequence[bytes]) -> list[VarBind]:
        return await self._call(hl.get_cmd, oids=oids)

    async def next(self, oids: Sequence[bytes]) -> list[VarBind]:
        return await self._call(hl.next_cmd, oids=oids)

    async def bulk(
        self, oids: Sequence[bytes], max_repetitions: int, non_repeaters: int = 0
    ) -> list[VarBind]:
        return await self._call(hl.bulk_cmd, non_repeaters, max_repetitions, oids=oids)

    def notes(self) -> list[str]:
        return []


def usm_user(
    user: str,
    auth_protocol: str,
    auth_key: str | None,
    priv_protocol: str | None,
    priv_key: str | None,
) -> hl.UsmUserData:
    """USM credentials. pysnmp keys its USM table by user name: two devices sharing a
    user name must share its keys too (the usual practice)."""
    return hl.UsmUserData(
        user,
        authKey=auth_key,
        privKey=priv_key if priv_protocol else None,
        authProtocol=AUTH_PROTOCOLS[auth_protocol.upper()] if auth_key else hl.usmNoAuthProtocol,
        privProtocol=PRIV_PROTOCOLS[priv_protocol.upper()]
        if priv_protocol
        else hl.usmNoPrivProtocol,
    )
