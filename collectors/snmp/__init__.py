"""SNMP collector: v2c/v3 polling of interfaces, access-point clients and radio links."""

from collectors.snmp.config import SnmpConfig, SnmpCredentials, SnmpTarget, targets_from_inventory
from collectors.snmp.poller import PollOutcome, SnmpPoller
from collectors.snmp.profiles import ProfileError, Profiles, load_profiles

__all__ = [
    "PollOutcome",
    "ProfileError",
    "Profiles",
    "SnmpConfig",
    "SnmpCredentials",
    "SnmpPoller",
    "SnmpTarget",
    "load_profiles",
    "targets_from_inventory",
]
