"""What counts as a secret in the configuration, and how it is kept out of every output.

A field is secret when its type holds `SecretStr` (tokens, passwords, communities, SNMP
keys, webhook header values) or when its `Field` says `json_schema_extra={"secret": True}`
(a webhook URL carries its token in the path). Names are a second net, for what has no
model yet (an environment variable, a misspelt key): a name containing one of
`SECRET_WORDS` is treated as secret.

Masking by type is not enough for error messages: a validator may quote its input, and a
credentials table fails as a whole, with every key in its input. So every secret value
the loader sees is registered in a `Redactor`, and every line the loader produces goes
through it: a secret cannot reach stderr whatever the message says.
"""

from __future__ import annotations

import re
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

MASK = "**********"
SECRET_WORDS = (
    "token",
    "password",
    "passwd",
    "secret",
    "community",
    "key",
    "passphrase",
    "auth",
    "priv",
    "header",
    "credential",
)
# Shorter values would mask ordinary words in messages ("no", "v3"); such a secret is not
# one anyway.
_MIN_SECRET_LEN = 4


def secret_named(name: str) -> bool:
    """A key or variable name that may hold a secret."""
    low = name.lower()
    return any(w in low for w in SECRET_WORDS)


def is_secret_field(info: FieldInfo) -> bool:
    """A field whose value is never shown: SecretStr inside its type, or marked secret."""
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get("secret"):
        return True
    return _holds_secretstr(info.annotation)


def _holds_secretstr(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_holds_secretstr(a) for a in get_args(annotation))


class Redactor:
    """Replaces every registered secret value in a text with MASK."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: object) -> None:
        """Register a value (strings inside dicts and lists too; URL userinfo apart)."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, dict):
            for v in value.values():
                self.add(v)
        elif isinstance(value, list | tuple):
            for v in value:
                self.add(v)
        elif isinstance(value, str) and len(value.strip()) >= _MIN_SECRET_LEN:
            self._values.add(value.strip())
            for line in value.splitlines():  # a secret file of several lines
                if len(line.strip()) >= _MIN_SECRET_LEN:
                    self._values.add(line.strip())
            password = _userinfo_password(value)
            if password:
                self._values.add(password)

    def add_userinfo(self, value: object) -> None:
        """Register only the password (or user) of a URL, not the URL itself."""
        if isinstance(value, str) and (password := _userinfo_password(value)):
            self.add(password)

    def __call__(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


def _userinfo_password(url: str) -> str:
    if "://" not in url or "@" not in url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return parts.password or parts.username or ""


def mask_url(url: str, *, keep_path: bool = True) -> str:
    """The URL with its userinfo masked; without path and query when they hold a token."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return MASK
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username or parts.password:
        netloc = f"{MASK}@{netloc}"
    if keep_path:
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    tail = f"/{MASK}" if parts.path.strip("/") or parts.query else parts.path
    return urlunsplit((parts.scheme, netloc, tail, "", ""))


_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def masked_dump(model: BaseModel) -> Any:
    """The model as JSON-ready data with every secret masked (for `config show`)."""
    return _mask(model, model.model_dump(mode="json"))


def _mask(model: BaseModel, data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        if name not in data:
            continue
        value, dumped = getattr(model, name), data[name]
        if is_secret_field(info) and isinstance(dumped, str):
            out[name] = mask_url(dumped, keep_path=False) if _URL.match(dumped) else MASK
        elif isinstance(dumped, str) and _URL.match(dumped):
            out[name] = mask_url(dumped)
        elif isinstance(value, BaseModel):
            out[name] = _mask(value, dumped)
        elif isinstance(value, list):
            out[name] = [
                _mask(v, d) if isinstance(v, BaseModel) else d
                for v, d in zip(value, dumped, strict=True)
            ]
        elif isinstance(value, dict):
            out[name] = {
                k: _mask(v, dumped[str(getattr(k, "value", k))])
                if isinstance(v, BaseModel)
                else dumped[str(getattr(k, "value", k))]
                for k, v in value.items()
            }
        else:
            out[name] = dumped
    return out
