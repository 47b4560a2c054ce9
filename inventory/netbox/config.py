"""The `[netbox]` config section: where NetBox is, how to talk to it, what to pull."""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# Server time per object of a bulk write on NetBox 4.4.10 (2 cores, runserver; see
# /work/shared/MEASURED.md): devices 73-76 ms, interfaces 128 ms (500 in one POST: 64 s).
MEASURED_S_PER_OBJECT = 0.13


class NetBoxTokenError(Exception):
    """The token file is missing, unreadable or empty (the message never holds the token)."""


class NetBoxAliases(BaseModel):
    """Inventory name -> the name (or slug) of the object NetBox already holds for it."""

    model_config = ConfigDict(extra="forbid")

    regions: dict[str, str] = Field(default_factory=dict, description="Quartiere -> region.")
    manufacturers: dict[str, str] = Field(
        default_factory=dict,
        description="Vendor -> manufacturer, e.g. Cambium = 'Cambium Networks'.",
    )
    device_types: dict[str, str] = Field(
        default_factory=dict, description="Model -> device type model (or slug)."
    )
    roles: dict[str, str] = Field(
        default_factory=dict, description="Role (wifi-ap, switch, router…) -> device role."
    )
    platforms: dict[str, str] = Field(default_factory=dict, description="SNMP profile -> platform.")
    wireless_lans: dict[str, str] = Field(
        default_factory=dict, description="SSID -> wireless LAN SSID."
    )

    def of(self, kind: str) -> dict[str, str]:
        """The aliases of a NetBox kind ("device-roles" -> roles)."""
        field = {"device-roles": "roles"}.get(kind, kind.replace("-", "_"))
        return dict(getattr(self, field, {}))


class NetBoxConfig(BaseModel):
    url: str = Field(
        default="",
        description="Base URL of NetBox, e.g. https://netbox.example/ (empty: NetBox is off).",
    )
    token: SecretStr | None = Field(
        default=None,
        description="API token (v1, 40 hex). From NETAGENT_NETBOX__TOKEN or token_file, "
        "never the command line.",
    )
    token_file: Path | None = Field(
        default=None, description="File holding the API token (first line)."
    )
    tag: str = Field(default="netagent", description="Tag slug marking the objects the sync owns.")
    orphan_tag: str = Field(
        default="netagent-orphaned",
        description="Tag slug put on owned objects no longer in the inventory (NetBox's list "
        "filters show them); removed when they come back.",
    )
    prune_delay_s: float = Field(
        default=7 * 86400,
        ge=0,
        description="How long an object stays orphaned before --prune may delete it.",
    )
    page_limit: int = Field(
        default=1000, ge=1, le=1000, description="Page size of reads (NetBox caps at 1000)."
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Objects per bulk write request; empty: sized so that one request takes "
        "at most half of proxy_timeout_s at server_s_per_object.",
    )
    proxy_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="The shortest timeout between netagent and NetBox (a reverse proxy's, "
        "nginx's default is 60 s): bulk writes are chunked to stay well inside it.",
    )
    server_s_per_object: float = Field(
        default=MEASURED_S_PER_OBJECT,
        gt=0,
        description="NetBox's server time per object written in bulk (measured: 0.13 s).",
    )
    verify_tls: bool = Field(default=True, description="Check the server's TLS certificate.")
    timeout_s: float = Field(
        default=120.0, gt=0, description="Per-request timeout (NetBox bulk writes are slow)."
    )
    retries: int = Field(default=4, ge=0, description="Retries on network errors and 5xx answers.")
    backoff_s: float = Field(
        default=1.0, ge=0, description="Back-off base: waits backoff_s * 2^n between retries."
    )
    lookup_chunk: int = Field(
        default=100, ge=1, description="Names per conflict-lookup query string."
    )
    aliases: NetBoxAliases = Field(
        default_factory=NetBoxAliases,
        description="Shared objects NetBox holds under another name: [netbox.aliases."
        "manufacturers] Cambium = 'Cambium Networks'. Found by slug, then name "
        "(case-insensitive), then here.",
    )
    time_zone: str = Field(default="Europe/Rome", description="Time zone of the sites created.")
    region_city: str = Field(
        default="Reggio Emilia",
        min_length=1,
        description="The city's NetBox region, parent of one region per quartiere (sites "
        "without a quartiere go in it); the default is the bundled sample's city.",
    )
    region_parent: str = Field(
        default="Emilia-Romagna",
        min_length=1,
        description="The region region_city sits in; the default is the bundled sample's.",
    )
    owner_tenants: bool = Field(
        default=False,
        description="Fibre segment owners become NetBox tenants (an existing tenant of that "
        "name or slug is used as it is) set on their cables.",
    )
    # Pull (source = "netbox"): which devices become poll targets.
    roles: list[str] = Field(
        default_factory=list, description="Pull only devices with these role slugs (empty: all)."
    )
    tags: list[str] = Field(
        default_factory=list, description="Pull only devices with these tag slugs (empty: all)."
    )
    sites: list[str] = Field(
        default_factory=list, description="Pull only devices at these site slugs (empty: all)."
    )
    regions: list[str] = Field(
        default_factory=list, description="Pull only devices in these region slugs (empty: all)."
    )
    snmp_profile_field: str = Field(
        default="netagent_snmp_profile",
        description="Device custom field naming the SNMP profile; "
        "the platform slug is used when it is empty.",
    )

    def chunk_size(self) -> int:
        """Objects per bulk write: the configured size, else what keeps one request within
        half the proxy timeout at the measured server time per object."""
        if self.batch_size is not None:
            return self.batch_size
        return max(1, math.floor(self.proxy_timeout_s / 2 / self.server_s_per_object))

    def resolved_token(self) -> str | None:
        """The token from the field or the file; None when neither is set."""
        if self.token is not None and self.token.get_secret_value():
            return self.token.get_secret_value().strip()
        if self.token_file is None:
            return None
        try:
            lines = self.token_file.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise NetBoxTokenError(f"netbox.token_file {self.token_file}: no such file") from None
        except (OSError, UnicodeDecodeError) as e:
            why = e.strerror if isinstance(e, OSError) else "not text"
            raise NetBoxTokenError(
                f"netbox.token_file {self.token_file}: cannot read it: {why}"
            ) from None
        token = lines[0].strip() if lines else ""
        if not token:
            raise NetBoxTokenError(f"netbox.token_file {self.token_file}: the file is empty")
        return token
