"""ICMP reachability, loss, RTT and jitter for thousands of targets per round.

scapy builds the echo packets, one raw (or unprivileged ping) socket per family does the
I/O on the asyncio loop. See prober.py for how replies are matched.
"""

from collectors.icmp.config import IcmpConfig
from collectors.icmp.prober import IcmpProber, ProberCounters
from collectors.icmp.results import IcmpResult, IcmpTarget
from collectors.icmp.sockets import IcmpPermissionError
from collectors.icmp.targets import targets_from_inventory

__all__ = [
    "IcmpConfig",
    "IcmpPermissionError",
    "IcmpProber",
    "IcmpResult",
    "IcmpTarget",
    "ProberCounters",
    "targets_from_inventory",
]
