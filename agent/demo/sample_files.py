"""The sample lab's file formats: GeoJSON with rounded coordinates, one-line YAML records.

Kept apart from the generator so the layout of the committed files (what a reviewer diffs)
is decided in one place.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry


def _rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, list | tuple):
        return [_rounded(x) for x in obj]
    return obj


def feature_collection(features: list[dict[str, Any]], description: str) -> str:
    """A FeatureCollection with one feature per line, so a regenerated file diffs well."""
    head = json.dumps(
        {"type": "FeatureCollection", "description": description}, ensure_ascii=False
    )[:-1]
    body = ",\n".join(json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in features)
    return f'{head}, "features": [\n{body}\n]}}\n'


def geojson_feature(geometry: BaseGeometry, properties: dict[str, Any]) -> dict[str, Any]:
    geo = mapping(geometry)
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": geo["type"], "coordinates": _rounded(geo["coordinates"])},
    }


def flow_list(key: str, records: list[dict[str, Any]]) -> str:
    """A YAML list, one flow-style record per line: diffable and readable."""
    lines = [f"{key}:"]
    for r in records:
        clean = {k: v for k, v in r.items() if v is not None and v != []}
        dumped = yaml.safe_dump(
            clean, default_flow_style=True, width=10**6, allow_unicode=True, sort_keys=False
        ).strip()
        lines.append(f"  - {dumped}")
    return "\n".join(lines) + "\n"


IMPORTS: dict[str, Any] = {
    "imports": [
        {
            "csv": "aps.csv",
            "delimiter": ";",
            "mapping": {
                "device.name": "nome_ap",
                "site.name": "sito",
                "site.kind": "tipo_sito",
                "site.address": "indirizzo",
                "site.lat": "lat",
                "site.lon": "lon",
                "device.mgmt_ip": "ip_gestione",
                "device.model": "modello",
                "device.vendor": "produttore",
                "device.snmp_profile": "profilo_snmp",
                "device.snmp_port": "porta_snmp",
                "device.parent": "switch",
                "wifi.placement": "interno_esterno",
                "wifi.coverage_radius_m": "raggio_m",
            },
            "values": {
                "wifi.placement": {"interno": "indoor", "esterno": "outdoor"},
                "site.kind": {
                    "scuola": "school",
                    "biblioteca": "library",
                    "piazza": "square",
                    "parco": "park",
                    "municipio": "municipal-building",
                    "sport": "sports",
                    "cultura": "culture",
                },
            },
            "defaults": {
                "device.role": "wifi-ap",
                "device.vendor": "Ubiquiti",
                "device.snmp_profile": "unifi",
                # The city's public Wi-Fi: sample data, not a model default.
                "wifi.ssids": ["EmiliaRomagnaWiFi wifiprivacy.it"],
            },
        },
        {"geojson": "fibre.geojson"},
        {"geojson": "quartieri.geojson"},
    ]
}
