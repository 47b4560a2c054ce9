"""The configuration's values walked along its models: `<key>_file`, unknown keys, secrets.

- `<key>_file`: any key can be given as a file holding its value, at any depth (per-device
  credentials, `[[notify.webhooks]]` entries). pydantic-settings' `secrets_dir` wants one
  file per field name in one directory, which cannot name per-device secrets;
- misspelt keys are reported with the keys that were expected, also in sections whose
  models tolerate extras;
- every secret value is registered with the redactor; inline secrets are warned about.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from netagent.agent.config_layers import Layers, Loc, SecretFile, dotted
from netagent.agent.notify.registry import NOTIFIERS, file_keys
from netagent.agent.secrets import is_secret_field, secret_named
from netagent.collectors.plugins import UnknownPlugin


def options(annotation: Any) -> tuple[Any, ...]:
    """The members of `A | B`, or the type itself."""
    if get_origin(annotation) in (Union, UnionType):
        return get_args(annotation)
    return (annotation,)


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model of a field typed `Model` or `Model | None`."""
    for a in options(annotation):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def _items_model(annotation: Any) -> type[BaseModel] | None:
    """The model of the items of `list[Model]` or `dict[str, Model]`."""
    for a in options(annotation):
        if get_origin(a) in (list, dict) and get_args(a):
            return model_in(get_args(a)[-1])
    return None


Visitor = Callable[[dict[str, Any], type[BaseModel], Loc], None]


def visit(node: Any, model: type[BaseModel], loc: Loc, fn: Visitor) -> None:
    """fn(table, its model, its loc) for every table of the values, nested ones included."""
    if not isinstance(node, dict):
        return
    fn(node, model, loc)
    fields = _by_key(model)
    for key, value in list(node.items()):
        info = fields.get(key)
        if info is None:
            continue
        if (sub := model_in(info.annotation)) is not None:
            visit(value, sub, (*loc, key), fn)
        elif (item := _items_model(info.annotation)) is not None:
            if isinstance(value, list):
                for i, element in enumerate(value):
                    visit(element, item, (*loc, key, i), fn)
            elif isinstance(value, dict):
                for k, element in value.items():
                    visit(element, item, (*loc, key, k), fn)


def _by_key(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """Fields by name and by alias (`from` for `from_addr`)."""
    out = dict(model.model_fields)
    out.update({f.alias: f for f in model.model_fields.values() if f.alias})
    return out


def unknown_keys(layers: Layers) -> Visitor:
    def check(node: dict[str, Any], model: type[BaseModel], loc: Loc) -> None:
        fields = _by_key(model)
        for key in node:
            if key not in fields:
                if secret_named(key):
                    layers.redact.add(node[key])
                layers.problem(
                    (*loc, key),
                    f"unknown key (expected one of: {', '.join(sorted(model.model_fields))})",
                )

    return check


def collect_secrets(layers: Layers) -> Visitor:
    def collect(node: dict[str, Any], model: type[BaseModel], loc: Loc) -> None:
        for key, info in _by_key(model).items():
            if key.endswith("_file"):  # a path; the file's content is registered when read
                continue
            if key in node and (is_secret_field(info) or secret_named(key)):
                layers.redact.add(node[key])
            elif key in node:
                layers.redact.add_userinfo(node[key])

    return collect


def inline_secrets(layers: Layers, file: Path) -> Visitor:
    """A secret written in the file itself: accepted, with a warning to move it."""

    def warn(node: dict[str, Any], model: type[BaseModel], loc: Loc) -> None:
        for key, info in _by_key(model).items():
            value = node.get(key)
            if not value or not isinstance(value, str | dict):
                continue
            if is_secret_field(info) or (
                isinstance(value, str) and "@" in value and "://" in value and _has_password(value)
            ):
                _warn_inline(layers, (*loc, key), file)

    return warn


def _warn_inline(layers: Layers, here: Loc, file: Path) -> None:
    key = str(here[-1])
    # A variable can name a section's key; deeper, names lose their case.
    var = f"NETAGENT_{here[0]}__{key}".upper() if len(here) == 2 else ""
    env = f" or to {var}" if var else ""
    layers.warn(
        here,
        f"a secret written in {file}: move it to {key}_file (a file only the agent reads){env}",
    )


def _target_tables(raw: dict[str, Any]) -> list[tuple[int, dict[str, Any], dict[str, bool]]]:
    """Each `[[notify.targets]]` table with the keys its type declares (a plugin's model,
    unknown to AgentConfig), each with whether it holds a secret; tables of an unknown
    type are left to their validation, which reports them."""
    notify = raw.get("notify")
    targets = notify.get("targets") if isinstance(notify, dict) else None
    out = []
    for i, table in enumerate(targets if isinstance(targets, list) else ()):
        try:
            out.append((i, table, file_keys(NOTIFIERS.lookup(str(table.get("type"))))))
        except (UnknownPlugin, AttributeError):
            continue
    return out


def inline_target_secrets(raw: dict[str, Any], layers: Layers, file: Path) -> None:
    """A secret written inline in a `[[notify.targets]]` table of the file: warned about
    as everywhere else (the table's model is the type's, so `inline_secrets` can't)."""
    for i, table, keys in _target_tables(raw):
        for key, secret in keys.items():
            if secret and table.get(key) and isinstance(table[key], str | dict):
                _warn_inline(layers, ("notify", "targets", i, key), file)


def _has_password(url: str) -> bool:
    userinfo = url.split("://", 1)[1].split("@", 1)[0]
    return ":" in userinfo and "/" not in userinfo


def secret_files(layers: Layers) -> Visitor:
    """`<key>_file = PATH` becomes `<key> = <the file's text without its final newline>`.

    A field that is itself named `<key>_file` (netbox.token_file) is kept as given, and
    its file is read into `<key>` all the same, so a bad file is reported here.
    A file for a table (`headers_file`) holds one `Name: value` per line.
    """

    def read(node: dict[str, Any], model: type[BaseModel], loc: Loc) -> None:
        fields = model.model_fields
        for key in [k for k in node if k.endswith("_file")]:
            target = key.removesuffix("_file")
            if target not in fields:
                continue
            # Reported here when bad, never again as an unknown key.
            value = node[key] if key in fields else node.pop(key)
            info = fields[target]
            as_table = get_origin(info.annotation) is dict
            _read_file_key(node, (*loc, key), value, layers, is_secret_field(info), as_table)

    return read


def target_files(raw: dict[str, Any], layers: Layers) -> None:
    """`<key>_file` in `[[notify.targets]]` tables, along the keys each table's type declares
    (a plugin's model, unknown to AgentConfig), read like every other `<key>_file`: a
    missing, unreadable or empty file is a located problem, a secret's file readable by
    every user is warned about, and its content is redacted, as is a secret given inline."""
    for i, table, keys in _target_tables(raw):
        for key in [k for k in table if k.endswith("_file") and k.removesuffix("_file") in keys]:
            here = ("notify", "targets", i, key)
            _read_file_key(table, here, table.pop(key), layers, keys[key.removesuffix("_file")])
        for key, secret in keys.items():
            if secret and key in table:
                layers.redact.add(table[key])


def _read_file_key(
    node: dict[str, Any],
    here: Loc,
    value: Any,
    layers: Layers,
    secret: bool,
    as_table: bool = False,
) -> None:
    """node[<key>] = the text of the file `value` that node's `<key>_file` (here) names."""
    key = str(here[-1])
    target = key.removesuffix("_file")
    if value is None:
        return
    if not isinstance(value, str | Path):
        layers.problem(here, "expected the path of a file holding the value")
        return
    if target in node and node[target] not in (None, ""):
        layers.problem(here, f"give either {target} or {key}, not both")
        return
    text = _read_secret(Path(value), here, layers, secret)
    if text is None:
        layers.unread.add((*here[:-1], target))
        return
    if as_table:
        table, bad = _name_value_lines(text)
        if bad:  # the line number only: the line itself may hold the secret
            layers.problem(here, f"line {bad} of {value} is not 'Name: value'")
            return
        node[target] = table
    else:
        node[target] = text
    layers.origins.setdefault((*here[:-1], target), layers.where(here))


def _read_secret(path: Path, here: Loc, layers: Layers, secret: bool) -> str | None:
    try:
        text = path.read_text(encoding="utf-8").rstrip("\r\n")
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        layers.problem(here, f"the file {path} does not exist")
        return None
    except PermissionError:
        layers.problem(
            here,
            f"cannot read the file {path}: permission denied for "
            f"{_user()} (the agent's user needs to read it)",
        )
        return None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
        layers.problem(here, f"cannot read the file {path}: {reason}")
        return None
    if secret:
        layers.redact.add(text)
    if not text.strip():
        layers.problem(here, f"the file {path} is empty")
        return None
    if secret and mode & stat.S_IROTH:
        layers.warn(
            here,
            f"{path} is readable by every user (mode {mode:04o}): chmod o-r, it holds a secret",
        )
    if secret:
        layers.secret_files.append(SecretFile(dotted(here), path, mode))
    return text


def _user() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return f"uid {os.geteuid()}"


def _name_value_lines(text: str) -> tuple[dict[str, str], int]:
    """`Name: value` lines (blank lines skipped) -> (table, 0), or ({}, bad line number)."""
    table: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, sep, val = line.partition(":")
        if not sep or not name.strip():
            return {}, n
        table[name.strip()] = val.strip()
    return table, 0
