"""How errors look: DevFailed short and structured, every other exception untouched."""

from __future__ import annotations

import re

import tango_core
from shell_core_helpers import make_shell


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
    assert itango_shell.custom_exceptions == (tango_core.DevFailed,)


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
