"""NetBox sync: the inventory kept in NetBox (plan, then apply) and poll targets pulled from it."""

from netagent.inventory.netbox.apply import apply
from netagent.inventory.netbox.changes import Change, SyncPlan, SyncReport
from netagent.inventory.netbox.client import (
    NetBoxAuthError,
    NetBoxError,
    NetBoxInputError,
    NetBoxRequestError,
)
from netagent.inventory.netbox.config import NetBoxConfig
from netagent.inventory.netbox.plan import plan
from netagent.inventory.netbox.pull import pull_inventory

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
