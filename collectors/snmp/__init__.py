"""SNMP collector: v2c/v3 polling of interfaces, access-point clients and radio links."""

from netagent.collectors.snmp.config import (
    SnmpConfig,
    SnmpCredentials,
    SnmpTarget,
    targets_from_inventory,
)
from netagent.collectors.snmp.poller import PollOutcome, SnmpPoller
from netagent.collectors.snmp.profiles import ProfileError, Profiles, load_profiles

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
