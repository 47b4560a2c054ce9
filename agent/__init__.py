"""The daemon and the CLI: config, scheduling, alerts, notifiers, local state, health."""
