"""A device degraded (pings, SNMP silent) when the agent restarts (`systemctl restart`,
an upgrade): the first ICMP rounds after the start come before the first SNMP poll, and
"no verdict yet" counted as SNMP fine, so every restart sent a "resolved" for each
degraded device and a new "firing" three polls later. It stays degraded until a poll
says otherwise."""

from __future__ import annotations

import asyncio
from pathlib import Path

from netagent.agent.alerts import Observation
from tests.alerts_lab import Lab


def test_a_restart_does_not_resolve_a_degraded_device_before_its_next_poll(
    tmp_path: Path,
) -> None:
    lab = Lab(tmp_path)
    lab.rounds(4, snmp_down={"ap-centro"})
    assert [(e.kind, e.status) for e in lab.sent()] == [("degraded", "firing")]
    lab.restart()
    for _ in range(3):  # ICMP rounds, every device answers, no SNMP verdict yet
        lab.clock.t += lab.round_s
        pings = [Observation(d.name, True) for d in lab.inv.devices]
        asyncio.run(lab.engine.observe_and_notify(pings, lab.clock.t))
    assert lab.sent() == []
    assert [i.device for i in lab.store.open_incidents()] == ["ap-centro"]
    lab.rounds(2)  # the SNMP poll answers again: now it is resolved
    assert [(e.kind, e.status) for e in lab.sent()] == [("degraded", "resolved")]
