"""The agent's own alert: "netagent cannot store samples", and its all-clear.

Device alerts travel through the durable notification queue in the data directory. This
one exists precisely when that directory cannot be written (disk full, I/O error), so it
goes straight to every notify target from memory, retried at each check until each
target took it; the all-clear follows to the targets that got the alert. It is not kept
across a restart: a daemon that starts on a still-full disk raises it again.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping

from netagent.agent.health import Health
from netagent.agent.notify.config import Severity
from netagent.agent.notify.event import AlertEvent
from netagent.agent.notify.target import DeliveryError, Target

log = logging.getLogger(__name__)


class StorageAlarm:
    def __init__(self, host: str | None = None) -> None:
        self.host = host or socket.gethostname()
        self._firing: AlertEvent | None = None
        self._unsent: dict[str, AlertEvent] = {}  # target -> the event it still needs
        self._told: set[str] = set()  # targets that got the firing event

    async def check(self, health: Health, targets: Mapping[str, Target], now: float) -> None:
        """Raise, clear, or retry the delivery, from what `health` says now."""
        outage = health.storage
        if outage is not None and self._firing is None:
            self._firing = self._event("firing", outage.since, outage.error, None)
            self._unsent = dict.fromkeys(targets, self._firing)
            self._told = set()
            log.error("raising the agent's own alert: %s", self._firing.text)
        elif outage is None and self._firing is not None:
            cleared = self._event("resolved", self._firing.started_at, "", now)
            self._unsent = dict.fromkeys(self._told, cleared)
            self._firing = None
        for name, event in list(self._unsent.items()):
            target = targets.get(name)
            if target is None:
                del self._unsent[name]
                continue
            try:
                await target.send(event)
            except DeliveryError as e:
                log.warning(
                    "notify %s: the agent's own alert failed (%s); retry at the next check", name, e
                )
                if e.permanent:
                    del self._unsent[name]
                continue
            except Exception as e:  # one broken target must not stop the rest
                log.warning(
                    "notify %s: the agent's own alert failed (%s: %s)", name, type(e).__name__, e
                )
                continue
            del self._unsent[name]
            if event.status == "firing":
                self._told.add(name)

    def _event(self, status: str, since: float, error: str, ended: float | None) -> AlertEvent:
        text = (
            f"netagent cannot store samples: {error}"
            if status == "firing"
            else "netagent stores samples again"
        )
        return AlertEvent(
            # Negative: never the id of a device incident; one outage, one identity.
            incident=-int(since),
            status=status,
            kind="storage",
            severity=Severity.CRITICAL,
            device=f"netagent@{self.host}",
            role="agent",
            site="",
            quartiere="",
            text=text,
            root_cause=f"netagent@{self.host}",
            started_at=since,
            ended_at=ended,
        )
