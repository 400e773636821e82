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
