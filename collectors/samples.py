"""One time-series point as every collector emits it and every store accepts it.

Tags are low-cardinality identity (device, role, quartiere…), fields are values; each
measurement's tags and fields are declared in `netagent.collectors.measurements` (the README's
schema section is generated from it). Timestamps are integer nanoseconds so
a sample replayed from the spool is byte-identical to the first write (InfluxDB then
overwrites instead of duplicating).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

FieldValue = float | int | bool | str


@dataclass(frozen=True, slots=True)
class Sample:
    measurement: str
    tags: Mapping[str, str]
    fields: Mapping[str, FieldValue]
    time_ns: int = field(default_factory=time.time_ns)

    def series_key(self) -> str:
        """Identity of the series: measurement plus sorted tags (as InfluxDB sees it)."""
        tags = ",".join(f"{k}={v}" for k, v in sorted(self.tags.items()))
        return f"{self.measurement},{tags}" if tags else self.measurement
