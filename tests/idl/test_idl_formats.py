"""The exact str/repr texts PyTango 10.3.1 prints (shared/briefs/pytango-api.md §2.5-§2.7),
checked without needing PyTango installed (test_idl_pytango_oracle.py compares live)."""

from __future__ import annotations

import sys

from tango_core.idl.enums import AttrDataFormat, AttrQuality, CmdArgType, DevState, ErrSeverity, EventType
from tango_core.idl.errors import DevError, DevFailed, Except, NonDbDevice
from tango_core.idl.types import TimeVal


def _raised(fn, *args):
    try:
        fn(*args)
    except DevFailed as exc:
        return exc
    raise AssertionError("nothing raised")


def test_throw_exception_str_and_repr():
    e = _raised(Except.throw_exception, "MyReason", "my desc", "my origin")
    assert str(e) == ("DevFailed[\n"
                      "    DevError[\n"
                      "        desc = my desc\n"
                      "        origin = my origin\n"
                      "        reason = MyReason\n"
                      "        severity = ERR\n"
                      "    ]\n"
                      "]")
    assert repr(e) == ("DevFailed(args = (DevError(desc = 'my desc', origin = 'my origin', "
                       "reason = 'MyReason', severity = <ErrSeverity.ERR: 1>),))")


def test_empty_dev_failed():
    assert str(DevFailed()) == "DevFailed[\n\n]"
    assert repr(DevFailed()) == "DevFailed(args = ())"
    assert DevFailed().args == ()


def test_several_errors_and_multiline_fields():
    e = NonDbDevice(DevError("A", "line1\nline2", "o", ErrSeverity.WARN), DevError("B", "d", "o1\no2"))
    assert str(e) == ("DevFailed[\n"
                      "    DevError[\n"
                      "        desc = line1\n"
                      "            line2\n"
                      "        origin = o\n"
                      "        reason = A\n"
                      "        severity = WARN\n"
                      "    ],\n"
                      "    DevError[\n"
                      "        desc = d\n"
                      "        origin = o1\n"
                      "            o2\n"
                      "        reason = B\n"
                      "        severity = WARN\n"
                      "    ]\n"
                      "]")
    assert repr(e).startswith("DevFailed(args = (DevError(desc = 'line1\\nline2', ")


def test_default_dev_error():
    assert repr(DevError()) == "DevError(desc = '', origin = '', reason = '', severity = <ErrSeverity.WARN: 0>)"
    assert str(DevError()) == "DevError[\n    desc = \n    origin = \n    reason = \n    severity = WARN\n]"


def test_itango_error_line():
    """ITango prints '%s: %s' % (args[0].reason, args[0].desc) for Tango errors."""
    e = DevFailed(DevError("DB_DeviceNotDefined", "device sys/tg_test/2 not defined in the database !"))
    assert "%s: %s" % (e.args[0].reason, e.args[0].desc) == \
        "DB_DeviceNotDefined: device sys/tg_test/2 not defined in the database !"


def test_enum_text_forms():
    assert (str(DevState.ON), repr(DevState.ON), f"{DevState.ON}", "%d" % DevState.ON) == \
        ("ON", "<DevState.ON: 0>", "ON", "0")
    # a format spec formats the integer on Python 3.11+, the name on 3.10 (enum's rule there, and
    # so PyTango's: tests/idl/test_idl_pytango_oracle.py compares with it)
    assert format(DevState.RUNNING, ">9") == ("       10" if sys.version_info >= (3, 11) else "  RUNNING")
    assert str(AttrQuality.ATTR_VALID) == "ATTR_VALID"
    assert repr(AttrDataFormat.SCALAR) == "<AttrDataFormat.SCALAR: 0>"
    assert repr(CmdArgType.DevDouble) == "<CmdArgType.DevDouble: 5>"
    assert DevState.values[10] is DevState.RUNNING and DevState.names["FAULT"] is DevState.FAULT
    assert [int(e) for e in EventType] == [0, 2, 3, 4, 5, 6, 7, 9]
    assert {AttrQuality.ATTR_VALID: "x"}[0] == "x" and DevState.ON == 0


def test_timeval_repr():
    assert repr(TimeVal(1795502493, 486797, 946)) == "TimeVal(tv_nsec = 946, tv_sec = 1795502493, tv_usec = 486797)"
    tv = TimeVal(1.25)
    assert (tv.tv_sec, tv.tv_usec, tv.tv_nsec) == (1, 250000, 0)
    assert tv.totime() == 1.25
