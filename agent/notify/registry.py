"""Notifier types by name: the `netagent.notifiers` entry points.

A notifier type is a class (or any callable) that takes a target's settings and returns
a channel, an object with `async send(event)`. netagent's webhook, email and log targets
are three of them, declared in its pyproject.toml the way a third party declares its own:

    [project.entry-points."netagent.notifiers"]
    telegram = "netagent_telegram:TelegramNotifier"

and named by a `[[notify.targets]]` table, `type = "telegram"`, whose other keys are the
type's settings. The type validates them through its `config_model` attribute when it
has one (a pydantic model, a dataclass or a TypedDict: whatever pydantic's TypeAdapter
takes), else receives them as a dict. The routing keys (`name`, `min_severity`, `roles`)
are netagent's, handed to the type only when its model declares them.

Both sides are structural Protocols, so a plugin imports nothing of netagent's and
survives its renames: `send` receives an AlertEvent (the attributes of
netagent.agent.notify.event.AlertEvent; `to_json()` gives them as a dict) and raises any
exception for a failed attempt, retried with back-off unless the exception carries
`permanent = True`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, get_type_hints, is_typeddict

from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from netagent.agent.secrets import is_secret_field, secret_named
from netagent.collectors.plugins import Registry

if TYPE_CHECKING:
    from netagent.agent.notify.event import AlertEvent

# Keys of a [[notify.targets]] table that netagent reads itself.
ROUTE_KEYS = frozenset({"name", "min_severity", "roles"})


class Channel(Protocol):
    async def send(self, event: AlertEvent) -> None:
        """Deliver one event or raise (any exception: a failed attempt)."""


class NotifierType(Protocol):
    def __call__(self, settings: Any, /) -> Channel: ...


def _callable(obj: Any) -> str | None:
    return None if callable(obj) else f"{obj!r} is not a class or a function"


NOTIFIERS: Registry[NotifierType] = Registry("netagent.notifiers", "notifier type", _callable)


def _fields(model: Any) -> set[str] | None:
    """The keys a settings model takes; None when it cannot say (it checks itself)."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        fields = model.model_fields
        return set(fields) | {f.alias for f in fields.values() if f.alias}
    if dataclasses.is_dataclass(model):
        return {f.name for f in dataclasses.fields(model)}
    if is_typeddict(model):
        return set(get_type_hints(model))
    return None


def file_keys(kind: NotifierType) -> dict[str, bool]:
    """The keys the type's model declares (its `<key>_file` keys are read from files, as
    everywhere in the configuration), each with whether it holds a secret."""
    marked = _marked(kind)
    return {
        k: k in marked or secret_named(k)
        for k in _fields(getattr(kind, "config_model", None)) or ()
    }


def _marked(kind: NotifierType) -> set[str]:
    """The keys the type's pydantic model marks secret (SecretStr, `secret` in
    json_schema_extra, a URL with a token)."""
    model = getattr(kind, "config_model", None)
    marked: set[str] = set()
    if isinstance(model, type) and issubclass(model, BaseModel):
        for name, info in model.model_fields.items():
            if is_secret_field(info):
                marked |= {name, info.alias or name}
    return marked


def masked(kind: NotifierType, table: Mapping[str, Any]) -> dict[str, Any]:
    """The table with its secrets as SecretStr, so `config show` and logs never show them:
    the keys the type's model marks secret (SecretStr, `secret` in json_schema_extra, a
    URL with a token) and every key whose name says secret (token, password, header…)."""
    marked = _marked(kind)

    def hide(value: Any) -> Any:
        if isinstance(value, str):
            return SecretStr(value)
        if isinstance(value, dict):
            return {k: hide(v) for k, v in value.items()}
        return value

    return {k: hide(v) if k in marked or secret_named(k) else v for k, v in table.items()}


def plain(value: Any) -> Any:
    """A settings value as the type receives it (secrets are SecretStr in the config)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def settings_of(kind: NotifierType, table: Mapping[str, Any]) -> Any:
    """The type's settings from a `[[notify.targets]]` table (without `type`), validated
    by its `config_model`. Raises ValueError naming each bad key, never its value."""
    model = getattr(kind, "config_model", None)
    known = _fields(model) if model is not None else None
    given = {
        k: plain(v)
        for k, v in table.items()
        if k != "type" and (k not in ROUTE_KEYS or (known is not None and k in known))
    }
    if model is None:
        return given
    if known is not None and (extra := sorted(set(given) - known)):
        # Every key the table takes: the type's, and the routing ones netagent reads.
        keys = sorted(known | ROUTE_KEYS | {"type"})
        close = difflib.get_close_matches(extra[0], keys, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"unknown key {', '.join(extra)}{hint} (expected one of: {', '.join(keys)})"
        )
    try:
        return TypeAdapter(model).validate_python(given)
    except ValidationError as e:
        raise ValueError(describe(e)) from None


def describe(e: ValidationError) -> str:
    """pydantic's errors as 'key: why' without the values (a setting may be a secret)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}" for err in e.errors()
    )
