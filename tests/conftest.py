"""Shared fixtures: real servers and namespaces are started here, per test."""

import os
import tempfile

import pytest
from hypothesis import settings

# The suite is a gate: the same examples every run, so a red CI always means a change did
# it. HYPOTHESIS_PROFILE=explore draws new examples (and more) to hunt for fresh bugs.
settings.register_profile("gate", derandomize=True, database=None)
settings.register_profile("explore", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))

pytest_plugins = [
    "tests.fixtures.influx",
    "tests.fixtures.netlab",
    "tests.fixtures.snmpsim",
    "tests.fixtures.snmpd",
]


def pytest_configure(config: pytest.Config) -> None:
    # A test that forgets --data-dir must not write into the user's real data directory.
    os.environ["NETAGENT_DATA_DIR"] = tempfile.mkdtemp(prefix="netagent-test-data-")
