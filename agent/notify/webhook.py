"""HTTP webhook delivery (generic JSON or Alertmanager's formats) with httpx."""

from __future__ import annotations

from typing import Any

import httpx

from agent.notify import formats
from agent.notify.config import Route, WebhookConfig, WebhookFormat
from agent.notify.event import AlertEvent
from agent.notify.target import DeliveryError

_RETRYABLE_4XX = {408, 425, 429}


class WebhookTarget:
    def __init__(self, config: WebhookConfig, client: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.route: Route = config
        self.name = config.name or f"webhook:{config.url.host}"
        self._client = client

    def body(self, event: AlertEvent) -> Any:
        match self.config.format:
            case WebhookFormat.ALERTMANAGER:
                return formats.alertmanager_webhook(event, receiver=self.name)
            case WebhookFormat.ALERTMANAGER_API:
                return formats.alertmanager_api(event)
            case _:
                return formats.generic(event)

    async def send(self, event: AlertEvent) -> None:
        headers = {"User-Agent": "netagent", "Idempotency-Key": event.key,
                   **self.config.headers}
        try:
            if self._client is not None:
                resp = await self._client.post(str(self.config.url), json=self.body(event),
                                               headers=headers, timeout=self.config.timeout_s)
            else:
                async with httpx.AsyncClient() as client:
                    resp = await client.post(str(self.config.url), json=self.body(event),
                                             headers=headers, timeout=self.config.timeout_s)
        except httpx.HTTPError as e:
            raise DeliveryError(f"{type(e).__name__}: {e}") from e
        if resp.is_success:
            return
        code = resp.status_code
        permanent = 400 <= code < 500 and code not in _RETRYABLE_4XX
        raise DeliveryError(f"HTTP {code}: {resp.text[:200]}", permanent=permanent)
