"""Sample writers by name: the `netagent.writers` entry points.

A writer type takes the `[influxdb]` section and returns a `Writer`
(netagent.collectors.influx.writers): one request of line protocol, answered by a WriteResult,
never raising for what the server or the network does. `influxdb.api` names the type;
netagent's own `v1` and `v2` are declared in its pyproject.toml as a third party declares
one (a writer for another line-protocol store, a gateway):

    [project.entry-points."netagent.writers"]
    questdb = "netagent_questdb:QuestWriter"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from netagent.collectors.plugins import Registry

if TYPE_CHECKING:
    from netagent.collectors.influx.config import InfluxConfig
    from netagent.collectors.influx.writers import Writer


class WriterType(Protocol):
    def __call__(self, config: InfluxConfig, /) -> Writer: ...


def _callable(obj: Any) -> str | None:
    return None if callable(obj) else f"{obj!r} is not a class or a function"


WRITERS: Registry[WriterType] = Registry("netagent.writers", "writer", _callable)
