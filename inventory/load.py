"""Loading an inventory from files: YAML, CSV access-point lists, GeoJSON.

All files are read and every record validated before anything is returned: a caller gets
either a complete `Inventory` or the full list of located issues and no inventory, so an
invalid file can never be half applied.
A path may be a directory: `netagent.inventory.directory.expand_paths` says which files it stands
for.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from netagent.inventory import csv_import, geojson
from netagent.inventory.directory import expand_paths
from netagent.inventory.issues import Issue, Severity
from netagent.inventory.model import (
    Device,
    FibreSegment,
    Inventory,
    Quartiere,
    RadioLink,
    Role,
    Site,
    WifiSettings,
)
from netagent.inventory.validate import Origin, cross_check
from netagent.inventory.yaml_source import Loc, LocatedYaml, dotted, read_yaml

M = TypeVar("M", bound=BaseModel)
_SECTIONS: dict[str, type[BaseModel]] = {
    "sites": Site,
    "devices": Device,
    "links": RadioLink,
    "segments": FibreSegment,
}
_TOP_KEYS = {*_SECTIONS, "imports"}


@dataclass
class LoadResult:
    inventory: Inventory | None
    issues: list[Issue] = field(default_factory=list)
    # Where each record was read, by (section, name): "devices", "sites", "quartieri"…;
    # for checks made after loading (the configuration's references, the comune).
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.WARNING]


@dataclass
class _Collected:
    records: dict[str, list[BaseModel]] = field(default_factory=lambda: {k: [] for k in _SECTIONS})
    quartieri: list[Quartiere] = field(default_factory=list)
    paths: list[tuple[str, Origin]] = field(default_factory=list)  # (segment, origin)
    path_geoms: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    origins: dict[int, Origin] = field(default_factory=dict)
    # Names of records that failed their own validation: references to them are not
    # reported again as "does not exist".
    invalid: set[str] = field(default_factory=set)


def load_inventory(paths: Sequence[Path]) -> LoadResult:
    files, issues = expand_paths(paths)
    got = _Collected()
    for path in files:
        _load_file(Path(path), got, issues)
    issues += cross_check(got.records, got.quartieri, got.paths, got.origins, got.invalid)
    if any(i.severity is Severity.ERROR for i in issues):
        return LoadResult(None, issues)
    segments = [
        s.model_copy(update={"path": got.path_geoms[s.name]}) if s.name in got.path_geoms else s
        for s in got.records["segments"]
        if isinstance(s, FibreSegment)
    ]
    inv = Inventory(
        sites=tuple(r for r in got.records["sites"] if isinstance(r, Site)),
        devices=tuple(
            _with_wifi_default(r) for r in got.records["devices"] if isinstance(r, Device)
        ),
        links=tuple(r for r in got.records["links"] if isinstance(r, RadioLink)),
        segments=tuple(segments),
        quartieri=tuple(got.quartieri),
    )
    sections: list[tuple[str, Sequence[BaseModel]]] = [
        *got.records.items(),
        ("quartieri", got.quartieri),
    ]
    origins = {
        (section, str(getattr(r, "name", ""))): o
        for section, records in sections
        for r in records
        if (o := got.origins.get(id(r))) is not None
    }
    return LoadResult(inv, issues, origins)


def _with_wifi_default(d: Device) -> Device:
    """An access point without explicit settings gets the default ones (outdoor, no SSID named)."""
    if d.role is Role.WIFI_AP and d.wifi is None:
        return d.model_copy(update={"wifi": WifiSettings()})
    return d


def _load_file(path: Path, got: _Collected, issues: list[Issue]) -> None:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        _load_yaml(path, got, issues)
    elif suffix == ".csv":
        header = path.open(encoding="utf-8-sig").readline() if path.exists() else ""
        delimiter = csv_import._sniff(header)
        columns = [c.strip() for c in header.strip().split(delimiter)]
        mapping = {c: c for c in columns if c in csv_import.TARGETS}
        if not mapping and path.exists():  # an export in its own layout, or not an AP list
            issues.append(
                Issue(
                    str(path),
                    "line 1",
                    "",
                    "no column is named after a target field (device.name, device.mgmt_ip, "
                    "site.name, site.lat, site.lon…); import this file from a YAML with a "
                    "mapping (imports: [{csv: FILE, mapping: …}])",
                )
            )
            return
        spec = csv_import.CsvSpec(path, mapping, delimiter)
        _load_csv(spec, str(path), "", got, issues)
    elif suffix in (".geojson", ".json"):
        _load_geojson(path, got, issues)
    else:
        issues.append(
            Issue(
                str(path),
                "",
                "",
                "unknown file type; expected .yaml, .yml, .csv, .geojson or .json",
            )
        )


def _load_yaml(path: Path, got: _Collected, issues: list[Issue]) -> None:
    doc = read_yaml(path, issues)
    if doc is None:
        return
    file = str(path)
    if not isinstance(doc.data, dict):
        issues.append(
            Issue(
                file,
                "line 1",
                "",
                "expected a mapping with sites, devices, links, segments, imports",
            )
        )
        return
    for key in doc.data:
        if key not in _TOP_KEYS:
            issues.append(
                Issue(
                    file,
                    f"line {doc.line((key,))}",
                    str(key),
                    f"unknown section; expected one of {', '.join(sorted(_TOP_KEYS))}",
                )
            )
    for section, model in _SECTIONS.items():
        items = doc.data.get(section) or []
        if not isinstance(items, list):
            issues.append(Issue(file, f"line {doc.line((section,))}", section, "expected a list"))
            continue
        for i, raw in enumerate(items):
            prefix: Loc = (section, i)
            _add(
                got,
                section,
                raw,
                _validate(
                    model, raw, file, _yaml_where(doc, prefix), partial(_prefixed, prefix), issues
                ),
            )
    imports = doc.data.get("imports") or []
    if not isinstance(imports, list):
        issues.append(Issue(file, f"line {doc.line(('imports',))}", "imports", "expected a list"))
        return
    for i, spec in enumerate(imports):
        _load_import(path, doc, i, spec, got, issues)


def _load_import(
    yaml_path: Path, doc: LocatedYaml, i: int, spec: Any, got: _Collected, issues: list[Issue]
) -> None:
    file, where = str(yaml_path), f"line {doc.line(('imports', i))}"
    if not isinstance(spec, dict) or not ({"csv", "geojson"} & spec.keys()):
        issues.append(
            Issue(
                file, where, f"imports[{i}]", "expected {csv: FILE, mapping: …} or {geojson: FILE}"
            )
        )
        return
    target = yaml_path.parent / str(spec.get("csv") or spec.get("geojson"))
    if "geojson" in spec:
        _load_geojson(target, got, issues)
        return
    try:
        csv_spec = csv_import.CsvSpec(
            target,
            dict(spec.get("mapping") or {}),
            spec.get("delimiter"),
            {k: dict(v) for k, v in (spec.get("values") or {}).items()},
            dict(spec.get("defaults") or {}),
            spec.get("encoding", "utf-8-sig"),
        )
    except (TypeError, ValueError) as e:
        issues.append(Issue(file, where, f"imports[{i}]", f"malformed import: {e}"))
        return
    _load_csv(csv_spec, file, where, got, issues)


def _load_csv(
    spec: csv_import.CsvSpec,
    spec_file: str,
    spec_where: str,
    got: _Collected,
    issues: list[Issue],
) -> None:
    spec_issues = csv_import.check_spec(spec, spec_where, spec_file)
    issues += spec_issues
    if spec_issues:
        return
    records = csv_import.read_csv(spec, issues)
    file = str(spec.path)
    for group, section, model, rows in (
        ("site", "sites", Site, records.sites),
        ("device", "devices", Device, records.devices),
    ):
        for line, raw in rows:
            _add(
                got,
                section,
                raw,
                _validate(
                    model,
                    raw,
                    file,
                    partial(_at_line, line),
                    partial(csv_import.column_for, spec, group),
                    issues,
                ),
            )


def _load_geojson(path: Path, got: _Collected, issues: list[Issue]) -> None:
    file = str(path)
    try:
        features = geojson.read_features(path)
    except geojson.GeoJSONError as e:
        issues.append(
            Issue(file, f"feature {e.index}" if e.index is not None else "", "", e.message)
        )
        return
    polygons = [f for f in features if f.geometry.geom_type in ("Polygon", "MultiPolygon")]
    try:
        fields = _quartiere_fields([f.properties for f in polygons])
    except ValueError as e:
        issues.append(Issue(file, "", "properties", str(e)))
        return
    for f in features:
        where, kind = f"feature {f.index}", f.geometry.geom_type
        origin = Origin(file, where)
        if kind == "LineString" and "segment" in f.properties:
            name = str(f.properties["segment"])
            got.paths.append((name, origin))
            got.path_geoms[name] = [(float(x), float(y)) for x, y, *_ in f.geometry.coords]
        elif kind in ("Polygon", "MultiPolygon"):
            _add_quartiere(f, fields, origin, got, issues)
        else:
            issues.append(
                Issue(
                    file,
                    where,
                    "geometry",
                    f"{kind} feature not understood; expected a LineString "
                    "with property 'segment' or a (Multi)Polygon quartiere",
                )
            )


def _quartiere_fields(props: Sequence[dict[str, Any]]) -> dict[str, str | None]:
    """Which property holds the name, population, ambito: the project's own names, the
    exported `quartieri.geojson`'s, or an official file's (`NOME`…), detected."""
    if not props:
        return {}
    hint = "rename it to 'name', or give the file as agent.quartieri"
    return {
        "name": geojson.pick_field(props, "", geojson.NAME_FIELDS, "quartiere name", hint=hint),
        "population": geojson.pick_field(props, "", geojson.POPULATION_FIELDS, "population", False),
        "ambito": geojson.pick_field(props, "", geojson.AMBITO_FIELDS, "ambito", False),
    }


def _add_quartiere(
    f: geojson.Feature,
    fields: dict[str, str | None],
    origin: Origin,
    got: _Collected,
    issues: list[Issue],
) -> None:
    props = f.properties

    def value(key: str) -> Any:
        name = fields.get(key)
        return props.get(name) if name else None

    raw = {
        "name": value("name"),
        "ambito": value("ambito"),
        "population": value("population"),
        "geometry": f.geometry,
        "approximate": bool(props.get("approximate", False)),
        "source": props.get("source") or "",
    }
    validated = _validate(
        Quartiere,
        raw,
        origin.file,
        lambda _l: origin.where,
        lambda loc: f"properties.{dotted(loc)}",
        issues,
    )
    if validated is not None:
        got.quartieri.append(validated[0])
        got.origins[id(validated[0])] = origin


def _validate(
    model: type[M],
    raw: Any,
    file: str,
    where: Callable[[Loc], str],
    field_name: Callable[[Loc], str],
    issues: list[Issue],
) -> tuple[M, Origin] | None:
    try:
        record = model.model_validate(raw)
    except ValidationError as e:
        for err in e.errors():
            loc: Loc = tuple(err["loc"])
            got = err.get("input")
            shown = "" if isinstance(got, dict) or err["type"] == "missing" else f" (got {got!r})"
            msg = f"{err['msg']}{shown}"
            if err["type"] == "extra_forbidden":  # pydantic's "Extra inputs are not permitted"
                msg = _unknown_key(model, loc)
            issues.append(Issue(file, where(loc), field_name(loc), msg))
        return None
    return record, Origin(file, where(()), where)


def _unknown_key(model: type[BaseModel], loc: Loc) -> str:
    """A misspelt key (`parnet:`) named as such, with the keys its record takes."""
    for part in loc[:-1]:  # down to the record holding the key (wifi:, sector:)
        info = model.model_fields.get(str(part))
        kinds = (info.annotation, *get_args(info.annotation)) if info is not None else ()
        sub = next((a for a in kinds if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is None:
            return "unknown key"
        model = sub
    known = sorted(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} (expected one of: {', '.join(known)})"


def _add(
    got: _Collected, section: str, raw: Any, validated: tuple[BaseModel, Origin] | None
) -> None:
    if validated is not None:
        record, origin = validated
        got.records[section].append(record)
        got.origins[id(record)] = origin
    elif isinstance(raw, dict) and raw.get("name"):
        got.invalid.add(str(raw["name"]))


def _yaml_where(doc: LocatedYaml, prefix: Loc) -> Callable[[Loc], str]:
    return lambda loc: f"line {doc.line(prefix + loc)}"


def _prefixed(prefix: Loc, loc: Loc) -> str:
    return dotted(prefix + loc)


def _at_line(line: int, _loc: Loc) -> str:
    return f"line {line}"
