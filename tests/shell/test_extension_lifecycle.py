"""%load_ext / %unload_ext / %reload_ext itango leave the shell clean, and a missing database
does not stop the extension from loading."""

from __future__ import annotations

import time

import tango_core
from shells import make_shell

from itango.completion import MATCHER_ID
from itango.magics import MAGIC_NAMES
from itango.session import get_session


def _our_matchers(shell):
    return [m for m in shell.Completer.custom_matchers
            if getattr(m, "matcher_identifier", None) == MATCHER_ID]


def _callbacks(shell, event):
    return [cb for cb in shell.events.callbacks[event]
            if getattr(cb, "__self__", None).__class__.__name__ == "ShellSession"]


def _has_printer(formatter, cls) -> bool:
    try:
        formatter.lookup_by_type(cls)
        return True
    except KeyError:
        return False


def test_unload_removes_everything_and_reload_brings_it_back(tango_host, run):
    shell = make_shell()
    before_exc = (shell.custom_exceptions, shell.CustomTB)
    shell.extension_manager.load_extension("itango")
    assert get_session(shell).wait_ready(30)
    shell.run_cell("pass")
    for name in ("DeviceProxy", "db", "TangoTest"):
        assert name in shell.user_ns
    assert all(shell.find_line_magic(m) for m in MAGIC_NAMES)
    assert len(_our_matchers(shell)) == 1
    assert len(_callbacks(shell, "pre_run_cell")) == 1
    plain = shell.display_formatter.formatters["text/plain"]
    assert _has_printer(plain, tango_core.DeviceProxy)  # itango.display's representation

    shell.extension_manager.unload_extension("itango")
    assert not _has_printer(plain, tango_core.DeviceProxy)
    for name in ("DeviceProxy", "Device", "db", "TangoTest", "DevState"):
        assert name not in shell.user_ns, name
    assert not any(shell.find_line_magic(m) for m in MAGIC_NAMES)
    assert _our_matchers(shell) == []
    assert _callbacks(shell, "pre_run_cell") == [] and _callbacks(shell, "post_run_cell") == []
    assert shell.custom_exceptions == before_exc[0]
    assert get_session(shell) is None

    result, out = run(shell, "%reload_ext itango")
    assert result.success, out
    assert get_session(shell).wait_ready(30)
    result, out = run(shell, "TangoTest('sys/tg_test/1').state()")
    assert result.result == tango_core.DevState.RUNNING
    assert len(_our_matchers(shell)) == 1
    assert shell.custom_exceptions == (tango_core.DevFailed, KeyboardInterrupt, AttributeError,
                                       TypeError, ValueError, OverflowError)
    result, out = run(shell, "%reload_ext itango")
    assert result.success, out
    assert len(_our_matchers(shell)) == 1
    assert len(_callbacks(shell, "pre_run_cell")) == 1
    shell.extension_manager.unload_extension("itango")


def test_unload_keeps_names_the_user_rebound(tango_host):
    shell = make_shell()
    shell.extension_manager.load_extension("itango")
    assert get_session(shell).wait_ready(30)
    shell.run_cell("Device = 'my own'")
    shell.extension_manager.unload_extension("itango")
    assert shell.user_ns["Device"] == "my own"


def test_loading_twice_is_harmless(tango_host):
    shell = make_shell()
    shell.extension_manager.load_extension("itango")
    from itango import load_ipython_extension

    load_ipython_extension(shell)
    assert len(_our_matchers(shell)) == 1
    shell.extension_manager.unload_extension("itango")


def test_without_a_database_the_shell_still_works_with_full_names(tango_host, run, monkeypatch):
    from peers import free_port

    dead = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("TANGO_HOST", dead)
    shell = make_shell()
    result, out = run(shell, "%load_ext itango")
    assert result.success, out
    session = get_session(shell)
    assert session.wait_ready(30)
    assert session.inventory is None
    assert f"{dead} (offline)" == session.prompt_label()
    result, out = run(shell, "db")
    assert f"no database reachable at {dead}" in out
    result, out = run(shell, "%lsdev")
    assert not result.success and f"no database reachable at {dead}" in out
    result, out = run(shell, f"Device('tango://{tango_host}/sys/tg_test/1').state()")
    assert result.result == tango_core.DevState.RUNNING, out
    shell.extension_manager.unload_extension("itango")


def test_a_hung_database_delays_load_ext_and_the_first_cell_only_so_long(tango_host, run,
                                                                          monkeypatch):
    """A database that accepts the connection and never answers: ``%load_ext`` returns
    within LOAD_EXT_WAIT (tango_core import included), and cells run at once afterwards,
    however long the background load takes to give up."""
    import socket

    from itango import session as session_module

    with socket.create_server(("127.0.0.1", 0)) as hung:
        monkeypatch.setenv("TANGO_HOST", f"127.0.0.1:{hung.getsockname()[1]}")
        shell = make_shell()
        try:
            start = time.monotonic()
            result, out = run(shell, "%load_ext itango")
            assert result.success, out
            assert time.monotonic() - start < session_module.LOAD_EXT_WAIT + 0.5
            start = time.monotonic()
            result, out = run(shell, "Device.__name__")
            assert result.result == "DeviceProxy", out
            assert time.monotonic() - start < 1.0
        finally:
            shell.extension_manager.unload_extension("itango")
