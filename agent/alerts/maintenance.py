"""Is a device under maintenance right now (a window, or a not-in-service status)?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from netagent.agent.alerts.config import AlertsConfig, MaintenanceWindow
from netagent.inventory.model import Device, Inventory


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def window_active(w: MaintenanceWindow, now: float) -> bool:
    t = datetime.fromtimestamp(now, UTC)
    if w.cron is None:
        assert w.start is not None and w.end is not None
        return _aware(w.start) <= t < _aware(w.end)
    assert w.duration_s is not None
    # The first start at or after (now - duration) is the one whose window covers now.
    start = w.trigger().get_next_fire_time(None, t - timedelta(seconds=w.duration_s))
    return start is not None and start <= t


def window_covers(w: MaintenanceWindow, inv: Inventory, d: Device) -> bool:
    if not (w.devices or w.roles or w.sites or w.quartieri):
        return True
    return (
        d.name in w.devices
        or d.role.value in w.roles
        or d.site in w.sites
        or (inv.quartiere_tag(d)) in w.quartieri
    )


def maintenance_reason(config: AlertsConfig, inv: Inventory, d: Device, now: float) -> str | None:
    """Why `d` is not to be notified about now, or None when it is in service."""
    if d.status.value in config.maintenance_statuses:
        return f"status {d.status.value}"
    for w in config.maintenance:
        if window_covers(w, inv, d) and window_active(w, now):
            return f"window {w.name or w.cron or w.start}"
    return None
