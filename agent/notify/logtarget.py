"""The log as a notification target: always there, never fails."""

from __future__ import annotations

import logging

from netagent.agent.notify.config import LogConfig, Route
from netagent.agent.notify.event import AlertEvent

log = logging.getLogger("netagent.alerts")


class LogTarget:
    config_model = LogConfig  # the settings it takes (netagent.agent.notify.registry)

    def __init__(self, config: LogConfig) -> None:
        self.route: Route = config
        self.name = config.name

    async def send(self, event: AlertEvent) -> None:
        level = logging.INFO if event.status == "resolved" else logging.WARNING
        cut = (
            f"; cut off {len(event.affected)} in {', '.join(event.affected_quartieri())}"
            if event.affected
            else ""
        )
        log.log(
            level,
            "alert %s %s [%s] %s%s",
            event.status,
            event.kind,
            event.severity.value,
            event.text,
            cut,
        )
