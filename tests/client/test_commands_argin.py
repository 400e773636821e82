"""Command argument checking: for every TangoTest command and a matrix of awkward Python values,
tango_core must do what PyTango's client does -- the same result, or the same kind of error
(TypeError / OverflowError / UnicodeError / DevFailed with the same reasons), raised before
anything is sent.
"""

from __future__ import annotations

import numpy as np
import pytest

import tango  # test peer only: the oracle
from tango_core import DevFailed, DeviceProxy, DevState

DEV = "sys/tg_test/1"

VALUES = [
    None, True, 0, 1, -1, 2, 255, 256, 70000, -40000, 2**31, 2**32, 2**63, -(2**63) - 1, 2**64,
    1.0, 2.5, float("nan"), "abc", "7", "é", "€", b"ab", [], [1, 2], [1.5, 2.5], ["a", "b"], ["é"],
    [True, False], [-1], [256], (1, 2), np.arange(3), np.array([1.5, -2.5]), np.int64(5), np.float32(1.5),
    np.bool_(True), [[1, 2], ["a"]], ([1.5], ["x"]), [[1], "a"], {"a": 1}, DevState.ON,
]

COMMANDS = ["DevBoolean", "DevShort", "DevUShort", "DevLong", "DevULong", "DevLong64", "DevULong64",
            "DevFloat", "DevDouble", "DevString", "DevVarCharArray", "DevVarShortArray", "DevVarUShortArray",
            "DevVarLongArray", "DevVarULongArray", "DevVarLong64Array", "DevVarULong64Array",
            "DevVarFloatArray", "DevVarDoubleArray", "DevVarStringArray", "DevVarLongStringArray",
            "DevVarDoubleStringArray", "DevVoid"]


@pytest.fixture(scope="module")
def dev(tango_host, tangotest):
    return DeviceProxy(DEV)


@pytest.fixture(scope="module")
def ref(tango_host, tangotest):
    return tango.DeviceProxy(DEV)


def _outcome(call):
    """('ok', value) or ('error', kind, reasons) -- what a user can observe."""
    try:
        return ("ok", call())
    except (tango.DevFailed, DevFailed) as exc:
        return ("error", "DevFailed", tuple(e.reason for e in exc.args))
    except OverflowError:
        return ("error", "OverflowError")
    except UnicodeError:
        return ("error", "UnicodeError")
    except (TypeError, ValueError):
        return ("error", "TypeError")
    except SystemError:  # PyTango's own bug for some inputs; counts as a refused argument
        return ("error", "TypeError")


def _equal(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b) == 2 and isinstance(b[0], np.ndarray):
        return _equal(a[0], b[0]) and a[1] == b[1]
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("cmd", COMMANDS)
def test_argin_outcomes_match_pytango(dev, ref, cmd):
    mismatches = []
    for value in VALUES:
        theirs = _outcome(lambda: ref.command_inout(cmd, value))
        ours = _outcome(lambda: dev.command_inout(cmd, value))
        if theirs[0] == "ok" and ours[0] == "ok":
            if not _equal(ours[1], theirs[1]):
                mismatches.append((value, ours, theirs))
        elif theirs[0] == "error" and theirs[1] == "DevFailed" and theirs[2][0].startswith("API_"):
            # a server-side refusal: we must fail too (we may refuse earlier, client-side)
            if ours[0] != "error":
                mismatches.append((value, ours, theirs))
        elif ours != theirs:
            mismatches.append((value, ours, theirs))
    assert not mismatches, "\n".join(f"{v!r}: ours={o!r} pytango={t!r}" for v, o, t in mismatches)


NUMERIC_ARRAY_COMMANDS = ["DevVarCharArray", "DevVarShortArray", "DevVarUShortArray", "DevVarLongArray",
                          "DevVarULongArray", "DevVarLong64Array", "DevVarULong64Array", "DevVarFloatArray",
                          "DevVarDoubleArray", "DevVarLongStringArray", "DevVarDoubleStringArray"]


def _array_argins():
    """Two-element lists of numpy scalars, 0-d arrays and edge values of every dtype (from the
    attribute write matrix), out-of-range plain ints, and numpy arrays of strings, bytes,
    objects, complex numbers and dates."""
    from test_device_write_matrix import _numpy_values

    values = [[v, v] for v in _numpy_values()]
    values += [[70000], [-40000], [2**31], [2**32], [-(2**63) - 1], [2**1100], [1, 2.5], [True, 2], [1.5]]
    # what iterating numpy arrays gives (list(array), a computation's numbers), mixed with Python's
    values += [list(np.linspace(-3.5, 70000.25, 7)), list(np.arange(-3, 4)), list(np.arange(250, 260, dtype=np.uint16)),
               [np.float32(1.5), np.int64(-2), 3, 2.5, True], [np.int32(7), np.int8(-1), 2**31 - 1],
               list(np.array([0, 1, 2**32 - 1], dtype=np.uint32)), [np.uint64(2**64 - 1), 1],
               [np.longdouble(1.25), np.float16(0.5)]]
    values += [np.array(x) for x in (["a"], [b"1"], ["1"], ["1.5"], [""])]
    values += [np.array([1], dtype=object), np.array([None], dtype=object), np.array([1.5], dtype=object),
               np.array([1 + 2j]), np.array(["2020-01-01"], dtype="M8[D]")]
    return values


def _precise_outcome(call):
    """("ok", the reply as plain lists) or ("error", exception class or DevFailed reasons, message
    start): exception classes kept apart (ValueError is not TypeError here)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reply = call()
    except (tango.DevFailed, DevFailed) as exc:
        return ("error", "DevFailed", tuple(e.reason for e in exc.args))
    except Exception as exc:  # noqa: BLE001 - the class is the observation
        return ("error", type(exc).__name__, str(exc)[:30])
    def plain(numbers):  # NaN as None, so that two NaN replies compare equal
        numbers = np.asarray(numbers)
        return (numbers.dtype.str, [None if x != x else x for x in numbers.tolist()])

    if isinstance(reply, (list, tuple)) and len(reply) == 2:
        return ("ok", plain(reply[0]), list(reply[1]))
    return ("ok", plain(reply))


@pytest.mark.parametrize("cmd", NUMERIC_ARRAY_COMMANDS)
def test_numeric_array_argins_convert_each_element_as_pytango_does(dev, ref, cmd):
    """List elements go through the scalar rules ([70000] to DevVarShortArray is PyTango's
    OverflowError, not a wrapped 4464; [np.array(3)] is [3]; [np.uint8(3)] to DevVarUShortArray a
    TypeError), DevVarCharArray's wrap to 8 bits, numpy arrays of any dtype are cast by numpy --
    the same reply, or the same exception class and message start, as PyTango's client."""
    mismatches = []
    for value in _array_argins():
        argin = (value, ["s"]) if "String" in cmd else value
        theirs = _precise_outcome(lambda: ref.command_inout(cmd, argin))
        ours = _precise_outcome(lambda: dev.command_inout(cmd, argin))
        if ours != theirs:
            mismatches.append((value, ours, theirs))
    assert not mismatches, "\n".join(f"{v!r}: ours={o!r} pytango={t!r}" for v, o, t in mismatches)
