"""Shared fixtures: real servers and namespaces are started here, per test."""

pytest_plugins = ["tests.fixtures.influx", "tests.fixtures.netlab", "tests.fixtures.snmpsim", "tests.fixtures.snmpd"]
