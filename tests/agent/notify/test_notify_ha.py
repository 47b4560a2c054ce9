"""Two agents of an HA pair notify the same incident under the same identity, so the
receiver (Alertmanager, or any webhook honouring Idempotency-Key) keeps one."""

from __future__ import annotations

from dataclasses import replace

from netagent.agent.notify import formats
from netagent.agent.notify.config import Severity
from netagent.agent.notify.event import Affected, AlertEvent


def _event(incident: int) -> AlertEvent:
    return AlertEvent(
        incident=incident,
        status="firing",
        kind="down",
        severity=Severity.CRITICAL,
        device="rpt-coviolo-nord",
        role="ptp-radio",
        site="Coviolo nord",
        quartiere="Coviolo",
        text="down",
        root_cause="x",
        started_at=1_790_000_030.0,
        affected=(Affected("ap-1", "wifi-ap", "Coviolo"),),
    )


def test_same_incident_on_two_agents_has_one_identity() -> None:
    a, b = _event(7), _event(12)  # each agent numbers its incidents itself
    assert a.key == b.key
    assert formats.generic(a)["id"] == formats.generic(b)["id"]
    am_a, am_b = formats.alertmanager_webhook(a, "r"), formats.alertmanager_webhook(b, "r")
    assert am_a["alerts"][0]["labels"] == am_b["alerts"][0]["labels"]
    assert am_a["alerts"][0]["fingerprint"] == am_b["alerts"][0]["fingerprint"]
    assert am_a["alerts"][0]["annotations"]["incident"] == "7"


def test_different_incidents_and_their_resolution_have_different_keys() -> None:
    a = _event(1)
    assert a.key != replace(a, started_at=a.started_at + 30).key
    assert a.key != replace(a, kind="degraded").key
    assert a.key != replace(a, status="resolved").key
