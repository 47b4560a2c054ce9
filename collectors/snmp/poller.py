"""The SNMP poller: many devices at once, one deadline each, samples out.

One process holds one `SnmpPoller`: one UDP socket for all v1/v2c devices, one pysnmp
engine for all v3 devices, the counter state that turns counters into rates across polls
(saved to `state_path` when given: after the first cycle, then at most every
`state_save_interval_s`, and on `close`), what worked for each device's
requests, and `counters` (an `SnmpCounters`) for the agent's metrics. Devices are known
by name: several may share an address on different ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netagent.collectors.plugins import UnknownPlugin
from netagent.collectors.samples import Sample
from netagent.collectors.snmp import ber, mapping
from netagent.collectors.snmp.config import SnmpConfig, SnmpTarget
from netagent.collectors.snmp.counters import SnmpCounters
from netagent.collectors.snmp.errors import AgentError
from netagent.collectors.snmp.profiles import (
    PROFILE_DIR,
    Profile,
    ProfileError,
    Profiles,
    load_profiles,
)
from netagent.collectors.snmp.rates import CounterState, Interval
from netagent.collectors.snmp.state import load_state, snapshot, write_state
from netagent.collectors.snmp.table_kinds import TABLE_KINDS, Poll
from netagent.collectors.snmp.transport import Session, SnmpError, V2cClient, V2cSession
from netagent.collectors.snmp.walk import Cell, Limits, Memory, Walker

log = logging.getLogger(__name__)

SYS_DESCR = ber.oid_encode("1.3.6.1.2.1.1.1.0")
SYS_OBJECT_ID = ber.oid_encode("1.3.6.1.2.1.1.2.0")
SYS_UPTIME = ber.oid_encode("1.3.6.1.2.1.1.3.0")
SYS_NAME = ber.oid_encode("1.3.6.1.2.1.1.5.0")
IF_NUMBER = ber.oid_encode("1.3.6.1.2.1.2.1.0")  # rows of ifTable: sizes its first walk
_SYSTEM = [SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME, IF_NUMBER]
_DOT0 = b"\x00"


@dataclass
class PollOutcome:
    device: str
    ok: bool
    error: str | None
    duration_s: float
    samples: list[Sample]
    profile: str | None = None
    info: dict[str, str] = field(default_factory=dict)  # sysName, sysDescr, sysObjectID
    problems: list[str] = field(default_factory=list)  # partial failures (a table, a column)
    varbinds_served: int = 0  # what the agent sent back
    varbinds_used: int = 0  # of those, inside the objects asked for


class SnmpPoller:
    """Polls targets; keeps counter state so the second poll of a device yields rates."""

    def __init__(
        self,
        config: SnmpConfig,
        profiles: Profiles | None = None,
        netns: str | None = None,
        state_path: Path | None = None,
        replaces: SnmpPoller | None = None,
    ) -> None:
        """`netns`: poll from inside that network namespace (v1/v2c only; the demo lab).
        `state_path`: a JSON file keeping counters across restarts (data directory).
        `replaces`: the poller this one takes over from (a reload changed [snmp]): its
        counters and what worked per device carry over, not the file's, which holds the
        last save (up to `state_save_interval_s` old) until the old poller closes."""
        self.config = config
        self.netns = netns
        self.profiles = profiles or _load(config)
        self.counters = SnmpCounters()
        self.rates = CounterState(self.counters)
        self._memory: dict[str, Memory] = {}  # device -> what worked for its requests
        self.state_path = state_path
        if replaces is not None:
            self.rates.adopt(replaces.rates)
            self._memory.update(replaces._memory)
        elif state_path is not None and (why := load_state(state_path, self.rates, self._memory)):
            log.warning("SNMP: %s", why)
        self._v2c: V2cClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._engine: Any = None
        self._chosen: dict[str, tuple[str, str]] = {}  # device -> (sysObjectID, profile)
        self._said: dict[str, set[str]] = {}  # device -> problems its last poll logged
        self._saved_at: float | None = None  # time.monotonic() of the last save begun
        self._unsaved = False  # a poll changed the state since the last save

    async def _client(self) -> V2cClient:
        loop = asyncio.get_running_loop()
        if self._v2c is None or self._loop is not loop:
            self._close_sockets()
            self._v2c = V2cClient(self.netns, self.counters)
            await self._v2c.start()
            self._loop = loop
        return self._v2c

    def close(self) -> None:
        """Saves the counter state if a poll changed it since the last save (a clean
        shutdown loses no poll's counters), then closes the sockets."""
        if self.state_path is not None and self._unsaved:
            self._write_state(self._snapshot())
        self._close_sockets()

    def _close_sockets(self) -> None:
        if self._v2c is not None:
            self._v2c.close()
            self._v2c = None
        if self._engine is not None:
            with contextlib.suppress(RuntimeError):  # its event loop may be closed already
                self._engine.close_dispatcher()
            self._engine = None

    async def poll(
        self,
        targets: Sequence[SnmpTarget],
        at_ns: int | None = None,
        done: Callable[[PollOutcome], None] | None = None,
    ) -> list[PollOutcome]:
        """`at_ns`: the time every sample is stamped with (the daemon's scheduled slot, so
        the two agents of an HA pair write the same point); None: when it was read. Rates
        always use the real time between two polls. `done`: called on the event loop with
        each device's outcome as soon as that device is done, so its samples can go to
        the spool (and be dropped from the outcome) while the others are still polled."""
        client = await self._client()
        polled: dict[int, PollOutcome] = {}
        queue = iter(enumerate(targets))

        # `concurrency` workers taking the next target, not a task per target waiting on a
        # semaphore: at 15,000 targets those tasks were most of what the GC had to scan.
        async def worker() -> None:
            for i, t in queue:
                polled[i] = o = await self._poll_one(client, t, at_ns)
                if done is not None:
                    done(o)

        await asyncio.gather(*(worker() for _ in range(min(self.config.concurrency, len(targets)))))
        out = [polled[i] for i in range(len(targets))]
        self._unsaved = True
        if self.state_path is not None and (
            self._saved_at is None
            or time.monotonic() - self._saved_at >= self.config.state_save_interval_s
        ):
            # JSON of every interface's counters: at region size too dear for every cycle.
            await asyncio.to_thread(self._write_state, self._snapshot())
        return out

    def _snapshot(self) -> dict[str, object]:
        self._saved_at, self._unsaved = time.monotonic(), False
        return snapshot(self.rates, self._memory)

    def _write_state(self, data: dict[str, object]) -> None:
        assert self.state_path is not None
        try:
            write_state(self.state_path, data)
        except OSError as e:
            log.warning("SNMP: cannot save counter state to %s: %s", self.state_path, e)

    def _session(self, client: V2cClient, t: SnmpTarget, deadline: float) -> Session:
        cfg, cred = self.config, t.credentials
        if cred.version in ("1", "2c"):
            comm = cred.community.get_secret_value().encode()
            version = ber.V1 if cred.version == "1" else ber.V2C
            return client.session(t.address, t.port, comm, deadline, cfg.request_timeout_s, version)
        if self.netns is not None:
            raise SnmpError("config", "SNMPv3 from inside a network namespace is not supported")
        from netagent.collectors.snmp import v3

        if self._engine is None:
            self._engine = v3.new_engine()
        priv = cred.priv_key.get_secret_value() if cred.priv_protocol != "none" else ""
        user = v3.usm_user(
            cred.user,
            cred.auth_protocol,
            cred.auth_key.get_secret_value(),
            cred.priv_protocol if priv else None,
            priv or None,
        )
        return v3.V3Session(self._engine, user, t.address, t.port, deadline, cfg.request_timeout_s)

    async def _poll_one(self, client: V2cClient, t: SnmpTarget, at_ns: int | None) -> PollOutcome:
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = start + self.config.device_deadline_s
        out = PollOutcome(t.name, False, None, 0.0, [])
        session: Session | None = None
        try:
            session = self._session(client, t, deadline)
            await asyncio.wait_for(
                self._read(session, t, out, at_ns), self.config.device_deadline_s + 1.0
            )
            out.ok = out.error is None
        except SnmpError as e:
            out.error = str(e)
        except TimeoutError:
            out.error = "timeout: device deadline exceeded"
        except (ProfileError, ber.BerError) as e:
            out.error = str(e)
        except Exception as e:  # a bad peer must never take the whole cycle down
            log.debug("SNMP %s: unexpected error", t.name, exc_info=True)
            out.error = f"internal error: {type(e).__name__}: {e}"
        out.duration_s = loop.time() - start
        if session is not None:
            out.varbinds_served = session.served
            self.counters.varbinds_served += session.served
            if isinstance(session, V2cSession):
                out.problems += session.notes()
        if not out.ok:
            self._chosen.pop(t.name, None)
            log.warning(
                "SNMP %s (%s) failed after %.2fs: %s", t.name, _at(t), out.duration_s, out.error
            )
        elif out.duration_s > self.config.device_deadline_s / 2:
            log.info("SNMP %s (%s) slow: %.2fs", t.name, _at(t), out.duration_s)
        # A problem is news the first poll it appears, not at every poll after (a table a
        # device lacks would be one INFO line per device per minute in the journal).
        said = self._said.get(t.name, set())
        for p in out.problems:
            log.log(logging.DEBUG if p in said else logging.INFO, "SNMP %s: %s", t.name, p)
        self._said[t.name] = set(out.problems)
        fields: dict[str, float | bool] = {"reachable": out.ok, "poll_ms": out.duration_s * 1e3}
        if out.ok and "uptime_s" in out.info:  # a failed poll stores no uptime
            fields["uptime_s"] = float(out.info["uptime_s"])
        tags = {"device": t.name, "role": t.tags.get("role", "")}
        stamp = time.time_ns() if at_ns is None else at_ns
        out.samples.insert(0, Sample("snmp_system", tags, fields, stamp))
        return out

    async def _read(
        self, s: Session, t: SnmpTarget, out: PollOutcome, at_ns: int | None = None
    ) -> None:
        profile = None
        if t.profile and t.profile in self.profiles:
            profile = self.profiles[t.profile]
        elif t.profile:  # a typo in the inventory must not make the device look down
            known = ", ".join(sorted(self.profiles.resolved))
            out.problems.append(
                f"unknown SNMP profile {t.profile!r} (known: {known}); chose from sysObjectID"
            )
        mem = self._memory.setdefault(t.name, Memory())
        w = Walker(s, mem, self._limits(t, profile), self.counters)
        scalars = _SYSTEM + (_scalar_oids(profile) if profile else [])
        # Known profile, known table sizes: the scalars come with the walk's end checks
        # (one request fewer a poll). Else first: sysObjectID picks the profile, ifNumber
        # sizes the first walk.
        late = profile is not None and bool(mem.rows)
        got = {} if late else await w.scalars(scalars)
        sys_object_id = "" if late else _object_id(got.get(SYS_OBJECT_ID), out.problems)
        if profile is None:
            profile = await self._choose(s, t.name, sys_object_id)
            w.lim = self._limits(t, profile)
            if more := _scalar_oids(profile):
                got.update(await w.scalars(more))
        out.profile = profile.name
        if_number = _int(got.get(IF_NUMBER))
        walked = [t_ for t_ in profile.tables if not t_.scalar]
        cols = [(tb, role, c) for tb in walked for role, c in tb.columns.items()]
        hints = [if_number if tb.kind == "interface" else None for tb, _, _ in cols]
        data = await w.columns(
            [c.encoded for _, _, c in cols],
            hints,
            [tb.name for tb, _, _ in cols],
            then=scalars if late else (),
        )
        if late:
            got = w.then_read
            sys_object_id = _object_id(got.get(SYS_OBJECT_ID), out.problems)
        now_ns = time.time_ns() if at_ns is None else at_ns
        uptime = _int(got.get(SYS_UPTIME))
        out.info = {
            "sysName": _text(got.get(SYS_NAME)),
            "sysDescr": _text(got.get(SYS_DESCR)),
            "sysObjectID": sys_object_id,
        }
        if uptime is not None:
            out.info["uptime_s"] = str(uptime / 100)
        out.problems += w.problems
        rows: dict[str, mapping.Rows] = {tb.name: {} for tb in profile.tables}
        for (tb, role, _), col in zip(cols, data, strict=True):
            if col.problem:
                out.problems.append(f"table {tb.name}, column {role}: {col.problem}")
            for index, cell in col.rows.items():
                rows[tb.name].setdefault(index, {})[role] = cell
        for tb in profile.tables:
            if tb.scalar:
                cells = {
                    r: got[c.encoded + _DOT0]
                    for r, c in tb.columns.items()
                    if c.encoded + _DOT0 in got
                }
                if cells:
                    rows[tb.name][_DOT0] = cells
            if not rows[tb.name]:
                out.problems.append(
                    f"table {tb.name}: nothing there (not supported by the device?)"
                )
        out.varbinds_used = len(got) + sum(len(c.rows) for c in data)
        if not any(rows.values()):
            why = next(
                (f"({c.problem})" for c in data if c.problem),
                "(every object answered noSuchObject, noSuchInstance or endOfMibView: "
                "the wrong profile, or a view hiding it)",
            )
            out.error = f"profile {profile.name}: no table gave a row {why}"
            return
        iv = self.rates.begin(t.name, uptime)
        if iv.frozen:
            out.problems.append(
                f"sysUpTime frozen at {uptime} ticks since the previous poll: "
                "rates timed by the poller's clock"
            )
        self._samples(profile, rows, t, iv, out, now_ns)
        out.samples, missing = mapping.tag_ports(out.samples, t.port_tags)
        out.problems += missing

    def _samples(
        self,
        profile: Profile,
        rows: dict[str, mapping.Rows],
        t: SnmpTarget,
        iv: Interval,
        out: PollOutcome,
        now_ns: int,
    ) -> None:
        conv = mapping.Converter()
        poll = Poll(t.name, t.tags, iv, conv, now_ns)
        for tb in profile.tables:
            try:
                kind = TABLE_KINDS.get(tb.kind)
            except UnknownPlugin as e:  # a profile naming a kind whose plugin is gone
                out.problems.append(f"table {tb.name}: {e}")
                continue
            try:
                out.samples += kind(tb, rows[tb.name], poll)
            except Exception as e:  # a plugin's bug costs its table, not the device's poll
                log.debug("SNMP %s: table %s", t.name, tb.name, exc_info=True)
                out.problems.append(f"table {tb.name} ({tb.kind}): {type(e).__name__}: {e}")
        iv.commit()
        out.problems += conv.problems.values()

    def _limits(self, t: SnmpTarget, profile: Profile | None) -> Limits:
        cfg = self.config
        reps = t.max_repetitions or (profile and profile.max_repetitions) or cfg.max_repetitions
        return Limits(
            max_repetitions=reps,
            max_varbinds=cfg.max_varbinds_per_request,
            max_message_size=t.max_message_size or cfg.max_message_size,
            max_rows=profile.max_rows if profile else 5000,
        )

    async def _choose(self, s: Session, device: str, sys_object_id: str) -> Profile:
        """Profile from sysObjectID, probing for the vendor table when several match."""
        cached = self._chosen.get(device)
        if cached and cached[0] == sys_object_id:
            return self.profiles[cached[1]]
        cands = self.profiles.candidates(sys_object_id) if sys_object_id else []
        probed = [p for p in cands if p.probe]
        chosen = next((p for p in cands if not p.probe), None)
        if probed:
            probes = [ber.oid_encode(p.probe) for p in probed if p.probe]
            vbs = await self._probe(s, probes)
            hit = next(
                (
                    p
                    for p, pr, vb in zip(probed, probes, vbs, strict=False)
                    if vb[1] not in ber.EXCEPTIONS and vb[0].startswith(pr)
                ),
                None,
            )
            chosen = hit or chosen
        chosen = chosen or self.profiles[self.config.default_profile]
        self._chosen[device] = (sys_object_id, chosen.name)
        return chosen

    @staticmethod
    async def _probe(s: Session, probes: list[bytes]) -> list[ber.VarBind]:
        """The object after each probe OID. SNMPv1 has no GETBULK, and its agents answer
        noSuchName for the whole request when one OID has nothing after it: one GETNEXT
        per probe there, a miss being no match rather than a failed poll."""
        if s.can_bulk:
            return await s.bulk(probes, 1)
        out: list[ber.VarBind] = []
        for oid in probes:
            try:
                out += await s.next([oid])
            except AgentError:
                out.append((b"", ber.END_OF_MIB_VIEW, None))
        return out


def _scalar_oids(profile: Profile) -> list[bytes]:
    return [c.encoded + _DOT0 for tb in profile.tables if tb.scalar for c in tb.columns.values()]


def _int(cell: Cell | None) -> int | None:
    return cell[1] if cell is not None and isinstance(cell[1], int) else None


def _text(cell: Cell | None) -> str:
    if cell is None or not isinstance(cell[1], bytes):
        return ""
    return cell[1].decode("utf-8", "replace")


def _object_id(cell: Cell | None, problems: list[str]) -> str:
    """sysObjectID as dotted text; a malformed one is a problem noted, not a failed poll."""
    if cell is None or cell[0] != ber.OBJECT_ID or not isinstance(cell[1], bytes):
        return ""
    try:
        return ber.oid_str(cell[1])
    except ber.BerError as e:
        problems.append(f"sysObjectID is not a valid OID ({e}); chose the generic profile")
        return ""


def _load(config: SnmpConfig) -> Profiles:
    if config.profiles_dir is None:
        return load_profiles(PROFILE_DIR)
    return load_profiles(PROFILE_DIR, config.profiles_dir)


def _at(t: SnmpTarget) -> str:
    """HOST:PORT as people write it: an IPv6 address in brackets ([::1]:161)."""
    host = str(t.address)
    return f"[{host}]:{t.port}" if ":" in host else f"{host}:{t.port}"
