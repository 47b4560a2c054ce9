"""Device profiles: which tables to read and how their columns become fields, as data.

A profile is a YAML file in `profiles/` (or any directory given to `load_profiles`).
Each table names a `kind` (interface, wifi, radio_link, station, host, sensor) whose
meaning lives in `netagent.collectors.snmp.mapping`; the profile only says where each role's column
is and how to scale or parse it, so a new vendor is a new YAML file, not new code.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from netagent.collectors import schema
from netagent.collectors.snmp import ber

PROFILE_DIR = Path(__file__).parent / "profiles"


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    oid: str = Field(description="Numeric OID of the column (or of the scalar, without .0).")
    scale: float = Field(default=1.0, description="Multiplier applied to numeric values.")
    parse: Literal["number", "text", "float-text"] = Field(
        default="number", description="number: INTEGER/counter; text: string; float-text: '-71.0'."
    )

    @field_validator("oid")
    @classmethod
    def _numeric(cls, v: str) -> str:
        ber.oid_encode(v)
        return v.strip(".")

    @cached_property
    def encoded(self) -> bytes:
        return ber.oid_encode(self.oid)


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: str = Field(description="An installed SNMP table kind (netagent.snmp_table_kinds).")
    scalar: bool = Field(default=False, description="Columns are scalars read with one GET (.0).")
    columns: dict[str, Column]
    max_stations: int = Field(
        default=256, ge=1, description="station kind: more rows than this are cut and reported."
    )
    index_mac: bool = Field(
        default=False,
        description="station kind: the row index starts with the station's MAC (without a "
        "`station` column, which names the station when the table has one).",
    )

    @field_validator("columns", mode="before")
    @classmethod
    def _short_form(cls, v: object) -> object:
        if isinstance(v, Mapping):
            return {k: {"oid": c} if isinstance(c, str) else c for k, c in v.items()}
        return v

    @field_validator("kind")
    @classmethod
    def _installed_kind(cls, v: str) -> str:
        """Any declared kind, a plugin's too. A declared kind that cannot be used (a broken
        or doubly claimed plugin) still loads: the poll then skips that table and says why,
        so one bad plugin never takes every profile down. Imported here because the kinds
        import this module."""
        from netagent.collectors.snmp.table_kinds import TABLE_KINDS

        if v in TABLE_KINDS.names() or any(b.name == v for b in TABLE_KINDS.broken()):
            return v
        raise ValueError(TABLE_KINDS.unknown(v))

    @model_validator(mode="after")
    def _radio_roles_are_fields(self) -> Table:
        """A radio table's column names are the fields it writes: one the schema does not
        declare would be walked and never written, so it is refused here."""
        if self.kind in ("radio_link", "station"):
            known = [f.name for f in schema.measurement_of("radio_link").fields]
            if self.kind == "station":
                known.append("station")  # the column naming the station (its tag)
            if unknown := sorted(set(self.columns) - set(known)):
                raise ValueError(
                    f"table {self.name!r}: {', '.join(unknown)} is not a radio field "
                    f"(one of {', '.join(known)})"
                )
        return self


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    include: list[str] = Field(default_factory=list)
    sys_object_ids: list[str] = Field(default_factory=list, description="sysObjectID prefixes.")
    probe: str | None = Field(
        default=None, description="Chosen by sysObjectID only if this OID exists."
    )
    platforms: list[str] = Field(default_factory=list, description="NetBox platform slugs.")
    max_repetitions: int | None = Field(default=None, ge=1, le=200)
    max_rows: int = Field(
        default=5000, ge=1, description="A table longer than this is cut and reported."
    )
    tables: list[Table] = Field(default_factory=list)


class ProfileError(ValueError):
    pass


class Profiles:
    """The loaded profile table with includes resolved."""

    def __init__(self, profiles: Mapping[str, Profile]) -> None:
        self._raw = dict(profiles)
        self.resolved: dict[str, Profile] = {n: self._resolve(n, ()) for n in self._raw}

    def _resolve(self, name: str, seen: tuple[str, ...]) -> Profile:
        if name in seen:
            raise ProfileError(f"profile {name!r}: include cycle {' -> '.join((*seen, name))}")
        if name not in self._raw:
            raise ProfileError(f"profile {seen[-1]!r} includes unknown profile {name!r}")
        p = self._raw[name]
        tables: dict[str, Table] = {}
        for inc in p.include:
            tables.update({t.name: t for t in self._resolve(inc, (*seen, name)).tables})
        tables.update({t.name: t for t in p.tables})
        return p.model_copy(update={"tables": list(tables.values())})

    def __getitem__(self, name: str) -> Profile:
        try:
            return self.resolved[name]
        except KeyError:
            raise ProfileError(
                f"unknown SNMP profile {name!r}; known: {', '.join(sorted(self.resolved))}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self.resolved

    def for_platform(self, platform: str) -> str | None:
        return next((p.name for p in self.resolved.values() if platform in p.platforms), None)

    def candidates(self, sys_object_id: str) -> list[Profile]:
        """Profiles whose sysObjectID prefix matches, most specific first, probed ones first."""
        hits = [
            (max(len(s) for s in p.sys_object_ids if _under(sys_object_id, s)), p)
            for p in self.resolved.values()
            if any(_under(sys_object_id, s) for s in p.sys_object_ids)
        ]
        hits.sort(key=lambda h: (-h[0], h[1].probe is None, h[1].name))
        return [p for _, p in hits]


def _under(oid: str, prefix: str) -> bool:
    return oid == prefix or oid.startswith(prefix.rstrip(".") + ".")


def load_profiles(*directories: Path) -> Profiles:
    """Loads every *.yaml of the directories (default: the bundled ones); a later
    directory's profile replaces an earlier one of the same name. Errors name the file."""
    found: dict[str, Profile] = {}
    for directory in directories or (PROFILE_DIR,):
        seen_here: set[str] = set()
        for path in sorted(directory.glob("*.yaml")):
            try:
                prof = Profile.model_validate(yaml.safe_load(path.read_text()))
            except (yaml.YAMLError, ValidationError) as e:
                raise ProfileError(f"{path}: {e}") from e
            if prof.name in seen_here:
                raise ProfileError(f"{path}: profile {prof.name!r} is defined twice")
            seen_here.add(prof.name)
            found[prof.name] = prof
    return Profiles(found)
