"""Where each configuration value comes from: the TOML file and the environment.

pydantic-settings' `EnvSettingsSource` turns `NETAGENT_<SECTION>__<KEY>` variables into
nested values (JSON for tables and lists). This module adds what an operator needs and
pydantic-settings does not give:

- provenance: every value remembers where it came from (`file:line`, or the variable's
  name), so an error names the place to fix. Each variable is read on its own for that.
  The file is read with tomllib here rather than with `TomlConfigSettingsSource`, which
  silently ignores a missing file and keeps no text to find line numbers in;
- lists in a variable: a JSON array, or comma-separated for lists of plain values;
- role names (`wifi-ap`) spelt with `_` in a variable name.

`<key>_file` keys and misspelt keys are netagent.agent.config_walk's.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError
from pydantic_settings.sources.utils import parse_env_vars

from netagent.agent.config_layers import Layers, Loc
from netagent.agent.config_walk import model_in, options
from netagent.agent.secrets import secret_named
from netagent.inventory.model import Role


def deep_update(
    base: dict[str, Any], over: dict[str, Any], *, twins: bool = False
) -> dict[str, Any]:
    """`over` merged into a copy of `base`, table by table (a list is replaced whole).

    With `twins` (the environment over the file) a key also replaces its other form in
    `base`: `community` from a variable drops the file's `community_file`, and the reverse,
    so the environment wins there as everywhere instead of making "give either, not both".
    """
    out = {k: v for k, v in base.items() if not (twins and _twin(k) in over and k not in over)}
    for key, value in over.items():
        old = out.get(key)
        both = isinstance(old, dict) and isinstance(value, dict)
        out[key] = deep_update(old, value, twins=twins) if both else value  # type: ignore[arg-type]
    return out


def _twin(key: str) -> str:
    """`community` <-> `community_file`."""
    return key.removesuffix("_file") if key.endswith("_file") else f"{key}_file"


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
    for a in options(annotation):
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
            else:  # NETAGENT_DATADIR: a typo would otherwise be ignored without a word
                close = difflib.get_close_matches(name.upper(), ENV_NOT_KEYS, n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                layers.warnings.append(
                    f"{name}: not a netagent variable, ignored{hint} (netagent reads "
                    f"{', '.join(ENV_NOT_KEYS)} and NETAGENT_<SECTION>__<KEY>)"
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
