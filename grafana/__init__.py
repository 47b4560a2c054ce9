"""Grafana provisioning: datasource and dashboards, generated from code."""
