"""A NetBox 4.4 double for tests and the benchmark (see server.py)."""

from tests.netbox_double.server import TOKEN, NetBoxDouble

__all__ = ["TOKEN", "NetBoxDouble"]
