"""Fixtures of the PyTango-suite check: the fetched sdist and the runs of its test files.

The runs of the selected files start together when the first check needs one, at most
``$PYTANGO_SUITE_JOBS`` (default 2) at a time, each in its own pytest subprocess; each check
then waits for its file.  The counts of every file are printed after pytest's summary.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import suite


@pytest.fixture(scope="session")
def pytango_sdist() -> Path:
    """PyTango 10.3.1's unpacked sdist (fetched once into the cache); under CI=true a failed
    fetch fails the checks instead of skipping them."""
    try:
        return suite.fetch_sdist()
    except Exception as exc:  # noqa: BLE001 - pip's own words go into the skip/fail message
        import peers

        peers.peer_unavailable(f"PyTango {suite.PYTANGO_VERSION} sdist not available: {exc}")
        raise


class SuiteRuns:
    """Runs of PyTango's test files in subprocesses, started together, awaited one by one; each
    file with the TangoTest it is checked against (suite.DEBIAN_TANGOTEST or
    suite.TANGO_CORE_TANGOTEST)."""

    def __init__(self, sdist: Path, runs: list[tuple[str, str]], workdir: Path, jobs: int) -> None:
        self.sdist, self.workdir = sdist, workdir
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="pytango-suite")
        self.futures: dict[tuple[str, str], Future] = {}
        for file, tangotest in runs:
            self.start(file, tangotest)

    def _workdir(self, file: str, tangotest: str, suffix: str = "") -> Path:
        name = file.removesuffix(".py") + ("" if tangotest == suite.DEBIAN_TANGOTEST else f"-{tangotest}_tangotest")
        return self.workdir / (name + suffix)

    def start(self, file: str, tangotest: str = suite.DEBIAN_TANGOTEST) -> Future:
        if (file, tangotest) not in self.futures:
            self.futures[file, tangotest] = self.pool.submit(suite.run_files, self.sdist, [file],
                                                             self._workdir(file, tangotest), tangotest=tangotest)
        return self.futures[file, tangotest]

    def rerun(self, file: str, nodeids: list[str], tangotest: str = suite.DEBIAN_TANGOTEST) -> suite.RunResult:
        return suite.run_files(self.sdist, nodeids, self._workdir(file, tangotest, "-rerun"), tangotest=tangotest)


@pytest.fixture(scope="session")
def suite_runs(request: pytest.FixtureRequest, pytango_sdist: Path):
    tangotest_of = {"test_pytango_file": suite.DEBIAN_TANGOTEST,
                    "test_pytango_file_with_tango_core_tangotest": suite.TANGO_CORE_TANGOTEST}
    selected = [(item.callspec.params["file"], tangotest_of[item.originalname]) for item in request.session.items
                if item.originalname in tangotest_of and hasattr(item, "callspec")]
    jobs = max(1, int(os.environ.get("PYTANGO_SUITE_JOBS", "2")))
    workdir = Path(tempfile.mkdtemp(prefix="pytango-suite-"))
    runs = SuiteRuns(pytango_sdist, selected, workdir, jobs)
    yield runs
    runs.pool.shutdown(wait=True, cancel_futures=True)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not suite.SUMMARY:
        return
    terminalreporter.section(f"PyTango {suite.PYTANGO_VERSION}'s test suite on tango_core")
    for _, line in suite.SUMMARY:
        terminalreporter.line(line)
