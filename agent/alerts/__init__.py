"""Access-point outage alerts: hysteresis, root cause, maintenance, durable incidents."""

from netagent.agent.alerts.config import AlertsConfig, MaintenanceWindow
from netagent.agent.alerts.engine import AlertEngine, Observation
from netagent.agent.alerts.store import AlertStore, Incident, StateStoreError, open_store

__all__ = [
    "AlertEngine",
    "AlertStore",
    "AlertsConfig",
    "Incident",
    "MaintenanceWindow",
    "Observation",
    "StateStoreError",
    "open_store",
]
