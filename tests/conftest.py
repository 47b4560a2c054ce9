"""Shared fixtures: real servers and namespaces are started here, per test."""

import os
import tempfile

import pytest

pytest_plugins = [
    "tests.fixtures.influx",
    "tests.fixtures.netlab",
    "tests.fixtures.snmpsim",
    "tests.fixtures.snmpd",
]


def pytest_configure(config: pytest.Config) -> None:
    # A test that forgets --data-dir must not write into the user's real data directory.
    os.environ["NETAGENT_DATA_DIR"] = tempfile.mkdtemp(prefix="netagent-test-data-")
