"""Attribute writes: for TangoTest's writable attributes and a matrix of awkward Python values,
tango_core must behave like PyTango's client -- same set point read back, or the same kind of
error (TypeError / OverflowError / UnicodeError / DevFailed with the same first reason).
"""

from __future__ import annotations

import numpy as np
import pytest

import tango  # test peer only: the oracle
from tango_core import DevFailed, DeviceProxy

DEV = "sys/tg_test/1"

SCALAR_VALUES = [True, 0, 1, -1, 255, 256, 70000, -40000, 2**31, 2**32, 2**63, 2**64, 1.0, 2.5, "abc", "7",
                 "é", "€", b"ab", [1], np.int64(5), np.float32(1.5), np.bool_(True), np.array([3])]
ARRAY_VALUES = [[], [1, 2], [1.5, 2.5], ["a", "b"], [True, False], [-1], [256], (1, 2), np.arange(3),
                np.array([1.5, -2.5]), 5, "ab", [[1, 2], [3, 4]], np.arange(6).reshape(2, 3), [[1], [2, 3]]]

ATTRIBUTES = ["boolean_scalar", "short_scalar", "ushort_scalar", "long_scalar", "ulong_scalar",
              "long64_scalar", "ulong64_scalar", "float_scalar", "double_scalar", "uchar_scalar",
              "string_scalar", "boolean_spectrum", "short_spectrum", "ushort_spectrum", "long_spectrum",
              "float_spectrum", "double_spectrum", "uchar_spectrum", "string_spectrum", "double_image",
              "ushort_image", "uchar_image", "string_image", "boolean_image", "float_image", "short_image"]


@pytest.fixture(scope="module")
def dev(tango_host, tangotest):
    return DeviceProxy(DEV)


@pytest.fixture(scope="module")
def ref(tango_host, tangotest):
    return tango.DeviceProxy(DEV)


def _outcome(write, read):
    try:
        write()
    except (tango.DevFailed, DevFailed) as exc:
        return ("error", "DevFailed", exc.args[0].reason)
    except OverflowError:
        return ("error", "OverflowError")
    except UnicodeError:
        return ("error", "UnicodeError")
    except (TypeError, ValueError, SystemError):
        return ("error", "TypeError")
    return ("ok", read())


def _norm(v):
    if isinstance(v, np.ndarray):
        return ("ndarray", str(v.dtype), v.shape, v.tolist())
    return v


@pytest.mark.parametrize("attr", ATTRIBUTES)
def test_write_outcomes_match_pytango(dev, ref, attr):
    scalar = attr.endswith("_scalar")
    mismatches = []
    for value in SCALAR_VALUES if scalar else ARRAY_VALUES:
        theirs = _outcome(lambda: ref.write_attribute(attr, value), lambda: _norm(ref.read_attribute(attr).w_value))
        ours = _outcome(lambda: dev.write_attribute(attr, value), lambda: _norm(dev.read_attribute(attr).w_value))
        if ours != theirs:
            mismatches.append((value, ours, theirs))
    assert not mismatches, "\n".join(f"{v!r}: ours={o!r} pytango={t!r}" for v, o, t in mismatches)


NUMERIC_SCALARS = ["boolean_scalar", "short_scalar", "ushort_scalar", "long_scalar", "ulong_scalar", "long64_scalar",
                   "ulong64_scalar", "uchar_scalar", "float_scalar", "double_scalar"]
NUMPY_DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "longlong",
                "ulonglong", "float16", "float32", "float64", "complex128"]


def _numpy_values():
    """Numpy scalars and 0-d arrays of every dtype, in and out of each Tango type's range, plus
    Python values on the edges of the conversion rules."""
    import decimal
    import fractions
    import warnings

    values = []
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for dtype in NUMPY_DTYPES:
            for x in (0, 1, 3, -1, 300, 70000, 2**40):
                zero_d = np.array(x).astype(dtype)
                values += [zero_d, zero_d[()]]
    values += [np.array(2**64 - 1, dtype=np.uint64), np.array("3"), np.array("x"), np.array(b"3"), np.str_("3"),
               np.bytes_(b"3"), np.array(3, dtype=object), np.array([3]), np.array([[3]]), True, False, 2, -1,
               2**63, -(2**63) - 1, 2**64, 3.0, decimal.Decimal("1"), fractions.Fraction(1, 2), 1j, None]
    return values


def _precise_outcome(proxy, attr, value, sentinel):
    """("ok", value read back, its type) after writing ``sentinel`` then ``value``, or ("error",
    exception class, message start): what a user sees, exception types kept apart."""
    import warnings

    proxy.write_attribute(attr, sentinel)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            proxy.write_attribute(attr, value)
    except (tango.DevFailed, DevFailed) as exc:
        return ("error", "DevFailed", exc.args[0].reason)
    except Exception as exc:  # noqa: BLE001 - the class is the observation
        return ("error", type(exc).__name__, str(exc)[:40])
    read = proxy.read_attribute(attr).w_value
    return ("ok", read, type(read).__name__)


@pytest.mark.parametrize("attr", NUMERIC_SCALARS)
def test_numpy_scalars_and_0d_arrays_written_as_pytango_writes_them(dev, ref, attr):
    """0-d arrays of integers go to integer and boolean attributes through numpy's __index__
    (np.array(3) is 3; out of range an OverflowError, np.array(3) to a boolean too); unsigned
    types take Python ints or numpy scalars of exactly their dtype; floats take anything with
    __float__ (a 0-d string array of a number too) -- each outcome, exception class and the value
    that arrives the same as with PyTango's client, against TangoTest."""
    sentinel = True if attr == "boolean_scalar" else 7
    mismatches = []
    for value in _numpy_values():
        if attr == "boolean_scalar":
            sentinel = not sentinel  # so a write that leaves the set point alone cannot pass unseen
        theirs = _precise_outcome(ref, attr, value, sentinel)
        ours = _precise_outcome(dev, attr, value, sentinel)
        if ours != theirs:
            mismatches.append((value, ours, theirs))
    assert not mismatches, "\n".join(f"{v!r}: ours={o!r} pytango={t!r}" for v, o, t in mismatches)


NUMERIC_SPECTRA = ["boolean_spectrum", "short_spectrum", "ushort_spectrum", "long_spectrum", "uchar_spectrum",
                   "float_spectrum", "double_spectrum"]


def _spectrum_values():
    """Two-element lists of each numpy scalar, 0-d array and edge Python value (PyTango converts
    list elements one by one as scalars), and numpy arrays of strings, bytes, objects, complex
    numbers and dates (PyTango casts them with numpy)."""
    values = [[v, v] for v in _numpy_values()]
    values += [[2**1100], [1, 2.5], [True, 2]]
    # what iterating numpy arrays gives (list(array), a computation's numbers), mixed with Python's
    values += [list(np.linspace(-3.5, 70000.25, 7)), list(np.arange(-3, 4)), list(np.arange(250, 260, dtype=np.uint16)),
               [np.float32(1.5), np.int64(-2), 3, 2.5, True], [np.int32(7), np.int8(-1), 2**31 - 1],
               list(np.array([0, 1, 2**32 - 1], dtype=np.uint32)), [np.uint64(2**64 - 1), 1]]
    values += [np.array(["a"]), np.array([b"1"]), np.array(["1"]), np.array(["1.5"]), np.array([""]),
               np.array([1], dtype=object), np.array([None], dtype=object), np.array([1.5], dtype=object),
               np.array([1 + 2j]), np.array(["2020-01-01"], dtype="M8[D]")]
    return values


@pytest.mark.parametrize("attr", NUMERIC_SPECTRA)
def test_list_elements_and_numpy_arrays_of_any_dtype_written_as_pytango_writes_them(dev, ref, attr):
    """Spectrum writes: every element of a list goes through the scalar rules (np.array(3) or
    np.int8(3) in a list to short_spectrum is 3, np.uint8(3) to ushort_spectrum a TypeError, 2 to
    boolean_spectrum an OverflowError); numpy arrays of any dtype are cast by numpy -- the same
    values, or the same exception class and message start, as PyTango's client, against TangoTest."""
    sentinel = [True] if attr == "boolean_spectrum" else [7]
    mismatches = []
    for value in _spectrum_values():
        theirs = _precise_outcome(ref, attr, value, sentinel)
        ours = _precise_outcome(dev, attr, value, sentinel)
        theirs, ours = (tuple(_norm(x) for x in o) for o in (theirs, ours))
        if ours != theirs:
            mismatches.append((value, ours, theirs))
    assert not mismatches, "\n".join(f"{v!r}: ours={o!r} pytango={t!r}" for v, o, t in mismatches)
