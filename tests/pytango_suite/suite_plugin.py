"""pytest plugin (``-p suite_plugin``) loaded into the run of PyTango's suite.

``--outcomes-file PATH`` receives
``{node id: "passed" | "failed" | "error" | "skipped" | "xfailed" | "xpassed"}`` with, for
the tests that did not pass, the last line of the error (``{node id: text}`` under
``"details"``).  A module that cannot be imported is recorded as one "error" under its own node
id.  Works with pytest-forked: reports reach the parent process's hooks.

``--per-test-timeout SECONDS`` stops a test that takes longer, inside the forked child that runs
it (SIGALRM: the test fails with a traceback of where it was; a child that does not unwind
within 10 s more is killed and reported as crashed), so one hung test never stops the session.

It also lets pytest-forked (PyTango's suite runs ``--forked``) work with pytest >= 9.2, whose
reports carry a structured ``_id`` that pytest-forked's ``marshal`` cannot send from the forked
child: the report goes as its ``nodeid`` string instead, as pytest's own serialisation does.
"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--outcomes-file", default=None, help="write each test's outcome to this JSON file")
    parser.addoption("--per-test-timeout", type=float, default=0.0,
                     help="stop a forked test after this many seconds (0: never)")


_EXCEPTION_LINE = re.compile(r"^E\s+(\w+\.)*\w*(Error|Exception|Failed|Warning|Interrupt|Exit)\b.*")


def _error_line(longrepr: str) -> str:
    """The line of a failure report that says what went wrong: the exception raised, else the
    first line of the assertion (``E   assert ...``), else the last line."""
    lines = longrepr.strip().splitlines()
    errors = [ln for ln in lines if ln.startswith("E ")]
    for number, line in enumerate(errors):
        if _EXCEPTION_LINE.match(line) and not line.split(None, 1)[-1].startswith("AssertionError"):
            if line.rstrip().endswith("DevFailed["):  # PyTango's multi-line repr: its first reason and desc
                fields = [ln.split("=", 1)[1].strip() for ln in errors[number:]
                          if ln.split("=", 1)[0].strip(" E") in ("reason", "desc")][:2]
                line = f"E DevFailed: {' / '.join(reversed(fields))}"
            return re.sub(r"\s+", " ", line[1:]).strip()[:300]
    chosen = errors[0] if errors else (lines[-1] if lines else "")
    return re.sub(r"\s+", " ", chosen.lstrip("E")).strip()[:300]


class OutcomeRecorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: dict[str, str] = {}
        self.details: dict[str, str] = {}

    def _set(self, nodeid: str, outcome: str, report: Any = None) -> None:
        self.outcomes[nodeid] = outcome
        if report is not None and outcome not in ("passed", "xfailed"):
            self.details[nodeid] = _error_line(str(getattr(report, "longrepr", "") or ""))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid, previous = report.nodeid, self.outcomes.get(report.nodeid)
        if hasattr(report, "wasxfail"):
            self._set(nodeid, "xfailed" if report.skipped else "xpassed", report)
        elif report.when == "call":
            self._set(nodeid, report.outcome, report)
        elif report.failed:  # setup or teardown failure: an error, whatever the call did
            self._set(nodeid, "error", report)
        elif report.skipped and previous is None:
            self._set(nodeid, "skipped", report)

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._set(report.nodeid, "error", report)

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        self.path.write_text(json.dumps({"outcomes": self.outcomes, "details": self.details}, indent=0))


class ForkedTestTimeout:
    """Arms SIGALRM in each forked child for the duration of its test (never in the parent)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.parent = seconds, os.getpid()

    def _on_alarm(self, signum: int, frame: Any) -> None:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(10)  # the test does not unwind: the child dies, reported as crashed
        pytest.fail(f"Timeout (>{self.seconds:g} s): stopped by the PyTango-suite runner", pytrace=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if os.getpid() != self.parent:
            signal.signal(signal.SIGALRM, self._on_alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Any:
        yield
        if os.getpid() != self.parent:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _send_node_ids_as_strings() -> None:
    try:
        import pytest_forked
    except ImportError:
        return
    serialize = pytest_forked.serialize_report
    if getattr(serialize, "sends_node_id_strings", False):
        return

    def serialize_report(report: Any) -> dict:
        data = serialize(report)
        if "_id" in data:
            data["nodeid"] = str(data.pop("_id"))
        return data

    serialize_report.sends_node_id_strings = True
    pytest_forked.serialize_report = serialize_report


def pytest_configure(config: pytest.Config) -> None:
    _send_node_ids_as_strings()
    seconds = config.getoption("--per-test-timeout")
    if seconds > 0:
        config.pluginmanager.register(ForkedTestTimeout(seconds), "forked-test-timeout")
    path = config.getoption("--outcomes-file")
    if path:
        config.pluginmanager.register(OutcomeRecorder(Path(path)), "outcome-recorder")
