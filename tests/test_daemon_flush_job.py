"""The flush job also retries queued notifications, so a failed webhook delivery waits at
most one flush interval, not the next ICMP round."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from agent.alerts import open_store
from agent.health import Health
from agent.jobs import flush_job
from agent.notify import Router
from agent.notify.config import NotifyConfig, RetryConfig, Severity, WebhookConfig
from agent.notify.event import AlertEvent
from collectors.influx import make_delivery
from collectors.influx.config import InfluxConfig
from collectors.spool import Spool, SpoolConfig
from tests.alerts_lab import WebhookReceiver


def test_flush_job_retries_a_failed_notification(tmp_path: Path) -> None:
    receiver = WebhookReceiver(fail_with=503)
    now = [1000.0]
    store = open_store(tmp_path)
    cfg = NotifyConfig(
        webhooks=[WebhookConfig(url=receiver.url)], retry=RetryConfig(first_delay_s=1.0)
    )
    router = Router.from_config(store.queue, cfg, clock=lambda: now[0])
    event = AlertEvent(
        1,
        "firing",
        "down",
        Severity.CRITICAL,
        "ap-1",
        "wifi-ap",
        "Piazza",
        "Rosta Nuova",
        "ap-1 is down",
        "ap-1",
        990.0,
    )
    store.queue.enqueue(event, now[0])
    asyncio.run(router.deliver_pending())  # first attempt: 503, queued for a retry
    assert receiver.received == [] and store.queue.depth() == 1

    receiver.fail_with = None
    now[0] += 2.0  # past the first retry delay
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig())
    services = SimpleNamespace(
        router=router, health=Health(), delivery=make_delivery(spool, InfluxConfig(), SpoolConfig())
    )
    asyncio.run(flush_job(services, 10.0)())  # type: ignore[arg-type]
    assert len(receiver.received) == 1
    assert store.queue.depth() == 0
    spool.close()
    store.close()
