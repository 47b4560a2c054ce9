"""ICMP reachability, loss, RTT and jitter for thousands of targets per round.

scapy builds the echo packets, one raw (or unprivileged ping) socket per family does the
I/O on the asyncio loop. See prober.py for how replies are matched.
"""

from netagent.collectors.icmp.config import IcmpConfig
from netagent.collectors.icmp.prober import IcmpProber, ProberCounters
from netagent.collectors.icmp.results import IcmpResult, IcmpTarget
from netagent.collectors.icmp.sockets import IcmpPermissionError
from netagent.collectors.icmp.targets import targets_from_inventory

__all__ = [
    "IcmpConfig",
    "IcmpPermissionError",
    "IcmpProber",
    "IcmpResult",
    "IcmpTarget",
    "ProberCounters",
    "targets_from_inventory",
]
