"""The Notifier: routes queued notifications to their targets, with retries and back-off.

Per target, notifications leave in queue order (a resolved never overtakes its firing):
a target whose head notification waits for a retry holds its later ones back. Targets run
concurrently, so one slow SMTP server does not delay the webhook.

The targets are built from the notifier types registered by name (netagent.agent.notify.registry):
netagent's webhook, email and log through their own sections, any type through
`[[notify.targets]]`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from netagent.agent.notify.config import NotifyConfig, RetryConfig, Route
from netagent.agent.notify.event import AlertEvent
from netagent.agent.notify.queue import NotificationQueue, Pending
from netagent.agent.notify.registry import NOTIFIERS, ROUTE_KEYS, Channel, settings_of
from netagent.agent.notify.target import DeliveryError, Target, wants

log = logging.getLogger(__name__)

KEEPS_FAILING = 5  # consecutive failed attempts before the log says so loudly


@dataclass
class TargetHealth:
    delivered: int = 0
    failed_attempts: int = 0
    consecutive_failures: int = 0
    given_up: int = 0
    last_error: str = ""


@dataclass
class DeliveryReport:
    """One delivery pass; `failing` names targets whose last attempt failed."""

    delivered: int = 0
    failed_attempts: int = 0
    given_up: int = 0
    pending: int = 0
    failing: list[str] = field(default_factory=list)


class Notifier(Protocol):
    async def deliver_pending(self) -> DeliveryReport: ...


class TargetError(RuntimeError):
    """A configured target cannot be built; the message names its config key."""


@dataclass
class Routed:
    """A channel of any notifier type, with the name and route netagent gives it."""

    name: str
    route: Route
    channel: Channel

    async def send(self, event: AlertEvent) -> None:
        await self.channel.send(event)


def build_target(kind: str, settings: Any, route: Route, name: str, key: str) -> Routed:
    """One target of notifier type `kind`; TargetError names `key` when it cannot be
    built (a plugin's constructor may fail in any way: one line, never a traceback)."""
    try:
        channel = NOTIFIERS.get(kind)(settings)
    except Exception as e:
        raise TargetError(
            f"{key} ({kind}): cannot build the target: {type(e).__name__}: {e}"
        ) from None
    return Routed(name or getattr(channel, "name", "") or kind, route, channel)


def configured_targets(config: NotifyConfig) -> list[Routed]:
    """Every target the `[notify]` section declares, in a stable order."""
    targets = [
        build_target("webhook", w, w, "", f"notify.webhooks[{i}]")
        for i, w in enumerate(config.webhooks)
    ]
    if config.email is not None:
        targets.append(build_target("email", config.email, config.email, "", "notify.email"))
    if config.log.enabled:
        targets.append(build_target("log", config.log, config.log, "", "notify.log"))
    for i, table in enumerate(config.targets):
        kind, key = str(table["type"]), f"notify.targets[{i}]"
        try:
            settings = settings_of(NOTIFIERS.get(kind), table)
        except (LookupError, ValueError) as e:  # validated at load; a plugin since removed
            raise TargetError(f"{key} ({kind}): {e}") from None
        # netagent's own types route by their settings (their defaults differ per type).
        route = (
            settings
            if isinstance(settings, Route)
            else Route.model_validate({k: table[k] for k in ROUTE_KEYS - {"name"} if k in table})
        )
        targets.append(build_target(kind, settings, route, str(table.get("name", "")), key))
    return targets


class Router:
    """The Notifier over the configured targets."""

    def __init__(
        self,
        queue: NotificationQueue,
        targets: Sequence[Target],
        retry: RetryConfig | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        names = [t.name for t in targets]
        if len(set(names)) != len(names):
            raise ValueError(f"notify targets need unique names, got {names}")
        self.queue = queue
        self.targets = {t.name: t for t in targets}
        self.retry = retry or RetryConfig()
        self.clock = clock
        self.health = {t.name: TargetHealth() for t in targets}
        self._lock = asyncio.Lock()

    @classmethod
    def from_config(
        cls, queue: NotificationQueue, config: NotifyConfig, clock: Callable[[], float] = time.time
    ) -> Router:
        """Raises TargetError naming the key of a target that cannot be built."""
        return cls(queue, configured_targets(config), config.retry, clock)

    def notify_failures(self) -> int:
        """Failed delivery attempts since start: the `agent` measurement's notify_failures."""
        return sum(h.failed_attempts for h in self.health.values())

    def failing_targets(self) -> list[str]:
        """Targets whose last attempts failed KEEPS_FAILING times or more in a row."""
        return [n for n, h in self.health.items() if h.consecutive_failures >= KEEPS_FAILING]

    def next_due(self) -> float | None:
        """When the next retry is due (unix s), so the caller can sleep until then."""
        return self.queue.next_due()

    def _backoff(self, attempts: int) -> float:
        return float(min(self.retry.max_delay_s, self.retry.first_delay_s * 2 ** max(attempts, 0)))

    async def deliver_pending(self) -> DeliveryReport:
        async with self._lock:  # one pass at a time: a row is never sent twice at once
            report = DeliveryReport()
            now = self.clock()
            per_target: dict[str, list[Pending]] = {name: [] for name in self.targets}
            for p in self.queue.pending():
                rows = self.queue.deliveries(p.id)
                if not rows:
                    routed = [n for n, t in self.targets.items() if wants(t.route, p.event)]
                    self.queue.route(p.id, routed, now)
                    rows = self.queue.deliveries(p.id)
                for r in rows:
                    if r.finished:
                        continue
                    if r.target not in per_target:  # target removed from the config
                        self.queue.give_up(p.id, r.target, now, "target no longer configured")
                        continue
                    per_target[r.target].append(p)
            await asyncio.gather(*(self._drain(n, ps, report) for n, ps in per_target.items()))
            report.pending = self.queue.depth()
            return report

    async def _drain(self, name: str, items: list[Pending], report: DeliveryReport) -> None:
        target, health = self.targets[name], self.health[name]
        for p in items:
            row = next(r for r in self.queue.deliveries(p.id) if r.target == name)
            now = self.clock()
            if row.next_at > now:
                return  # head of line waits for its retry: keep the order
            try:
                await target.send(p.event)
            except DeliveryError as exc:
                e = exc
            except Exception as exc:  # a plugin's failure, or a bug: never stops the queue
                log.debug("notify %s: error sending %s", name, p.event.key, exc_info=True)
                permanent = getattr(exc, "permanent", False) is True
                e = DeliveryError(f"{type(exc).__name__}: {exc}", permanent=permanent)
            else:
                health.delivered += 1
                health.consecutive_failures = 0
                report.delivered += 1
                self.queue.delivered(p.id, name, self.clock())
                continue
            if not self._failed(name, p, row.attempts, e, report):
                return  # waits for its retry, and holds the later ones back

    def _failed(
        self, name: str, p: Pending, attempts: int, e: DeliveryError, report: DeliveryReport
    ) -> bool:
        """Record a failed attempt; True when given up (the next one may go)."""
        now, health = self.clock(), self.health[name]
        health.failed_attempts += 1
        health.consecutive_failures += 1
        health.last_error = str(e)
        if health.consecutive_failures == KEEPS_FAILING:
            log.error(
                "notify target %s keeps failing (%d attempts in a row): %s", name, KEEPS_FAILING, e
            )
        report.failed_attempts += 1
        if name not in report.failing:
            report.failing.append(name)
        if e.permanent or now - p.created >= self.retry.give_up_after_s:
            health.given_up += 1
            report.given_up += 1
            log.error("notify %s: giving up on %s: %s", name, p.event.key, e)
            self.queue.give_up(p.id, name, now, str(e))
            return True
        delay = self._backoff(attempts)
        log.warning("notify %s: %s failed (%s), retry in %.0f s", name, p.event.key, e, delay)
        self.queue.retry_at(p.id, name, now + delay, str(e))
        return False
