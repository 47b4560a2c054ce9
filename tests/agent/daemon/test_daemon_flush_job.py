"""The daemon's flush job: samples to InfluxDB (or, without it, local retention only) and
queued notifications, so a failed webhook delivery waits at most one flush interval, not
the next ICMP round."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
from pydantic import SecretStr

from netagent.agent.alerts import open_store
from netagent.agent.config import AgentConfig
from netagent.agent.health import Health
from netagent.agent.jobs import flush_job
from netagent.agent.notify import Router
from netagent.agent.notify.config import NotifyConfig, RetryConfig, Severity, WebhookConfig
from netagent.agent.notify.event import AlertEvent
from netagent.agent.scheduler import JobFunc, JobReport
from netagent.agent.services import Services
from netagent.collectors.influx import make_delivery
from netagent.collectors.influx.config import InfluxConfig
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool, SpoolConfig
from netagent.inventory.model import Inventory
from tests.alerts_lab import WebhookReceiver
from tests.fixtures.influx_v2 import serve


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
        router=router,
        health=Health(),
        delivery=make_delivery(spool, InfluxConfig(), SpoolConfig()),
    )
    asyncio.run(flush_job(services, 10.0)())  # type: ignore[arg-type]
    assert len(receiver.received) == 1
    assert store.queue.depth() == 0
    spool.close()
    store.close()


class _NoNotifications:
    async def deliver_pending(self) -> None:
        pass


def run(job: JobFunc) -> JobReport:
    """One run of a job, as the scheduler makes it."""

    async def once() -> JobReport | None:
        return await job()

    report = asyncio.run(once())
    assert report is not None
    return report


def test_without_influxdb_nothing_says_samples_are_undelivered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No [influxdb] url: the spool is the store. Neither the flush job nor the last flush
    at stop hints that samples wait to be delivered; they are the local history."""
    config = AgentConfig.model_validate({"agent": {"data_dir": str(tmp_path)}})
    services = Services.assemble(config, Inventory(), None, Health())
    services.spool.put([Sample("icmp", {"device": "ap-1"}, {"up": True})])
    with caplog.at_level(logging.DEBUG):
        report = run(flush_job(services, 10.0))
        asyncio.run(services.final_flush())
    assert report.failures == 0
    words = ("undelivered", "remaining", "wait", "stay in the spool", "retry")
    assert not [r.getMessage() for r in caplog.records if any(w in r.getMessage() for w in words)]
    assert [s.tags["device"] for s in services.spool.query("icmp")] == ["ap-1"]
    services.close()


def test_the_flush_job_retries_within_its_run_when_the_back_off_allows(tmp_path: Path) -> None:
    """InfluxDB answers 503 twice: with the default 1 s back-off the job's own run tries
    again 1 s and 2 s later (what its log line says) and delivers, instead of leaving it
    to the next run 10 s later."""
    spool = Spool(tmp_path / "spool.sqlite", SpoolConfig(batch_size=10))
    with serve() as v2:
        influx = InfluxConfig(url=v2.url, org=v2.org, bucket=v2.bucket, token=SecretStr(v2.token))
        services = SimpleNamespace(
            router=_NoNotifications(),
            health=Health(),
            delivery=make_delivery(spool, influx, spool.config),
        )
        spool.put([Sample("icmp", {"device": f"ap-{i}"}, {"up": True}) for i in range(25)])
        v2.fail_next(503, {"code": "unavailable", "message": "restarting"}, times=2)
        report = run(flush_job(services, 10.0))  # type: ignore[arg-type]
        assert (report.devices, report.failures) == (25, 0)
        assert len(v2.points) == 25
    assert spool.stats().depth == 0
    spool.close()
