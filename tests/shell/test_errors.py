"""How errors look: DevFailed short and structured, every other exception untouched."""

from __future__ import annotations

import re

import tango_core
from shells import make_shell


def test_devfailed_is_two_readable_lines_and_a_hint(itango_shell, run):
    result, out = run(itango_shell, "Device('sys/tg_test/2')")
    assert isinstance(result.error_in_exec, tango_core.DevFailed)
    lines = out.strip().splitlines()
    assert len(lines) == 2, out
    assert re.match(r"(DevFailed|ConnectionFailed): DB_DeviceNotDefined: "
                    r"device sys/tg_test/2 not defined", lines[0]), lines[0]
    assert "origin: DataBase::ImportDevice()" in lines[1]
    assert "%tango_error" in lines[1]
    assert "Traceback" not in out


def test_a_failing_call_on_a_non_exported_device(itango_shell, run):
    result, out = run(itango_shell, "Device('sys/access_control/1').state()")
    assert isinstance(result.error_in_exec, tango_core.DevFailed)
    assert "API_DeviceNotExported: Device sys/access_control/1 is not exported" in out
    assert "Traceback" not in out


def test_other_exceptions_keep_the_ipython_traceback(itango_shell, run):
    result, out = run(itango_shell, "def f():\n    return {}['missing']\nf()")
    assert isinstance(result.error_in_exec, KeyError)
    assert "Traceback (most recent call last)" in out
    assert "return {}['missing']" in out
    assert itango_shell.custom_exceptions == (tango_core.DevFailed, KeyboardInterrupt, AttributeError,
                                              TypeError, ValueError, OverflowError)
    result, out = run(itango_shell, "[].foo")  # AttributeErrors go through the handler, untouched
    assert isinstance(result.error_in_exec, AttributeError)
    assert "Traceback (most recent call last)" in out and "----> 1 [].foo" in out
    assert "AttributeError: 'list' object has no attribute 'foo'" in out



def test_a_bad_argument_traceback_goes_from_the_users_line_to_the_check_that_refused_it(itango_shell, run):
    """A wrong value (a TypeError, ValueError or OverflowError raised by the client's checks)
    keeps IPython's traceback form, but only the user's line and the check that refused the
    value: the plumbing between (the green-mode wrapper, the plan runner, ``dev.attr`` /
    ``dev.Cmd()`` dispatch, the encoders) is left out and counted; %python_error shows it."""
    from itango.errors import bad_value_hint

    cases = (("dev = Device('sys/tg_test/1'); dev.command_inout('DevLong', 2**40)", OverflowError,
              "OverflowError: Value is too large."),
             ("dev = Device('sys/tg_test/1'); dev.DevLong(2**40)", OverflowError, "OverflowError: Value is too large."),
             ("dev = Device('sys/tg_test/1'); dev.double_scalar = 'abc'", TypeError, "TypeError: Expecting a numeric type"),
             ("dev = Device('sys/tg_test/1'); dev.double_spectrum = [1, 'a']", TypeError,
              "TypeError: Expecting a numeric type"))
    for cell, etype, message in cases:
        result, out = run(itango_shell, cell)
        assert isinstance(result.error_in_exec, etype), out
        lines = out.strip().splitlines()
        assert "Traceback (most recent call last)" in out and "----> 1 dev = Device" in out
        assert lines[-1].startswith("(the client library refused the value; ") and "%python_error" in lines[-1]
        assert message in lines[-2], out
        frames = [line for line in lines if line.startswith("File ")]
        assert len(frames) == 2 and "ipython-input" in frames[0], out  # the user's line
        assert "tango_core" in frames[1], out  # the check that refused the value
        for relay in ("green.py", "calls.py", "in run_blocking", "in __setattr__", "in __call__"):
            assert relay not in out, (relay, out)
        left_out = int(lines[-1].split("; ")[1].split()[0])
        assert lines[-1] == bad_value_hint(left_out) and left_out >= 1
        _result, full = run(itango_shell, "%python_error")
        assert full.count("tango_core") > 1 and message in full, full
    # refused by the first frame past the relays: nothing to leave out, IPython's traceback as it is
    result, out = run(itango_shell, "dev = Device('sys/tg_test/1'); dev.read_attribute(3)")
    assert isinstance(result.error_in_exec, TypeError)
    lines = out.strip().splitlines()
    assert lines[-1] == "TypeError: read_attribute(): the attribute name must be a str, not int", out
    assert "skipping hidden" in out and "green.py" not in out and "calls.py" not in out


def test_bad_values_refused_by_the_users_own_code_keep_the_whole_traceback(itango_shell, run):
    for cell, etype in (("def check(v):\n    raise ValueError('too big')\ncheck(3)", ValueError),
                        ("int('x')", ValueError), ("1 + 'a'", TypeError), ("2.0 ** 10000", OverflowError)):
        result, out = run(itango_shell, cell)
        assert isinstance(result.error_in_exec, etype), out
        assert "Traceback (most recent call last)" in out
        assert "client library refused" not in out


def test_an_attribute_of_a_device_that_is_down_says_why_in_three_lines(itango_shell, run):
    """``dev.attr`` on a device whose server is not running is an AttributeError raised from
    the DevFailed that says why (as PyTango): shown short, with that DevFailed's reason, and
    %tango_error gives its stack; no traceback through the client library."""
    for cell, first in (("dev = Device('sys/access_control/1'); dev.double_scalar", "AttributeError: double_scalar"),
                        ("dev = Device('sys/access_control/1'); dev.double_scalar = 1.0", "AttributeError: Tried to set non-existent attr "
                                                    "'double_scalar' to 1.0.")):
        result, out = run(itango_shell, cell)
        assert isinstance(result.error_in_exec, AttributeError)
        lines = out.strip().splitlines()
        assert len(lines) == 3, out
        assert lines[0] == first
        assert lines[1] == ("  caused by ConnectionFailed: API_DeviceNotExported: Device sys/access_control/1 "
                            "is not exported (hint: try starting the device server)")
        assert "origin: DeviceProxy::get_corba_name()" in lines[2] and "%tango_error" in lines[2]
        assert "Traceback" not in out
        _result, out = run(itango_shell, "%tango_error")
        assert "reason   = API_DeviceNotExported" in out and "sys/access_control/1 is not exported" in out


def test_front_ends_receive_the_devfailed_as_a_structured_traceback(tango_host):
    """A kernel shows errors through _showtraceback(etype, value, stb): check that path."""
    shell = make_shell()
    shown = []
    shell._showtraceback = lambda etype, value, stb: shown.append((etype, value, stb))
    shell.extension_manager.load_extension("itango")
    try:
        shell.run_cell("Device('sys/tg_test/2')")
        assert len(shown) == 1
        etype, value, stb = shown[0]
        assert issubclass(etype, tango_core.DevFailed)
        assert isinstance(stb, list) and all(isinstance(line, str) for line in stb)
        assert "DB_DeviceNotDefined" in stb[0]
    finally:
        shell.extension_manager.unload_extension("itango")


def _interrupt_main_after(seconds: float) -> None:
    """Deliver SIGINT to the main thread (so a select() in progress returns at once), as
    Ctrl-C in a terminal does."""
    import signal
    import threading

    main = threading.main_thread().ident
    timer = threading.Timer(seconds, lambda: signal.pthread_kill(main, signal.SIGINT))
    timer.daemon = True
    timer.start()


def test_ctrl_c_during_a_slow_call_shows_the_users_code_not_the_client_library(
        itango_shell, run, db_server):
    import signal
    import time

    from itango.errors import INTERRUPTED

    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    device = db_server.devices[0]
    run(itango_shell, f"slow = Device({device!r}); slow.ping()")
    _interrupt_main_after(0.5)
    start = time.monotonic()
    result, out = run(itango_shell, "slow.Sleep(2.5)")
    assert time.monotonic() - start < 2.0  # Ctrl-C stops the wait at once
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert "slow.Sleep(2.5)" in out and "KeyboardInterrupt" in out and INTERRUPTED in out
    assert "tango_core" not in out and "select" not in out, out
    time.sleep(2.5)  # the server finishes the abandoned call; the proxy works on
    result, out = run(itango_shell, "slow.state()")
    assert result.success, out


def test_ctrl_c_elsewhere_keeps_the_ipython_traceback(itango_shell, run):
    _interrupt_main_after(0.3)
    result, out = run(itango_shell, "import time\nfor _ in range(50): time.sleep(0.1)")
    assert isinstance(result.error_in_exec, KeyboardInterrupt)
    assert "time.sleep(0.1)" in out and "KeyboardInterrupt" in out
    from itango.errors import INTERRUPTED
    assert INTERRUPTED not in out


def test_a_misspelt_device_name_gets_a_suggestion(itango_shell, run):
    result, out = run(itango_shell, "Device('sys/tg_tset/1')")
    assert isinstance(result.error_in_exec, tango_core.DevFailed)
    lines = out.strip().splitlines()
    assert len(lines) == 2, out
    assert lines[0].endswith("not defined in the database ! Did you mean 'sys/tg_test/1'?"), out
    # nothing close: no suggestion
    result, out = run(itango_shell, "Device('zz/qq/9')")
    assert "Did you mean" not in out


def test_ctrl_c_during_the_first_cells_tango_core_import_is_held_back_not_a_traceback():
    """The first cell imports tango_core on the main thread (slow on a loaded machine): a
    Ctrl-C then must not break the import with a traceback; it is kept and ends the wait for
    the device list instead (see test_cli's hung-database test for the whole path)."""
    import os
    import signal
    import time

    from itango.session import _ctrl_c_held_back

    before = signal.getsignal(signal.SIGINT)
    with _ctrl_c_held_back() as pressed:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs between bytecodes of this thread
    assert pressed == [True]
    assert signal.getsignal(signal.SIGINT) is before


def test_a_misspelt_attribute_or_command_of_a_device_gets_a_did_you_mean(itango_shell, run):
    """``dev.nmae`` on a name the device lacks: IPython's traceback, then one line with the
    device's names that look like it (from the names the proxy already has)."""
    cases = (("dev = Device('sys/tg_test/1'); dev.doubel_scalar", "AttributeError: doubel_scalar",
              "(sys/tg_test/1 has no attribute or command 'doubel_scalar'. Did you mean 'double_scalar'"),
             ("dev = Device('sys/tg_test/1'); dev.DevStrng('a')", "AttributeError: DevStrng",
              "(sys/tg_test/1 has no attribute or command 'DevStrng'. Did you mean 'DevString'"),
             ("dev = Device('sys/tg_test/1'); dev.doubel_scalar = 1.5", "AttributeError: Tried to set non-existent attr",
              "(sys/tg_test/1 has no attribute 'doubel_scalar'. Did you mean 'double_scalar'"))
    for cell, error, hint in cases:
        result, out = run(itango_shell, cell)
        assert isinstance(result.error_in_exec, AttributeError), out
        lines = out.strip().splitlines()
        assert "----> 1 dev = Device" in out and any(line.startswith(error) for line in lines), out
        assert lines[-1].startswith(hint), out
        assert "device_proxy.py" not in out, out
    # nothing close: the traceback alone, as for any AttributeError
    result, out = run(itango_shell, "dev = Device('sys/tg_test/1'); dev.zzzzqqqq")
    assert isinstance(result.error_in_exec, AttributeError)
    assert out.strip().splitlines()[-1] == "AttributeError: zzzzqqqq", out
