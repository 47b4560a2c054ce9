"""Helpers for the alert tests and bench: a small Coviolo-like topology, a real loopback
webhook receiver, and a simulated-clock round driver over the real engine and store."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from netagent.agent.alerts import AlertEngine, AlertsConfig, AlertStore, Observation, open_store
from netagent.agent.notify import AlertEvent, NotifyConfig, Router
from netagent.collectors.samples import Sample
from netagent.inventory.model import (
    Device,
    FibreSegment,
    Inventory,
    RadioLink,
    Role,
    Site,
    WifiSettings,
)

BRANCH_APS = [f"ap-coviolo-{i}" for i in range(1, 6)]


def coviolo_inventory(extra_aps: int = 0) -> Inventory:
    """core -> (fibre) bs-coviolo -> (radio link) rpt-coviolo-nord -> 5 APs; ap-centro on core."""
    sites = (
        Site(name="Municipio", lat=44.6977, lon=10.6305, quartiere="Centro Storico"),
        Site(name="Coviolo torre", lat=44.678, lon=10.601, quartiere="Coviolo"),
        Site(name="Coviolo nord", lat=44.685, lon=10.598, quartiere="Coviolo"),
        Site(name="Rivalta", lat=44.66, lon=10.63, quartiere="Rivalta"),
    )
    wifi = WifiSettings()
    devices = [
        Device(name="core", site="Municipio", role=Role.ROUTER, mgmt_ip=ip_address("127.20.0.1")),
        Device(
            name="bs-coviolo",
            site="Coviolo torre",
            role=Role.BASE_STATION,
            mgmt_ip=ip_address("127.20.0.2"),
            parent="core",
        ),
        Device(
            name="rpt-coviolo-nord",
            site="Coviolo nord",
            role=Role.PTP_RADIO,
            mgmt_ip=ip_address("127.20.0.3"),
        ),  # no parent: hangs off its one radio link
        Device(
            name="ap-centro",
            site="Municipio",
            role=Role.WIFI_AP,
            mgmt_ip=ip_address("127.20.0.4"),
            parent="core",
            wifi=wifi,
        ),
    ]
    for i, name in enumerate(BRANCH_APS):
        devices.append(
            Device(
                name=name,
                site="Coviolo nord" if i < 3 else "Rivalta",
                role=Role.WIFI_AP,
                mgmt_ip=ip_address(f"127.20.1.{i + 1}"),
                parent="rpt-coviolo-nord",
                wifi=wifi,
            )
        )
    for i in range(extra_aps):
        devices.append(
            Device(
                name=f"ap-extra-{i}",
                site="Municipio",
                role=Role.WIFI_AP,
                mgmt_ip=ip_address(f"127.21.{i // 250}.{i % 250 + 1}"),
                parent="core",
                wifi=wifi,
            )
        )
    return Inventory(
        sites=sites,
        devices=tuple(devices),
        links=(
            RadioLink(
                name="Coviolo BS-Nord", a="bs-coviolo", b="rpt-coviolo-nord", capacity_mbps=300
            ),
        ),
        segments=(
            FibreSegment(
                name="Lepida Municipio-Coviolo",
                a_site="Municipio",
                b_site="Coviolo torre",
                a_device="core",
                b_device="bs-coviolo",
            ),
        ),
    )


@dataclass
class Received:
    at: float  # time.monotonic() when the request arrived
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 that records every POST (and can be told to fail)."""

    fail_with: int | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        recv = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                code = recv.fail_with
                if code is None:
                    recv.received.append(
                        Received(
                            time.monotonic(),
                            self.path,
                            json.loads(body),
                            dict(self.headers.items()),
                        )
                    )
                self.send_response(code or 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def bodies(self) -> list[Any]:
        return [r.body for r in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Clock:
    def __init__(self, t: float = 1_790_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class RecordingTarget:
    """A notify target that keeps what it was given (the engine-only tests' receiver)."""

    name: str = "record"
    route: Any = field(default_factory=lambda: NotifyConfig().log)
    events: list[AlertEvent] = field(default_factory=list)

    async def send(self, event: AlertEvent) -> None:
        self.events.append(event)


class Lab:
    """The real engine, store and router on a simulated clock; one call = one round."""

    def __init__(
        self,
        data_dir: Path,
        inv: Inventory | None = None,
        config: AlertsConfig | None = None,
        notify: NotifyConfig | None = None,
        round_s: float = 30.0,
        clock: Clock | None = None,
    ) -> None:
        self.data_dir, self.round_s = data_dir, round_s
        self.inv = inv or coviolo_inventory()
        self.config = config or AlertsConfig()
        self.notify = notify or NotifyConfig()
        self.clock = clock or Clock()
        self.recorder = RecordingTarget()
        self.samples: list[Sample] = []
        self.open()

    def open(self) -> None:
        self.store: AlertStore = open_store(self.data_dir)
        base = Router.from_config(self.store.queue, self.notify, self.clock)
        self.router = Router(
            self.store.queue, [*base.targets.values(), self.recorder], self.notify.retry, self.clock
        )
        self.engine = AlertEngine(self.inv, self.config, self.store, self.router)

    def restart(self) -> None:
        """What a process restart leaves: only what is in state.sqlite."""
        self.store.close()
        self.recorder.events.clear()
        self.open()

    def round(self, down: Iterable[str] = (), snmp_down: Iterable[str] = ()) -> list[Sample]:
        self.clock.t += self.round_s
        down_s, snmp_s = set(down), set(snmp_down)
        obs = [
            Observation(
                d.name, d.name not in down_s, None if d.name in down_s else d.name not in snmp_s
            )
            for d in self.inv.devices
        ]
        samples, _ = asyncio.run(self.engine.observe_and_notify(obs, self.clock.t))
        self.samples += samples
        return samples

    def rounds(self, n: int, down: Iterable[str] = (), snmp_down: Iterable[str] = ()) -> None:
        for _ in range(n):
            self.round(down, snmp_down)

    def sent(self, status: str | None = None, kind: str | None = None) -> list[AlertEvent]:
        return [
            e
            for e in self.recorder.events
            if (status is None or e.status == status) and (kind is None or e.kind == kind)
        ]
