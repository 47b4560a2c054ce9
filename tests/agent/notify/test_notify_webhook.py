"""Webhook delivery to a real HTTP receiver on loopback: formats, retries, order, restart."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from netagent.agent.notify import Router
from netagent.agent.notify.config import NotifyConfig, RetryConfig, Route, WebhookConfig
from tests.alerts_lab import BRANCH_APS, Lab, WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    r = WebhookReceiver()
    yield r
    r.close()


def hook_lab(
    tmp_path: Path, receiver: WebhookReceiver, fmt: str = "generic", **route: object
) -> Lab:
    hook = WebhookConfig(url=receiver.url, format=fmt, name="oncall", **route)  # type: ignore[arg-type]
    return Lab(tmp_path, notify=NotifyConfig(webhooks=[hook]))


def test_generic_body_names_root_cause_and_cut_off_devices(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    lab = hook_lab(tmp_path, receiver)
    lab.rounds(4, down={"rpt-coviolo-nord", *BRANCH_APS})
    [body] = receiver.bodies()
    assert body["version"] == 1 and body["status"] == "firing"
    assert body["device"] == "rpt-coviolo-nord" and body["severity"] == "critical"
    assert body["quartiere"] == "Coviolo" and body["role"] == "ptp-radio"
    assert [a["device"] for a in body["affected"]] == BRANCH_APS
    assert body["affected_quartieri"] == ["Coviolo", "Rivalta"]
    assert body["started_at"].endswith("Z") and body["ended_at"] is None
    lab.rounds(2)
    firing, resolved = receiver.bodies()
    assert resolved["status"] == "resolved" and resolved["incident"] == firing["incident"]
    assert resolved["id"] != firing["id"] and resolved["ended_at"]


def test_configured_headers_are_sent(tmp_path: Path, receiver: WebhookReceiver) -> None:
    hook = WebhookConfig(url=receiver.url, headers={"Authorization": "Bearer t0k"})  # type: ignore[arg-type,dict-item]
    lab = Lab(tmp_path, notify=NotifyConfig(webhooks=[hook]))
    lab.rounds(3, down={"ap-centro"})
    [got] = receiver.received
    assert got.headers["Authorization"] == "Bearer t0k" and got.headers["User-Agent"] == "netagent"


def test_alertmanager_webhook_format(tmp_path: Path, receiver: WebhookReceiver) -> None:
    lab = hook_lab(tmp_path, receiver, fmt="alertmanager")
    lab.rounds(3, down={"ap-centro"})
    lab.rounds(2)
    firing, resolved = receiver.bodies()
    assert firing["version"] == "4" and firing["status"] == "firing"
    assert firing["receiver"] == "oncall" and firing["truncatedAlerts"] == 0
    [alert] = firing["alerts"]
    assert alert["labels"]["alertname"] == "NetagentDeviceDown"
    assert alert["labels"]["device"] == "ap-centro"
    assert alert["labels"]["severity"] == "critical"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert "ap-centro" in alert["annotations"]["summary"]
    [cleared] = resolved["alerts"]
    assert cleared["status"] == "resolved" and cleared["fingerprint"] == alert["fingerprint"]
    assert cleared["endsAt"] > cleared["startsAt"]


def test_routing_by_role_and_severity(tmp_path: Path, receiver: WebhookReceiver) -> None:
    # An AP-only critical route: gets the radio outage (it cut off APs), not the
    # degraded base station (warning) nor the lone router outage.
    lab = hook_lab(tmp_path, receiver, roles=["wifi-ap"], min_severity="critical")
    lab.rounds(4, down={"rpt-coviolo-nord", *BRANCH_APS}, snmp_down={"bs-coviolo"})
    lab.rounds(2, snmp_down={"bs-coviolo"})
    assert {e.kind for e in lab.sent("firing")} == {"down", "degraded"}
    assert [(b["device"], b["status"]) for b in receiver.bodies()] == [
        ("rpt-coviolo-nord", "firing"),
        ("rpt-coviolo-nord", "resolved"),
    ]


def test_failing_receiver_is_retried_with_backoff_and_reported(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    notify = NotifyConfig(
        webhooks=[WebhookConfig(url=receiver.url, name="oncall")],  # type: ignore[arg-type]
        retry=RetryConfig(first_delay_s=10, max_delay_s=40),
    )
    lab = Lab(tmp_path, notify=notify, round_s=5)
    receiver.fail_with = 503
    lab.rounds(3, down={"ap-centro"})
    health = lab.router.health["oncall"]
    assert health.failed_attempts == 1 and health.consecutive_failures == 1
    lab.round(down={"ap-centro"})  # 5 s later: back-off (10 s) not over, no attempt
    assert health.failed_attempts == 1
    lab.rounds(2, down={"ap-centro"})  # 15 s: second attempt fails, next in 20 s
    assert health.failed_attempts == 2 and lab.router.notify_failures() == 2
    assert lab.store.queue.depth() == 1
    receiver.fail_with = None
    lab.rounds(4, down={"ap-centro"})
    assert [b["status"] for b in receiver.bodies()] == ["firing"]
    assert health.consecutive_failures == 0 and lab.store.queue.depth() == 0


def test_resolved_never_overtakes_its_firing(tmp_path: Path, receiver: WebhookReceiver) -> None:
    notify = NotifyConfig(
        webhooks=[WebhookConfig(url=receiver.url, name="oncall")],  # type: ignore[arg-type]
        retry=RetryConfig(first_delay_s=60, max_delay_s=60),
    )
    lab = Lab(tmp_path, notify=notify)
    receiver.fail_with = 500
    lab.rounds(3, down={"ap-centro"})
    lab.rounds(2)  # recovered while the receiver is still failing
    receiver.fail_with = None
    lab.rounds(4)
    assert [b["status"] for b in receiver.bodies()] == ["firing", "resolved"]


def test_client_error_is_not_retried(tmp_path: Path, receiver: WebhookReceiver) -> None:
    lab = hook_lab(tmp_path, receiver)
    receiver.fail_with = 400
    lab.rounds(3, down={"ap-centro"})
    assert lab.router.health["oncall"].given_up == 1
    receiver.fail_with = None
    lab.rounds(3, down={"ap-centro"})
    assert receiver.bodies() == [] and lab.store.queue.given_up_total() == 1
    assert [e.kind for e in lab.sent()] == ["down"]  # the log/recorder still got it


def test_queued_notification_survives_restart(tmp_path: Path, receiver: WebhookReceiver) -> None:
    lab = hook_lab(tmp_path, receiver)
    receiver.fail_with = 503
    lab.rounds(3, down={"ap-centro"})
    assert lab.store.queue.depth() == 1
    lab.restart()
    receiver.fail_with = None
    lab.clock.t += 3600  # past any back-off
    asyncio.run(lab.router.deliver_pending())
    assert [b["device"] for b in receiver.bodies()] == ["ap-centro"]
    assert lab.sent() == []  # the recorder had it before the restart: not sent again
    asyncio.run(lab.router.deliver_pending())
    assert len(receiver.bodies()) == 1


def test_unreachable_receiver_gives_up_after_the_configured_age(tmp_path: Path) -> None:
    dead = WebhookReceiver()
    url = dead.url
    dead.close()  # nothing listens there any more: connection refused
    notify = NotifyConfig(
        webhooks=[WebhookConfig(url=url, name="gone")],  # type: ignore[arg-type]
        retry=RetryConfig(first_delay_s=1, max_delay_s=30, give_up_after_s=300),
    )
    lab = Lab(tmp_path, notify=notify)
    lab.rounds(3, down={"ap-centro"})
    assert "ConnectError" in lab.router.health["gone"].last_error
    lab.rounds(12, down={"ap-centro"})
    assert lab.router.health["gone"].given_up == 1 and lab.store.queue.depth() == 0


def test_keeps_failing_target_is_named_and_next_retry_known(
    tmp_path: Path, receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    notify = NotifyConfig(
        webhooks=[WebhookConfig(url=receiver.url, name="oncall")],  # type: ignore[arg-type]
        retry=RetryConfig(first_delay_s=1, max_delay_s=1),
    )
    lab = Lab(tmp_path, notify=notify)
    receiver.fail_with = 502
    lab.rounds(3, down={"ap-centro"})
    due = lab.router.next_due()
    assert due is not None and due == lab.clock.t + 1
    assert lab.router.failing_targets() == []
    lab.rounds(4, down={"ap-centro"})
    assert lab.router.failing_targets() == ["oncall"]
    assert "oncall keeps failing" in caplog.text
    receiver.fail_with = None
    lab.round(down={"ap-centro"})
    assert lab.router.failing_targets() == [] and lab.router.next_due() is None


def test_alertmanager_api_format_posts_an_alert_list(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    lab = hook_lab(tmp_path, receiver, fmt="alertmanager-api")
    lab.rounds(3, down={"ap-centro"})
    lab.rounds(2)
    [firing], [resolved] = receiver.bodies()
    assert set(firing) == {"labels", "annotations", "startsAt", "generatorURL"}
    assert firing["labels"]["alertname"] == "NetagentDeviceDown"
    assert resolved["labels"] == firing["labels"] and resolved["endsAt"] > resolved["startsAt"]


class BrokenTarget:
    """A target with a bug: it must not stop the queue for the others."""

    name = "broken"
    route: Route = NotifyConfig().log

    async def send(self, event: object) -> None:
        raise KeyError("bug")


def test_a_buggy_target_does_not_block_the_others(
    tmp_path: Path, receiver: WebhookReceiver
) -> None:
    lab = hook_lab(tmp_path, receiver)
    lab.router = Router(
        lab.store.queue, [*lab.router.targets.values(), BrokenTarget()], lab.notify.retry, lab.clock
    )
    lab.engine.notifier = lab.router
    lab.rounds(3, down={"ap-centro"})
    assert [b["device"] for b in receiver.bodies()] == ["ap-centro"]
    assert "KeyError" in lab.router.health["broken"].last_error
