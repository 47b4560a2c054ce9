"""The prober: thousands of targets per round, one process, no reply lost or misread.

A round numbers its echoes n = k*T + i (target i, k-th echo). Each echo carries an
identifier and sequence derived from n, and a payload token (prober cookie, round
number); a reply counts only if all of these and its sender address match, so replies
from another round, another ping, or a duplicate never land on the wrong target.
A round runs in a thread of the prober's own: it sends paced at `rate_pps` and, between
sends, polls the sockets and drains them, each reply timed by the kernel's receive
timestamp. Not on the event loop, because in the daemon that loop also decodes SNMP:
at region scale (15,000 devices) an SNMP cycle keeps it busy for tens of seconds, and a
round paced there fell behind by up to 10 s and made the scheduler skip the next one.
A thread waiting for the GIL gets it within the interpreter's switch interval (5 ms), so
the round keeps its pace and the SNMP cycle, which has a minute, absorbs the delay.
"""

from __future__ import annotations

import asyncio
import errno
import heapq
import ipaddress
import logging
import random
import select
import socket
import struct
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

from netagent.collectors.icmp.config import IcmpConfig
from netagent.collectors.icmp.packets import REPLY, EchoTemplate, describe, payload
from netagent.collectors.icmp.results import IcmpResult, IcmpTarget
from netagent.collectors.icmp.sockets import Endpoint, IcmpPermissionError, open_endpoint

log = logging.getLogger(__name__)

_TIMESPEC = struct.Struct("=qq")
_RECV_BYTES = 128  # IPv4 header (<= 60) + echo header + token; the rest is padding
_ANC_BYTES = socket.CMSG_SPACE(_TIMESPEC.size)
_READ_EVERY = 256  # unpaced sends between reads, so the receive buffer never fills
_POLL_MAX_MS = 100  # longest wait between checks for a cancelled round
# Pacing credit: a late wake-up catches up at most this much. The round's thread still
# stops while the interpreter does: a full garbage collection of the daemon's heap, up to
# 0.1 s at region scale. A catch-up of 1 s is ~2,000 echoes at the rate 15,000 targets
# need, sent with a read of the replies every _READ_EVERY (fping -i0 sends 5,000 at once
# and loses none on loopback).
_BURST_S = 1.0
_NOT_SENT, _WAITING, _ANSWERED, _LATE = 0, 1, 2, 3


@dataclass
class ProberCounters:
    """Packets the prober saw but could not use, over its lifetime (for logs and health)."""

    foreign: int = 0  # someone else's echo replies (another ping, another prober)
    stale: int = 0  # ours, from an earlier round, arriving after that round closed
    malformed: int = 0  # too short to hold our token
    recv_errors: int = 0


@dataclass(frozen=True)
class Pacing:
    """How one round sends: echoes per target and the overall rate; `note` says why they
    differ from the configuration (empty when they don't)."""

    count: int
    rate_pps: float
    note: str = ""


def plan_pacing(targets: int, cfg: IcmpConfig, budget_s: float | None) -> Pacing:
    """Fit `targets` x `count` echoes, and the last echo's timeout, into `budget_s`.

    A round that overruns its job's interval makes the scheduler skip the next one, so at
    region scale the round adapts instead: first the rate rises (up to max_rate_pps), then
    each target gets fewer echoes (not below up_threshold); a round that still cannot fit
    goes at the rate it needs, and the note says so.
    """
    configured = Pacing(cfg.count, cfg.rate_pps)
    if budget_s is None or targets == 0 or cfg.rate_pps == 0:
        return configured
    spread_s = max(budget_s - cfg.timeout_ms / 1000, 0.001)
    if targets * cfg.count / cfg.rate_pps <= spread_s:
        return configured
    ceiling = max(cfg.max_rate_pps, cfg.rate_pps)
    need = targets * cfg.count / spread_s
    if need <= ceiling:
        return Pacing(
            cfg.count,
            need,
            f"rate raised from {cfg.rate_pps:g} to {need:.0f} echoes/s"
            f" to fit {targets} targets x {cfg.count} into {budget_s:g} s",
        )
    count = max(cfg.up_threshold, min(cfg.count, int(spread_s * ceiling / targets)))
    rate = max(ceiling, targets * count / spread_s)
    note = (
        f"{targets} targets x {cfg.count} echoes do not fit {budget_s:g} s at up to "
        f"{ceiling:g} echoes/s: {count} echo(es) per target at {rate:.0f}/s"
    )
    if rate > ceiling:
        note += " (above icmp.max_rate_pps: raise it, lengthen the interval, or shard)"
    return Pacing(count, rate, note)


class _Round:
    """The state of one round; its arrays are indexed by echo number n."""

    def __init__(
        self,
        targets: Sequence[IcmpTarget],
        cfg: IcmpConfig,
        pacing: Pacing,
        number: int,
        cookie: int,
        endpoints: dict[bool, Endpoint],
    ) -> None:
        self.targets = targets
        self.number = number
        self.cookie = cookie
        self.count = pacing.count
        self.rate_pps = pacing.rate_pps
        self.timeout_ns = int(cfg.timeout_ms * 1e6)
        t = len(targets)
        ips = [ipaddress.ip_address(tg.address) for tg in targets]
        self.addrs = [str(ip) for ip in ips]
        self.endpoint_of = [endpoints.get(ip.version == 6) for ip in ips]
        self.sockaddrs = [_sockaddr(ip) for ip in ips]
        self.templates = {
            v6: EchoTemplate.build(
                v6, payload(cookie, number, cfg.payload_bytes), kernel_checksum=not ep.raw
            )
            for v6, ep in endpoints.items()
        }
        self.sent_ns = [0] * (t * self.count)
        self.rtt_ns = [0] * (t * self.count)
        self.state = bytearray(t * self.count)
        self.duplicates = [0] * t
        self.late = [0] * t
        self.send_errors = [0] * t
        self.outstanding = 0
        self.last_sent_ns = 0
        self.stop = False  # set from the event loop when the round is cancelled

    def results(self, up_threshold: int) -> list[IcmpResult]:
        t = len(self.targets)
        out = []
        for i, target in enumerate(self.targets):
            echoes = range(i, t * self.count, t)
            rtts = tuple(self.rtt_ns[n] / 1e6 for n in echoes if self.state[n] == _ANSWERED)
            sent = sum(1 for n in echoes if self.state[n] != _NOT_SENT) + self.send_errors[i]
            out.append(
                IcmpResult(
                    target,
                    sent,
                    len(rtts),
                    rtts,
                    self.duplicates[i],
                    self.late[i],
                    self.send_errors[i],
                    up_threshold,
                )
            )
        return out


def _sockaddr(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[object, ...]:
    if ip.version == 4:
        return (str(ip), 0)
    scope = getattr(ip, "scope_id", None)
    index = socket.if_nametoindex(scope) if scope and not scope.isdigit() else int(scope or 0)
    return (str(ip).split("%")[0], 0, 0, index)


class IcmpProber:
    """One per process, reused across rounds and event loops (a round must not overlap
    another on the same prober: they share the sockets and the thread)."""

    def __init__(self, config: IcmpConfig, netns: str | None = None) -> None:
        self.config = config
        self.netns = netns
        self.counters = ProberCounters()
        self._cookie = random.getrandbits(32)
        self._round_number = random.getrandbits(32)
        self._round: _Round | None = None
        self._v6_error: Exception | None = None
        self._pacing_note = ""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="icmp")
        ident = random.getrandbits(16)
        self._endpoints: dict[bool, Endpoint] = {
            False: open_endpoint(False, netns, config.recv_buffer_bytes, ident)
        }
        try:
            self._endpoints[True] = open_endpoint(True, netns, config.recv_buffer_bytes, ident)
        except (IcmpPermissionError, OSError) as e:  # no IPv6 here: only v6 targets fail
            self._v6_error = e
        self.unprivileged = not self._endpoints[False].raw
        """True when running on ping sockets (no raw socket capability)."""
        if self.unprivileged:
            log.info("ICMP: no raw socket capability, using unprivileged ping sockets")
        log.debug(
            "ICMP prober: %s",
            ", ".join(f"IPv{6 if v6 else 4} {ep.kind}" for v6, ep in self._endpoints.items()),
        )

    def close(self) -> None:
        if self._round is not None:  # a round still running ends within a poll
            self._round.stop = True
        self._thread.shutdown()
        for ep in self._endpoints.values():
            ep.close()
        self._endpoints.clear()

    def __enter__(self) -> IcmpProber:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def round(
        self, targets: Sequence[IcmpTarget], budget_s: float | None = None
    ) -> list[IcmpResult]:
        """Probe every target `count` times; one result per target, in the same order.

        `budget_s`: the time the round must fit in (its job's interval, less a margin);
        the pacing adapts to it (`plan_pacing`), with a warning when it changes. The round
        runs in the prober's own thread; cancelling this coroutine stops it within a poll
        (at most _POLL_MAX_MS)."""
        if self._round is not None:
            raise RuntimeError("IcmpProber.round() is already running on this prober")
        if not self._endpoints:
            raise RuntimeError("IcmpProber is closed")
        if True not in self._endpoints and any(":" in t.address for t in targets):
            log.warning("IPv6 targets count as lost: no IPv6 ICMP socket (%s)", self._v6_error)
        pacing = plan_pacing(len(targets), self.config, budget_s)
        if pacing.note != self._pacing_note:  # once per change, not once per round
            if pacing.note:
                log.warning("ICMP: %s", pacing.note)
            self._pacing_note = pacing.note
        echoes = len(targets) * pacing.count
        if any(not ep.raw for ep in self._endpoints.values()) and echoes > 0x10000:
            raise ValueError(
                f"{echoes} echoes in one round: unprivileged ping sockets allow at most "
                "65536 (fewer targets or a smaller count, or grant CAP_NET_RAW)"
            )
        self._round_number = (self._round_number + 1) & 0xFFFFFFFF
        rnd = _Round(
            targets, self.config, pacing, self._round_number, self._cookie, self._endpoints
        )
        self._round = rnd
        running = self._thread.submit(self._run, rnd)
        try:
            await asyncio.wrap_future(running)
        except asyncio.CancelledError:
            rnd.stop = True
            wait([running])  # the thread notices within one poll; the sockets are shared
            raise
        finally:
            self._round = None
        log.debug("ICMP round %d: %d targets; %s", rnd.number, len(targets), self.counters)
        return running.result()

    def _run(self, rnd: _Round) -> list[IcmpResult]:
        """The whole round, in the prober's thread: send, wait, collect."""
        endpoints = list(self._endpoints.values())
        for ep in endpoints:
            self._drain(ep, None)  # what queued up between rounds is stale: out of the way
        readable = select.poll()
        by_fd = {ep.sock.fileno(): ep for ep in endpoints}
        for fd in by_fd:
            readable.register(fd, select.POLLIN)

        def read_for(timeout_ms: float) -> None:
            for fd, _event in readable.poll(min(timeout_ms, _POLL_MAX_MS)):
                self._drain(by_fd[fd], rnd)

        self._send_all(rnd, read_for)
        deadline = rnd.last_sent_ns + rnd.timeout_ns
        while rnd.outstanding and not rnd.stop:
            remaining_ms = (deadline - time.monotonic_ns()) / 1e6
            if remaining_ms <= 0:
                break
            read_for(remaining_ms)
        for ep in endpoints:
            self._drain(ep, rnd)  # replies already queued still count for this round
        return rnd.results(min(self.config.up_threshold, rnd.count))

    def _send_all(self, rnd: _Round, read_for: Callable[[float], None]) -> None:
        """Send in echo order, each echo `interval_ms` after the previous one to its
        target, at most `rate_pps` overall; `read_for(ms)` reads replies until the next is due."""
        t = len(rnd.targets)
        total = t * rnd.count
        now = time.monotonic_ns()
        queue = [(now, n) for n in range(t)]  # sorted, hence already a heap
        interval_ns = int(self.config.interval_ms * 1e6)
        period_ns = int(1e9 / rnd.rate_pps) if rnd.rate_pps else 0
        credit_ns = max(period_ns, int(_BURST_S * 1e9))
        slot = now
        since_read = 0
        while queue and not rnd.stop:
            due, n = queue[0]
            now = time.monotonic_ns()
            at = max(due, slot) if period_ns else due
            if at > now:
                read_for((at - now) / 1e6)
                since_read = 0
                continue
            heapq.heappop(queue)
            self._send(rnd, n, n % t)
            if n + t < total:
                heapq.heappush(queue, (now + interval_ns, n + t))
            if period_ns:
                slot = max(slot, now - credit_ns) + period_ns
            since_read += 1
            if since_read >= _READ_EVERY:
                read_for(0)
                since_read = 0

    def _send(self, rnd: _Round, n: int, i: int) -> None:
        ep = rnd.endpoint_of[i]
        if ep is None:  # no socket of this family: the echo cannot leave
            rnd.send_errors[i] += 1
            return
        ident = (ep.ident + (n >> 16)) & 0xFFFF if ep.raw else ep.ident
        pkt = rnd.templates[ep.v6].packet(ident, n & 0xFFFF)
        for attempt in range(100):
            sent_ns = time.monotonic_ns()
            try:
                ep.sock.sendto(pkt, rnd.sockaddrs[i])
            except BlockingIOError:  # send buffer full: wait until the socket drains
                _writable(ep.sock)
                continue
            except OSError as e:
                if e.errno == errno.ENOBUFS and attempt < 99:
                    time.sleep(0.001)
                    continue
                rnd.send_errors[i] += 1  # e.g. no route: this echo never left
                log.debug("ICMP echo to %s not sent: %s", rnd.addrs[i], e)
                return
            rnd.sent_ns[n] = rnd.last_sent_ns = sent_ns
            rnd.state[n] = _WAITING
            rnd.outstanding += 1
            return

    def _drain(self, ep: Endpoint, rnd: _Round | None) -> None:
        """Read every queued packet of `ep`; with no round, each of ours is stale."""
        recvmsg = ep.sock.recvmsg
        unpack = REPLY.unpack_from
        c = self.counters
        offset_ns = time.time_ns() - time.monotonic_ns()  # kernel stamps are CLOCK_REALTIME
        while True:
            try:
                data, anc, _flags, addr = recvmsg(_RECV_BYTES, _ANC_BYTES)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                c.recv_errors += 1
                log.debug("ICMP receive error: %s", e)
                return
            start = (data[0] & 0x0F) * 4 if ep.raw and not ep.v6 else 0
            if len(data) < start + REPLY.size:
                c.malformed += 1
                continue
            _type, _code, _sum, ident, seq, cookie, number = unpack(data, start)
            if cookie != self._cookie:
                c.foreign += 1
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("ignored from %s: %s", addr[0], describe(data, ep.v6, start))
                continue
            if rnd is None or number != rnd.number:
                c.stale += 1
                continue
            n = (((ident - ep.ident) & 0xFFFF) << 16 | seq) if ep.raw else seq
            if (
                n >= len(rnd.state)
                or rnd.state[n] == _NOT_SENT
                or rnd.addrs[n % len(rnd.addrs)] != addr[0]
            ):
                c.foreign += 1
                continue
            i = n % len(rnd.addrs)
            if rnd.state[n] != _WAITING:
                rnd.duplicates[i] += 1
                continue
            if anc:
                sec, nsec = _TIMESPEC.unpack(anc[0][2])
                rtt = sec * 1_000_000_000 + nsec - offset_ns - rnd.sent_ns[n]
            else:
                rtt = time.monotonic_ns() - rnd.sent_ns[n]
            if rtt > rnd.timeout_ns:
                rnd.state[n] = _LATE
                rnd.late[i] += 1
            else:
                rnd.state[n] = _ANSWERED
                rnd.rtt_ns[n] = max(rtt, 0)
            rnd.outstanding -= 1


def _writable(sock: socket.socket) -> None:
    """Block (without the GIL) until `sock` takes more, or _POLL_MAX_MS has passed."""
    ready = select.poll()
    ready.register(sock.fileno(), select.POLLOUT)
    ready.poll(_POLL_MAX_MS)
