"""The data-type tables of idl.enums agree with each other, with the CDR codec and with
the TypeCodes cppTango puts in command ``any``s (captured in typecodes_clean.txt)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tango_core.idl import enums as E
from tango_core.idl.command_any import command_typecode
from tango_core.idl.errors import (
    ConnectionFailed, DevError, DevFailed, MultiDevFailed, NamedDevError, NamedDevFailed, NamedDevFailedList,
)
from tango_core.idl.types import TimeVal
from tango_core.wire.cdr import PRIMITIVE_DTYPES
from tango_core.wire.typecode import cdr_kind

T = E.CmdArgType
A = E.AttributeDataType


def test_scalar_kinds_and_dtypes_agree_with_the_cdr_codec():
    for t, kind in E.SCALAR_KIND.items():
        if t in (T.DevState,):
            continue  # an enum on the wire, a DevState member in Python
        assert E.SCALAR_DTYPE[t] == PRIMITIVE_DTYPES[kind], t


@pytest.mark.parametrize("array_type", list(E.ARRAY_ELEMENT_TYPE), ids=lambda t: t.name)
def test_array_element_kind_matches_cpptango_typecode(array_type):
    """cppTango's TypeCode for DevVar<X>Array is alias -> sequence<kind of X>."""
    seq = command_typecode(array_type).unalias()
    elem = E.element_type_of(array_type)
    expected = E.cdr_kind_of(array_type)
    if expected is not None and elem != T.DevState:
        assert cdr_kind(seq.content_type.unalias()) == expected
    assert E.ARRAY_TYPE_OF[elem] is array_type
    assert E.is_array_type(array_type) and not E.is_array_type(elem)


def test_every_union_arm_has_a_data_type_and_back():
    for arm in A:
        dt = E.data_type_for_arm(arm)
        if arm in (A.DEVICE_STATE, A.ATT_NO_DATA):
            continue  # DevState values use ATT_STATE except the State attribute; no-data has no type
        assert E.arm_for_data_type(dt) is arm
    assert E.arm_for_data_type(T.DevEnum) is A.ATT_SHORT  # as captured (protocol.md §3.6)
    assert E.arm_for_data_type(T.DevState) is A.ATT_STATE
    with pytest.raises(ValueError):
        E.arm_for_data_type(T.DevVarDoubleArray)
    with pytest.raises(ValueError):
        E.arm_for_data_type(12345)


def test_numeric_arm_kinds_match_the_data_type_dtypes():
    for arm, kind in E.ARM_KIND.items():
        dt = E.data_type_for_arm(arm)
        if dt in E.SCALAR_DTYPE:
            assert PRIMITIVE_DTYPES[kind] == E.SCALAR_DTYPE[dt], arm


def test_numpy_dtype_of_arrays_and_scalars():
    assert E.numpy_dtype_of(T.DevVarDoubleArray) == np.float64
    assert E.numpy_dtype_of(T.DevUChar) == np.uint8
    assert E.numpy_dtype_of(T.DevVarBooleanArray) == np.bool_
    assert E.numpy_dtype_of(T.DevString) is None and E.cdr_kind_of(T.DevVarStringArray) is None
    assert E.cdr_kind_of(T.DevEnum) == "short"


def test_event_wire_names():
    assert E.EVENT_WIRE_NAMES[E.EventType.USER_EVENT] == "user_event"
    assert E.EVENT_TYPE_BY_WIRE_NAME["intr_change"] is E.EventType.INTERFACE_CHANGE_EVENT
    assert set(E.EVENT_WIRE_NAMES) == set(E.EventType)
    assert E.EventType.ALARM_EVENT not in E.IDL5_PREFIXED_EVENTS
    assert E.EventType.ATTR_CONF_EVENT in E.IDL5_PREFIXED_EVENTS


def test_enums_and_errors_import_without_numpy():
    """The shell imports these before its first prompt; numpy costs ~90 ms there."""
    code = ("import sys; import tango_core.idl.enums, tango_core.idl.errors; "
            "assert 'numpy' not in sys.modules, 'numpy was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=Path(__file__).resolve().parents[2])


# ---------------------------------------------------------------------------
# plain-Python behaviour of the error and time types

def test_errors_and_timeval_pickle():
    err = DevError("R", "d", "o", E.ErrSeverity.PANIC)
    for obj in (err, DevFailed(err, DevError()), ConnectionFailed(err), TimeVal(1, 2, 3),
                MultiDevFailed([NamedDevError("a", 1, [err])])):
        back = pickle.loads(pickle.dumps(obj))
        assert type(back) is type(obj)
        if isinstance(obj, BaseException):
            assert back.args == obj.args and repr(back) == repr(obj)
        else:
            assert back == obj
    assert pickle.loads(pickle.dumps(MultiDevFailed([NamedDevError("a", 1, [err])]))).errors[0].name == "a"


def test_dev_failed_from_reason_and_severity_coercion():
    exc = ConnectionFailed.from_reason("API_X", "desc", "origin")
    assert type(exc) is ConnectionFailed
    (e,) = exc.args
    assert (e.reason, e.desc, e.origin, e.severity) == ("API_X", "desc", "origin", E.ErrSeverity.ERR)
    e.severity = 2
    assert e.severity is E.ErrSeverity.PANIC
    e.severity = 9  # out of range on the wire: kept as the number, never an exception
    assert e.severity == 9 and "severity = 9" in str(e)


def test_named_dev_failed_list():
    named = NamedDevFailed.from_named_dev_error(NamedDevError("attr", 2, [DevError("R")]))
    assert (named.name, named.idx_in_call, named.err_stack[0].reason) == ("attr", 2, "R")
    lst = NamedDevFailedList([named])
    assert lst.call_failed() and lst.get_faulty_attr_nb() == 1
    assert not NamedDevFailedList().call_failed()
