"""Inventory sources by name: the `netagent.inventory_sources` entry points.

An inventory source is a function of the configuration that returns the devices to
watch as an `netagent.inventory.model.Inventory`, or raises ValueError listing what is wrong
(one line per problem, naming file, record or field). `[agent] source` names it;
netagent's own `files` and `netbox` (netagent.agent.inventory_source) are declared in its
pyproject.toml as a third party declares one (a LibreNMS or a spreadsheet source):

    [project.entry-points."netagent.inventory_sources"]
    librenms = "netagent_librenms:pull"

A source is called at start, at SIGHUP and by the `netbox` job when `source = "netbox"`;
it runs off the event loop, so it may block on the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from netagent.collectors.plugins import Registry

if TYPE_CHECKING:
    from netagent.agent.config import AgentConfig
    from netagent.inventory.model import Inventory


class InventorySource(Protocol):
    def __call__(self, config: AgentConfig, /) -> Inventory: ...


def _callable(obj: Any) -> str | None:
    return None if callable(obj) else f"{obj!r} is not a function"


INVENTORY_SOURCES: Registry[InventorySource] = Registry(
    "netagent.inventory_sources", "inventory source", _callable
)
