"""Opening the ICMP sockets: raw when we may, Linux ping sockets when we may not.

Raw sockets (root or CAP_NET_RAW) let us pick the echo identifier and see every echo
reply of the namespace, so the kernel filters them down to echo replies (ICMP_FILTER,
ICMP6_FILTER) and we match the rest ourselves. Without the capability, Linux offers
unprivileged "ping sockets" (SOCK_DGRAM/IPPROTO_ICMP) to the groups listed in
net.ipv4.ping_group_range; there the kernel picks the identifier and hands us only our
own replies. Every socket gets a large receive buffer and kernel receive timestamps,
so a burst of replies is neither dropped nor timed late by a busy event loop.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import socket
import struct
from dataclasses import dataclass

from netagent.collectors.netns import open_socket_in

# Not exported by Python 3.11's socket module (values from <asm-generic/socket.h>, <linux/icmp.h>).
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
ICMP_FILTER = 1
ICMP6_FILTER = 1
SOL_RAW = 255
_DENIED = (errno.EPERM, errno.EACCES)

log = logging.getLogger(__name__)


class IcmpPermissionError(Exception):
    """This process may open neither raw nor unprivileged ICMP sockets (or enter the netns)."""


@dataclass
class Endpoint:
    """One ICMP socket of one family, and how to read its packets."""

    sock: socket.socket
    v6: bool
    raw: bool
    ident: int  # raw: the base identifier we chose; ping socket: the one the kernel gave us

    @property
    def kind(self) -> str:
        return "raw" if self.raw else "ping socket (unprivileged)"

    def close(self) -> None:
        self.sock.close()


def _permission_message(v6: bool) -> str:
    family = "IPv6" if v6 else "IPv4"
    return (
        f"cannot open an {family} ICMP socket: raw sockets need root or the CAP_NET_RAW "
        "capability (grant it with `setcap cap_net_raw+ep <python>` or "
        "AmbientCapabilities=CAP_NET_RAW in the systemd unit), and unprivileged ping "
        f"sockets are not allowed for group {os.getegid()} by net.ipv4.ping_group_range "
        f"(now {_ping_group_range()!r}; e.g. `sysctl -w net.ipv4.ping_group_range="
        f'"0 2147483647"`)'
    )


def _ping_group_range() -> str:
    try:
        with open("/proc/sys/net/ipv4/ping_group_range") as f:
            return " ".join(f.read().split())
    except OSError:
        return "unknown"


def _new_socket(netns: str | None, family: int, kind: int, proto: int) -> socket.socket:
    if netns is None:
        return socket.socket(family, kind, proto)
    try:
        return open_socket_in(netns, family, kind, proto)
    except OSError as e:
        if e.errno in _DENIED and not isinstance(e, PermissionError):
            raise IcmpPermissionError(
                f"cannot enter network namespace {netns!r}: setns() needs root or CAP_SYS_ADMIN"
            ) from e
        raise


def open_endpoint(v6: bool, netns: str | None, recv_buffer: int, ident: int) -> Endpoint:
    """Raw socket if allowed, else a ping socket, else IcmpPermissionError."""
    family = socket.AF_INET6 if v6 else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    try:
        sock = _new_socket(netns, family, socket.SOCK_RAW, proto)
        raw = True
    except PermissionError:
        try:
            sock = _new_socket(netns, family, socket.SOCK_DGRAM, proto)
        except PermissionError as e:
            raise IcmpPermissionError(_permission_message(v6)) from e
        raw = False
    try:
        _configure(sock, v6, raw, recv_buffer)
        if not raw:
            sock.bind(("::", 0) if v6 else ("0.0.0.0", 0))
            ident = sock.getsockname()[1]
    except BaseException:
        sock.close()
        raise
    return Endpoint(sock, v6, raw, ident)


@functools.cache  # once per process: every socket would say the same
def _small_buffer(wanted: int, got: int) -> None:
    log.warning(
        "ICMP receive buffer is %d KB, not the %d KB asked (no CAP_NET_ADMIN); replies may "
        "be dropped at high concurrency: set `sysctl -w net.core.rmem_max=%d` (the "
        "netagent-sysctl.conf file shipped in agent/deploy does)",
        got // 1024,
        wanted // 1024,
        wanted,
    )


def _configure(sock: socket.socket, v6: bool, raw: bool, recv_buffer: int) -> None:
    sock.setblocking(False)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, recv_buffer)
    except PermissionError:  # capped by net.core.rmem_max without CAP_NET_ADMIN
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buffer)
        got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # Linux doubles it
        if got < recv_buffer:
            _small_buffer(recv_buffer, got)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    if not raw:
        return
    if v6:
        # struct icmp6_filter: a set bit blocks that type; pass only echo replies (129).
        words = [0xFFFFFFFF] * 8
        words[129 >> 5] &= ~(1 << (129 & 31))
        sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("=8I", *words))
    else:
        # a set bit blocks that type; pass only echo replies (type 0).
        sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack("=I", 0xFFFFFFFE))
