"""PyTango 10.3.1's own test suite, run against tango_core (``tango`` meaning tango_core).

One check per PyTango test file: it runs the file with PyTango's pytest configuration
(see suite.py) and fails on any test that does not pass and is not listed in
expected_outcomes.txt, and on any listed test that now passes (remove its line: the list only
shrinks).  A test that failed unexpectedly is run once more on its own before it counts (the
machine is shared; the second outcome is reported).  The counts of every file are printed after
pytest's summary.
"""

from __future__ import annotations

import re

import pytest

import suite


def _check_file(file: str, suite_runs, tangotest: str) -> None:
    result = suite_runs.start(file, tangotest).result()
    verdict = suite.compare(result, suite.expectations_for(tangotest))
    rerun_note = ""
    if verdict.unexpected_failures:
        again = suite_runs.rerun(file, [f"{file}::{n.split('::', 1)[1]}" for n in verdict.unexpected_failures],
                                 tangotest)
        recovered = [n for n in verdict.unexpected_failures if again.outcomes.get(f"tests/{n}", again.outcomes.get(n))
                     in suite.PASSING]
        for nodeid in recovered:
            del verdict.unexpected_failures[nodeid]
        if recovered:
            rerun_note = f"  ({len(recovered)} passed when run again: {', '.join(recovered)[:300]})"
    label = file if tangotest == suite.DEBIAN_TANGOTEST else f"{file} ({tangotest} TangoTest)"
    suite.SUMMARY.append((file, suite.summary_line(label, verdict, result.seconds) + rerun_note))
    assert result.outcomes, f"no test of {file} ran; see {result.log}"
    assert verdict.ok, f"{verdict.describe()}\nfull output: {result.log}"


@pytest.mark.peers
@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("file", suite.TEST_FILES)
def test_pytango_file(file, suite_runs):
    """PyTango's file against tango_core, with Debian's cppTango 9.3 TangoTest as the real peer."""
    _check_file(file, suite_runs, suite.DEBIAN_TANGOTEST)


@pytest.mark.peers
@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("file", suite.TANGOTEST_FILES)
def test_pytango_file_with_tango_core_tangotest(file, suite_runs):
    """PyTango's files that start TangoTest, with tango_core's TangoTest instead of Debian's: it
    has the attributes PyTango 10.3.1 expects (the current TangoTest's), so the ``peer:`` lines
    of expected_outcomes.txt do not apply."""
    _check_file(file, suite_runs, suite.TANGO_CORE_TANGOTEST)


def test_sdist_has_exactly_the_files_checked(pytango_sdist):
    files = sorted(p.name for p in (pytango_sdist / "tests").glob("test_*.py"))
    assert files == sorted(suite.TEST_FILES)


@pytest.mark.parametrize("path, files", [(suite.EXPECTED_FILE, suite.TEST_FILES),
                                         (suite.EXPECTED_WITH_TANGO_CORE_TANGOTEST, suite.TANGOTEST_FILES)],
                         ids=["debian_tangotest", "tango_core_tangotest"])
def test_expected_outcomes_file_is_well_formed(path, files):
    expectations = suite.load_expected(path)
    patterns = [e.pattern for e in expectations]
    assert len(patterns) == len(set(patterns)), "a test is listed twice"
    for e in expectations:
        assert e.file in files, f"line {e.line}: {e.pattern} is in no PyTango test file run with that TangoTest"
        assert not e.reason.startswith("TODO"), f"line {e.line}: give the reason"


def test_tango_core_tangotest_expectations_drop_only_the_lines_about_debians_tangotest():
    debian = suite.expectations_for(suite.DEBIAN_TANGOTEST)
    ours = suite.expectations_for(suite.TANGO_CORE_TANGOTEST)
    extra = suite.load_expected(suite.EXPECTED_WITH_TANGO_CORE_TANGOTEST)
    assert any(e.reason.startswith("peer:") for e in debian)
    assert [e.pattern for e in ours] == ([e.pattern for e in debian if not e.reason.startswith("peer:")]
                                         + [e.pattern for e in extra])


def test_tango_core_tangotest_launcher_runs_our_tangotest_with_its_arguments(tmp_path):
    """The ``TangoTest`` put on PATH for PyTango's conftest passes cppTango's command line
    (instance, -nodb, -dlist, -ORBendPoint) to ``python -m tango_core.tangotest``: here an
    endpoint our server refuses at once, naming it, which shows the arguments arrived."""
    import shutil
    import subprocess

    env = suite.suite_environment(suite.tango_core_tangotest_dir(tmp_path))
    launcher = shutil.which("TangoTest", path=env["PATH"])
    assert launcher == str(tmp_path / "tango_core_tangotest" / "TangoTest")
    proc = subprocess.run([launcher, "test", "-nodb", "-dlist", "sys/tg_test/17", "-ORBendPoint", "not-an-endpoint"],
                          env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode != 0
    assert "not-an-endpoint" in proc.stdout + proc.stderr


def test_alias_lists_as_absent_only_what_tango_core_lacks():
    """Every name of the PyTango alias's ABSENT table is still missing from tango_core (delete it
    from the table when tango_core gains it), and the alias's ``tango`` is tango_core, in a
    subprocess as the PyTango suite sees it."""
    import subprocess
    import sys

    probe = (
        "import importlib, tango, tango_core\n"
        "from tango_core.pytango_alias import ABSENT, Absent\n"
        "assert tango.DeviceProxy is tango_core.DeviceProxy, tango.__file__\n"
        "for name in ABSENT:\n"
        "    module, _, attr = name.rpartition('.')\n"
        "    value = getattr(importlib.import_module(module), attr)\n"
        "    if not isinstance(value, Absent):\n"
        "        print(name)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], env=suite.suite_environment(), capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == [], "tango_core has these names now: delete them from tango_core/pytango_alias/__init__.py ABSENT_BY_REASON"


def _result(outcomes):
    return suite.RunResult(("test_a.py",), {f"tests/{k}": v for k, v in outcomes.items()}, {}, 1, None)


def _expect(tmp_path, text):
    path = tmp_path / "expected.txt"
    path.write_text(text)
    return suite.load_expected(path)


def test_compare_flags_unlisted_failures_and_listed_passes(tmp_path):
    expected = _expect(tmp_path, "# comment\n"
                       "test_a.py::test_listed[*]  # server: a gap\n"
                       "test_a.py::test_gone  # server: nothing matches this any more\n")
    verdict = suite.compare(_result({
        "test_a.py::test_ok": "passed", "test_a.py::test_new": "failed", "test_a.py::test_err": "error",
        "test_a.py::test_listed[1-x]": "failed", "test_a.py::test_listed[2]": "passed",
        "test_a.py::test_skip": "skipped", "test_a.py::test_xf": "xfailed",
    }), expected)
    assert not verdict.ok
    assert set(verdict.unexpected_failures) == {"test_a.py::test_new", "test_a.py::test_err"}
    assert set(verdict.unexpected_passes) == {"test_a.py::test_listed[2]"}
    assert [e.pattern for e in verdict.unused] == ["test_a.py::test_gone"]
    assert verdict.expected_failures == 1
    assert verdict.counts["passed"] == 2 and verdict.counts["skipped"] == 1


def test_expected_lines_need_a_reason(tmp_path):
    with pytest.raises(ValueError, match=re.escape("expected.txt:1: no reason")):
        _expect(tmp_path, "test_a.py::test_x\n")
    verdict = suite.compare(_result({"test_a.py::test_x": "failed"}),
                            _expect(tmp_path, "test_a.py::test_x  # flaky: timing on a loaded machine\n"))
    assert verdict.ok
