"""The uplink tree: which device each device depends on to be reached from the agent.

Device.parent is the uplink. A radio link or fibre segment between a device and its
parent names that hop, so a root-cause alert can say "radio link X". An access point,
CPE or PtP radio without a parent but with exactly one radio link or fibre segment hangs
off the far end of it (such devices are never the core).

Redundant paths (a fibre ring, a backup radio link) are the links and segments the tree
does not use. They only ever clear a device of suspicion: one that is silent while a path
of answering devices still leads to it from the agent failed on its own, whatever its
declared uplink says (`live_detours`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from netagent.inventory.model import Inventory, Role

log = logging.getLogger(__name__)

_LEAF_ROLES = {Role.WIFI_AP, Role.CPE, Role.PTP_RADIO}


class Topology:
    def __init__(self, inv: Inventory) -> None:
        names = inv.device_by_name
        hops: dict[frozenset[str], str] = {}
        neighbours: dict[str, list[str]] = defaultdict(list)
        for link in inv.links:
            hops[frozenset((link.a, link.b))] = f"radio link {link.name}"
            neighbours[link.a].append(link.b)
            neighbours[link.b].append(link.a)
        for seg in inv.segments:
            if seg.a_device and seg.b_device:
                hops[frozenset((seg.a_device, seg.b_device))] = f"fibre segment {seg.name}"
                neighbours[seg.a_device].append(seg.b_device)
                neighbours[seg.b_device].append(seg.a_device)
        self.parent: dict[str, str | None] = {}
        for d in inv.devices:
            p = d.parent
            if p is None and d.role in _LEAF_ROLES and len(neighbours[d.name]) == 1:
                p = neighbours[d.name][0]
            self.parent[d.name] = p if p in names and p != d.name else None
        self._break_cycles()
        # Every way two devices are joined: uplinks, radio links, fibre segments.
        self.adjacent: dict[str, set[str]] = defaultdict(set)
        for n, others in neighbours.items():
            self.adjacent[n].update(o for o in others if o in names and o != n)
        for n, p in self.parent.items():
            if p is not None:
                self.adjacent[n].add(p)
                self.adjacent[p].add(n)
        self.roots = sorted(n for n, p in self.parent.items() if p is None)
        self.children: dict[str, list[str]] = defaultdict(list)
        for n, p in self.parent.items():
            if p is not None:
                self.children[p].append(n)
        self.hop: dict[str, str] = {
            n: hops[frozenset((n, p))]
            for n, p in self.parent.items()
            if p is not None and frozenset((n, p)) in hops
        }
        self.order = list(self._top_down())

    def _break_cycles(self) -> None:
        for start in list(self.parent):
            seen = [start]
            n = self.parent[start]
            while n is not None:
                if n in seen:
                    log.warning(
                        "uplink cycle through %s: %s has no parent for alerting",
                        " -> ".join(seen),
                        n,
                    )
                    self.parent[n] = None
                    break
                seen.append(n)
                n = self.parent[n]

    def _top_down(self) -> Iterator[str]:
        """Every device after its parent, so a round sees parents' new state first."""
        stack = sorted((n for n, p in self.parent.items() if p is None), reverse=True)
        while stack:
            n = stack.pop()
            yield n
            stack.extend(sorted(self.children.get(n, ()), reverse=True))

    def ancestors(self, name: str) -> Iterator[str]:
        p = self.parent.get(name)
        while p is not None:
            yield p
            p = self.parent.get(p)

    def descendants(self, name: str, stop: Iterable[str] = ()) -> list[str]:
        """Below `name` in the tree, not entering the subtrees of `stop`."""
        out: list[str] = []
        skip = set(stop)
        stack = list(reversed(self.children.get(name, ())))
        while stack:
            n = stack.pop()
            if n in skip:
                continue
            out.append(n)
            stack.extend(reversed(self.children.get(n, ())))
        return out

    def live_detours(self, answers: Callable[[str], bool], silent: Iterable[str]) -> set[str]:
        """The silent devices next to a device that answers and is reached from the agent
        through answering devices only: their silence is their own, not an uplink's."""
        silent = [n for n in silent if self.parent.get(n) is not None]
        if not silent:
            return set()
        reached = {r for r in self.roots if answers(r)}
        stack = list(reached)
        while stack:
            for m in self.adjacent.get(stack.pop(), ()):
                if m not in reached and answers(m):
                    reached.add(m)
                    stack.append(m)
        return {n for n in silent if not self.adjacent.get(n, set()).isdisjoint(reached)}

    def hop_text(self, name: str) -> str:
        """How the device hangs off its parent, for alert texts."""
        p = self.parent.get(name)
        if p is None:
            return ""
        return f" ({self.hop.get(name, 'uplink')} from {p})"
