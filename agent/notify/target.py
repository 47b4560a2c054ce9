"""The seam between the router and a delivery channel (webhook, SMTP, log)."""

from __future__ import annotations

from typing import Protocol

from netagent.agent.notify.config import Route
from netagent.agent.notify.event import AlertEvent


class DeliveryError(Exception):
    """A failed send; `permanent` ones (HTTP 4xx, SMTP 5xx) are not retried."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Target(Protocol):
    name: str
    route: Route

    async def send(self, event: AlertEvent) -> None:
        """Deliver one event or raise DeliveryError."""


def wants(route: Route, event: AlertEvent) -> bool:
    """Routing: severity at least the target's minimum, and a role it follows."""
    if event.severity.rank < route.min_severity.rank:
        return False
    return not route.roles or bool(set(route.roles) & event.roles())
