"""Run PyTango 10.3.1's own test suite against tango_core and compare with the expected outcomes.

PyTango's tests are fetched, never copied into this project (they are PyTango's code, under
LGPL): :func:`fetch_sdist` downloads the sdist with pip into a cache directory and unpacks it.
:func:`run_files` runs some of its test files with pytest in a subprocess whose PYTHONPATH starts
with ``tango_core/pytango_alias/`` (tango_core's ``tango`` package, whose modules re-export
tango_core's; inherited by every subprocess the tests start) and returns each test's outcome.
:func:`compare` checks them against ``expected_outcomes.txt``, the list of tests that do not pass
yet, each with its reason.

PyTango's conftest starts a ``TangoTest`` found on PATH: Debian's cppTango 9.3 TangoTest, the
real peer, by default; with ``tangotest=TANGO_CORE_TANGOTEST`` a launcher of tango_core's own
(``python -m tango_core.tangotest`` with the same arguments), checked against the expectations
of the files that use TangoTest less the ``peer:`` lines (they are about Debian's TangoTest)
plus ``expected_outcomes_tango_core_tangotest.txt``.

From the command line (the repository's root as the current directory):

    python tests/pytango_suite/suite.py                      # every file, report and verdict
    python tests/pytango_suite/suite.py test_server.py -k enum    # some files, extra pytest args
    python tests/pytango_suite/suite.py test_device_proxy.py --tangotest tango_core  # our TangoTest
    python tests/pytango_suite/suite.py --unexpected-lines   # print lines for expected_outcomes.txt
    python tests/pytango_suite/suite.py test_log.py --prune  # delete the lines of tests that now pass
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
#: the directory holding tango_core's ``tango`` package (the tango_core of this repository's)
ALIAS = REPO / "tango_core" / "pytango_alias"
EXPECTED_FILE = HERE / "expected_outcomes.txt"
#: what does not pass yet when PyTango's tests use tango_core's TangoTest (beyond EXPECTED_FILE's
#: lines that are not ``peer:`` ones)
EXPECTED_WITH_TANGO_CORE_TANGOTEST = HERE / "expected_outcomes_tango_core_tangotest.txt"

#: which TangoTest PyTango's conftest starts: Debian's C++ one, or tango_core's through a launcher
DEBIAN_TANGOTEST, TANGO_CORE_TANGOTEST = "debian", "tango_core"

PYTANGO_VERSION = "10.3.1"
#: the sdist on PyPI (pip checks it against this hash)
SDIST_SHA256 = "b8510915e4f859b2b9775b23641ab2e2d56933c9e20d89f1323ee0d55c3cf047"

#: every test file of PyTango 10.3.1's tests/ (a test checks the sdist has no other)
TEST_FILES = (
    "test_api_util.py", "test_async.py", "test_attrconfeventdata.py", "test_attribute_proxy.py",
    "test_attributes.py", "test_auto_tango_allow_threads.py", "test_commands.py", "test_database.py",
    "test_databaseds.py", "test_device_proxy.py", "test_enums.py", "test_event.py", "test_event_data.py",
    "test_group.py", "test_log.py", "test_miscellaneous.py", "test_multi_attr_prop.py", "test_pickling.py",
    "test_pprint.py", "test_properties.py", "test_server.py", "test_subdevdiag.py", "test_telemetry.py",
    "test_test_context.py", "test_type_hints_with_future_annotations.py", "test_utils.py",
    "test_zzz_deprecated_pytango_module.py",
)

#: the PyTango test files whose tests start ``TangoTest`` (its conftest's tango_test fixtures);
#: test_server.py's one (a C++ class in a Python server) is an extra_src_test, skipped
TANGOTEST_FILES = ("test_device_proxy.py",)

#: seconds one PyTango test may take before pytest-timeout stops it
PER_TEST_TIMEOUT = 60

#: (file, summary line) of every file checked in this pytest session, printed after its summary
SUMMARY: list[tuple[str, str]] = []

PASSING = {"passed", "xfailed", "xpassed", "skipped"}  # xpassed: a non-strict xfail that passed
NOT_PASSING = {"failed", "error"}  # a strict xfail that passes is reported "failed"


# --------------------------------------------------------------------------------------------
# the sdist
# --------------------------------------------------------------------------------------------

def cache_dir() -> Path:
    """Where the sdist is kept between runs: $PYTANGO_SUITE_CACHE, else ~/.cache/tango_core-tests."""
    given = os.environ.get("PYTANGO_SUITE_CACHE")
    if given:
        return Path(given)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tango_core-tests"


def fetch_sdist(directory: Path | None = None) -> Path:
    """PyTango's unpacked sdist: $PYTANGO_SDIST if set (an unpacked pytango-10.3.1 directory),
    else downloaded once with ``pip download --no-deps --no-binary pytango`` (hash-checked) into
    the cache and unpacked there.  Raises RuntimeError with pip's words when that fails."""
    given = os.environ.get("PYTANGO_SDIST")
    if given:
        sdist = Path(given)
    else:
        directory = Path(directory or cache_dir())
        sdist = directory / f"pytango-{PYTANGO_VERSION}"
        if not (sdist / "tests" / "conftest.py").is_file():
            _download_and_unpack(directory)
    if not (sdist / "tests" / "conftest.py").is_file() or not (sdist / "pyproject.toml").is_file():
        raise RuntimeError(f"{sdist} is not an unpacked pytango-{PYTANGO_VERSION} sdist "
                           "(no tests/conftest.py or pyproject.toml)")
    return sdist


def _download_and_unpack(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / f"pytango-{PYTANGO_VERSION}.tar.gz"
    if not archive.is_file():
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            requirements = Path(tmp) / "requirements.txt"
            requirements.write_text(f"pytango=={PYTANGO_VERSION} --hash=sha256:{SDIST_SHA256}\n")
            # --no-binary pytango (not :all:): pip prepares the sdist's metadata, and its build
            # requirements (scikit-build-core, pybind11, numpy) must come as wheels for that.
            proc = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", "pytango",
                 "--disable-pip-version-check", "-r", str(requirements), "-d", tmp],
                capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
            fetched = Path(tmp) / archive.name
            if proc.returncode != 0 or not fetched.is_file():
                problem = [ln for ln in (proc.stderr + proc.stdout).splitlines() if "is ignored" not in ln]
                raise RuntimeError(f"pip download pytango=={PYTANGO_VERSION} failed (exit {proc.returncode}): "
                                   + " ".join(problem)[-800:])
            fetched.replace(archive)
    with tarfile.open(archive) as tar:
        tar.extractall(directory, filter="data")


# --------------------------------------------------------------------------------------------
# running PyTango's tests
# --------------------------------------------------------------------------------------------

def tangotest_dir() -> str | None:
    """The directory of a C++ ``TangoTest`` (PyTango's conftest starts it by name): Debian's."""
    for candidate in ("/usr/lib/tango", "/usr/bin"):
        if (Path(candidate) / "TangoTest").exists():
            return candidate
    return None


def tango_core_tangotest_dir(directory: Path) -> str:
    """A directory (made in ``directory``) holding an executable ``TangoTest`` that runs
    tango_core's TangoTest with this Python and the arguments it is given, so that PyTango's
    conftest, which starts ``TangoTest <instance> -ORBendPoint ... -nodb -dlist <device>`` found
    on PATH, starts ours instead of Debian's."""
    import shlex

    bin_dir = directory / "tango_core_tangotest"
    bin_dir.mkdir(parents=True, exist_ok=True)
    launcher = bin_dir / "TangoTest"
    launcher.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m tango_core.tangotest "$@"\n')
    launcher.chmod(0o755)
    return str(bin_dir)


def suite_environment(tangotest: str | None = None) -> dict[str, str]:
    """The environment of the PyTango test run: the PyTango alias first on PYTHONPATH, then this
    repository (tango_core), then this directory (suite_plugin.py); no TANGO_HOST
    (the tests use no database unless they start one); ``tangotest`` (a directory holding an
    executable ``TangoTest``; by default Debian's) first on PATH; unbuffered output (PyTango's
    source-location logging tests need it, and skip without it)."""
    env = dict(os.environ)
    for name in ("TANGO_HOST", "PYTANGO_GREEN_MODE", "PYTEST_ADDOPTS", "PYTHONSTARTUP"):
        env.pop(name, None)
    env["PYTHONPATH"] = os.pathsep.join([str(ALIAS), str(REPO), str(HERE)])
    tangotest = tangotest or tangotest_dir()
    if tangotest:
        env["PATH"] = tangotest + os.pathsep + env.get("PATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"  # some of PyTango's logging tests read the output and skip without it
    return env


@dataclass
class RunResult:
    files: tuple[str, ...]
    outcomes: dict[str, str]
    details: dict[str, str]
    returncode: int
    log: Path
    seconds: float = 0.0
    complete: bool = True  # whole files, no selection: every test of them ran


def run_files(sdist: Path, files: Sequence[str], workdir: Path, extra_args: Sequence[str] = (),
              timeout: float = 1500.0, tangotest: str = DEBIAN_TANGOTEST) -> RunResult:
    """Run PyTango's tests/``files`` (or node ids) with PyTango's own pytest configuration (its
    pyproject.toml: ``--forked``, warnings as errors ...) against tango_core, with ``tangotest``
    (DEBIAN_TANGOTEST or TANGO_CORE_TANGOTEST) as the TangoTest its conftest starts.  The tests
    run from a copy of the sdist's tests/ in ``workdir`` (some write next to themselves); the
    full output goes to ``workdir/pytest.log``."""
    import shutil
    import time

    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "tests").is_dir():
        shutil.copytree(sdist / "tests", workdir / "tests")
        shutil.copy(sdist / "pyproject.toml", workdir / "pyproject.toml")
    outcomes_file, log = workdir / "outcomes.json", workdir / "pytest.log"
    outcomes_file.unlink(missing_ok=True)
    targets = [str(workdir / "tests" / f) for f in files]
    # pytest-timeout would time a forked test in the parent and abort the whole session when it
    # fires: suite_plugin times each test inside its forked child instead.
    cmd = [sys.executable, "-m", "pytest", "-c", str(workdir / "pyproject.toml"), "--rootdir", str(workdir),
           "-p", "no:cacheprovider", "-p", "no:timeout", "-p", "suite_plugin",
           "--outcomes-file", str(outcomes_file), f"--per-test-timeout={PER_TEST_TIMEOUT}",
           "-rfEX", "--tb=short", *extra_args, *targets]
    if tangotest not in (DEBIAN_TANGOTEST, TANGO_CORE_TANGOTEST):
        raise ValueError(f"tangotest is {DEBIAN_TANGOTEST!r} or {TANGO_CORE_TANGOTEST!r}, not {tangotest!r}")
    env = suite_environment(tango_core_tangotest_dir(workdir) if tangotest == TANGO_CORE_TANGOTEST else None)
    started = time.monotonic()
    with open(log, "w") as out:
        try:
            proc = subprocess.run(cmd, env=env, cwd=str(workdir), stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, timeout=timeout)
            returncode = proc.returncode
        except subprocess.TimeoutExpired:
            returncode = -1
            out.write(f"\n*** the run took more than {timeout} s and was stopped\n")
    seconds = time.monotonic() - started
    if not outcomes_file.is_file():
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"PyTango's pytest wrote no outcomes (exit {returncode}); end of {log}:\n{tail}")
    data = json.loads(outcomes_file.read_text())
    complete = not extra_args and all("::" not in f for f in files)
    return RunResult(tuple(files), data["outcomes"], data["details"], returncode, log, seconds, complete)


# --------------------------------------------------------------------------------------------
# expected outcomes
# --------------------------------------------------------------------------------------------

@dataclass
class Expectation:
    pattern: str      # a node id relative to tests/, '*' matching any characters
    reason: str
    line: int
    regex: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(".*".join(re.escape(part) for part in self.pattern.split("*")) + r"\Z")

    @property
    def flaky(self) -> bool:
        return self.reason.startswith("flaky:")

    @property
    def file(self) -> str:
        return self.pattern.split("::", 1)[0]


def expectations_for(tangotest: str = DEBIAN_TANGOTEST) -> list[Expectation]:
    """What is expected not to pass with that TangoTest: expected_outcomes.txt as it is with
    Debian's; with tango_core's, its lines less the ``peer:`` ones (they say what Debian's
    TangoTest lacks) plus expected_outcomes_tango_core_tangotest.txt."""
    expectations = load_expected()
    if tangotest == DEBIAN_TANGOTEST:
        return expectations
    return ([e for e in expectations if not e.reason.startswith("peer:")]
            + load_expected(EXPECTED_WITH_TANGO_CORE_TANGOTEST))


def load_expected(path: Path = EXPECTED_FILE) -> list[Expectation]:
    """Parse expected_outcomes.txt: ``<node id or pattern>  # <reason>`` per line."""
    expectations = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pattern, sep, reason = line.partition("  # ")
        if not sep or not reason.strip():
            raise ValueError(f"{path.name}:{number}: no reason (write '<test>  # <reason>'): {raw!r}")
        expectations.append(Expectation(pattern.strip(), reason.strip(), number))
    return expectations


@dataclass
class Verdict:
    counts: Counter
    unexpected_failures: dict[str, str]        # node id -> outcome (+ detail)
    unexpected_passes: dict[str, Expectation]  # node id -> its line in the expected file
    unused: list[Expectation]                  # lines matching no test that ran
    expected_failures: int

    @property
    def ok(self) -> bool:
        return not (self.unexpected_failures or self.unexpected_passes or self.unused)

    def describe(self) -> str:
        lines = []
        if self.unexpected_failures:
            lines.append(f"{len(self.unexpected_failures)} test(s) not listed in expected_outcomes.txt did not pass:")
            lines += [f"  {nodeid}: {what}" for nodeid, what in sorted(self.unexpected_failures.items())]
        if self.unexpected_passes:
            lines.append(f"{len(self.unexpected_passes)} listed test(s) now pass: remove their lines "
                         "from expected_outcomes.txt:")
            lines += [f"  {nodeid} (line {e.line}: {e.reason})" for nodeid, e in sorted(self.unexpected_passes.items())]
        if self.unused:
            lines.append(f"{len(self.unused)} line(s) of expected_outcomes.txt match no test that ran:")
            lines += [f"  line {e.line}: {e.pattern}" for e in self.unused]
        return "\n".join(lines)


def _matching(nodeid: str, expectations: Iterable[Expectation]) -> Expectation | None:
    for expectation in expectations:
        if expectation.regex.match(nodeid):
            return expectation
    return None


def _used_key(expectation: Expectation) -> tuple[str, int]:
    """Lines of two files may share a number: an expectation is known by its pattern and line."""
    return expectation.pattern, expectation.line


def compare(result: RunResult, expectations: Sequence[Expectation]) -> Verdict:
    """Check a run's outcomes against the expectations of the files it ran."""
    files = {f.split("::", 1)[0] for f in result.files}
    relevant = [e for e in expectations if e.file in files]
    counts: Counter = Counter()
    unexpected_failures: dict[str, str] = {}
    unexpected_passes: dict[str, Expectation] = {}
    used: set[tuple[str, int]] = set()
    expected_failures = 0
    for nodeid, outcome in result.outcomes.items():
        nodeid = nodeid.removeprefix("tests/")
        counts[outcome] += 1
        expectation = _matching(nodeid, relevant)
        if expectation is not None:
            used.add(_used_key(expectation))
        if outcome in NOT_PASSING:
            if expectation is None:
                detail = result.details.get(f"tests/{nodeid}") or result.details.get(nodeid, "")
                unexpected_failures[nodeid] = f"{outcome}: {detail}" if detail else outcome
            else:
                expected_failures += 1
        elif outcome == "passed" and expectation is not None and not expectation.flaky:
            unexpected_passes[nodeid] = expectation
    unused = [e for e in relevant if _used_key(e) not in used] if result.complete else []
    return Verdict(counts, unexpected_failures, unexpected_passes, unused, expected_failures)


def expected_lines(result: RunResult) -> list[str]:
    """Lines for expected_outcomes.txt for the tests of ``result`` that did not pass (reason to fill)."""
    lines = []
    for nodeid, outcome in sorted(result.outcomes.items()):
        if outcome in NOT_PASSING:
            detail = result.details.get(nodeid, "")
            lines.append(f"{nodeid.removeprefix('tests/')}  # TODO {outcome}: {detail[:120]}")
    return lines


def prune_expected(result: RunResult, path: Path = EXPECTED_FILE) -> int:
    """Rewrite expected_outcomes.txt after ``result``: a line whose tests all passed goes, a
    pattern some of whose tests passed becomes the lines of those still failing (same reason).
    Lines matching no test of the run stay.  Returns the number of tests no longer listed."""
    outcomes = {n.removeprefix("tests/"): o for n, o in result.outcomes.items()}
    by_line = {e.line: e for e in load_expected(path)}
    removed = 0
    out = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        e = by_line.get(number)
        matched = [n for n in outcomes if e is not None and e.regex.match(n)]
        if e is None or not matched or e.flaky:
            out.append(raw)
            continue
        failing = [n for n in matched if outcomes[n] in NOT_PASSING]
        removed += len(matched) - len(failing)
        if len(failing) == len(matched):
            out.append(raw)
        else:
            out += [f"{n}  # {e.reason}" for n in sorted(failing)]
    path.write_text("\n".join(out) + "\n")
    return removed


def summary_line(file: str, verdict: Verdict, seconds: float) -> str:
    c = verdict.counts
    return (f"{file:48} {c['passed']:4} passed {c['failed'] + c['error']:4} not passing "
            f"({verdict.expected_failures} expected) {c['skipped']:3} skipped {c['xfailed']:3} xfailed  "
            f"{seconds:5.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="test files or node ids under PyTango's tests/ (default: all)")
    parser.add_argument("--unexpected-lines", action="store_true",
                        help="print expected_outcomes.txt lines for the tests that did not pass")
    parser.add_argument("--prune", action="store_true",
                        help="remove from expected_outcomes.txt the listed tests that passed in this run")
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs here (default: a temporary dir)")
    parser.add_argument("--tangotest", choices=(DEBIAN_TANGOTEST, TANGO_CORE_TANGOTEST), default=DEBIAN_TANGOTEST,
                        help="the TangoTest PyTango's conftest starts (default: Debian's C++ one)")
    args, extra = parser.parse_known_args(argv)
    if args.prune and args.tangotest != DEBIAN_TANGOTEST:
        parser.error("--prune edits expected_outcomes.txt, whose runs use Debian's TangoTest")
    sdist = fetch_sdist()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="pytango-suite-"))
    result = run_files(sdist, args.files or TEST_FILES, workdir, extra, tangotest=args.tangotest)
    verdict = compare(result, expectations_for(args.tangotest))
    print(summary_line(" ".join(args.files) or "all files", verdict, result.seconds))
    print(f"log: {result.log}")
    if args.prune:
        print(f"{prune_expected(result)} passing test(s) removed from {EXPECTED_FILE.name}")
        verdict = compare(result, expectations_for(args.tangotest))
    if args.unexpected_lines:
        print("\n".join(expected_lines(result)))
    elif not verdict.ok:
        print(verdict.describe())
    return 0 if verdict.ok else 1


if __name__ == "__main__":
    sys.exit(main())
