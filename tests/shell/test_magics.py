"""The Tango magics in a shell on the real peers (PyTango DB + TangoTest, and the C++ DB)."""

from __future__ import annotations

import re

import pytest

import tango_core
from shells import reset_default_database


def test_lsdev_lists_devices_with_server_class_and_export_state(itango_shell, run):
    result, out = run(itango_shell, "%lsdev")
    assert result.success and result.result is None, out
    assert re.search(r"sys/database/2\s+DataBaseds/2\s+DataBase\s+yes", out), out
    assert re.search(r"sys/tg_test/1\s+TangoTest/test\s+TangoTest\s+yes", out), out
    assert re.search(r"sys/access_control/1\s+TangoAccessControl/1\s+TangoAccessControl\s+no", out), out
    assert "dserver/" not in out
    _, everything = run(itango_shell, "%lsdev -a")
    assert "dserver/TangoTest/test" in everything


def test_lsdev_filters_case_insensitively_by_regex_or_glob(itango_shell, run):
    _, out = run(itango_shell, "%lsdev SYS/TG")
    assert "sys/tg_test/1" in out and "sys/database/2" not in out
    _, out = run(itango_shell, "%lsdev *access*")
    assert "sys/access_control/1" in out and "sys/tg_test/1" not in out


def test_lsdev_misspelt_filter_is_a_usage_error_with_suggestion(itango_shell, run):
    result, out = run(itango_shell, "%lsdev sys/tg_tst/1")
    assert not result.success
    assert "UsageError" in out
    assert "Did you mean 'sys/tg_test/1'?" in out


def test_lsdevclass_and_lsserv(itango_shell, run):
    _, out = run(itango_shell, "%lsdevclass")
    assert "DataBase" in out and "TangoTest" in out and "sys/database/2" not in out
    _, out = run(itango_shell, "%lsserv")
    assert "DataBaseds/2" in out and "TangoTest/test" in out and "sys/database/2" not in out
    assert "DServer" not in out  # admin devices and their class are not listed
    result, out = run(itango_shell, "%lsdevclass TangoTset")
    assert not result.success and "Did you mean 'TangoTest'" in out
    result, out = run(itango_shell, "%lsserv TangoTest/tset")
    assert not result.success and "Did you mean 'TangoTest/test'" in out


def test_a_misspelt_beginning_of_a_name_gets_a_suggestion_too(itango_shell, run):
    """Filters match at the start of names, so users type beginnings: a misspelt beginning
    is compared with the beginnings of the names."""
    # (the whole names are too far from these for a plain comparison to suggest them)
    result, out = run(itango_shell, "%lsserv TngoAcc")
    assert not result.success and "Did you mean 'TangoAccessControl/1'?" in out, out
    result, out = run(itango_shell, "%lsdevclass TngoAcc")
    assert not result.success and "Did you mean 'TangoAccessControl'?" in out, out
    result, out = run(itango_shell, "%lsdev sys/tg_tst")
    assert not result.success and "Did you mean 'sys/tg_test/1'" in out, out


def test_refreshdb_reports_what_it_loaded(itango_shell, run, tango_host):
    result, out = run(itango_shell, "%refreshdb")
    assert result.success, out
    assert re.search(rf"{re.escape(tango_host)}: \d+ devices, \d+ classes, \d+ servers \(\d+ ms\)", out)
    result, out = run(itango_shell, "%refreshdb now")
    assert not result.success and "UsageError" in out


def test_ctrl_c_during_switchdb_to_a_hung_database_keeps_the_current_one(itango_shell, run,
                                                                         tango_host):
    """Ctrl-C while %switchdb waits for a database that never answers: short names go on
    resolving where the prompt says, and the traceback shows no library internals."""
    import signal
    import socket
    import threading

    from itango.errors import INTERRUPTED
    from itango.session import get_session

    main = threading.main_thread().ident
    with socket.create_server(("127.0.0.1", 0)) as hung:
        timer = threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT))
        timer.start()
        result, out = run(itango_shell, f"%switchdb 127.0.0.1:{hung.getsockname()[1]}")
        timer.join()
    assert isinstance(result.error_in_exec, KeyboardInterrupt), out
    assert INTERRUPTED in out and "tango_core" not in out and "session.py" not in out, out
    assert get_session(itango_shell).tango_host == tango_host
    result, out = run(itango_shell, "Device('sys/tg_test/1').get_db_port()")
    assert result.result == tango_host.split(":")[1], out


def test_switchdb_without_argument_and_to_a_dead_database(itango_shell, run, tango_host):
    result, out = run(itango_shell, "%switchdb")
    assert not result.success and "needs HOST:PORT" in out and tango_host in out
    from peers import free_port

    dead = f"127.0.0.1:{free_port()}"
    result, out = run(itango_shell, f"%switchdb {dead}")
    assert not result.success
    assert f"cannot switch to {dead}: cannot connect" in out and f"still on {tango_host}" in out
    # short names still resolve in the old database
    result, out = run(itango_shell, "Device('sys/tg_test/1').get_db_port()")
    assert result.success and f"127.0.0.1:{result.result}" == tango_host


def test_switchdb_really_switches_where_short_names_resolve(itango_shell, run, tango_host,
                                                           cpp_tango_host):
    try:
        host, port = cpp_tango_host.split(":")
        result, out = run(itango_shell, f"%switchdb {host} {port}")
        assert result.success, out
        assert f"Switched to {cpp_tango_host}" in out
        result, out = run(itango_shell, "d = Device('sys/tg_test/1'); d.get_db_port(), d.state()")
        assert result.success, out
        assert result.result == (port, tango_core.DevState.RUNNING)
        assert f"{itango_shell.user_ns['db'].get_db_port()}" == port
        _, out = run(itango_shell, "%lsdev")
        assert "sys/tg_test/1" in out
        result, out = run(itango_shell, f"%switchdb {tango_host}")
        assert result.success, out
        result, _ = run(itango_shell, "Device('sys/tg_test/1').get_db_port()")
        assert f"127.0.0.1:{result.result}" == tango_host
    finally:
        reset_default_database(tango_host)


def test_tango_error_shows_the_last_devfailed_in_full(itango_shell, run):
    _, out = run(itango_shell, "%tango_error")
    assert "No Tango error so far." in out
    run(itango_shell, "Device('sys/tg_test/99')")
    _, out = run(itango_shell, "%tango_error")
    assert "reason   = DB_DeviceNotDefined" in out
    assert "desc     = device sys/tg_test/99 not defined in the database !" in out
    assert "origin   =" in out and "severity =" in out


def test_python_error_shows_the_last_python_traceback(itango_shell, run):
    _, out = run(itango_shell, "%python_error")
    assert "No Python error so far." in out
    run(itango_shell, "def f():\n    return 1 / 0\nf()")
    run(itango_shell, "Device('sys/tg_test/99')")  # a Tango error does not replace it
    _, out = run(itango_shell, "%python_error")
    assert "ZeroDivisionError" in out and "return 1 / 0" in out


def test_mon_is_registered_and_delegates_to_the_monitor(itango_shell, run):
    magic = itango_shell.find_line_magic("mon")
    assert magic is not None
    pytest.importorskip("itango.monitor")
    from itango import monitor

    assert monitor.USAGE in magic.__doc__   # %mon? shows the usage %mon -h prints
    result, out = run(itango_shell, "%mon -a sys/tg_tst/1/double_scalar")
    assert not result.success and "sys/tg_tst/1" in out


def test_lsdev_accepts_a_full_name_of_the_current_database(itango_shell, run, tango_host):
    _, out = run(itango_shell, f"%lsdev tango://{tango_host}/SYS/TG_TEST/1")
    assert "sys/tg_test/1" in out and "sys/database/2" not in out
    result, out = run(itango_shell, "%lsdev tango://127.0.0.1:1/sys/tg_test/1")
    assert not result.success and "is not the current database" in out


def test_resolve_device_is_case_alias_and_trl_insensitive(itango_shell, tango_host):
    from IPython.core.error import UsageError

    from itango.session import get_session

    session = get_session(itango_shell)
    assert session.resolve_device("SYS/TG_TEST/1") == "sys/tg_test/1"
    assert session.resolve_device(f"tango://{tango_host}/Sys/Tg_Test/1") == \
        f"tango://{tango_host}/sys/tg_test/1"
    with pytest.raises(UsageError, match="Did you mean 'sys/tg_test/1'"):
        session.resolve_device("sys/tg_tset/1")


# -- every magic's ? shows its real usage ------------------------------------------------------

@pytest.mark.parametrize("magic", ["lsdev", "lsdevclass", "lsserv", "refreshdb", "switchdb",
                                   "tango_error", "python_error", "mon"])
def test_question_mark_shows_the_usage_of_every_magic(itango_shell, run, magic):
    from itango.magics import MAGIC_NAMES

    assert set(MAGIC_NAMES) == {"lsdev", "lsdevclass", "lsserv", "refreshdb", "switchdb",
                                "tango_error", "python_error", "mon"}, "a magic without this test"
    result, out = run(itango_shell, f"%{magic}?")
    assert result.success, out
    usage = out.partition("Docstring:")[2].partition("Usage:")[2]
    assert re.match(rf"\s*%{magic}\b", usage), out


def test_mon_question_mark_shows_every_option_of_mon_h(itango_shell, run):
    _, usage = run(itango_shell, "%mon -h")
    options = set(re.findall(r"(?<![\w-])(-\w|--[\w-]+)\b", usage))
    assert {"-a", "-d", "-r", "-l", "-i", "-w", "-t", "--all", "--for"} <= options, usage
    _, shown = run(itango_shell, "%mon?")
    # the whole usage, line for line, not an internal docstring
    assert usage.strip() in shown, shown
    assert "delegates" not in shown and "itango.monitor" not in shown


def test_lsdev_says_whether_a_device_runs_now_not_when_the_list_was_loaded(itango_shell, run, tango_host,
                                                                        peer_factory):
    """A server stopped after the device list was loaded: %lsdev says its devices are not
    exported (before %refreshdb); with the database gone too, the loaded flags, and it says so."""
    db, tangotest = peer_factory.tango_system()
    try:
        result, out = run(itango_shell, f"%switchdb {db.tango_host}")
        assert result.success, out
        _, out = run(itango_shell, "%lsdev sys/tg_test")
        assert re.search(r"^sys/tg_test/1\s+TangoTest/test\s+TangoTest\s+yes$", out, re.M), out
        tangotest.stop()  # a clean stop: the server unexports its devices
        result, out = run(itango_shell, "%lsdev sys/tg_test")
        assert result.success, out
        assert re.search(r"^sys/tg_test/1\s+TangoTest/test\s+TangoTest\s+no$", out, re.M), out
        assert "did not answer" not in out
        db.stop()
        result, out = run(itango_shell, "%lsdev sys/")
        assert result.success, out
        assert re.search(r"^sys/tg_test/1\s+TangoTest/test\s+TangoTest\s+yes$", out, re.M), out  # as loaded
        assert out.strip().splitlines()[-1] == (f"(Exported: as when the device list was loaded; the database "
                                                f"at {db.tango_host} did not answer just now)")
    finally:
        reset_default_database(tango_host)
