"""The `[snmp]` config section, per-device credentials and the targets built from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from netagent.inventory.model import POLLED_STATUSES, Inventory


class SnmpCredentials(BaseModel):
    """How to talk to one device. Keys and communities are secrets: never printed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal["1", "2c", "3"] = Field(
        default="2c", description="SNMP version: 1, 2c or 3 (USM)."
    )
    community: SecretStr = Field(default=SecretStr("public"), description="v1/v2c community.")
    user: str = Field(default="", description="v3 USM user name.")
    auth_protocol: Literal["SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"] = Field(
        default="SHA", description="v3 authentication protocol."
    )
    auth_key: SecretStr = Field(
        default=SecretStr(""), description="v3 auth passphrase (>= 8 chars)."
    )
    priv_protocol: Literal["AES", "AES128", "AES192", "AES256", "DES", "none"] = Field(
        default="AES", description="v3 privacy protocol; 'none' for authNoPriv."
    )
    priv_key: SecretStr = Field(
        default=SecretStr(""), description="v3 privacy passphrase; empty means authNoPriv."
    )

    @model_validator(mode="after")
    def _v3_complete(self) -> SnmpCredentials:
        if self.version == "3":
            if not self.user:
                raise ValueError("SNMPv3 needs a user")
            if len(self.auth_key.get_secret_value()) < 8:
                raise ValueError("SNMPv3 auth_key must be at least 8 characters")
            priv = self.priv_key.get_secret_value()
            if priv and len(priv) < 8:
                raise ValueError("SNMPv3 priv_key must be at least 8 characters")
        return self

    @property
    def level(self) -> str:
        if self.version in ("1", "2c"):
            return f"v{self.version}"
        priv = self.priv_key.get_secret_value() and self.priv_protocol != "none"
        return "v3 authPriv" if priv else "v3 authNoPriv"


def _default_credentials() -> SnmpCredentials:
    return SnmpCredentials.model_validate({})


class SnmpDeviceSettings(BaseModel):
    """How to ask one device (or a role's devices); unset fields keep the defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_repetitions: int | None = Field(
        default=None, ge=1, le=200, description="GETBULK max-repetitions cap for this device."
    )
    max_message_size: int | None = Field(
        default=None,
        ge=484,
        le=65507,
        description="Largest answer (bytes) the agent can send; requests are sized to fit.",
    )
    poll_without_ping: bool | None = Field(
        default=None, description="Poll SNMP even when the device does not answer ping."
    )


class SnmpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    credentials: SnmpCredentials = Field(
        default_factory=_default_credentials,
        description="Credentials for devices with no override.",
    )
    role_credentials: dict[str, SnmpCredentials] = Field(
        default_factory=dict, description="Credentials per device role (wifi-ap, switch…)."
    )
    device_credentials: dict[str, SnmpCredentials] = Field(
        default_factory=dict, description="Credentials per device name; wins over tag and role."
    )
    tag_credentials: dict[str, SnmpCredentials] = Field(
        default_factory=dict,
        description="Credentials per device tag; a tag wins over the role (first tag by name).",
    )
    concurrency: int = Field(
        default=256, ge=1, le=10000, description="Devices polled at the same time."
    )
    device_deadline_s: float = Field(
        default=10.0,
        gt=0,
        description="Whole-poll budget per device per cycle, all requests included.",
    )
    request_timeout_s: float = Field(
        default=1.5, gt=0, description="Wait before re-sending one request (within the deadline)."
    )
    max_repetitions: int = Field(
        default=25, ge=1, le=200, description="GETBULK max-repetitions unless the profile sets one."
    )
    max_varbinds_per_request: int = Field(
        default=256, ge=1, le=2000, description="Cap on columns x repetitions in one GETBULK."
    )
    max_message_size: int | None = Field(
        default=None,
        ge=484,
        le=65507,
        description="Largest answer (bytes) agents can send; unset: learned from tooBig.",
    )
    poll_without_ping: bool = Field(
        default=False, description="Poll SNMP even when a device does not answer ping."
    )
    role_settings: dict[str, SnmpDeviceSettings] = Field(
        default_factory=dict, description="Request sizing and ping gating per device role."
    )
    device_settings: dict[str, SnmpDeviceSettings] = Field(
        default_factory=dict, description="Request sizing and ping gating per device name."
    )
    default_profile: str = Field(
        default="generic",
        description="Profile when neither the inventory nor sysObjectID picks one.",
    )
    state_save_interval_s: float = Field(
        default=300.0,
        ge=0,
        description="Save the counter state (snmp-counters.json) at most this often, and at "
        "a clean shutdown; 0: after every cycle.",
    )
    profiles_dir: Path | None = Field(
        default=None, description="Extra directory of profile YAML files (same names override)."
    )


@dataclass(frozen=True)
class SnmpTarget:
    name: str
    address: str
    port: int = 161
    profile: str | None = None
    credentials: SnmpCredentials = field(default_factory=_default_credentials)
    # Copied onto samples: role, site, quartiere; radio ends also carry link and side.
    tags: Mapping[str, str] = field(default_factory=dict)
    # Port (ifName as the inventory writes it) -> tags its `interface` samples carry: the
    # ends of fibre segments get segment and side. Only those ports, so the tags have as
    # many values as the inventory has segments, not one per port of the city.
    port_tags: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    poll_without_ping: bool = False  # asked even when it does not answer ping
    max_repetitions: int | None = None  # overrides the config's and the profile's
    max_message_size: int | None = None


def settings_for(config: SnmpConfig, device: str, role: str) -> SnmpDeviceSettings:
    """Device settings over role settings over the config's defaults (set fields only)."""
    merged: dict[str, object] = {
        "poll_without_ping": config.poll_without_ping,
        "max_message_size": config.max_message_size,
    }
    for layer in (config.role_settings.get(role), config.device_settings.get(device)):
        if layer is not None:
            merged.update(layer.model_dump(exclude_none=True))
    return SnmpDeviceSettings.model_validate(merged)


def split_host_port(spec: str) -> tuple[str, str | None]:
    """(host, port as written, or None): `[::1]:161`, `::1`, `host:161`, `10.0.0.1`.

    The one reading of an address as a person or an inventory writes it (the CLI's
    addresses use it too). A bare IPv6 address's colons are not a port; `urllib.parse`
    would need a scheme and accepts ports it should refuse, hence this. Raises ValueError
    naming the spec when a bracket is not closed or is followed by anything but `:PORT`."""
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{spec!r}: expected [IPv6]:PORT, e.g. [::1]:161")
        return host, rest[1:] if rest else None
    if spec.count(":") == 1:
        host, _, port = spec.partition(":")
        return host, port
    return spec, None


def parse_host_port(spec: str, default_port: int = 161) -> tuple[str, int]:
    """'host', 'host:port', an IPv6 address, or '[v6]:port' -> (host, port).

    Raises ValueError naming the spec when the host is empty or the port is not 1-65535."""
    host, port = split_host_port(spec)
    port = str(default_port) if port is None else port
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{spec!r}: expected HOST, HOST:PORT or [IPv6]:PORT, port 1-65535")
    return host, int(port)


def credentials_for(config: SnmpConfig, device: str, role: str, tags: list[str]) -> SnmpCredentials:
    """Device name, then tag, then role, then the default."""
    if device in config.device_credentials:
        return config.device_credentials[device]
    for tag in sorted(tags):
        if tag in config.tag_credentials:
            return config.tag_credentials[tag]
    return config.role_credentials.get(role, config.credentials)


def segment_ends(inv: Inventory) -> dict[str, dict[str, dict[str, str]]]:
    """Device -> port -> {segment, side} for both ends of every fibre segment in service
    (polled statuses, as for devices: a planned segment's port may carry other traffic).

    The way a radio link's ends carry `link` and `side`. A port that ends two segments
    (an inventory slip, warned by netagent.inventory.validate) keeps the first by name, as
    a radio that ends two links does."""
    ends: dict[str, dict[str, dict[str, str]]] = {}
    for seg in sorted(inv.segments, key=lambda s: s.name):
        if seg.status not in POLLED_STATUSES:
            continue
        for side, device, port in (
            ("a", seg.a_device, seg.a_port),
            ("b", seg.b_device, seg.b_port),
        ):
            if device and port:
                ends.setdefault(device, {}).setdefault(port, {"segment": seg.name, "side": side})
    return ends


def targets_from_inventory(inv: Inventory, config: SnmpConfig) -> list[SnmpTarget]:
    """One target per device that should answer, with its credentials and identity tags."""
    link_end: dict[str, tuple[str, str]] = {}
    for link in sorted(inv.links, key=lambda lk: lk.name):
        link_end.setdefault(link.a, (link.name, "a"))
        link_end.setdefault(link.b, (link.name, "b"))
    port_tags = segment_ends(inv)
    out = []
    for d in inv.devices:
        if d.status not in POLLED_STATUSES:
            continue
        tags = {"role": str(d.role), "site": d.site, "quartiere": inv.quartiere_tag(d)}
        if d.name in link_end:
            tags["link"], tags["side"] = link_end[d.name]
        how = settings_for(config, d.name, str(d.role))
        out.append(
            SnmpTarget(
                name=d.name,
                address=str(d.mgmt_ip),
                port=d.snmp_port,
                profile=d.snmp_profile,
                credentials=credentials_for(config, d.name, str(d.role), d.tags),
                tags=tags,
                port_tags=port_tags.get(d.name, {}),
                poll_without_ping=bool(how.poll_without_ping),
                max_repetitions=how.max_repetitions,
                max_message_size=how.max_message_size,
            )
        )
    return out
