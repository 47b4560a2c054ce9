"""SNMP poller speed, printed beside named peers measured in the same run.

1. Decoding: varbinds/s per core of the poller's walk (own BER codec, one UDP socket)
   against net-snmp snmpd on loopback, beside `snmpbulkwalk -Cr50` and pysnmp's
   `bulk_walk_cmd` over the same subtree (mib-2), and the decoder alone beside pyasn1.
2. A cycle over 1,000 simulated devices (system + 24-port ifXTable + a wireless table),
   5% of them silent, served by netagent.agent.demo.fakeagent in another process.
3. Varbinds an agent serves against those used, per device kind: the simulated kinds
   (netagent.agent.demo.simlab, served by the fake agent) and the real recordings of
   tests/data/snmprec (served by tests/fixtures/snmp_responder), each counting what it
   sends; first poll (sizes unknown) and second (sized from the rows seen).

Run from the repository root: `python -m bench.snmp_bench [--devices 1000]`.
Other processes share the CPU: figures are indicative, compare ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from netagent.agent.demo.fakeagent import FakeAgent, Mib, serve
from netagent.agent.demo.simlab import KINDS, device_records
from netagent.collectors.snmp import SnmpConfig, SnmpCredentials, SnmpPoller, SnmpTarget, ber
from netagent.collectors.snmp.transport import V2cClient
from netagent.collectors.snmp.walk import walk_columns
from tests.fixtures.ports import free_port
from tests.fixtures.snmpd import Snmpd

MIB2 = "1.3.6.1.2.1"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


async def _our_walks(port: int, community: bytes, n: int) -> int:
    client = V2cClient()
    await client.start()
    total = 0
    loop = asyncio.get_running_loop()
    for _ in range(n):
        s = client.session("127.0.0.1", port, community, loop.time() + 30, 2.0)
        (col,) = await walk_columns(s, [ber.oid_encode(MIB2)], 50, 10**7, max_varbinds=50)
        total += len(col.rows)
    client.close()
    return total


async def _pysnmp_walk(port: int, community: str) -> int:
    from pysnmp.hlapi.v3arch import asyncio as hl

    engine = hl.SnmpEngine()
    target = await hl.UdpTransportTarget.create(("127.0.0.1", port), timeout=2, retries=0)
    n = 0
    async for err, status, _, vbs in hl.bulk_walk_cmd(
        engine,
        hl.CommunityData(community),
        target,
        hl.ContextData(),
        0,
        50,
        hl.ObjectType(hl.ObjectIdentity(MIB2)),
        lexicographicMode=False,
        lookupMib=False,
    ):
        if err or status:
            break
        n += len(vbs)
    engine.close_dispatcher()
    return n


def bench_decode(rounds: int) -> None:
    print(f"== 1. walk of mib-2 ({MIB2}) from net-snmp snmpd on loopback, max-repetitions 50")
    with tempfile.TemporaryDirectory() as d:
        snmpd = Snmpd(Path(d), free_port(socket.SOCK_DGRAM))
        snmpd.start()
        try:
            env = {**os.environ, "MIBS": ""}
            cmd = [
                "snmpbulkwalk",
                "-v2c",
                "-c",
                snmpd.community,
                "-Cr50",
                "-On",
                "-Oq",
                f"127.0.0.1:{snmpd.port}",
                MIB2,
            ]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
            peer_n = len(out.splitlines())
            c0, w0 = _children_cpu(), time.perf_counter()
            for _ in range(rounds):
                subprocess.run(cmd, stdout=subprocess.DEVNULL, env=env, check=True)
            peer_cpu, peer_wall = _children_cpu() - c0, time.perf_counter() - w0

            c0, w0 = time.process_time(), time.perf_counter()
            ours_n = asyncio.run(_our_walks(snmpd.port, snmpd.community.encode(), rounds))
            ours_cpu, ours_wall = time.process_time() - c0, time.perf_counter() - w0

            c0, w0 = time.process_time(), time.perf_counter()
            pys_n = asyncio.run(_pysnmp_walk(snmpd.port, snmpd.community))
            pys_cpu, pys_wall = time.process_time() - c0, time.perf_counter() - w0
        finally:
            snmpd.stop()
    print(f"   varbinds per walk: ours {ours_n // rounds}, snmpbulkwalk {peer_n}, pysnmp {pys_n}")
    rows = [
        ("netagent poller (own BER)", ours_n, ours_cpu, ours_wall),
        ("snmpbulkwalk -Cr50 (C, incl. exec)", peer_n * rounds, peer_cpu, peer_wall),
        ("pysnmp 7 bulk_walk_cmd reps 50", pys_n, pys_cpu, pys_wall),
    ]
    print(f"   {'client':38} {'varbinds':>9} {'CPU s':>7} {'wall s':>7} {'vb/s per core':>14}")
    for name, n, cpu, wall in rows:
        print(f"   {name:38} {n:9d} {cpu:7.3f} {wall:7.3f} {n / max(cpu, 1e-9):14,.0f}")
    print(
        f"   ratio ours/pysnmp per core: {ours_n / ours_cpu / (pys_n / pys_cpu):.1f}x; "
        f"ours/snmpbulkwalk: {ours_n / ours_cpu / (peer_n * rounds / peer_cpu):.2f}x"
    )
    _decode_only()


def _decode_only() -> None:
    from pyasn1.codec.ber import decoder
    from pysnmp.proto import api

    v2c = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    vbs = [
        (ber.oid_encode(f"1.3.6.1.2.1.31.1.1.1.6.{i}"), ber.COUNTER64, 10**12 + i)
        for i in range(1, 51)
    ]
    msg = ber.encode_message(ber.RESPONSE, b"public", 1, vbs)
    n = 2000
    t0 = time.process_time()
    for _ in range(n):
        ber.decode_response(msg)
    ours = n * 50 / (time.process_time() - t0)
    n2 = 100
    t0 = time.process_time()
    for _ in range(n2):
        decoder.decode(msg, asn1Spec=v2c.Message())
    theirs = n2 * 50 / (time.process_time() - t0)
    print(
        f"   decode only, GetResponse of 50 Counter64: ours {ours:,.0f} vb/s, "
        f"pyasn1 {theirs:,.0f} vb/s ({ours / theirs:.0f}x)"
    )


# --- 2. a cycle over many devices ------------------------------------------------------

WIFI = [
    "1.3.6.1.4.1.41112.1.6.1.2.1.8.1|2|12",
    "1.3.6.1.4.1.41112.1.6.1.2.1.8.2|2|3",
    "1.3.6.1.4.1.41112.1.6.1.2.1.9.1|4|ng",
    "1.3.6.1.4.1.41112.1.6.1.2.1.9.2|4|na",
]


class _Silent(FakeAgent):
    def answer(self, data: bytes) -> bytes | None:
        return None


def serve_agents(n: int, silent_every: int) -> None:
    """Child process: n agents on loopback; prints their ports as one JSON line."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ports = []
        for i in range(n):
            mib = Mib(device_records("switch", f"dev{i}", i) + WIFI)
            agent = _Silent(mib) if i % silent_every == 0 else FakeAgent(mib)
            t, _ = await loop.create_datagram_endpoint(
                lambda a=agent: a,  # type: ignore[misc]
                local_addr=("127.0.0.1", 0),
            )
            ports.append(t.get_extra_info("sockname")[1])
        print(json.dumps(ports), flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def bench_cycle(n: int) -> None:
    silent_every = 20  # 5%
    print(
        f"\n== 2. one cycle over {n} simulated devices (system + 24-port ifXTable + wifi "
        f"table), {n // silent_every} silent"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.snmp_bench",
            "--serve",
            str(n),
            "--silent-every",
            str(silent_every),
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        ports = json.loads(proc.stdout.readline())
        cred = SnmpCredentials()
        targets = [
            SnmpTarget(
                f"dev{i}",
                "127.0.0.1",
                p,
                profile="unifi",
                credentials=cred,
                tags={"role": "wifi-ap"},
            )
            for i, p in enumerate(ports)
        ]
        poller = SnmpPoller(
            SnmpConfig(device_deadline_s=5.0, request_timeout_s=1.0, concurrency=256)
        )

        async def cycles() -> None:
            for label in ("first (seeds counters)", "second (rates)"):
                c0, w0 = time.process_time(), time.perf_counter()
                out = await poller.poll(targets)
                cpu, wall = time.process_time() - c0, time.perf_counter() - w0
                ok = sum(o.ok for o in out)
                samples = sum(len(o.samples) for o in out)
                rates = sum(1 for o in out for s in o.samples if "in_bps" in s.fields)
                timeouts = sum(1 for o in out if o.error and o.error.startswith("timeout"))
                print(
                    f"   {label:24} wall {wall:6.2f} s  poller CPU {cpu:6.2f} s  ok {ok}  "
                    f"timeouts {timeouts}  samples {samples}  interface rates {rates}"
                )
                await asyncio.sleep(1.0)
            poller.close()

        asyncio.run(cycles())
        print("   target: a cycle within 30 s on one core with 5% timing out")
    finally:
        proc.terminate()
        proc.wait()


# --- 3. what an agent serves against what is used ----------------------------------

RECORDINGS = Path(__file__).parent.parent / "tests" / "data" / "snmprec"


class _Counting(FakeAgent):
    """The fake agent, counting the varbinds it sends."""

    served = 0

    def answer(self, data: bytes) -> bytes | None:
        reply = super().answer(data)
        if reply is not None:
            self.served += len(ber.decode_response(reply).varbinds)
        return reply


async def _served_vs_used() -> list[tuple[str, str, list[int]]]:
    """Per device kind: profile, then served, used, requests of the first and second poll."""
    from tests.fixtures.snmp_responder import load_snmprec, responding

    rows = []

    async def two_polls(name: str, port: int, agent: _Counting | Any) -> None:
        poller = SnmpPoller(SnmpConfig(device_deadline_s=10))
        t = SnmpTarget(name, "127.0.0.1", port)
        figures: list[int] = []
        profile = ""
        for _ in range(2):
            served, asked = agent.served, agent.requests
            (o,) = await poller.poll([t])
            figures += [agent.served - served, o.varbinds_used, agent.requests - asked]
            profile = o.profile or "-"
        poller.close()
        rows.append((name, profile, figures))

    for kind in KINDS:
        agent = _Counting(Mib(device_records(kind, kind, 1)))
        port = free_port(socket.SOCK_DGRAM)
        transport = await serve("127.0.0.1", port, agent)
        await two_polls(f"simulated {kind}", port, agent)
        transport.close()
    for path in sorted(RECORDINGS.glob("*.snmprec")):
        async with responding(load_snmprec(path)) as responder:
            await two_polls(path.stem, responder.port, responder)
    return rows


def bench_served() -> None:
    print("\n== 3. varbinds served by the agent vs used, per device kind")
    print(
        f"   {'device kind':34} {'profile':9} {'1st: served/used req':>21} "
        f"{'2nd: served/used req':>21} {'2nd ratio':>9}"
    )
    for name, profile, (s1, u1, r1, s2, u2, r2) in asyncio.run(_served_vs_used()):
        print(
            f"   {name:34} {profile:9} {s1:8d}/{u1:<6d} {r1:5d} {s2:8d}/{u2:<6d} {r2:5d} "
            f"{s2 / max(u2, 1):8.2f}x"
        )
    print("   target: served within ~1.3x of used from the second poll on")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=20, help="mib-2 walks per client")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--silent-every", type=int, default=20, help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the silent devices would log one line each
    if args.serve:
        serve_agents(args.serve, args.silent_every)
        return
    bench_decode(args.rounds)
    bench_cycle(args.devices)
    bench_served()


if __name__ == "__main__":
    main()
