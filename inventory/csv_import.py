"""Import of access-point lists exported as CSV by an operator.

Every operator's export differs (column names, delimiter, Italian words for values), so
the import is driven by a mapping from model fields (`device.mgmt_ip`, `site.lat`,
`wifi.placement`…) to CSV columns, optional value translations and defaults. It produces
raw site and device records with their row numbers; the common record validation in
`netagent.inventory.load` then checks them like records from YAML.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netagent.inventory.issues import Issue

# Target fields a mapping may name; lists are split on `|`.
TARGETS: dict[str, str] = {
    "site.name": "name of the site (rows with the same site share it)",
    "site.lat": "latitude, WGS84 decimal degrees",
    "site.lon": "longitude, WGS84 decimal degrees",
    "site.kind": "kind of site (school, library, square…)",
    "site.address": "street address",
    "site.quartiere": "quartiere, when the operator knows it",
    "device.name": "unique name of the access point",
    "device.mgmt_ip": "management IP address",
    "device.vendor": "vendor",
    "device.model": "model",
    "device.role": "role (default wifi-ap)",
    "device.parent": "uplink device name",
    "device.status": "NetBox-style status (active, planned…)",
    "device.snmp_profile": "SNMP profile name",
    "device.snmp_port": "SNMP UDP port",
    "device.tags": "tags, separated by |",
    "wifi.ssids": "SSIDs, separated by |",
    "wifi.placement": "indoor or outdoor",
    "wifi.coverage_radius_m": "coverage radius in metres",
}
_LISTS = {"device.tags", "wifi.ssids"}
REQUIRED = ("device.name", "device.mgmt_ip", "site.name", "site.lat", "site.lon")


@dataclass(frozen=True)
class CsvSpec:
    path: Path
    mapping: Mapping[str, str]  # target field -> CSV column
    delimiter: str | None = None  # None: sniffed from the header line
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    encoding: str = "utf-8-sig"  # tolerate the BOM spreadsheet programs write


@dataclass
class CsvRecords:
    """Raw records with their rows; `site_rows` is the first row that named each site."""

    sites: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    devices: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def check_spec(spec: CsvSpec, where: str, spec_file: str) -> list[Issue]:
    """Problems with the mapping itself, reported against the file that declares it."""
    issues = []
    for target in [*spec.mapping, *spec.values, *spec.defaults]:
        if target not in TARGETS:
            issues.append(
                Issue(
                    spec_file,
                    where,
                    target,
                    f"unknown import field; expected one of {', '.join(TARGETS)}",
                )
            )
    for target in REQUIRED:
        if target not in spec.mapping and target not in spec.defaults:
            issues.append(
                Issue(
                    spec_file,
                    where,
                    "mapping",
                    f"{target} ({TARGETS[target]}) must be mapped to a column",
                )
            )
    return issues


def read_csv(spec: CsvSpec, issues: list[Issue]) -> CsvRecords:
    file = str(spec.path)
    out = CsvRecords()
    try:
        text = spec.path.read_text(encoding=spec.encoding)
    except (OSError, UnicodeDecodeError) as e:
        issues.append(Issue(file, "", "", f"cannot read the file: {e}"))
        return out
    if not text.strip():
        issues.append(Issue(file, "", "", "the file is empty; expected a header row"))
        return out
    delimiter = spec.delimiter or _sniff(text.split("\n", 1)[0])
    # newline="": the csv module, not str.splitlines, decides where a row ends.
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in spec.mapping.values() if c not in header]
    for target, column in spec.mapping.items():
        if column in missing:
            issues.append(
                Issue(
                    file,
                    "line 1",
                    column,
                    f"column for {target} not in the header; columns are: {', '.join(header)}",
                )
            )
    if missing:
        return out
    sites: dict[str, tuple[int, dict[str, Any]]] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values()):
            continue  # blank line
        if None in row:
            issues.append(
                Issue(
                    file,
                    f"line {line}",
                    "",
                    f"{len(header) + len(row[None])} cells for {len(header)} columns",
                )
            )
            continue
        record = _record(spec, row, file, line, issues)
        site, device, wifi = record.get("site", {}), record.get("device", {}), record.get("wifi")
        name = str(site.get("name", ""))
        if name in sites:
            first_line, first = sites[name]
            if (first.get("lat"), first.get("lon")) != (site.get("lat"), site.get("lon")):
                issues.append(
                    Issue(
                        file,
                        f"line {line}",
                        spec.mapping.get("site.lat", "site.lat"),
                        f"site {name!r} has other coordinates on line {first_line}",
                    )
                )
        else:
            sites[name] = (line, site)
            out.sites.append((line, site))
        device["site"] = name
        if wifi is not None or device.get("role", "wifi-ap") == "wifi-ap":
            device["wifi"] = wifi or {}
        out.devices.append((line, device))
    return out


def _record(
    spec: CsvSpec, row: Mapping[str, str | None], file: str, line: int, issues: list[Issue]
) -> dict[str, dict[str, Any]]:
    # The file is an access-point list: role wifi-ap unless mapped or defaulted otherwise.
    out: dict[str, dict[str, Any]] = {"device": {"role": "wifi-ap"}}
    for target, default in spec.defaults.items():
        _put(out, target, default)
    for target, column in spec.mapping.items():
        raw = (row.get(column) or "").strip()
        if raw == "":
            continue  # an empty cell means: not given (default or model default applies)
        table = spec.values.get(target)
        if table is not None:
            lowered = {k.lower(): v for k, v in table.items()}
            raw = lowered.get(raw.lower(), raw)
        value: Any = [p.strip() for p in raw.split("|") if p.strip()] if target in _LISTS else raw
        if target in ("site.lat", "site.lon", "wifi.coverage_radius_m"):
            value = raw.replace(",", ".")  # Italian decimal comma
        _put(out, target, value)
    return out


def _put(out: dict[str, dict[str, Any]], target: str, value: Any) -> None:
    group, name = target.split(".", 1)
    out.setdefault(group, {})[name] = value


def _sniff(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def column_for(spec: CsvSpec, group: str, loc: tuple[str | int, ...]) -> str:
    """The CSV column behind a model field, for error messages (`ip_gestione`)."""
    target = f"{group}.{loc[0]}" if loc else group
    if group == "device" and loc and loc[0] == "wifi" and len(loc) > 1:
        target = f"wifi.{loc[1]}"
    column = spec.mapping.get(target)
    return f"{column} ({target})" if column else target
