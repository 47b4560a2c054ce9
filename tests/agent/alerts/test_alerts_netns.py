"""End to end with real hosts: network namespaces that stop answering, the real ICMP
prober, the real engine and store, a real webhook receiver on loopback. The clock of the
rounds is simulated (30 s apart); the echoes are real."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from netagent.agent.alerts import (
    AlertEngine,
    AlertsConfig,
    MaintenanceWindow,
    Observation,
    open_store,
)
from netagent.agent.notify import NotifyConfig, Router
from netagent.agent.notify.config import WebhookConfig
from netagent.inventory.model import Device, Inventory, Role, Site, WifiSettings
from tests.alerts_lab import Clock, WebhookReceiver
from tests.fixtures.netlab import Host, NetLab

icmp = pytest.importorskip("netagent.collectors.icmp", reason="the ICMP prober is not merged yet")

APS = [f"ap-{i}" for i in range(1, 6)]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


class Net:
    """radio (root) -> 5 APs behind it; a lone AP and a second lone AP, all in netns."""

    def __init__(
        self, netlab: NetLab, tmp: Path, receiver: WebhookReceiver, config: AlertsConfig
    ) -> None:
        self.hosts: dict[str, Host] = {}
        names = ["radio", *APS, "ap-solo", "ap-works"]
        for n in names:
            self.hosts[n] = netlab.add_host()
        site = Site(name="Coviolo", lat=44.68, lon=10.60, quartiere="Coviolo")
        devices = [
            Device(
                name="radio",
                site="Coviolo",
                role=Role.PTP_RADIO,
                mgmt_ip=ip_address(self.hosts["radio"].addr4),
            )
        ]
        devices += [
            Device(
                name=n,
                site="Coviolo",
                role=Role.WIFI_AP,
                wifi=WifiSettings(),
                mgmt_ip=ip_address(self.hosts[n].addr4),
                parent="radio" if n in APS else None,
            )
            for n in names[1:]
        ]
        self.inv = Inventory(sites=(site,), devices=tuple(devices))
        self.targets = [icmp.IcmpTarget(d.name, str(d.mgmt_ip)) for d in devices]
        self.prober = icmp.IcmpProber(
            icmp.IcmpConfig(count=1, timeout_ms=300, interval_ms=0), netns=netlab.probe_ns
        )
        self.tmp, self.config, self.clock = tmp, config, Clock()
        self.notify = NotifyConfig(
            webhooks=[WebhookConfig.model_validate({"url": receiver.url, "name": "oncall"})]
        )
        self.start()

    def start(self) -> None:
        self.store = open_store(self.tmp)
        self.router = Router.from_config(self.store.queue, self.notify, self.clock)
        self.engine = AlertEngine(self.inv, self.config, self.store, self.router)

    def restart(self) -> None:
        self.store.close()
        self.start()

    def rounds(self, n: int) -> None:
        async def go() -> None:
            for _ in range(n):
                results = await self.prober.round(self.targets)
                self.clock.t += 30
                obs = [Observation(r.target.name, r.up, None) for r in results]
                await self.engine.observe_and_notify(obs, self.clock.t)

        asyncio.run(go())

    def close(self) -> None:
        self.prober.close()
        self.store.close()


def summary(receiver: WebhookReceiver) -> list[tuple[str, str, str]]:
    return [(b["device"], b["kind"], b["status"]) for b in receiver.bodies()]


@pytest.mark.root
def test_radio_branch_goes_dark_one_alert_one_recovery_across_a_restart(
    netlab: NetLab, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    net = Net(netlab, tmp_path, receiver, AlertsConfig())
    try:
        net.rounds(2)
        assert receiver.bodies() == []
        for n in ["radio", *APS]:
            net.hosts[n].link(False)  # the far side and everything behind it go dark
        net.rounds(2)
        net.restart()  # the agent restarts in the middle of the outage
        net.rounds(4)
        assert summary(receiver) == [("radio", "down", "firing")]
        body: dict[str, Any] = receiver.bodies()[0]
        assert [a["device"] for a in body["affected"]] == APS
        assert body["affected_quartieri"] == ["Coviolo"]
        net.restart()
        net.rounds(2)
        for n in ["radio", *APS]:
            net.hosts[n].link(True)
        net.rounds(4)
        assert summary(receiver) == [("radio", "down", "firing"), ("radio", "down", "resolved")]
    finally:
        net.close()


@pytest.mark.root
def test_flapping_ap_one_alert_and_maintenance_none(
    netlab: NetLab, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    now = datetime.fromtimestamp(Clock().t, UTC)
    works = MaintenanceWindow(
        name="works", devices=["ap-works"], start=now, end=now + timedelta(hours=1)
    )
    net = Net(
        netlab,
        tmp_path,
        receiver,
        AlertsConfig(flap_changes=4, flap_window_s=600, maintenance=[works]),
    )
    try:
        net.rounds(1)
        net.hosts["ap-works"].drop_echo()  # down for good, but under maintenance
        for _ in range(4):
            net.hosts["ap-solo"].drop_echo()
            net.rounds(1)
            net.hosts["ap-solo"].clear_rules()
            net.rounds(1)
        assert summary(receiver) == [("ap-solo", "flapping", "firing")]
        [works_inc] = [i for i in net.store.open_incidents() if i.device == "ap-works"]
        assert works_inc.kind == "down" and not works_inc.notified
    finally:
        net.close()
