"""Invariants of the engine over random outage sequences (hypothesis)."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netagent.agent.alerts import AlertsConfig
from tests.alerts_lab import Lab, coviolo_inventory

NAMES = [d.name for d in coviolo_inventory().devices]

rounds = st.lists(st.frozensets(st.sampled_from(NAMES), max_size=4), min_size=5, max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds, st.integers(min_value=1, max_value=3), st.integers(min_value=1, max_value=3))
def test_notifications_alternate_and_blame_the_top(
    down_rounds: list[frozenset[str]], n: int, m: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Path(tmp), config=AlertsConfig(down_after=n, up_after=m, flap_changes=6))
        topo = lab.engine.topo
        for i, down in enumerate(down_rounds):
            if i == len(down_rounds) // 2:
                lab.restart()
                lab.recorder.events.clear()
            before = len(lab.recorder.events)
            lab.round(down=down)
            fired = [e for e in lab.recorder.events[before:] if e.status == "firing"]
            for e in fired:
                if e.kind == "down":
                    # A device is never blamed while a device on its uplink path is down
                    # or cut off: that one's alert stands for it.
                    shown = {a: lab.engine.shown[a][0].value for a in topo.ancestors(e.device)}
                    assert not {"down", "unreachable"} & set(shown.values()), (e.device, shown)
        # Per incident: at most one firing then at most one resolved, in that order.
        seen: dict[int, list[str]] = defaultdict(list)
        for e in lab.recorder.events:
            seen[e.incident].append(e.status)
        for statuses in seen.values():
            assert statuses in (["firing"], ["firing", "resolved"], ["resolved"])
        # At most one open incident per device and kind.
        keys = [(i.device, i.kind) for i in lab.store.open_incidents()]
        assert len(keys) == len(set(keys))
        lab.store.close()
