"""Request checks against NetBox 4.4.10's own OpenAPI schema (tests/data/netbox).

OpenAPI 3.0 is turned into JSON Schema draft 4 (`nullable` -> a null alternative) and each
body item is validated with jsonschema against the request component the real server uses.
Two deliberate strictnesses: unknown body fields and unknown query filters are refused
(the real server ignores both silently, which would hide a sync bug), and bulk PATCH items
are checked like the detail PATCH (partial, plus `id`), which is what NetBox's bulk view
does, rather than against the bulk schema drf-spectacular approximates.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "netbox" / "openapi-4.4.10.json.gz"
_PAGING = {"limit", "offset", "brief", "ordering", "q", "fields", "omit", "exclude"}


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {
        k: _convert(v) for k, v in node.items() if k not in ("nullable", "format", "x-spec-enum-id")
    }
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


class OpenAPISchema:
    def __init__(self, path: Path = SCHEMA_PATH) -> None:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            self.raw = json.load(f)
        self.paths: dict[str, Any] = self.raw["paths"]
        self.components = _convert(self.raw["components"])

    def template(self, path: str) -> str | None:
        t = re.sub(r"/\d+/", "/{id}/", path)
        return t if t in self.paths else None

    def query_params(self, template: str) -> set[str]:
        return {
            p["name"] for p in self.paths[template].get("get", {}).get("parameters", [])
        } | _PAGING

    def _component(self, template: str, method: str) -> str:
        """The writable request component the server validates each item with."""
        detail = template if "{id}" in template else template + "{id}/"
        if method == "post":
            body = self.paths[template]["post"]["requestBody"]["content"]["application/json"][
                "schema"
            ]
            ref = body["oneOf"][0]["$ref"] if "oneOf" in body else body["$ref"]
        else:
            ref = self.paths[detail]["patch"]["requestBody"]["content"]["application/json"][
                "schema"
            ]["$ref"]
        return str(ref.rsplit("/", 1)[1])

    @lru_cache(maxsize=256)  # noqa: B019 - one schema object per test session
    def validator(self, template: str, method: str, bulk_patch: bool) -> Draft4Validator:
        name = self._component(template, method)
        top = copy.deepcopy(self.components["schemas"][name])
        top["additionalProperties"] = False
        if bulk_patch:
            top["properties"]["id"] = {"type": "integer"}
            top["required"] = ["id"]
        return Draft4Validator({**top, "components": self.components})

    def check_body(self, method: str, template: str, body: Any) -> tuple[list[Any], bool]:
        """Per-item errors ({} when fine) and whether any item failed."""
        method = method.lower()
        listing = "{id}" not in template
        if method == "delete":
            ok = isinstance(body, list) and all(
                isinstance(x, dict) and isinstance(x.get("id"), int) for x in body
            )
            return (
                [{}] * len(body) if ok else [{"non_field_errors": ["expected a list of {id}"]}]
            ), not ok
        if method == "patch" and listing and not isinstance(body, list):
            return [{"non_field_errors": ["bulk PATCH takes a list"]}], True
        items = body if isinstance(body, list) else [body]
        if method == "post" and not listing:
            return [{"detail": "Method not allowed"}], True
        v = self.validator(template, method, method == "patch" and listing)
        errors: list[Any] = []
        for item in items:
            e: dict[str, list[str]] = {}
            if not isinstance(item, dict):
                e["non_field_errors"] = ["expected an object"]
            else:
                for err in v.iter_errors(item):
                    field = str(err.path[0]) if err.path else "non_field_errors"
                    e.setdefault(field, []).append(err.message[:300])
            errors.append(e)
        return errors, any(errors)
