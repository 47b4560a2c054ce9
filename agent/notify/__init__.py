"""Alert notifications: routing, a durable queue with retries, and the targets: webhook,
email, log and any installed notifier type (netagent.agent.notify.registry)."""

from netagent.agent.notify.config import NotifyConfig, Severity
from netagent.agent.notify.event import Affected, AlertEvent
from netagent.agent.notify.queue import NotificationQueue
from netagent.agent.notify.router import DeliveryReport, Notifier, Router

__all__ = [
    "Affected",
    "AlertEvent",
    "DeliveryReport",
    "NotificationQueue",
    "Notifier",
    "NotifyConfig",
    "Router",
    "Severity",
]
