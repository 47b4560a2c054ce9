"""Where each configuration value comes from: the TOML file, the environment, secret files.

pydantic-settings' `EnvSettingsSource` turns `NETAGENT_<SECTION>__<KEY>` variables into
nested values (JSON for tables and lists). This module adds what an operator needs and
pydantic-settings does not give:

- provenance: every value remembers where it came from (`file:line`, or the variable's
  name), so an error names the place to fix. Each variable is read on its own for that.
  The file is read with tomllib here rather than with `TomlConfigSettingsSource`, which
  silently ignores a missing file and keeps no text to find line numbers in;
- `<key>_file`: any key can be given as a file holding its value, at any depth (per-device
  credentials, `[[notify.webhooks]]` entries). pydantic-settings' `secrets_dir` wants one
  file per field name in one directory, which cannot name per-device secrets;
- lists in a variable: a JSON array, or comma-separated for lists of plain values;
- misspelt keys reported with the keys that were expected, also in sections whose models
  tolerate extras.
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic._internal._utils import deep_update
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError
from pydantic_settings.sources.utils import parse_env_vars

from agent.secrets import Redactor, is_secret_field, secret_named
from inventory.model import Role

Loc = tuple[str | int, ...]


def dotted(loc: Loc) -> str:
    """('notify', 'webhooks', 0, 'url') -> 'notify.webhooks[0].url'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else json.dumps(part)
            out += f".{text}" if out else text
    return out


@dataclass(frozen=True)
class SecretFile:
    """A `<key>_file` the loader read: what preflight lists."""

    key: str  # dotted, e.g. "snmp.device_credentials.AP-Centro.community_file"
    path: Path
    where: str  # the origin of the key naming it
    mode: int  # permission bits


@dataclass
class Layers:
    """The merged raw values, where each came from, and what reading them found."""

    raw: dict[str, Any] = field(default_factory=dict)
    origins: dict[Loc, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    secret_files: list[SecretFile] = field(default_factory=list)
    redact: Redactor = field(default_factory=Redactor)
    env_names: set[Loc] = field(default_factory=set)  # locs set by a variable

    def where(self, loc: Loc) -> str:
        """The origin of a value, for an error about it: where it was set, else its
        nearest given parent (a table header), else the file."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.origins:
                return self.given(loc[:n])
        return self.given(loc) or self.origins.get((), "")

    def given(self, loc: Loc) -> str:
        """Where a value was set: its own line or variable, a variable holding it in
        JSON, or the first value set inside it (a variable first: it wins over the
        file); '' for a default."""
        if loc in self.env_names or (loc in self.origins and not self._env_under(loc)):
            return self.origins[loc]
        parent = next(
            (loc[:n] for n in range(len(loc) - 1, 0, -1) if loc[:n] in self.env_names), None
        )
        if parent is not None:
            return self.origins[parent]
        if env := self._env_under(loc):
            return self.origins[env[0]]
        under = [k for k in self.origins if k[: len(loc)] == loc and k != ()]
        return self.origins[min(under, key=lambda k: _line(self.origins[k]))] if under else ""

    def _env_under(self, loc: Loc) -> list[Loc]:
        return sorted((k for k in self.env_names if k[: len(loc)] == loc), key=str)

    def problem(self, loc: Loc, text: str) -> None:
        self.problems.append(self.redact(f"{self.where(loc)}: {dotted(loc)}: {text}"))

    def warn(self, loc: Loc, text: str) -> None:
        self.warnings.append(self.redact(f"{self.where(loc)}: {dotted(loc)}: {text}"))


def _line(origin: str) -> int:
    tail = origin.rpartition(":")[2]
    return int(tail) if tail.isdigit() else 0


# -- the file -------------------------------------------------------------------------------


def read_toml(path: Path, layers: Layers) -> dict[str, Any] | None:
    """The file's values, with `file:line` origins; None (and a problem) when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        layers.problems.append(f"{path}: no such file")
        return None
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) else "not UTF-8 text"
        layers.problems.append(f"{path}: cannot read it: {reason}")
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        layers.problems.append(f"{path}: not valid TOML: {e}")
        return None
    layers.origins[()] = str(path)
    for loc, line in key_lines(text).items():
        layers.origins[loc] = f"{path}:{line}"
    return data


_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def _split_key(text: str) -> tuple[str, ...] | None:
    parts: list[str] = []
    pos = 0
    while True:
        m = _KEY_PART.match(text, pos)
        if not m:
            return None
        quoted, literal, bare = m.groups()
        parts.append(json.loads(f'"{quoted}"') if quoted is not None else literal or bare)
        pos = m.end()
        if pos == len(text):
            return tuple(parts)
        if text[pos] != ".":
            return None
        pos += 1


_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*((?:\"(?:[^\"\\]|\\.)*\"|'[^']*'|[A-Za-z0-9_.\- ])+?)\s*=")


def key_lines(text: str) -> dict[Loc, int]:
    """Line of each table header and key in a TOML text (first wins).

    tomllib keeps no positions; this scan reads headers (`[a."b c"]`, `[[a.b]]` with
    their index) and `key =` lines, skipping multi-line strings. Keys inside multi-line
    arrays or inline tables get their parent's line, which is close enough to find.
    """
    lines: dict[Loc, int] = {}
    table: Loc = ()
    counts: dict[tuple[str, ...], int] = {}
    in_string = ""
    for n, line in enumerate(text.splitlines(), 1):
        if in_string:
            if in_string in line:
                in_string = ""
            continue
        header = _HEADER.match(line)
        if header and not _ASSIGN.match(line):
            path = _split_key(header.group(2))
            if path is None:
                continue
            if header.group(1) == "[[":
                counts[path] = counts.get(path, -1) + 1
                table = _indexed(path, counts)
            else:
                table = (*_indexed(path[:-1], counts), path[-1])
            lines.setdefault(table, n)
            continue
        assign = _ASSIGN.match(line)
        if assign and (key := _split_key(assign.group(1))):
            lines.setdefault(table + key, n)
            rest = line[assign.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_string = quote
    return lines


def _indexed(path: tuple[str, ...], counts: dict[tuple[str, ...], int]) -> Loc:
    """A table path with the current index after each array of tables in it."""
    out: list[str | int] = []
    for i, part in enumerate(path):
        out.append(part)
        if path[: i + 1] in counts:
            out.append(counts[path[: i + 1]])
    return tuple(out)


# -- the environment ------------------------------------------------------------------------


class _OneVariable(EnvSettingsSource):
    """pydantic-settings' env source over one given variable (not os.environ), with lists
    also accepted comma-separated."""

    def __init__(self, settings_cls: type[BaseSettings], name: str, value: str) -> None:
        self._given = {name: value}
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._given, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        if (
            field is not None
            and _plain_list(field.annotation)
            and isinstance(value, str)
            and not value.lstrip().startswith("[")
        ):
            return [v.strip() for v in value.split(",") if v.strip()]
        return super().decode_complex_value(field_name, field, value)


def _plain_list(annotation: Any) -> bool:
    """list[str], list[Path], list[int]…: what a comma-separated value can spell."""
    for a in _options(annotation):
        if get_origin(a) is list:
            args = get_args(a)
            return bool(args) and not (model_in(args[0]) or get_origin(args[0]) in (dict, list))
    return False


# A few variables are not keys of the file.
ENV_NOT_KEYS = ("NETAGENT_CONFIG", "NETAGENT_DATA_DIR")


def read_env(
    settings_cls: type[BaseSettings], env: Mapping[str, str], layers: Layers
) -> dict[str, Any]:
    """The values given by `NETAGENT_*` variables, each variable its own origin."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    delimiter = str(settings_cls.model_config.get("env_nested_delimiter", "__"))
    sections = settings_cls.model_fields
    merged: dict[str, Any] = {}
    for name, value in sorted(env.items()):
        if not name.upper().startswith(prefix) or name.upper() in ENV_NOT_KEYS:
            continue
        parts = name[len(prefix) :].lower().split(delimiter)
        if parts[0] not in sections:
            if len(parts) > 1:
                layers.problems.append(
                    f"{name}: no section {parts[0]!r} (expected NETAGENT_<SECTION>__<KEY>, "
                    f"sections: {', '.join(sections)})"
                )
            continue
        if secret_named(name) and not name.upper().endswith("_FILE"):  # a path is no secret
            layers.redact.add(value)
        layers.redact.add_userinfo(value)
        try:
            got = _OneVariable(settings_cls, name, value)()
        except (SettingsError, ValueError):  # its message quotes the value: not repeated
            layers.problems.append(
                f"{name}: not valid JSON (tables as JSON objects, lists as JSON arrays"
                " or comma-separated)"
            )
            continue
        loc = _env_loc(parts)
        _fix_role_keys(got)
        layers.origins[loc] = name
        layers.env_names.add(loc)
        merged = deep_update(merged, got)
    return merged


# Role names have hyphens, which a variable name cannot: NETAGENT_ROLES__WIFI_AP__…
_ROLE_TABLES: tuple[Loc, ...] = (("roles",), ("snmp", "role_credentials"))
_ROLES = {r.value.replace("-", "_"): r.value for r in Role}


def _env_loc(parts: list[str]) -> Loc:
    loc: Loc = tuple(parts)
    for table in _ROLE_TABLES:
        n = len(table)
        if loc[:n] == table and len(loc) > n:
            loc = (*table, _ROLES.get(str(loc[n]), loc[n]), *loc[n + 1 :])
    return loc


def _fix_role_keys(got: dict[str, Any]) -> None:
    for table in _ROLE_TABLES:
        node: Any = got
        for part in table:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            for key in [k for k in node if k in _ROLES]:
                node[_ROLES[key]] = node.pop(key)


# -- walking the values along the models ----------------------------------------------------


def _options(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) in (Union, UnionType):
        return get_args(annotation)
    return (annotation,)


def model_in(annotation: Any) -> type[BaseModel] | None:
    """The model of a field typed `Model` or `Model | None`."""
    for a in _options(annotation):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def _items_model(annotation: Any) -> type[BaseModel] | None:
    """The model of the items of `list[Model]` or `dict[str, Model]`."""
    for a in _options(annotation):
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
                # A variable can name a section's key; deeper, names lose their case.
                var = f"NETAGENT_{loc[0]}__{key}".upper() if len(loc) == 1 else ""
                env = f" or to {var}" if var else ""
                layers.warn(
                    (*loc, key),
                    f"a secret written in {file}: move it to "
                    f"{key}_file (a file only the agent reads){env}",
                )

    return warn


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
            here = (*loc, key)
            # Reported here when bad, never again as an unknown key.
            value = node[key] if key in fields else node.pop(key)
            if value is None:
                continue
            if not isinstance(value, str | Path):
                layers.problem(here, "expected the path of a file holding the value")
                continue
            if target in node and node[target] not in (None, ""):
                layers.problem(here, f"give either {target} or {key}, not both")
                continue
            text = _read_secret(Path(value), here, layers, is_secret_field(fields[target]))
            if text is None:
                continue
            if get_origin(fields[target].annotation) is dict:
                table, bad = _name_value_lines(text)
                if bad:  # the line number only: the line itself may hold the secret
                    layers.problem(here, f"line {bad} of {value} is not 'Name: value'")
                    continue
                node[target] = table
            else:
                node[target] = text
            layers.origins.setdefault((*loc, target), layers.where(here))

    return read


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
        layers.secret_files.append(SecretFile(dotted(here), path, layers.where(here), mode))
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
