"""ITango 0.3.0 conformance: its own test suite, ported, plus what its source and docs promise.

Part 1 ports every test of ``itango-0.3.0/tests/test_itango.py`` one for one, same names, same
cells, same assertions.  Adaptations (each one also noted at the test):

* A1  ``import tango`` (PyTango) in the test module becomes ``import tango_core as tango``: the
      test talks to the system through our client, as an ITango user's session would.  Enum
      comparisons are unchanged (both are IntEnums with PyTango's values).
* A2  ITango's ``pytango_db`` fixture (``python -m tango.databaseds.database 2`` with an in-memory
      sqlite DB + ``TangoTest test``) is our ``tango_host`` fixture: the same PyTango database
      server and the same TangoTest instance, started by tests/peers.py.  That DB is shared by
      the whole suite, so the ported assertions stay "contains", as ITango wrote them.
* A3  ITango's ``ipython_shell`` fixture is session-scoped; ours is module-scoped (same
      ``TerminalInteractiveShell.instance()`` + ``load_extension("itango")``, cleared at the
      end) so the singleton does not leak into other test modules.
* A4  ``IPython.utils.io.capture_output`` is kept (it is an alias of
      ``IPython.utils.capture.capture_output`` in IPython 9).
* A5  each test runs on two databases: PyTango's (as in ITango's CI) and Debian's C++ DataBaseds.
* A6  test_db_info on the C++ database: that server writes "Devices defined  = 8" (two spaces;
      PyTango's get_info() returns the same text), so the separator there is "  =".

Nothing waits for the background device-list load between ``load_extension`` and the first
cell: ITango loads synchronously, so a user's first cell must see ``db`` and the magics work.
(ITango's suite itself, run unmodified with PyTango in the test module and our itango on the
shell, passes too; it is not vendored here.)

Part 2 tests what ITango's source (itango/itango.py, eventlogger.py, install.py) and its
doc/index.rst promise beyond its tests: namespace, class constructors, magics and their output,
error display, completion, HTML display, %mon, the client calls ITango makes (side by side with
PyTango), and upgrading from ITango 0.3.0 (its profile, entry points, script names).

Part 3 has one test per ITango 0.3.0 defect listed in itango-ecosystem.md §1b (1 to 13), each
checking that ours does not have it.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest
from compat_shells import (completions, ensure_polled, itango_shell_on, legacy_matches, run,
                            run_stdout)
from terminal_and_html import ANSI
from IPython.utils.io import capture_output  # A4

import tango_core as tango  # A1

# shell.complete() (IPython's classic API, what ITango-era tests call) warns it is pending
# deprecation; using it is deliberate here.
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")


# ---- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=["pytango-db", "cpp-db"])
def ipython_shell(request: pytest.FixtureRequest) -> Iterator[Any]:
    """ITango's fixture (A3): the global terminal shell with the extension loaded.

    A5: run twice, on PyTango's database (what ITango's CI uses) and on Debian's C++ DataBaseds
    on MariaDB (what most control rooms run); both come with TangoTest sys/tg_test/1.
    """
    from IPython.terminal.interactiveshell import TerminalInteractiveShell

    from shells import reset_default_database

    host = request.getfixturevalue("tango_host" if request.param == "pytango-db" else "cpp_tango_host")
    saved = os.environ.get("TANGO_HOST")
    reset_default_database(host)
    shell = TerminalInteractiveShell.instance()
    shell.extension_manager.load_extension("itango")
    yield shell
    shell.extension_manager.unload_extension("itango")
    TerminalInteractiveShell.clear_instance()
    if saved is not None:
        reset_default_database(saved)


# ---- Part 1: ITango 0.3.0 tests/test_itango.py, ported -------------------------------------------


def test_db_info(ipython_shell, request):
    # A6: the C++ DataBaseds writes two spaces before "=" ("Devices defined  = 8"; PyTango's
    # get_info() returns that very text, see test_db_info_text_is_pytangos), so on that
    # database the separator is "  =".
    eq = " =" if "pytango-db" in request.node.name else "  ="
    # db variable contains Database
    with capture_output() as captured:
        result = ipython_shell.run_cell("print(db.get_info())")
    assert result.success
    assert "Running since" in captured.stdout
    assert f"Devices defined{eq}" in captured.stdout
    assert f"Device servers exported{eq}" in captured.stdout
    assert f"Class properties defined{eq}" in captured.stdout


def test_lsdev_magic(ipython_shell):
    with capture_output() as captured:
        result = ipython_shell.run_cell("lsdev")
    assert result.success
    assert result.result is None
    assert (
        re.search(r"sys/database/2\s*DataBaseds/2\s*DataBase", captured.stdout)
        is not None
    )
    assert (
        re.search(r"sys/tg_test/1\s*TangoTest/test\s*TangoTest", captured.stdout)
        is not None
    )


def test_lsdevclass_magic(ipython_shell):
    with capture_output() as captured:
        result = ipython_shell.run_cell("lsdevclass")
    assert result.success
    assert result.result is None
    assert "sys/database/2" not in captured.stdout
    assert "DataBase" in captured.stdout
    assert "TangoTest" in captured.stdout


def test_lsserv_magic(ipython_shell):
    with capture_output() as captured:
        result = ipython_shell.run_cell("lsserv")
    assert result.success
    assert result.result is None
    assert "sys/database/2" not in captured.stdout
    assert "DataBaseds/2" in captured.stdout
    assert "TangoTest/test" in captured.stdout


def test_device_proxy(ipython_shell):
    # DeviceProxy imported and available
    result = ipython_shell.run_cell("DeviceProxy('sys/tg_test/1').State()")
    assert result.success
    assert result.result == tango.DevState.RUNNING


def test_device(ipython_shell):
    # Device is equivalent to DeviceProxy
    result = ipython_shell.run_cell("Device('sys/tg_test/1').State()")
    assert result.success
    assert result.result == tango.DevState.RUNNING


def test_tango_test_class(ipython_shell):
    # TangoTest can be used as DeviceProxy
    result = ipython_shell.run_cell("TangoTest('sys/tg_test/1').Status()")
    assert result.success
    assert result.result == "The device is in RUNNING state."


def test_dev_not_found(ipython_shell):
    with capture_output() as captured:
        result = ipython_shell.run_cell("Device('sys/tg_test/2').state()")
    assert not result.success
    assert "device sys/tg_test/2 not defined in the database" in captured.stdout


def test_dev_not_exported(ipython_shell):
    with capture_output() as captured:
        result = ipython_shell.run_cell("Device('sys/access_control/1').state()")
    assert not result.success
    assert "Device sys/access_control/1 is not exported" in captured.stdout


def test_refreshdb_magic(ipython_shell):
    device_name = "sys/tg_test/2"
    # Add a new device to the database
    db = tango.Database()
    dev_info = tango.DbDevInfo()
    dev_info.name = device_name
    dev_info._class = "TangoTest"
    dev_info.server = "TangoTest/test"
    db.add_device(dev_info)
    try:
        # device was added after itango was loaded - it's not in cache
        with capture_output() as captured:
            ipython_shell.run_cell("lsdev")
        assert device_name not in captured.stdout
        # Run refreshdb
        ipython_shell.run_cell("refreshdb")
        # new device is now listed
        with capture_output() as captured:
            ipython_shell.run_cell("lsdev")
        assert device_name in captured.stdout
    finally:
        # Cleaning
        db.delete_device(device_name)


@pytest.fixture(scope="session")
def itango_0_3_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ITango 0.3.0's unpacked sdist: ITANGO_SDIST if set, else fetched from the package index
    with pip (``pip download --no-deps --no-binary :all: itango==0.3.0``) once per session.
    Not vendored: it is third-party code.  Under CI=true a missing sdist fails the test."""
    from pathlib import Path

    from compat_shells import fetch_itango_0_3_sdist

    given = os.environ.get("ITANGO_SDIST")
    try:
        sdist = Path(given) if given else fetch_itango_0_3_sdist(tmp_path_factory.mktemp("itango-0.3.0"))
        if not (sdist / "tests" / "test_itango.py").is_file():
            raise FileNotFoundError(f"{sdist} has no tests/test_itango.py (ITANGO_SDIST must be "
                                    "the unpacked itango-0.3.0 directory)")
    except Exception as exc:
        import peers

        peers.peer_unavailable(f"ITango 0.3.0 sdist not available: {exc}")
    return sdist


def test_itango_0_3_suite_unmodified(tmp_path, itango_0_3_sdist):
    """ITango 0.3.0's own tests/ run as they are (PyTango in the test module, its own database
    and TangoTest fixtures) against our itango."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    sdist = itango_0_3_sdist
    pytest.importorskip("tango")
    import peers

    if not peers.TANGOTEST_BIN.exists():
        peers.peer_unavailable(f"{peers.TANGOTEST_BIN} missing (Debian package tango-test)")
    suite = tmp_path / "itango-tests"
    shutil.copytree(sdist / "tests", suite)
    repo = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PATH=f"{peers.TANGOTEST_BIN.parent}{os.pathsep}{os.environ.get('PATH', '')}",
               PYTHONPATH=str(repo), IPYTHONDIR=str(tmp_path / "ipython"), HOME=str(tmp_path))
    env.pop("TANGO_HOST", None)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--rootdir", str(suite), str(suite)],
                          env=env, cwd=str(suite), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert re.search(r"\b10 passed\b", proc.stdout), proc.stdout[-2000:]
    # it must have been our itango on the shell, not an installed ITango
    probe = subprocess.run([sys.executable, "-c", "import itango; print(itango.__file__)"],
                           env=env, cwd=str(suite), capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip().startswith(str(repo)), probe.stdout


# ==================================================================================================
# Part 2: what ITango 0.3.0's source (itango/itango.py, eventlogger.py) promises beyond its tests
# ==================================================================================================

ITANGO_MAGICS = ("refreshdb", "switchdb", "lsdev", "lsdevclass", "lsserv", "tango_error",
                 "python_error", "mon")


@pytest.fixture
def private_host(peer_factory: Any, tango_host: str) -> str:
    """A database of our own (PyTango's, fresh) with TangoTest sys/tg_test/1: exact contents,
    free to change (aliases, polling) without disturbing the suite's shared system."""
    db, _ = peer_factory.tango_system()
    assert db.tango_host
    return db.tango_host


def _pytango():
    """PyTango, the test peer: used only to put a private system in a known state."""
    import tango as pytango

    return pytango


def _wait_for(check, timeout: float = 8.0, interval: float = 0.2):
    """Poll ``check()`` until it returns something truthy (then return it) or time runs out."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# ---- namespace: init_pytango(), init_db(), init_magic() --------------------------------------------


def test_namespace_has_the_names_itango_binds(ipython_shell):
    # itango.py init_pytango: DeviceProxy, AttributeProxy, Database, Device = DeviceProxy,
    # Attribute = AttributeProxy; __get_db: db = Database() of TANGO_HOST (port as a str).
    result, out = run(ipython_shell, "(Device is DeviceProxy, Attribute is AttributeProxy, "
                                     "isinstance(db, Database), db.get_db_port())")
    assert result.success, out
    assert result.result == (True, True, True, os.environ["TANGO_HOST"].rpartition(":")[2])
    assert ipython_shell.user_ns["DeviceProxy"] is tango.DeviceProxy


def test_namespace_has_the_tango_module(ipython_shell):
    # itango.py init_pytango runs `import tango` in the user namespace: what users type there
    # (tango.DevState.ON, tango.DeviceProxy(...), tango.EventType...) must work.  Ours: the
    # module is tango_core (itango never imports PyTango).
    result, out = run(ipython_shell, "(tango.DevState.RUNNING, tango.DeviceProxy is DeviceProxy, "
                                     "tango.Database is Database, tango.EventType.CHANGE_EVENT)")
    assert result.success, out
    assert result.result == (tango.DevState.RUNNING, True, True, tango.EventType.CHANGE_EVENT)


def test_namespace_has_group(ipython_shell):
    # itango.py init_pytango: `from tango import ... Group`; Group's get_name/get_size/
    # get_device_list are what ITango's HTML formatter shows.
    result, out = run(ipython_shell, "g = Group('compat'); g.add('sys/tg_test/1'); "
                                     "(g.get_name(), g.get_size(), list(g.get_device_list()))")
    assert result.success, out
    assert result.result == ("compat", 1, ["sys/tg_test/1"])


def test_namespace_has_db_name(ipython_shell):
    # itango.py __get_db: user_ns["DB_NAME"] = "host:port" of the current database.
    result, out = run(ipython_shell, "DB_NAME == f'{db.get_db_host()}:{db.get_db_port()}'")
    assert result.success, out
    assert result.result is True


def test_namespace_has_the_cache_functions(ipython_shell):
    # itango.py init_magic binds get_device_map/get_server_map/get_class_map/get_alias_map/
    # get_device_list/get_alias_list ("Useful functions ... accessible from CLI").  Shapes:
    # device -> [alias, server, class, ...], server -> [devices], class -> [devices],
    # alias -> device; the two lists are case-insensitive (tango.utils.CaselessList).
    result, out = run(ipython_shell, "(get_device_map(), get_server_map(), get_class_map(), "
                                     "get_alias_map(), get_device_list(), get_alias_list())")
    assert result.success, out
    dev_map, serv_map, class_map, alias_map, dev_list, alias_list = result.result
    assert list(dev_map["sys/tg_test/1"])[1:3] == ["TangoTest/test", "TangoTest"]
    assert not any(d.lower().startswith("dserver/") for d in dev_map)
    assert "sys/tg_test/1" in serv_map["TangoTest/test"]
    assert "sys/tg_test/1" in class_map["TangoTest"]
    assert "sys/database/2" in class_map["DataBase"]
    assert all(dev_map[dev] for dev in alias_map.values())
    assert "sys/tg_test/1" in dev_list and "SYS/TG_TEST/1" in dev_list
    assert all(a in alias_list for a in alias_map)


def test_every_device_class_is_a_deviceproxy_constructor(ipython_shell):
    # itango.py init_db: every class of the database but DServer is exposed as DeviceProxy.
    result, out = run(ipython_shell, "(isinstance(TangoTest('sys/tg_test/1'), DeviceProxy), "
                                     "DataBase('sys/database/2').dev_name(), 'DServer' in dir())")
    assert result.success, out
    assert result.result == (True, "sys/database/2", False)


def test_names_are_bound_when_load_extension_returns(tango_host):
    # ITango loads the database in load_ipython_extension: right after load_extension returns
    # (no cell run yet, no prompt) db and the class names are in the namespace.
    with itango_shell_on(tango_host) as shell:
        ns = shell.user_ns
        assert isinstance(ns.get("db"), tango.Database)
        assert "TangoTest" in ns and "Device" in ns


def test_refreshdb_binds_new_classes_and_drops_vanished_ones(ipython_shell):
    # itango.py init_db: refreshdb drops the old class names ("junk") and exposes the new ones.
    db = tango.Database()
    info = tango.DbDevInfo()
    info.name, info._class, info.server = "compat/refresh/1", "CompatRefresh", "CompatRefresh/compat"
    db.add_device(info)
    try:
        run(ipython_shell, "refreshdb")
        result, out = run(ipython_shell, "CompatRefresh('compat/refresh/1').dev_name()")
        assert result.success, out
        assert result.result == "compat/refresh/1"
    finally:
        db.delete_device("compat/refresh/1")
    run(ipython_shell, "refreshdb")
    assert "CompatRefresh" not in ipython_shell.user_ns


def test_refreshdb_rebinds_a_deleted_class_name_but_never_a_users_own(tango_host):
    # ITango binds a class name when it is not in the namespace; ours additionally never
    # replaces a name the user bound to something else (ITango deleted and re-bound it).
    with itango_shell_on(tango_host) as shell:
        run(shell, "pass")
        run(shell, "del TangoTest")
        run(shell, "refreshdb")
        result, out = run(shell, "isinstance(TangoTest('sys/tg_test/1'), DeviceProxy)")
        assert result.success and result.result is True, out
        run(shell, "TangoTest = 'mine'")
        run(shell, "refreshdb")
        assert shell.user_ns["TangoTest"] == "mine"


# ---- magics: lsdev, lsdevclass, lsserv, refreshdb, switchdb, tango_error, python_error ---------------


def test_lsdev_columns_are_device_alias_server_class(ipython_shell):
    # itango.py lsdev: title "Device", "Alias", "Server", "Class" (ours may add columns after).
    result, out = run_stdout(ipython_shell, "lsdev")
    assert result.success, out
    assert re.match(r"\s*Device\s+Alias\s+Server\s+Class\b", out), out


def test_lsdev_hides_admin_devices(ipython_shell):
    # itango.py init_db: "hide dserver devices".
    result, out = run_stdout(ipython_shell, "lsdev")
    assert result.success, out
    assert "dserver/" not in out.lower()


def test_lsdev_filter_is_a_case_insensitive_regex(ipython_shell):
    # itango.py lsdev: re.compile(parameter_s, re.IGNORECASE).match(device).
    result, out = run_stdout(ipython_shell, "lsdev SYS/TG.*")
    assert result.success, out
    assert "sys/tg_test/1" in out
    assert "sys/database/2" not in out


def test_lsdevclass_filter_and_no_admin_class(ipython_shell):
    # itango.py lsdevclass: classes of the device cache (dserver/* devices are not in it, so
    # DServer is never listed), filtered by a case-insensitive regex.
    result, out = run_stdout(ipython_shell, "lsdevclass")
    assert result.success, out
    assert "DServer" not in out
    result, out = run_stdout(ipython_shell, "lsdevclass tango.*")
    assert result.success, out
    assert "TangoTest" in out
    assert "DataBase" not in out


def test_lsserv_filter(ipython_shell):
    # itango.py lsserv: server names filtered by a case-insensitive regex.
    result, out = run_stdout(ipython_shell, "lsserv tangotest/.*")
    assert result.success, out
    assert "TangoTest/test" in out
    assert "DataBaseds/2" not in out


def test_lsdev_shows_aliases_and_hides_underscore_ones(private_host):
    # itango.py init_db: aliases fill lsdev's Alias column; "hide alias that start with '_'".
    pt = _pytango()
    db = pt.Database(*private_host.split(":"))
    db.put_device_alias("sys/tg_test/1", "compat_tg")
    info = pt.DbDevInfo()
    info.name, info._class, info.server = "compat/hidden/1", "CompatHidden", "CompatHidden/1"
    db.add_device(info)
    db.put_device_alias("compat/hidden/1", "_compat_hidden")
    with itango_shell_on(private_host) as shell:
        result, out = run_stdout(shell, "lsdev")
        assert result.success, out
        assert re.search(r"sys/tg_test/1\s+compat_tg\s+TangoTest/test\s+TangoTest", out), out
        assert "compat/hidden/1" in out
        assert "_compat_hidden" not in out
        # the alias is a name the user can type and complete (ITango: __DeviceProxy_completer)
        assert "compat_tg" in legacy_matches(shell, 'Device("compat_')
        # (ours answers a name with no match by the typed text itself, a no-op completion that
        # keeps IPython from filling the menu with file names: only real names are checked)
        assert not [m for m in legacy_matches(shell, 'Device("_compat') if m != "_compat"]
        result, out = run(shell, "Device('compat_tg').dev_name()")
        assert result.success and result.result == "sys/tg_test/1", out


def test_switchdb_exchanges_the_class_constructors(tango_host, private_host):
    # itango.py init_db on switchdb: the old database's class names ("junk") leave the namespace
    # and the new database's classes are exposed.
    pt = _pytango()
    info = pt.DbDevInfo()
    info.name, info._class, info.server = "compat/only/1", "CompatOnlyHere", "CompatOnlyHere/1"
    pt.Database(*private_host.split(":")).add_device(info)
    with itango_shell_on(tango_host) as shell:
        run(shell, "pass")
        assert "CompatOnlyHere" not in shell.user_ns
        result, out = run(shell, f"switchdb {private_host}")
        assert result.success, out
        result, out = run(shell, "CompatOnlyHere('compat/only/1').dev_name()")
        assert result.success and result.result == "compat/only/1", out
        result, out = run(shell, f"switchdb {tango_host}")
        assert result.success, out
        assert "CompatOnlyHere" not in shell.user_ns
        assert "TangoTest" in shell.user_ns


def test_switchdb_needs_an_argument(ipython_shell):
    # itango.py switchdb: UsageError("%switchdb: Must specify a tango database name ...").
    result, out = run(ipython_shell, "switchdb")
    assert not result.success
    assert "switchdb" in out


def test_switchdb_to_a_dead_database_keeps_the_current_one(tango_host):
    # itango.py __get_db: "Could not access Database ...", "Maintaining connection to Database".
    from peers import free_port

    dead = f"127.0.0.1:{free_port()}"
    with itango_shell_on(tango_host) as shell:
        run(shell, "pass")
        result, out = run(shell, f"switchdb {dead}")
        assert dead in out
        result, out = run(shell, "db.get_db_port(), Device('sys/tg_test/1').State()")
        assert result.success, out
        assert result.result == (tango_host.rpartition(":")[2], tango.DevState.RUNNING)
        result, out = run_stdout(shell, "lsdev")
        assert result.success and "sys/tg_test/1" in out, out


def test_tango_error_magic_before_any_error(tango_host):
    # itango.py tango_error: "No tango error reported so far."
    with itango_shell_on(tango_host) as shell:
        result, out = run_stdout(shell, "tango_error")
        assert result.success, out
        assert re.search(r"no tango error", out, re.IGNORECASE), out


def test_tango_error_magic_shows_every_error_of_the_last_devfailed(ipython_shell):
    # itango.py tango_error prints the whole DevFailed (every DevError: reason, desc, origin).
    result, _ = run(ipython_shell, "Device('sys/tg_test/2')")
    exc = result.error_in_exec
    assert isinstance(exc, tango.DevFailed)
    result, out = run_stdout(ipython_shell, "tango_error")
    assert result.success, out
    for err in exc.args:
        assert err.reason in out
        assert err.desc.strip() in out
        assert err.origin.strip() in out


def test_python_error_magic(tango_host):
    # itango.py python_error: a message before any error, then the last error's traceback.
    with itango_shell_on(tango_host) as shell:
        result, out = run(shell, "python_error")
        assert result.success and re.search(r"no .*error", out, re.IGNORECASE), out
        run(shell, "def compat_fails():\n    return 1 / 0\ncompat_fails()")
        result, out = run(shell, "python_error")
        assert result.success, out
        assert "ZeroDivisionError" in out and "compat_fails" in out


# ---- error display: __exc_handler ----------------------------------------------------------------


def test_tango_error_is_shown_as_reason_colon_desc(ipython_shell):
    # itango.py __exc_handler: print("%s: %s" % (args[0].reason, args[0].desc)) and a pointer
    # to tango_error; no Python traceback for a Tango error.
    result, out = run_stdout(ipython_shell, "Device('sys/tg_test/1').read_attribute('no_such_attr')")
    assert not result.success
    exc = result.error_in_exec
    assert isinstance(exc, tango.DevFailed)
    assert f"{exc.args[0].reason}: {exc.args[0].desc}" in out
    assert exc.args[0].reason == "API_AttrNotFound"
    assert "tango_error" in out
    assert "Traceback" not in out and "---->" not in out


def test_tango_error_subclasses_are_shown_the_same_way(ipython_shell):
    # ConnectionFailed is in ITango's _TG_EXCEPTIONS too (API_DeviceNotExported from the first call).
    result, out = run_stdout(ipython_shell, "Device('sys/access_control/1').ping()")
    assert not result.success
    assert isinstance(result.error_in_exec, tango.ConnectionFailed)
    assert "API_DeviceNotExported: Device sys/access_control/1 is not exported" in out
    assert "Traceback" not in out


def test_attribute_proxy_to_a_missing_attribute_fails_at_construction(ipython_shell):
    # Observed with ITango 0.3.0 on PyTango 10.3.1: Attribute("sys/tg_test/1/no_such_attr") on a
    # running device fails at once (cppTango AttributeProxy::real_constructor) with
    # WrongNameSyntax [API_UnsupportedAttribute "Attribute no_such_attr is not supported by device
    # sys/tg_test/1"], shown as "reason: desc".
    result, out = run_stdout(ipython_shell, "compat_ap = Attribute('sys/tg_test/1/no_such_attr')")
    assert not result.success
    assert isinstance(result.error_in_exec, tango.WrongNameSyntax)
    assert ("API_UnsupportedAttribute: Attribute no_such_attr is not supported by device "
            "sys/tg_test/1") in out, out


# ---- completion: the complete_command hooks ----------------------------------------------------------


def test_device_completion_goes_down_to_the_device(ipython_shell):
    # itango.py __DeviceProxy_completer for DeviceProxy( and Device(, names in any case.
    assert "sys/tg_test/1" in legacy_matches(ipython_shell, 'Device("sys/tg_test/')
    assert "sys/tg_test/1" in legacy_matches(ipython_shell, "DeviceProxy('SYS/TG_TEST/")


def test_device_completion_offers_whole_names_like_itango(private_host):
    # itango.py __DeviceProxy_completer returns every device name and alias and IPython keeps
    # those starting with the typed text: Device("sys/tg<TAB> gives sys/tg_test/1 at once, and
    # Device("<TAB> lists the devices (here a 3-device database).
    with itango_shell_on(private_host) as shell:
        run(shell, "pass")
        assert "sys/tg_test/1" in legacy_matches(shell, 'Device("sys/tg')
        assert {"sys/tg_test/1", "sys/database/2"} <= set(legacy_matches(shell, 'Device("'))
        # doc/index.rst: test = Device("sys<tab> lists sys/access_control/1 ... sys/tg_test/1
        everything = {"sys/access_control/1", "sys/database/2", "sys/tg_test/1"}
        assert everything <= set(legacy_matches(shell, 'Device("sys'))
        # DeviceClassCompleter: TangoTest("<TAB> gives that class's devices by name
        assert "sys/tg_test/1" in legacy_matches(shell, 'TangoTest("')


def test_class_constructor_completes_its_own_devices(ipython_shell):
    # itango.py DeviceClassCompleter: TangoTest("<TAB> offers the devices of class TangoTest.
    tg = legacy_matches(ipython_shell, 'TangoTest("sys/')
    assert tg and all(m.startswith("sys/tg_test/") for m in tg), tg
    dbm = legacy_matches(ipython_shell, 'DataBase("sys/')
    assert dbm and all(m.startswith("sys/database/") for m in dbm), dbm


def test_completion_works_right_after_load_extension(tango_host):
    # ITango's completers are installed, with the device cache, by load_ipython_extension.
    with itango_shell_on(tango_host) as shell:
        assert "sys/tg_test/1" in legacy_matches(shell, 'TangoTest("sys/tg_test/')


def test_attribute_completion(ipython_shell):
    # itango.py __AttributeProxy_completer (AttributeProxy( and Attribute(): dev/attr names from
    # the live device's get_attribute_list().
    matches = legacy_matches(ipython_shell, 'AttributeProxy("sys/tg_test/1/double_sc')
    assert {"sys/tg_test/1/double_scalar", "sys/tg_test/1/double_scalar_w"} <= set(matches)
    assert "sys/tg_test/1/State" in legacy_matches(ipython_shell, 'Attribute("sys/tg_test/1/Sta')


def test_attribute_and_device_alias_completion(private_host):
    # __AttributeProxy_completer: attribute aliases, and "devalias/attr".
    pt = _pytango()
    db = pt.Database(*private_host.split(":"))
    db.put_device_alias("sys/tg_test/1", "compat_tg")
    db.put_attribute_alias("sys/tg_test/1/double_scalar", "compat_attr")
    with itango_shell_on(private_host) as shell:
        run(shell, "pass")
        assert "compat_attr" in legacy_matches(shell, 'AttributeProxy("compat_a')
        assert "compat_tg/double_scalar" in _wait_for(
            lambda: legacy_matches(shell, 'AttributeProxy("compat_tg/double_sc'))
        result, out = run(shell, "AttributeProxy('compat_attr').name()")
        assert result.success and result.result.lower() == "double_scalar", out


def test_mon_completes_attribute_names(ipython_shell):
    # itango.py: the monitor completer is __AttributeProxy_completer.
    matches = legacy_matches(ipython_shell, "%mon -a sys/tg_test/1/double_sc")
    assert "sys/tg_test/1/double_scalar" in matches


def test_device_members_complete_after_a_dot(ipython_shell):
    # pytango#82 (ITango's "attribute completion on DeviceProxy"): dev.<TAB> lists the device's
    # attributes and commands through DeviceProxy.__dir__.
    run(ipython_shell, "compat_dot = Device('sys/tg_test/1')")
    try:
        names = [t for t, _ in completions(ipython_shell, "compat_dot.double_sc")]
        assert {"double_scalar", "double_scalar_w"} <= set(names), names
        names = [t for t, _ in completions(ipython_shell, "compat_dot.Sta")]
        assert {"State", "Status"} <= set(names), names
    finally:
        run(ipython_shell, "del compat_dot")


# ---- HTML display: init_display() --------------------------------------------------------------------


def _html(shell: Any, obj: Any) -> str:
    import html

    # A terminal shell does not compute text/html (not an active type), so ask the printer
    # registered for the object's type, as qtconsole/Jupyter would get it.
    formatter = shell.display_formatter.formatters["text/html"]
    try:
        printer = formatter.lookup(obj)
    except KeyError:
        printer = None
    assert printer is not None, f"no text/html printer for {type(obj).__name__}"
    text = printer(obj)
    assert text, f"empty text/html for {type(obj).__name__}"
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def test_device_html_shows_itangos_fields(ipython_shell):
    # display_deviceproxy_html: name, alias, database, class, server, server host.
    result, out = run(ipython_shell, "compat_d = Device('sys/tg_test/1'); compat_i = compat_d.info()")
    assert result.success, out
    info = ipython_shell.user_ns["compat_i"]
    text = _html(ipython_shell, ipython_shell.user_ns["compat_d"])
    for field in ("sys/tg_test/1", "TangoTest", info.server_id, info.server_host,
                  os.environ["TANGO_HOST"].rpartition(":")[2]):
        assert field in text, (field, text)


def test_database_html_shows_get_info(ipython_shell):
    # display_database_html: host:port and db.get_info().
    text = _html(ipython_shell, ipython_shell.user_ns["db"])
    assert "Running since" in text and "Devices defined" in text
    assert os.environ["TANGO_HOST"].rpartition(":")[2] in text


def test_device_attribute_html_shows_itangos_fields(ipython_shell):
    # display_deviceattribute_html: name (type, data_format, quality) at time, value, w_value.
    result, out = run(ipython_shell, "compat_da = Device('sys/tg_test/1').read_attribute('double_scalar')")
    assert result.success, out
    da = ipython_shell.user_ns["compat_da"]
    text = _html(ipython_shell, da)
    for field in ("double_scalar", "DevDouble", "SCALAR", "ATTR_VALID", str(da.value), str(da.w_value)):
        assert field in text, (field, text)


# ---- %mon: mon() and EventLogger ----------------------------------------------------------------------


def test_mon_add_list_info_delete_like_itango(private_host):
    # itango.py mon: -a subscribes (change events) and says so; the event table (EventLogger.show:
    # ID, Device, Attribute, Value, Quality, ...) and -i ID show the events;
    # -a twice and -d of something not monitored are UsageErrors; -d says it stopped.
    # An attribute without polling: ITango failed with API_AttributePollingNotStarted
    # (pytango-api.md §6) and no hint; itango says so in one line and reads it itself.
    ensure_polled(f"tango://{private_host}/sys/tg_test/1", "double_scalar")
    with itango_shell_on(private_host) as shell:
        result, out = run_stdout(shell, "mon -a sys/tg_test/1/short_scalar")
        assert result.success, out
        assert "API_AttributePollingNotStarted" in out and "(client-polled)" in out, out
        result, out = run_stdout(shell, "mon -d sys/tg_test/1/short_scalar")
        assert result.success, out
        result, out = run_stdout(shell, "mon -a sys/tg_test/1/double_scalar")
        assert result.success and "sys/tg_test/1/double_scalar" in out, out
        result, out = run(shell, "mon -a sys/tg_test/1/double_scalar")
        assert not result.success and re.search(r"already monitoring", out, re.IGNORECASE), out

        def table() -> str:
            result, out = run(shell, "mon -l sys/tg_test/1 double_scalar")
            assert result.success, out
            return out if re.search(r"sys/tg_test/1\s+double_scalar\b.*ATTR_VALID", out) else ""

        out = _wait_for(table)
        assert out, "no event row in %mon -l (stdout)"
        header = next(line for line in out.splitlines() if line.strip())
        assert re.search(r"ID\b.*Device.*Attribute.*Value.*Quality", header), header
        event_id = re.search(r"^\s*(\d+)\s.*double_scalar", out, re.MULTILINE).group(1)
        result, out = run(shell, f"mon -i {event_id}")
        assert result.success and "ATTR_VALID" in out, out
        result, out = run_stdout(shell, "mon -d sys/tg_test/1/double_scalar")
        assert result.success and "sys/tg_test/1/double_scalar" in out, out
        result, out = run(shell, "mon -d sys/tg_test/1/double_scalar")
        assert not result.success and re.search(r"not monitoring", out, re.IGNORECASE), out


def test_mon_error_events_like_itango(private_host):
    # eventlogger.py: an error event's row shows errors[0].reason (quality "ERROR") and
    # %mon -i shows the whole DevFailed.  TangoTest's no_value always fails to read: polled, it
    # sends error events.
    pt = _pytango()
    pt.DeviceProxy(f"tango://{private_host}/sys/tg_test/1").poll_attribute("no_value", 200)
    with itango_shell_on(private_host) as shell:
        result, out = run(shell, "mon -a sys/tg_test/1/no_value")
        assert result.success, out

        def error_row() -> str:
            _, out = run(shell, "mon -l sys/tg_test/1 no_value")
            return out if re.search(r"no_value.*ERROR.*API_AttrValueNotSet", out) else ""

        out = _wait_for(error_row)
        assert out, "no error row in %mon -l"
        event_id = re.search(r"^\s*(\d+)\s.*no_value", out, re.MULTILINE).group(1)
        result, out = run(shell, f"mon -i {event_id}")
        assert result.success, out
        assert "API_AttrValueNotSet" in out
        assert "Read value for attribute no_value has not been updated" in out


def test_mon_output_reaches_stdout_like_itangos_pager(ipython_shell):
    # ITango shows %mon's event table with IPython's pager, which in a shell without a terminal
    # (and under IPython's capture_output, as ITango's own tests read magics) writes to stdout,
    # like %lsdev.  Here on the shared TangoTest: polling is put back as it was afterwards.
    pt = _pytango()
    device = f"tango://{os.environ['TANGO_HOST']}/sys/tg_test/1"
    proxy = pt.DeviceProxy(device)
    was = (proxy.get_attribute_poll_period("double_scalar")
           if proxy.is_attribute_polled("double_scalar") else 0)
    proxy.poll_attribute("double_scalar", 200)
    try:
        result, out = run_stdout(ipython_shell, "mon -a sys/tg_test/1/double_scalar")
        assert result.success, out

        def listed(code: str) -> str:
            result, out = run_stdout(ipython_shell, code)
            assert result.success, out
            return out if re.search(r"sys/tg_test/1.*double_scalar", out) else ""

        assert _wait_for(lambda: listed("mon -l")), "%mon -l printed no event row on stdout"
        assert listed("mon"), "%mon printed nothing about double_scalar on stdout"
    finally:
        run(ipython_shell, "mon -r")
        if was:
            proxy.poll_attribute("double_scalar", was)
        else:
            proxy.stop_poll_attribute("double_scalar")


def test_empty_devfailed_is_shown_as_itango_does(ipython_shell):
    # itango.py __exc_handler: a DevFailed without errors prints "Empty DevFailed" (checked with
    # ITango 0.3.0; DevFailed itself is not bound there, tango.DevFailed is).
    result, out = run_stdout(ipython_shell, "raise tango.DevFailed()")
    assert not result.success
    assert "Empty DevFailed" in out, out


def test_html_of_a_device_that_is_not_exported(ipython_shell):
    # display_deviceproxy_html falls back to the class from the database (__TangoDeviceInfo)
    # when info() fails: the card still renders, with the device and its class.
    result, out = run(ipython_shell, "compat_nx = Device('sys/access_control/1')")
    assert result.success, out
    text = _html(ipython_shell, ipython_shell.user_ns["compat_nx"])
    assert "sys/access_control/1" in text and "TangoAccessControl" in text


def _loopback_refusing_port_10000() -> tuple[str, socket.socket]:
    """A loopback address whose port 10000 refuses connections for as long as the returned socket
    is open: the socket holds the port bound but not listening, so nothing (another developer's
    database on the default port, a peer) can listen there meanwhile.  127.0.0.1 first; if its
    port 10000 is taken, another address of 127/8 (all of them reach this machine)."""
    for last in range(1, 30):
        host = f"127.0.0.{last}"
        sock = socket.socket()
        try:
            sock.bind((host, 10000))
        except OSError:
            sock.close()
            continue
        return host, sock
    raise AssertionError("port 10000 is in use on every address 127.0.0.1 .. 127.0.0.29")


def test_switchdb_host_alone_means_port_10000(tango_host):
    # itango.py __get_db: "switchdb homer" -> homer:10000; the test makes sure nothing listens there.
    host, holder = _loopback_refusing_port_10000()
    with holder, itango_shell_on(tango_host) as shell:
        run(shell, "pass")
        result, out = run(shell, f"switchdb {host}")
        assert f"{host}:10000" in out, out
        result, out = run(shell, "db.get_db_port()")
        assert result.result == tango_host.rpartition(":")[2], out


def test_shell_without_a_reachable_database(tango_host):
    # itango.py __get_db: no database -> "Could not access any Database ..." once, DB_NAME =
    # "OFFLINE", and the listings say there is no database instead of failing obscurely.  Full
    # names keep working, and %switchdb reaches a live database.
    from IPython.utils.capture import capture_output

    from peers import free_port

    dead = f"127.0.0.1:{free_port()}"
    with capture_output() as captured:
        context = itango_shell_on(dead, restore_host=tango_host)
        shell = context.__enter__()
    try:
        assert dead in captured.stdout + captured.stderr
        result, out = run(shell, "DB_NAME")
        assert result.result == "OFFLINE", out
        result, out = run(shell, "lsdev")
        assert not result.success and dead in out and "Traceback" not in out, out
        result, out = run(shell, f"Device('tango://{tango_host}/sys/tg_test/1').State()")
        assert result.result == tango.DevState.RUNNING, out
        result, out = run(shell, f"switchdb {tango_host}")
        assert result.success, out
        result, out = run_stdout(shell, "lsdev")
        assert result.success and "sys/tg_test/1" in out, out
    finally:
        context.__exit__(None, None, None)


def test_attribute_completion_of_a_device_that_is_down_is_quick_and_quiet(ipython_shell):
    # itango.py __AttributeProxy_completer swallows "device is not online": TAB must neither
    # raise, print, nor hang on a device whose server is not running.
    import time

    from IPython.utils.capture import capture_output

    start = time.monotonic()
    with capture_output() as captured:
        matches = legacy_matches(ipython_shell, 'AttributeProxy("sys/access_control/1/')
    assert time.monotonic() - start < 3.0
    assert captured.stdout == "" and captured.stderr == ""
    assert all(m.lower().startswith("sys/access_control/1/") for m in matches), matches


# ---- the client API ITango itself calls (pytango-api.md §1), side by side with PyTango ----------------


@pytest.fixture
def on_pytango_db(tango_host: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """TANGO_HOST = the PyTango database for this test (a module fixture may have pointed it at
    the C++ one); PyTango is always given full names, since it caches its default host."""
    from tango_core.client import names

    monkeypatch.setenv("TANGO_HOST", tango_host)
    names.set_default_tango_host(None)
    return tango_host


def test_database_calls_itango_makes_answer_like_pytango(on_pytango_db):
    # itango.py: Database(), Database(host, port as str), get_db_host/get_db_port (str, joined
    # with "+"), command_inout("DbMySqlSelect", ...) -> [int32 array, list[str]] read as
    # r[0][-2], r[0][-1], r[1]; get_class_for_device; get_class_property(k, n)[n]; get_info();
    # arbitrary attributes (db._db_cache = ...).
    pt = _pytango()
    host, port = on_pytango_db.split(":")
    ours, theirs = tango.Database(host, port), pt.Database(host, port)
    assert (tango.Database().get_db_host(), tango.Database().get_db_port()) == (host, port)
    assert ours.get_db_host() + ":" + ours.get_db_port() == theirs.get_db_host() + ":" + theirs.get_db_port()
    for query in ("SELECT name, alias, server, class FROM device order by name",
                  "SELECT name, alias FROM attribute_alias order by alias"):
        r_ours = ours.command_inout("DbMySqlSelect", query)
        r_theirs = theirs.command_inout("DbMySqlSelect", query)
        assert list(r_ours[0]) == list(r_theirs[0]) and list(r_ours[1]) == list(r_theirs[1])
        assert (int(r_ours[0][-2]) * int(r_ours[0][-1])) == len(r_ours[1])
    assert ours.get_class_for_device("sys/tg_test/1") == theirs.get_class_for_device("sys/tg_test/1")
    for klass, name in (("TangoTest", "Description"), ("TangoTest", "__icon"), ("DataBase", "doc_url")):
        assert list(ours.get_class_property(klass, name)[name]) == \
            list(theirs.get_class_property(klass, name)[name])
    assert ours.get_info() == theirs.get_info()
    ours._db_cache = {"itango": "cache"}
    assert ours._db_cache == {"itango": "cache"}


def test_device_calls_itango_makes_answer_like_pytango(on_pytango_db):
    # itango.py: info() -> dev_class/server_id/server_host/doc_url, dev_name(), alias() (may
    # raise), get_device_db(), get_property(name)[name], get_attribute_list(), State(), Status().
    pt = _pytango()
    ours = tango.DeviceProxy("sys/tg_test/1")
    theirs = pt.DeviceProxy(f"tango://{on_pytango_db}/sys/tg_test/1")
    oi, ti = ours.info(), theirs.info()
    for field in ("dev_class", "server_id", "server_host", "doc_url"):
        assert getattr(oi, field) == getattr(ti, field), field
    assert ours.dev_name() == theirs.dev_name()

    def alias(proxy: Any, failure: type) -> Any:
        try:
            return proxy.alias()
        except failure as exc:
            return ("raised", exc.args[0].reason)

    assert alias(ours, tango.DevFailed) == alias(theirs, pt.DevFailed)
    assert ours.get_device_db().get_db_port() == theirs.get_device_db().get_db_port()
    assert list(ours.get_property("__icon")["__icon"]) == list(theirs.get_property("__icon")["__icon"])
    assert sorted(ours.get_attribute_list()) == sorted(theirs.get_attribute_list())
    assert ours.State() == theirs.State() == tango.DevState.RUNNING
    assert ours.Status() == theirs.Status()


def test_devfailed_from_an_error_sequence_prints_like_pytango(on_pytango_db):
    # itango.py %mon -i: print(str(tango.DevFailed(*e.errors))) for an error event.  Compared
    # with PyTango's text except origins written by the client library itself (cppTango puts its
    # C++ signature and source line there: "virtual ... DeviceProxy.cpp:4654").
    pt = _pytango()
    with pytest.raises(tango.DevFailed) as ours:
        tango.DeviceProxy("sys/tg_test/1").read_attribute("no_such_attr")
    with pytest.raises(pt.DevFailed) as theirs:
        pt.DeviceProxy(f"tango://{on_pytango_db}/sys/tg_test/1").read_attribute("no_such_attr")
    rebuilt_ours = tango.DevFailed(*ours.value.args)
    rebuilt_theirs = pt.DevFailed(*theirs.value.args)
    client_origin = re.compile(r"origin = (virtual .*DeviceProxy\.cpp:\d+\)|DeviceProxy::read_attribute\(\))")
    assert client_origin.sub("origin = <client>", str(rebuilt_ours)) == \
        client_origin.sub("origin = <client>", str(rebuilt_theirs))
    assert [(e.reason, e.desc) for e in rebuilt_ours.args] == \
        [(e.reason, e.desc) for e in rebuilt_theirs.args]


def test_device_attribute_fields_itangos_html_reads(on_pytango_db):
    # display_deviceattribute_html: name type data_format has_failed get_err_stack()
    # r_dimension/w_dimension .dim_x/.dim_y w_value quality value time.todatetime(); quality is a
    # hashable key of the AttrQuality table and data_format compares to AttrDataFormat.SCALAR.
    import datetime

    da = tango.DeviceProxy("sys/tg_test/1").read_attribute("double_scalar")
    table = {tango.AttrQuality.ATTR_VALID: "green", tango.AttrQuality.ATTR_INVALID: "grey", None: "?"}
    assert table[da.quality] == "green" and str(da.quality) == "ATTR_VALID"
    assert da.data_format == tango.AttrDataFormat.SCALAR
    assert (da.name, str(da.type), da.has_failed, list(da.get_err_stack())) == \
        ("double_scalar", "DevDouble", False, [])
    assert (da.r_dimension.dim_x, da.r_dimension.dim_y) == (1, 0)
    assert (da.w_dimension.dim_x, da.w_dimension.dim_y) == (1, 0)
    assert isinstance(da.value, float) and isinstance(da.w_value, float)
    assert isinstance(da.time.todatetime(), datetime.datetime)


def test_event_logger_contract_itango_relies_on(private_host):
    # itango.py mon -a: d.subscribe_event(attr, EventType.CHANGE_EVENT, model, []) -- the old
    # "filters" signature, with an object that has push_event() and no __call__ -- and
    # eventlogger.py's use of the EventData: attr_name "tango://host:port/dev/attr", new
    # attributes written on it (host, dev_name, s_attr_name), err, attr_value.value,
    # str(attr_value.quality), attr_value.time.strftime(), reception_date.strftime().
    import threading
    import warnings

    ensure_polled(f"tango://{private_host}/sys/tg_test/1", "double_scalar")

    class Logger:
        def __init__(self) -> None:
            self.rows: list[tuple] = []
            self.got = threading.Event()

        def push_event(self, evt: Any) -> None:
            dev, _, attr = evt.attr_name.rpartition("/")
            evt.host, _, evt.dev_name = dev[len("tango://"):].partition("/")
            evt.s_attr_name = attr
            if evt.err:
                self.rows.append(("error", evt.errors[0].reason, evt.reception_date.strftime("%H:%M:%S.%f")))
            else:
                self.rows.append((evt.host, evt.dev_name, evt.s_attr_name, str(evt.attr_value.value),
                                  str(evt.attr_value.quality), evt.attr_value.time.strftime("%H:%M:%S.%f")))
            self.got.set()

    logger = Logger()
    proxy = tango.DeviceProxy(f"tango://{private_host}/sys/tg_test/1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        event_id = proxy.subscribe_event("double_scalar", tango.EventType.CHANGE_EVENT, logger, [])
    try:
        assert isinstance(event_id, int)
        assert logger.got.wait(10), "no event pushed"
        host, dev, attr, value, quality, stamp = logger.rows[0]
        assert (host, dev, attr, quality) == (private_host, "sys/tg_test/1", "double_scalar", "ATTR_VALID")
        float(value)
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6}", stamp)
    finally:
        proxy.unsubscribe_event(event_id)
    with pytest.raises(KeyError):
        proxy.unsubscribe_event(event_id)


# ---- doc/index.rst of ITango 0.3.0: the documented session ------------------------------------------


def test_documented_error_session_no_value(ipython_shell):
    # "test.no_value" -> "API_AttrValueNotSet : Read value for attribute no_value has not been
    # updated", then tango_error shows both errors (API_AttrValueNotSet, API_AttributeFailed).
    result, out = run_stdout(ipython_shell, "Device('sys/tg_test/1').no_value")
    assert not result.success
    assert re.search(r"API_AttrValueNotSet ?: Read value for attribute no_value has not been updated",
                     out), out
    result, out = run_stdout(ipython_shell, "tango_error")
    assert "API_AttrValueNotSet" in out and "API_AttributeFailed" in out, out


def test_documented_member_access_session(ipython_shell):
    # "test.short_scalar" reads the attribute, "test.DevDouble(56.433)" runs the command.
    result, out = run(ipython_shell, "compat_t = Device('sys/tg_test/1'); "
                                     "(compat_t.DevDouble(56.433), type(compat_t.short_scalar).__name__)")
    assert result.success, out
    assert result.result == (56.433, "int")


def test_documented_store_of_tango_objects(ipython_shell):
    # "Storing your favorite tango objects": DeviceProxy, AttributeProxy and Database pickle, so
    # %store keeps them across sessions (PyTango 10.3.1 itself fails this: a DeviceProxy comes
    # back "not fully initialized" and Database raises "Invalid state!"; sardana#447).
    import pickle

    result, out = run(ipython_shell, "compat_objs = (Device('sys/tg_test/1'), "
                                     "Attribute('sys/tg_test/1/double_scalar'), db)")
    assert result.success, out
    dev, attr, db = pickle.loads(pickle.dumps(ipython_shell.user_ns["compat_objs"]))
    assert dev.dev_name() == "sys/tg_test/1" and dev.State() == tango.DevState.RUNNING
    assert attr.name() == "double_scalar" and isinstance(attr.read().value, float)
    assert db.get_db_port() == os.environ["TANGO_HOST"].rpartition(":")[2]
    assert "Running since" in db.get_info()


# ---- upgrading from ITango 0.3.0: what it left on users' disks and their muscle memory ---------------


def test_an_itango_0_3_profile_keeps_working(tango_host, tmp_path):
    # ITango's install.py wrote ~/.ipython/profile_tango/ipython_config.py whose "protected block"
    # imports itango and calls itango.load_config(get_config()); its "tango" kernelspec starts
    # ipykernel with --profile tango.  Both keep working after the upgrade (same distribution
    # name), so `ipython --profile=tango` is an itango shell.
    import subprocess
    import sys

    profile = tmp_path / "ipython" / "profile_tango"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text(
        "# the block ITango 0.3.0's install.py writes (semantics, not its text)\n"
        "import itango\n"
        "itango.load_config(get_config())\n", encoding="utf-8")
    env = dict(os.environ, HOME=str(tmp_path), IPYTHONDIR=str(tmp_path / "ipython"),
               TANGO_HOST=tango_host)
    proc = subprocess.run([sys.executable, "-m", "IPython", "--profile=tango", "--simple-prompt",
                           "-c", "print('itango-ok', type(db).__name__, Device('sys/tg_test/1').state())"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path))
    assert "itango-ok Database RUNNING" in proc.stdout, proc.stdout + proc.stderr
    assert "Error" not in proc.stderr, proc.stderr


def test_an_itango_0_3_jupyter_kernel_keeps_working(tango_host, tmp_path):
    # ITango's install_kernel() made a user kernelspec "tango" ("ITango") that starts ipykernel
    # with --profile tango, i.e. the profile above: after the upgrade that kernel is an itango one.
    import json
    import sys

    pytest.importorskip("ipykernel")
    pytest.importorskip("jupyter_client")
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    profile = tmp_path / "ipython" / "profile_tango"
    profile.mkdir(parents=True)
    (profile / "ipython_config.py").write_text("import itango\nitango.load_config(get_config())\n",
                                               encoding="utf-8")
    spec_dir = tmp_path / "kernels" / "tango"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--profile", "tango"],
        "display_name": "ITango", "language": "python"}), encoding="utf-8")
    env = {**os.environ, "TANGO_HOST": tango_host, "IPYTHONDIR": str(tmp_path / "ipython"),
           "HOME": str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    km = KernelManager(kernel_name="tango",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]))
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        printed: list[dict] = []
        code = "print('itango-ok', type(db).__name__, Device('sys/tg_test/1').state())"
        reply = kc.execute_interactive(code, timeout=60, output_hook=printed.append)
        text = "".join(m["content"].get("text", "") for m in printed if m["msg_type"] == "stream")
        assert reply["content"]["status"] == "ok", reply["content"]
        assert "itango-ok Database RUNNING" in text, text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_itango_module_keeps_itangos_entry_points():
    # ITango's console/GUI scripts are itango:run and itango:run_qt; its __all__ also has
    # load_config, load_ipython_extension and unload_ipython_extension.
    import itango

    for name in ("run", "run_qt", "load_config", "load_ipython_extension", "unload_ipython_extension"):
        assert callable(getattr(itango, name, None)), name


def test_itango_console_scripts_keep_their_names():
    # ITango 0.3.0 installs itango and itango3 (console) and itango-qt and itango3-qt (GUI).
    import sys
    from pathlib import Path

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same parser as tomli, which pytest depends on there
        import tomli as tomllib

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    scripts = {**project.get("scripts", {}), **project.get("gui-scripts", {})}
    assert {"itango", "itango3", "itango-qt", "itango3-qt"} <= set(scripts), sorted(scripts)


# ==================================================================================================
# Part 3: the 13 ITango 0.3.0 defects of itango-ecosystem.md §1b must not be ours
# ==================================================================================================


def test_defect_01_mon_completer_does_not_fire_on_any_line_with_mon(ipython_shell):
    # 1b-1: re_key=".*mon" made ITango's device completer answer `x = common_val<TAB>`.
    # (IPython's v2 API: the classic shell.complete() returns no Python names while Jedi is on,
    # ipython#12129.)
    run(ipython_shell, "common_value_x = 1; lemon_tree = 2")
    try:
        for line, name in (("x = common_valu", "common_value_x"), ("lemon_tr", "lemon_tree"),
                           ("print(common_valu", "common_value_x")):
            found = completions(ipython_shell, line)
            assert name in [t for t, _ in found], (line, found)
            tango_kinds = [(t, k) for t, k in found if k in ("device", "domain", "family", "member",
                                                             "alias", "attribute")]
            assert not tango_kinds, (line, tango_kinds)
    finally:
        run(ipython_shell, "del common_value_x, lemon_tree")


def test_defect_02_full_trls_complete(ipython_shell):
    # 1b-2: IPython's splitter cuts at ':' so ITango could not complete tango://host:port/...
    host = os.environ["TANGO_HOST"]
    texts = [t for t, _ in completions(ipython_shell, f'Device("tango://{host}/sys/tg_test/')]
    assert f"tango://{host}/sys/tg_test/1" in texts, texts
    texts = [t for t, _ in completions(ipython_shell,
                                       f'AttributeProxy("tango://{host}/sys/tg_test/1/double_sc')]
    assert f"tango://{host}/sys/tg_test/1/double_scalar" in texts, texts


def test_defect_03_mon_is_case_and_trl_insensitive(private_host):
    # 1b-3: ITango's %mon looked names up case-sensitively, without TRL prefix (AttributeError).
    # ITango did resolve device aliases (__get_device_subscriptions): so do we.
    ensure_polled(f"tango://{private_host}/sys/tg_test/1", "double_scalar")
    _pytango().Database(*private_host.split(":")).put_device_alias("sys/tg_test/1", "compat_tg")
    with itango_shell_on(private_host) as shell:
        result, out = run(shell, "mon -a SYS/TG_TEST/1/Double_Scalar")
        assert result.success, out
        result, out = run(shell, f"mon -a tango://{private_host}/sys/tg_test/1/double_scalar")
        assert not result.success and re.search(r"already monitoring", out, re.IGNORECASE), out
        result, out = run(shell, "mon -a compat_tg/double_scalar")
        assert not result.success and re.search(r"already monitoring", out, re.IGNORECASE), out
        result, out = run(shell, f"mon -d tango://{private_host}/Sys/Tg_Test/1/DOUBLE_SCALAR")
        assert result.success, out
        assert "AttributeError" not in out


def test_defect_04_mon_is_not_limited_to_change_events(private_host):
    # 1b-4: ITango subscribed CHANGE_EVENT only; periodic events need no change criteria.
    ensure_polled(f"tango://{private_host}/sys/tg_test/1", "long_scalar", period_ms=200,
                  abs_change=None)
    with itango_shell_on(private_host) as shell:
        result, out = run(shell, "mon -a sys/tg_test/1/long_scalar -t periodic")
        assert result.success, out

        def seen() -> str:
            _, out = run(shell, "mon -l sys/tg_test/1 long_scalar")
            return out if re.search(r"long_scalar\s+periodic", out) else ""

        assert _wait_for(seen), "no periodic event logged"


def test_defect_05_python_errors_keep_their_traceback(ipython_shell):
    # 1b-5: ITango's handler caught every Exception and printed one line instead of a traceback.
    result, out = run_stdout(ipython_shell, "def compat_div():\n    return 1 / 0\ncompat_div()")
    out = ANSI.sub("", out)
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "ZeroDivisionError" in out
    assert "return 1 / 0" in out  # the traceback shows the failing source line
    assert "python_error)" not in out  # not ITango's "(For more detailed information type: python_error)"


def test_defect_06_itango_qtconsole_starts_the_qt_console():
    # 1b-6: `itango qtconsole` left "qtconsole" in IPython's argv ("File 'qtconsole' doesn't exist").
    import subprocess
    import sys

    pytest.importorskip("qtconsole")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, "-m", "itango", "qtconsole", "--help"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "QtConsole" in proc.stdout
    assert "doesn't exist" not in proc.stdout + proc.stderr


def test_defect_07_switchdb_changes_where_short_names_resolve(tango_host, private_host):
    # 1b-7: ITango's switchdb set TANGO_HOST but PyTango had cached the default host, so short
    # names kept resolving on the old database.  Also ITango's "host port" form.
    with itango_shell_on(tango_host) as shell:
        run(shell, "pass")
        result, out = run(shell, "switchdb " + private_host.replace(":", " "))
        assert result.success, out
        port = private_host.rpartition(":")[2]
        result, out = run(shell, "db.get_db_port(), Device('sys/tg_test/1').get_db_port(), "
                                 "TangoTest('sys/tg_test/1').get_db_port()")
        assert result.success, out
        assert result.result == (port, port, port)
        result, out = run(shell, f"switchdb {tango_host}")
        assert result.success, out
        result, out = run(shell, "Device('sys/tg_test/1').get_db_port()")
        assert result.result == tango_host.rpartition(":")[2], out


@pytest.mark.parametrize("which", ["pytango-db", "cpp-db"])
def test_defect_08_device_list_without_dbmysqlselect(which, request):
    # 1b-8: ITango needs DbMySqlSelect.  Our Database reads the same inventory with standard
    # commands when that command is missing: both ways must agree on a real database.
    host = request.getfixturevalue("tango_host" if which == "pytango-db" else "cpp_tango_host")
    db = tango.Database(*host.split(":"))
    by_sql = sorted(e.as_tuple() for e in db._inventory_by_sql())
    by_commands = sorted(e.as_tuple() for e in db._inventory_by_commands())
    assert by_sql and by_sql == by_commands


def test_defect_09_reload_ext_reinitialises(tango_host):
    # 1b-9: ITango's unload did nothing and a global flag blocked a second init.
    with itango_shell_on(tango_host) as shell:
        run(shell, "pass")
        run(shell, "%unload_ext itango")
        assert "Device" not in shell.user_ns and "TangoTest" not in shell.user_ns
        result, _ = run(shell, "lsdev")
        assert not result.success
        run(shell, "%load_ext itango")
        result, out = run_stdout(shell, "lsdev")
        assert result.success and "sys/tg_test/1" in out, out
        run(shell, "%reload_ext itango")
        result, out = run_stdout(shell, "lsdev")
        assert result.success and "sys/tg_test/1" in out, out
        result, out = run(shell, "Device('sys/tg_test/1').State()")
        assert result.result == tango.DevState.RUNNING, out


def _run_itango(tmp_path: Any, *python_args: str) -> Any:
    import subprocess
    import sys

    env = dict(os.environ, HOME=str(tmp_path), IPYTHONDIR=str(tmp_path / "ipython"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"))
    env.pop("JUPYTER_PATH", None)
    return subprocess.run([sys.executable, *python_args, "-m", "itango", "-c",
                           "print('itango-ok', type(db).__name__, Device('sys/tg_test/1').state())"],
                          env=env, capture_output=True, text=True, timeout=120, cwd=str(tmp_path))


def test_defect_10_no_deprecated_ipython_settings(tango_host, tmp_path):
    # 1b-10: ITango set InteractiveShell.colors = "Neutral" (DeprecationWarning on IPython 9).
    proc = _run_itango(tmp_path, "-W", "error::DeprecationWarning")
    assert proc.returncode == 0, proc.stderr
    assert "itango-ok Database RUNNING" in proc.stdout, proc.stdout + proc.stderr
    assert "DeprecationWarning" not in proc.stderr and "colors" not in proc.stderr


def test_defect_11_completions_are_typed(ipython_shell):
    # 1b-11: ITango's v1 hooks gave untyped strings; ours say what each completion is.
    types = dict(completions(ipython_shell, 'Device("sys/tg_test/'))
    assert types.get("sys/tg_test/1") not in (None, "<unknown>"), types
    types = dict(completions(ipython_shell, 'AttributeProxy("sys/tg_test/1/double_sc'))
    assert types.get("sys/tg_test/1/double_scalar") not in (None, "<unknown>"), types


def test_defect_12_starting_writes_no_profile_or_kernelspec(tango_host, tmp_path):
    # 1b-12: ITango (re)wrote ~/.ipython/profile_tango and a "tango" kernelspec at every start.
    proc = _run_itango(tmp_path)
    assert proc.returncode == 0 and "itango-ok" in proc.stdout, proc.stdout + proc.stderr
    written = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")]
    assert not [p for p in written if "profile_tango" in p or "kernels" in p], written


def test_defect_13_magics_are_documented(ipython_shell):
    # 1b-13: ITango's docs were stale (written for IPython <= 0.10); ours: every magic documents
    # itself (%magic?) and the shell guide (docs/shell.md) names each one.
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "shell.md").read_text(encoding="utf-8")
    for name in ITANGO_MAGICS:
        magic = ipython_shell.find_line_magic(name)
        assert magic is not None, name
        assert magic.__doc__ and len(magic.__doc__.strip()) > 20, name
        assert f"%{name}" in guide, name
