"""The `[notify]` config section: where alerts go, and which ones each target wants.

Routing is declared per target (minimum severity, roles), so adding an on-call address for
the access points only is one table in the TOML, not code. `[[notify.targets]]` names a
notifier type by `type` (netagent.agent.notify.registry: netagent's own or an installed plugin's);
the type's own model checks the rest of its table.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
)

from netagent.agent.notify.registry import (
    NOTIFIERS,
    ROUTE_KEYS,
    describe,
    masked,
    settings_of,
)
from netagent.collectors.plugins import UnknownPlugin


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class WebhookFormat(StrEnum):
    GENERIC = "generic"  # netagent's own JSON body (README, "Alert notifications")
    ALERTMANAGER = "alertmanager"  # the body Alertmanager posts to its webhook receivers
    ALERTMANAGER_API = "alertmanager-api"  # a list of alerts for POST /api/v2/alerts


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Route(_Section):
    """Which alerts a target receives."""

    min_severity: Severity = Field(
        default=Severity.WARNING,
        description="Lowest severity sent to this target (info|warning|critical).",
    )
    roles: list[str] = Field(
        default_factory=list,
        description="Only alerts whose device, or a device it cut off, has one of these roles "
        "(wifi-ap, ptp-radio, base-station, cpe, switch, router); empty: every role.",
    )


class WebhookConfig(Route):
    name: str = Field(default="", description="Name in logs and metrics; default: the URL's host.")
    url: HttpUrl = Field(
        description="Where to POST the alert (http or https). Often holds a token in its"
        " path: never shown; url_file: a file holding it.",
        json_schema_extra={"secret": True},
    )
    format: WebhookFormat = Field(default=WebhookFormat.GENERIC, description="Body format.")
    timeout_s: float = Field(default=10.0, gt=0, description="Timeout of one POST.")
    headers: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Extra HTTP headers (e.g. Authorization); values are secrets, never "
        "shown or logged. headers_file: a file of 'Name: value' lines instead.",
    )


class EmailConfig(Route):
    name: str = Field(default="email", description="Name in logs and metrics.")
    host: str = Field(description="SMTP server host name or address.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port (587: submission).")
    starttls: bool = Field(
        default=True, description="Upgrade the connection with STARTTLS before AUTH."
    )
    implicit_tls: bool = Field(
        default=False,
        description="SMTPS (usually port 465): TLS from the first byte; starttls is then not used.",
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of CAs to trust for the server certificate; "
        "default: the system store.",
    )
    username: str = Field(default="", description="AUTH user; empty: no AUTH.")
    password: SecretStr = Field(
        default=SecretStr(""),
        description="AUTH password (env NETAGENT_NOTIFY__EMAIL__PASSWORD or "
        "password_file); never logged.",
    )
    from_addr: str = Field(
        default="netagent@localhost", alias="from", description="Sender address."
    )
    to: list[str] = Field(min_length=1, description="Recipients.")
    timeout_s: float = Field(default=20.0, gt=0, description="Timeout of one SMTP session.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LogConfig(Route):
    name: str = Field(default="log", description="Name in metrics.")
    enabled: bool = Field(default=True, description="Write every routed alert to the agent's log.")
    min_severity: Severity = Field(default=Severity.INFO, description="Lowest severity logged.")


class RetryConfig(_Section):
    first_delay_s: float = Field(default=2.0, gt=0, description="Delay before the first retry.")
    max_delay_s: float = Field(default=300.0, gt=0, description="Back-off ceiling between retries.")
    give_up_after_s: float = Field(
        default=86400.0,
        gt=0,
        description="A notification still undelivered after this long is "
        "dropped and counted as failed.",
    )


def _plugin_target(table: dict[str, Any]) -> dict[str, Any]:
    """A `[[notify.targets]]` table checked against its type (its `<key>_file` keys were
    read by the loader, netagent.agent.config_walk.target_files), its secrets as SecretStr
    so `config show` masks them. Raises ValueError naming the installed types."""
    kind = table.get("type")
    if not isinstance(kind, str) or not kind:
        raise ValueError(
            f"needs type = one of the installed notifier types: {', '.join(NOTIFIERS.names())}"
        )
    try:
        factory = NOTIFIERS.lookup(kind)
    except UnknownPlugin as e:
        raise ValueError(str(e)) from None
    try:
        Route.model_validate({k: v for k, v in table.items() if k in ROUTE_KEYS - {"name"}})
    except ValidationError as e:
        raise ValueError(describe(e)) from None
    settings_of(factory, table)
    return masked(factory, table)


PluginTarget = Annotated[dict[str, Any], AfterValidator(_plugin_target)]


class NotifyConfig(_Section):
    targets: list[PluginTarget] = Field(
        default_factory=list,
        description="Targets of any installed notifier type: type = 'webhook', 'email',"
        " 'log' or a plugin's name; name, min_severity and roles route as elsewhere, the"
        " other keys are the type's settings (README, 'Extending netagent').",
    )
    webhooks: list[WebhookConfig] = Field(default_factory=list, description="Webhook targets.")
    email: EmailConfig | None = Field(default=None, description="SMTP target; None: no email.")
    log: LogConfig = Field(default_factory=lambda: LogConfig(), description="The log target.")
    retry: RetryConfig = Field(
        default_factory=lambda: RetryConfig(), description="Delivery retries."
    )
