"""Delivery of spooled samples to InfluxDB (v2 API through influxdb-client, or v1 /write)."""

from netagent.collectors.influx.config import InfluxConfig
from netagent.collectors.influx.flusher import Flusher, FlushReport, LocalRetention, make_delivery
from netagent.collectors.influx.writers import V1Writer, V2Writer, Writer, WriteResult, make_writer

__all__ = [
    "FlushReport",
    "Flusher",
    "InfluxConfig",
    "LocalRetention",
    "V1Writer",
    "V2Writer",
    "WriteResult",
    "Writer",
    "make_delivery",
    "make_writer",
]
