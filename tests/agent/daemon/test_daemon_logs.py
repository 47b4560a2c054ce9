"""Logs as the journal receives them, and what the daemon stores and says about itself
when its spool cannot be written."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from netagent.agent import logs
from netagent.agent.health import Health, HealthLimits, ReasonsFile, read_reasons
from netagent.agent.notify.event import AlertEvent
from netagent.agent.notify.target import DeliveryError
from netagent.agent.runtime import SampleSink
from netagent.agent.self_alert import StorageAlarm
from netagent.collectors.samples import Sample
from netagent.collectors.spool import Spool
from tests.agent.daemon.test_daemon_run import ROOT

LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: .+$"
)


def journal_lines(code: str, env: dict[str, str] | None = None) -> list[str]:
    """stderr of a child that configures logging and logs, as the journal receives it."""
    r = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    return r.stderr.splitlines()


def test_off_a_tty_one_line_per_record_with_utc_time_and_context() -> None:
    lines = journal_lines(
        "import logging; from netagent.agent import logs; logs.configure(0, daemon=True)\n"
        "log = logging.getLogger('agent.test')\n"
        "log.info('a message long enough to wrap at eighty columns in a rich console, '"
        " 'which the journal would store as three records', extra={'device': 'sw-1', 'rtt_ms': 3})\n"
        "log.debug('not at the default level')\n",
        env={"JOURNAL_STREAM": "8:1234", "COLUMNS": "80"},
    )
    assert len(lines) == 1, lines
    assert LINE.match(lines[0]), lines[0]
    assert " INFO agent.test: a message long enough" in lines[0]
    assert lines[0].endswith(" device=sw-1 rtt_ms=3")


def test_levels_commands_warning_daemon_info() -> None:
    code = (
        "import logging; from netagent.agent import logs; logs.configure({v}, daemon={d})\n"
        "logging.getLogger('x').info('info'); logging.getLogger('x').warning('warn')\n"
        "logging.getLogger('x').debug('debug'); logging.getLogger('x').error('err')\n"
    )

    def levels(v: int, d: bool) -> list[str]:
        return [ln.split()[1] for ln in journal_lines(code.format(v=v, d=d))]

    assert levels(0, False) == ["WARNING", "ERROR"]
    assert levels(0, True) == ["INFO", "WARNING", "ERROR"]
    assert levels(2, False) == ["INFO", "WARNING", "DEBUG", "ERROR"]
    assert levels(-1, False) == ["ERROR"]


def test_identical_warnings_are_folded(caplog: pytest.LogCaptureFixture) -> None:
    fold = logs.FoldRepeats(window_s=300)
    records = [
        logging.makeLogRecord(
            {
                "name": "x",
                "levelno": logging.WARNING,
                "levelname": "WARNING",
                "msg": "spool %s",
                "args": ("full",),
            }
        )
        for _ in range(58)
    ]
    passed = [r for r in records if fold.filter(r)]
    assert len(passed) == 1  # 57 repeats counted, not written
    fold.window_s = 0  # the window is over: the next one says how many there were
    last = logging.makeLogRecord(
        {
            "name": "x",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": "spool %s",
            "args": ("full",),
        }
    )
    assert fold.filter(last)
    assert last.getMessage().startswith("spool full (repeated 57 times in ")
    other = logging.makeLogRecord({"name": "x", "levelno": logging.WARNING, "msg": "other"})
    assert fold.filter(other)
    # The log notify target: every alert it writes is a notification, repeats included.
    alerts = [
        logging.makeLogRecord(
            {
                "name": "netagent.alerts",
                "levelno": logging.WARNING,
                "msg": "alert firing down [critical] ap-1 down",
            }
        )
        for _ in range(3)
    ]
    fresh = logs.FoldRepeats(window_s=300)
    assert all(fresh.filter(r) for r in alerts)


def test_an_unwritable_spool_costs_samples_not_the_caller(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What the daemon's jobs meet on a full disk: put() returns 0, the health says why,
    one ERROR a minute; the next write that succeeds clears it."""
    spool = Spool(tmp_path / "spool.sqlite")
    health = Health()
    clock = [1000.0]
    sink = SampleSink(spool, health, {"inventory": "bundled-sample"}, clock=lambda: clock[0])

    class Full:
        path = spool.path

        def put(self, samples: object) -> int:
            raise sqlite3.OperationalError("database or disk is full")

    sink.spool = Full()  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR):
        for _ in range(30):  # 30 job runs within the minute
            assert sink.put([Sample("icmp", {"device": "a"}, {"up": True})]) == 0
            clock[0] += 1
    assert len([r for r in caplog.records if "cannot store samples" in r.message]) == 1
    [reason] = health.reasons(HealthLimits())
    assert "disk full at " in reason and str(spool.path) in reason and "30 sample(s)" in reason
    sink.spool = spool
    assert sink.put([Sample("icmp", {"device": "a"}, {"up": True})]) == 1
    assert health.reasons(HealthLimits()) == []
    [stored] = spool.latest("icmp")
    assert stored.tags["inventory"] == "bundled-sample"
    spool.close()


def test_health_json_is_read_back_and_overwritten_in_place(tmp_path: Path) -> None:
    assert read_reasons(tmp_path) is None
    reasons = ReasonsFile(tmp_path)
    size = (tmp_path / "health.json").stat().st_size
    reasons.write(["cannot store samples: disk full at /x"], now=1000.0)
    doc = read_reasons(tmp_path)
    assert doc is not None and doc["healthy"] is False and doc["updated"] == 1000.0
    assert doc["reasons"] == ["cannot store samples: disk full at /x"]
    reasons.write([], now=1001.0)
    assert read_reasons(tmp_path) == {
        "healthy": True,
        "reasons": [],
        "updated": 1001.0,
        "pid": os.getpid(),
        "running": True,
    }
    assert (tmp_path / "health.json").stat().st_size == size  # no new block ever needed
    json.loads((tmp_path / "health.json").read_text())
    reasons.write([], now=1002.0, running=False)  # the daemon's last word as it stops
    last = read_reasons(tmp_path)
    assert last is not None and last["running"] is False
    reasons.close()


class FlakyTarget:
    """A notify target that fails its first `failures` sends."""

    def __init__(self, name: str, failures: int = 0) -> None:
        self.name, self.failures = name, failures
        self.sent: list[tuple[str, str]] = []

    async def send(self, event: AlertEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("503 from the receiver")
        self.sent.append((event.status, event.text))


def test_the_agents_own_alert_is_retried_and_cleared_once() -> None:
    health = Health()
    alarm = StorageAlarm(host="mon-1")
    ok, flaky = FlakyTarget("ok"), FlakyTarget("flaky", failures=1)
    targets = {"ok": ok, "flaky": flaky}

    def check(now: float) -> None:
        asyncio.run(alarm.check(health, targets, now))  # type: ignore[arg-type]

    check(100.0)
    assert ok.sent == flaky.sent == []  # healthy: nothing to say
    health.storage_failed("disk full at /var/lib/netagent/spool.sqlite", lost=238, now=101.0)
    check(102.0)
    firing = (
        "firing",
        "netagent cannot store samples: disk full at /var/lib/netagent/spool.sqlite",
    )
    assert ok.sent == [firing] and flaky.sent == []
    check(103.0)  # the failed target gets it at the next check, the other not twice
    assert ok.sent == [firing] and flaky.sent == [firing]
    health.storage = None  # a write succeeded
    check(104.0)
    check(105.0)
    assert ok.sent[1:] == flaky.sent[1:] == [("resolved", "netagent stores samples again")]


def test_a_notifier_that_keeps_failing_is_a_reason() -> None:
    health = Health()
    health.failing_notifiers = {"oncall": "connection refused"}
    assert health.reasons(HealthLimits()) == [
        "notify target oncall keeps failing: connection refused"
    ]
