"""Notification bodies: netagent's generic JSON, Alertmanager's webhook, plain-text mail.

The Alertmanager shape is what Alertmanager itself posts to webhook receivers (version 4),
so any receiver written for Alertmanager (chat bridges, Grafana-style contact points)
takes netagent's alerts unchanged; `alertmanager-api` is the body of Alertmanager's own
`POST /api/v2/alerts`, to feed an existing Alertmanager directly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from netagent.agent.notify.event import AlertEvent, iso

GENERIC_VERSION = 1
_ALERTNAMES = {
    "down": "NetagentDeviceDown",
    "degraded": "NetagentDeviceDegraded",
    "flapping": "NetagentDeviceFlapping",
}


def generic(ev: AlertEvent) -> dict[str, Any]:
    return {
        "version": GENERIC_VERSION,
        "id": ev.key,
        "incident": ev.incident,
        "status": ev.status,
        "kind": ev.kind,
        "severity": ev.severity.value,
        "device": ev.device,
        "role": ev.role,
        "site": ev.site,
        "quartiere": ev.quartiere,
        "text": ev.text,
        "root_cause": ev.root_cause,
        "affected": [
            {"device": a.device, "role": a.role, "quartiere": a.quartiere} for a in ev.affected
        ],
        "affected_quartieri": ev.affected_quartieri(),
        "started_at": iso(ev.started_at),
        "ended_at": iso(ev.ended_at),
    }


def _am_alert(ev: AlertEvent) -> dict[str, Any]:
    labels = {
        "alertname": _ALERTNAMES.get(ev.kind, "NetagentAlert"),
        "device": ev.device,
        "role": ev.role,
        "site": ev.site,
        "quartiere": ev.quartiere,
        "severity": ev.severity.value,
        "kind": ev.kind,
    }
    affected = ", ".join(f"{a.device} ({a.quartiere})" for a in ev.affected)
    # The local incident number is an annotation, not a label: the two agents of an HA
    # pair number their incidents apart, and labels are what Alertmanager de-duplicates by.
    annotations = {
        "summary": ev.text,
        "root_cause": ev.root_cause,
        "affected_count": str(len(ev.affected)),
        "incident": str(ev.incident),
        "key": ev.key,
    }
    if affected:
        annotations["description"] = f"Cut off: {affected}"
    fp = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]
    return {
        "status": ev.status,
        "labels": labels,
        "annotations": annotations,
        "startsAt": iso(ev.started_at),
        # Alertmanager's zero time means "still firing".
        "endsAt": iso(ev.ended_at) or "0001-01-01T00:00:00Z",
        "generatorURL": "",
        "fingerprint": fp,
    }


def alertmanager_webhook(ev: AlertEvent, receiver: str) -> dict[str, Any]:
    alert = _am_alert(ev)
    group = {"alertname": alert["labels"]["alertname"], "device": ev.device}
    return {
        "version": "4",
        "groupKey": "{}:{" + ", ".join(f"{k}={json.dumps(v)}" for k, v in group.items()) + "}",
        "truncatedAlerts": 0,
        "status": ev.status,
        "receiver": receiver,
        "groupLabels": group,
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "",
        "alerts": [alert],
    }


def alertmanager_api(ev: AlertEvent) -> list[dict[str, Any]]:
    a = _am_alert(ev)
    body = {k: a[k] for k in ("labels", "annotations", "startsAt", "generatorURL")}
    if ev.ended_at is not None:
        body["endsAt"] = a["endsAt"]
    return [body]


def subject(ev: AlertEvent) -> str:
    tag = "RESOLVED" if ev.status == "resolved" else f"FIRING {ev.severity.value}"
    cut = f" ({len(ev.affected)} devices cut off)" if ev.affected else ""
    return f"[netagent {tag}] {ev.device} {ev.kind}{cut}"


def mail_text(ev: AlertEvent) -> str:
    lines = [
        ev.text,
        "",
        f"Device:     {ev.device} ({ev.role}) at {ev.site}, quartiere {ev.quartiere}",
        f"Kind:       {ev.kind}, severity {ev.severity.value}",
        f"Root cause: {ev.root_cause}",
        f"Started:    {iso(ev.started_at)}",
    ]
    if ev.ended_at is not None:
        lines.append(f"Ended:      {iso(ev.ended_at)}")
    if ev.affected:
        lines += [
            "",
            f"Devices cut off ({len(ev.affected)}), quartieri: "
            f"{', '.join(ev.affected_quartieri())}:",
        ]
        lines += [f"  - {a.device} ({a.role}, {a.quartiere})" for a in ev.affected]
    lines += ["", f"Incident {ev.incident} — netagent"]
    return "\n".join(lines) + "\n"
