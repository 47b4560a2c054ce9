"""The `[netbox]` config section: where NetBox is, how to talk to it, what to pull."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr


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
    prune_delay_s: float = Field(
        default=7 * 86400,
        ge=0,
        description="How long an object stays orphaned before --prune may delete it.",
    )
    page_limit: int = Field(
        default=1000, ge=1, le=1000, description="Page size of reads (NetBox caps at 1000)."
    )
    batch_size: int = Field(default=500, ge=1, description="Objects per bulk write request.")
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

    def resolved_token(self) -> str | None:
        """The token from the field or the file; None when neither is set."""
        if self.token is not None and self.token.get_secret_value():
            return self.token.get_secret_value().strip()
        if self.token_file is not None:
            lines = self.token_file.read_text(encoding="utf-8").splitlines()
            return lines[0].strip() if lines else None
        return None
