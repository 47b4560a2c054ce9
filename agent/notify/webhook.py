"""HTTP webhook delivery (generic JSON or Alertmanager's formats) with httpx."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from netagent.agent.notify import formats
from netagent.agent.notify.config import Route, WebhookConfig, WebhookFormat
from netagent.agent.notify.event import AlertEvent
from netagent.agent.notify.target import DeliveryError

_RETRYABLE_4XX = {408, 425, 429}


class WebhookTarget:
    config_model = WebhookConfig  # the settings it takes (netagent.agent.notify.registry)

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self.route: Route = config
        self.name = config.name or f"webhook:{config.url.host}"
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _session(self) -> httpx.AsyncClient:
        """One keep-alive client per event loop: no TCP/TLS set-up on the alert path."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = httpx.AsyncClient(), loop
        return self._client

    def body(self, event: AlertEvent) -> Any:
        match self.config.format:
            case WebhookFormat.ALERTMANAGER:
                return formats.alertmanager_webhook(event, receiver=self.name)
            case WebhookFormat.ALERTMANAGER_API:
                return formats.alertmanager_api(event)
            case _:
                return formats.generic(event)

    async def send(self, event: AlertEvent) -> None:
        headers = {
            "User-Agent": "netagent",
            "Idempotency-Key": event.key,
            **{k: v.get_secret_value() for k, v in self.config.headers.items()},
        }
        try:
            resp = await self._session().post(
                str(self.config.url),
                json=self.body(event),
                headers=headers,
                timeout=self.config.timeout_s,
            )
        except httpx.HTTPError as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
        if resp.is_success:
            return
        code = resp.status_code
        permanent = 400 <= code < 500 and code not in _RETRYABLE_4XX
        raise DeliveryError(f"HTTP {code}: {resp.text[:200]}", permanent=permanent)
