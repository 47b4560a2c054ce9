"""A NetBox 4.4 double on loopback: checks each request against the real schema, answers
like the real server (tests/data/netbox samples), and can be told to fail."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.netbox_double.schema import OpenAPISchema
from tests.netbox_double.store import (
    CHOICE_KINDS_TYPE,
    CHOICES,
    FKS,
    KINDS,
    OBJECT_TYPE,
    Invalid,
    Protected,
    Store,
)

TOKEN = "0123456789abcdef0123456789abcdef01234567"
APPS = {
    "tags": "extras",
    "custom-fields": "extras",
    "tenants": "tenancy",
    "ip-addresses": "ipam",
    "wireless-lans": "wireless",
    "wireless-links": "wireless",
}
MAX_PAGE, DEFAULT_PAGE = 1000, 50
# Filters the double implements: name -> (object field, how).
FILTERS = {
    "id": ("id", "eq"),
    "name": ("name", "eq"),
    "slug": ("slug", "eq"),
    "ssid": ("ssid", "eq"),
    "label": ("label", "eq"),
    "address": ("address", "eq"),
    "device_id": ("device", "eq"),
    "device_type_id": ("device_type", "eq"),
    "status": ("status", "eq"),
    "tag": ("tags", "tag"),
    "role": ("role", "slug"),
    "site": ("site", "slug"),
    "region": ("region", "region"),
    "has_primary_ip": ("primary_ip4", "has"),
    "site_id": ("site", "eq"),
    "interface_a_id": ("interface_a", "eq"),
}
_SCHEMA: OpenAPISchema | None = None
SAMPLES = Path(__file__).resolve().parent.parent / "data" / "netbox"


def _empty(v: Any) -> Any:
    """The value of a field nobody set, by its type in the real sample."""
    if isinstance(v, str):
        return ""
    if isinstance(v, list):
        return []
    if isinstance(v, bool):
        return False
    if isinstance(v, int) and not isinstance(v, bool):
        return 0
    return None  # objects, floats (coordinates, lengths), null


def _sample_defaults() -> dict[str, dict[str, Any]]:
    out = {}
    for kind in ("sites", "devices", "ip-addresses", "cables", "wireless-links"):
        first = json.loads((SAMPLES / f"{kind}.json").read_text())["results"][0]
        out[kind] = {k: _empty(v) for k, v in first.items()}
        out[kind]["created"] = out[kind]["last_updated"] = "2026-11-24T23:00:00.000000Z"
    return out


SAMPLE_DEFAULTS = _sample_defaults()


def _schema() -> OpenAPISchema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = OpenAPISchema()
    return _SCHEMA


class NetBoxDouble:
    def __init__(self) -> None:
        self.schema = _schema()
        self.store = Store()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []  # (method, path, items in body)
        self.counts: Counter[str] = Counter()
        self.faults: list[int] = []  # statuses answered to the next requests, in order
        # Writes that NetBox performs and then answers with this status (a 500 after the
        # commit, a proxy's 502/504 after its timeout), in order; 0 answers normally.
        self.faults_after: list[int] = []
        # Seconds the next writes take after they are done: a server slower than the
        # client's timeout (the write lands, the client has given up).
        self.slow_writes: list[float] = []
        self.violations: list[str] = []  # requests the real NetBox would refuse
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> NetBoxDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset_counts(self) -> None:
        self.requests.clear()
        self.counts.clear()

    @property
    def writes(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "GET")

    # --- rendering (shapes as in tests/data/netbox/*.json) ---------------------------
    def _url(self, kind: str, i: int) -> str:
        return f"{self.url}/api/{APPS.get(kind, 'dcim')}/{kind}/{i}/"

    def brief(self, kind: str, i: int | None) -> dict[str, Any] | None:
        if i is None:
            return None
        o = self.store.tables[kind][i]
        b: dict[str, Any] = {
            "id": i,
            "url": self._url(kind, i),
            "description": o.get("description", ""),
        }
        for f in ("name", "slug", "model", "address", "ssid", "label"):
            if f in o:
                b[f] = o[f]
        b["display"] = str(
            o.get("name")
            or o.get("model")
            or o.get("address")
            or o.get("ssid")
            or o.get("label")
            or i
        )
        if kind == "interfaces":
            b["device"] = self.brief("devices", o["device"])
            b["cable"] = self.brief("cables", o.get("cable"))
        if kind == "device-types":
            b["manufacturer"] = self.brief("manufacturers", o["manufacturer"])
        return b

    def render(self, kind: str, o: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {**SAMPLE_DEFAULTS.get(kind, {}), **o}
        out["url"] = self._url(kind, o["id"])
        out["display_url"] = out["url"].replace("/api/", "/")
        out["display"] = self.brief(kind, o["id"])["display"]  # type: ignore[index]
        for f, target in FKS.get(kind, {}).items():
            out[f] = self.brief(target, o.get(f))
        for f in CHOICES | ({"type"} if kind in CHOICE_KINDS_TYPE else set()):
            if out.get(f) not in (None, ""):
                out[f] = {"value": out[f], "label": str(out[f]).replace("-", " ").title()}
        if "tags" in o or kind not in ("tags", "custom-fields"):
            tags = self.store.tables["tags"]
            out["tags"] = [
                {
                    "id": t,
                    "url": self._url("tags", t),
                    "display": tags[t]["name"],
                    "name": tags[t]["name"],
                    "slug": tags[t]["slug"],
                    "color": tags[t].get("color", "9e9e9e"),
                }
                for t in o.get("tags", [])
            ]
            defs = self.store.cf_defs(kind)
            values = o.get("custom_fields") or {}
            out["custom_fields"] = {k: self._cf_render(d, values.get(k)) for k, d in defs.items()}
        if kind == "interfaces":
            out["cable"] = self.brief("cables", o.get("cable"))
            out["wireless_link"] = self.brief("wireless-links", o.get("wireless_link"))
            out["wireless_lans"] = [
                self.brief("wireless-lans", w) for w in o.get("wireless_lans", [])
            ]
        if kind == "cables":
            for e in ("a_terminations", "b_terminations"):
                out[e] = [
                    {**t, "object": self.brief("interfaces", t["object_id"])}
                    for t in o.get(e) or []
                ]
        if kind == "ip-addresses":
            aid = o.get("assigned_object_id")
            out["assigned_object"] = self.brief("interfaces", aid) if aid else None
        if kind == "devices":
            out["primary_ip"] = out.get("primary_ip4")
        if kind == "ip-addresses":
            v = 6 if ":" in o["address"] else 4
            out["family"] = {"value": v, "label": f"IPv{v}"}
        return out

    def _cf_render(self, d: dict[str, Any], v: Any) -> Any:
        if d.get("type") == "object" and v is not None:
            target = {ot: k for k, ot in OBJECT_TYPE.items()}[d["related_object_type"]]
            return self.brief(target, v) if v in self.store.tables[target] else None
        return v

    # --- queries --------------------------------------------------------------------
    def _match(self, kind: str, o: dict[str, Any], name: str, values: list[str]) -> bool:
        field, how = FILTERS[name]
        if how == "tag":  # NetBox ANDs repeated tag filters
            slugs = {self.store.tables["tags"][t]["slug"] for t in o.get("tags", [])}
            return all(v in slugs for v in values)
        cur = o.get(field)
        if how == "has":
            return (cur is not None) == (values[0].lower() == "true")
        if how == "slug":
            return cur is not None and self.store.tables[FKS[kind][field]][cur]["slug"] in values
        if how == "region":
            r = self.store.tables["sites"][o["site"]].get("region") if kind == "devices" else cur
            while r is not None:
                if self.store.tables["regions"][r]["slug"] in values:
                    return True
                r = self.store.tables["regions"][r].get("parent")
            return False
        return str(cur) in values

    def _validate_query(
        self, kind: str, template: str, q: dict[str, list[str]]
    ) -> tuple[str, str] | None:
        """(filter, why) for the first filter NetBox would refuse."""
        allowed = self.schema.query_params(template)
        for name, values in q.items():
            if name not in allowed:
                return name, f"unknown filter {name!r}"
            if name in ("limit", "offset", "brief"):
                continue
            if name not in FILTERS:
                return name, f"the double does not implement filter {name!r}"
            if name in ("tag", "role", "site", "region"):  # slug choice filters: unknown -> 400
                target = {
                    "tag": "tags",
                    "role": "device-roles",
                    "site": "sites",
                    "region": "regions",
                }[name]
                known = {o["slug"] for o in self.store.tables[target].values()}
                bad = [v for v in values if v not in known]
                if bad:
                    return name, (
                        f"Select a valid choice. {bad[0]} is not one of the available choices."
                    )
        return None

    def list(self, kind: str, path: str, template: str, q: dict[str, list[str]]) -> tuple[int, Any]:
        if refused := self._validate_query(kind, template, q):
            name, err = refused
            self.violations.append(f"GET {path}: {err}")
            return 400, {name: [err]}
        limit = int(q.get("limit", [DEFAULT_PAGE])[0]) or MAX_PAGE
        limit = min(limit, MAX_PAGE)
        offset = int(q.get("offset", ["0"])[0])
        filters = {k: v for k, v in q.items() if k not in ("limit", "offset", "brief")}
        objs = [
            o
            for o in self.store.tables[kind].values()
            if all(self._match(kind, o, k, v) for k, v in filters.items())
        ]
        page = objs[offset : offset + limit]
        nxt = None
        if offset + limit < len(objs):
            query = {**q, "limit": [limit], "offset": [offset + limit]}
            nxt = f"{self.url}{path}?{urlencode(query, doseq=True)}"
        return 200, {
            "count": len(objs),
            "next": nxt,
            "previous": None,
            "results": [self.render(kind, o) for o in page],
        }

    # --- writes -------------------------------------------------------------------
    def write(
        self, method: str, kind: str, template: str, obj_id: int | None, body: Any
    ) -> tuple[int, Any]:
        errors, bad = self.schema.check_body(method, template, body)
        if bad:
            self.violations.append(f"{method} {template}: {[e for e in errors if e]}")
            return 400, errors if isinstance(body, list) else errors[0]
        items = body if isinstance(body, list) else [body]
        snap = self.store.snapshot()
        results: list[Any] = []
        errs: list[dict[str, Any]] = []
        for item in items:
            try:
                if method == "DELETE":
                    self.store.delete(kind, item["id"] if obj_id is None else obj_id)
                    res = None
                else:
                    target = (
                        obj_id
                        if obj_id is not None
                        else item.get("id")
                        if method == "PATCH"
                        else None
                    )
                    res = self.store.write(kind, item, target)
                    self.store.link_side_effects(kind, res)
                results.append(res)
                errs.append({})
            except Invalid as e:
                errs.append(e.errors)
            except Protected as e:
                self.store.restore(snap)
                self.violations.append(f"{method} {template}: {e}")
                return 409, {"detail": str(e)}
        if any(errs):  # all-or-nothing, like NetBox's bulk views
            self.store.restore(snap)
            self.violations.append(f"{method} {template}: {[e for e in errs if e]}")
            return 400, errs if isinstance(body, list) else errs[0]
        if method == "DELETE":
            return 204, None
        rendered = [self.render(kind, self.store.tables[kind][r["id"]]) for r in results]
        status = 201 if method == "POST" else 200
        return status, rendered if isinstance(body, list) else rendered[0]

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        auth = headers.get("Authorization", "")
        if auth != f"Token {TOKEN}":
            detail = (
                "Authentication credentials were not provided." if not auth else "Invalid token"
            )
            return 403, {"detail": detail}
        parts = urlsplit(raw_path)
        if parts.path == "/api/status/":
            return 200, {"netbox-version": "4.4.10", "netbox-full-version": "4.4.10", "plugins": {}}
        template = self.schema.template(parts.path)
        kind = parts.path.strip("/").split("/")[2] if template else None
        if template is None or kind not in KINDS:
            return 404, {"detail": "Not found."}
        obj_id = int(parts.path.strip("/").split("/")[3]) if "{id}" in template else None
        if method == "GET":
            if obj_id is not None:
                o = self.store.tables[kind].get(obj_id)
                return (200, self.render(kind, o)) if o else (404, {"detail": "Not found."})
            return self.list(kind, parts.path, template, parse_qs(parts.query))
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return 400, {"detail": "JSON parse error"}
        return self.write(method, kind, template, obj_id, data)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, *args: Any) -> None:
                pass

            def _do(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                delay = 0.0
                with double.lock:
                    if double.faults:
                        status, answer = double.faults.pop(0), {"detail": "injected fault"}
                    else:
                        status, answer = double.handle(self.command, self.path, self.headers, body)
                        n = len(json.loads(body)) if body and body.startswith(b"[") else 1
                        double.requests.append((self.command, urlsplit(self.path).path, n))
                        double.counts[self.command] += 1
                        if self.command != "GET" and double.faults_after:
                            fault = double.faults_after.pop(0)  # 0: answer as done
                            if fault:
                                status, answer = fault, {"detail": "injected fault after the write"}
                        if self.command != "GET" and double.slow_writes:
                            delay = double.slow_writes.pop(0)
                if delay:
                    time.sleep(delay)  # outside the lock: reads go on meanwhile
                payload = b"" if answer is None else json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (slow_writes)

            do_GET = do_POST = do_PATCH = do_DELETE = _do

        return Handler
