"""NetBox sync: the inventory kept in NetBox (plan, then apply) and poll targets pulled from it."""

from inventory.netbox.apply import apply
from inventory.netbox.changes import Change, SyncPlan, SyncReport
from inventory.netbox.client import (
    NetBoxAuthError,
    NetBoxError,
    NetBoxInputError,
    NetBoxRequestError,
)
from inventory.netbox.config import NetBoxConfig
from inventory.netbox.plan import plan
from inventory.netbox.pull import pull_inventory

__all__ = [
    "Change",
    "NetBoxAuthError",
    "NetBoxConfig",
    "NetBoxError",
    "NetBoxInputError",
    "NetBoxRequestError",
    "SyncPlan",
    "SyncReport",
    "apply",
    "plan",
    "pull_inventory",
]
