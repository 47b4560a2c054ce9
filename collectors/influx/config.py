"""The `[influxdb]` config section: where samples go once they are safe in the spool."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from netagent.collectors.influx.writer_types import WRITERS


class InfluxConfig(BaseModel):
    """Target InfluxDB. No `url` means the embedded default: the local spool is the store."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        default=None,
        description="Base URL of InfluxDB, e.g. http://127.0.0.1:8086. Unset: no InfluxDB, "
        "samples stay in the local spool (netagent query).",
    )
    api: str = Field(
        default="v2",
        description="v2: /api/v2/write through influxdb-client (InfluxDB 2.x, 3.x, 1.8+). "
        "v1: the /write endpoint of InfluxDB 1.x (needed before 1.8). Or the name of an "
        "installed writer plugin (README, 'Extending netagent').",
    )
    database: str = Field(default="netagent", description="v1: database to write into.")
    retention_policy: str | None = Field(
        default=None, description="v1: retention policy (unset: the database's default)."
    )
    create_database: bool = Field(
        default=True,
        description="v1: when InfluxDB answers 'database not found', create it (CREATE "
        "DATABASE; with auth on, the user needs admin rights) and write again, as Telegraf "
        "does. Off: writing stops until someone creates it; nothing is dropped.",
    )
    username: str | None = Field(
        default=None, description="v1: user name (unset: no authentication)."
    )
    password: SecretStr | None = Field(default=None, description="v1: password of `username`.")
    org: str = Field(
        default="netagent", description="v2: organisation (ignored by 1.8+ compatibility)."
    )
    bucket: str = Field(
        default="netagent", description="v2: bucket; on 1.8+ 'database/retention_policy'."
    )
    token: SecretStr | None = Field(
        default=None, description="v2: API token (on 1.8+: 'user:password', or unset without auth)."
    )
    gzip: bool = Field(default=True, description="Compress request bodies with gzip.")
    precision: Literal["ns", "us", "ms", "s"] = Field(
        default="ns", description="Timestamp precision written to InfluxDB."
    )
    timeout_s: float = Field(
        default=10.0, gt=0, description="Timeout of one write request, seconds."
    )

    def query_auth(self) -> tuple[httpx.Auth | None, dict[str, str]]:
        """How to authenticate an InfluxQL read (/query): v1 basic auth, or v2's token
        (1.8+ and 2.x/3.x take it on their v1 API too); a URL's userinfo is httpx's own."""
        if self.api == "v1" and self.username:
            password = self.password.get_secret_value() if self.password else ""
            return httpx.BasicAuth(self.username, password), {}
        if self.api == "v2" and self.token:
            return None, {"Authorization": f"Token {self.token.get_secret_value()}"}
        return None, {}

    def query_database(self) -> tuple[str, str | None]:
        """The database and retention policy that reads name: v1's, or the v2 bucket's
        `database/retention_policy` as 1.8+ and the DBRP mapping of 2.x/3.x see it."""
        if self.api == "v1":
            return self.database, self.retention_policy
        db, _, rp = self.bucket.partition("/")
        return db, rp or None

    @field_validator("api")
    @classmethod
    def _installed_writer(cls, api: str) -> str:
        return WRITERS.installed(api)

    @field_validator("url")
    @classmethod
    def _url_scheme(cls, url: str | None) -> str | None:
        # The URL is not quoted back: its userinfo may hold a password.
        if url is None:
            return url
        if not url.startswith(("http://", "https://")):
            raise ValueError("expected http://host:port or https://host:port")
        parts = urlsplit(url)
        try:  # a port that is no number was accepted here and failed at the first write
            _ = parts.port
        except ValueError:
            raise ValueError(
                "expected http://host:port: the port is not a number from 0 to 65535"
            ) from None
        if not parts.hostname:
            raise ValueError("expected http://host:port: the host is missing")
        return url
