"""Alert notifications: routing, a durable queue with retries, and the targets: webhook,
email, log and any installed notifier type (agent.notify.registry)."""

from agent.notify.config import NotifyConfig, Severity
from agent.notify.event import Affected, AlertEvent
from agent.notify.queue import NotificationQueue
from agent.notify.router import DeliveryReport, Notifier, Router

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
