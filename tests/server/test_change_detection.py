"""Change/archive/alarm/periodic event decisions (tango_core/server/change_detection.py), by
cppTango's rules (EventSupplier::detect_change): thresholds, quality and error transitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tango_core.idl import types as T
from tango_core.idl.enums import AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType, DevState
from tango_core.idl.errors import DevError
from tango_core.server.change_detection import (AlarmDetector, ChangeDetector, PeriodicTimer, parse_thresholds,
                                                period_with_tolerance, value_changed)

A = AttributeDataType
Q = AttrQuality


def reading(value, arm=A.ATT_DOUBLE, quality=Q.ATTR_VALID):
    if arm in (A.ATT_STRING, A.ATT_STATE, A.ATT_ENCODED, A.DEVICE_STATE):
        v = value
    else:
        v = np.atleast_1d(np.asarray(value, dtype={A.ATT_DOUBLE: np.float64, A.ATT_FLOAT: np.float32,
                                                    A.ATT_LONG: np.int32, A.ATT_BOOL: np.bool_,
                                                    A.ATT_ULONG64: np.uint64}.get(arm, np.float64)))
    return T.AttributeValue_5(T.AttrValUnion(arm, v), quality, AttrDataFormat.SCALAR, CmdArgType.DevDouble,
                              T.TimeVal(1.0), "x", T.AttributeDim(1, 0), T.AttributeDim(0, 0), [])


ERR = [DevError("PyDs_PythonError", "ValueError: boom\n", "read_x")]
ERR2 = [DevError("PyDs_PythonError", "ValueError: other\n", "read_x")]


@pytest.mark.parametrize("text, expected", [
    ("0.1", (-0.1, 0.1)), ("-0.5,2", (-0.5, 2.0)), ("3", (-3.0, 3.0)), (0.25, (-0.25, 0.25)),
    ("Not specified", None), ("", None), (None, None), ("0", None), ("junk", None), ("NaN", None),
])
def test_threshold_properties_are_read_like_cpptango(text, expected):
    assert parse_thresholds(text) == expected


def test_abs_change_fires_at_the_threshold_with_float_rounding_slack():
    d = ChangeDetector()
    abs_ = parse_thresholds("0.1")
    assert d.check(reading(0.2), None, abs_, None)          # first reading: always
    assert not d.check(reading(0.25), None, abs_, None)
    assert d.check(reading(0.3), None, abs_, None)          # 0.3 - 0.2 is 0.09999999999999998
    assert not d.check(reading(0.35), None, abs_, None)     # compared with the last *sent* 0.3
    assert d.check(reading(0.2), None, abs_, None)          # downwards too


def test_asymmetric_pair_and_integers():
    d = ChangeDetector()
    pair = parse_thresholds("-1,5")
    assert d.check(reading(10, A.ATT_LONG), None, pair, None)
    assert not d.check(reading(14, A.ATT_LONG), None, pair, None)
    assert d.check(reading(9, A.ATT_LONG), None, pair, None)
    assert not d.check(reading(13, A.ATT_LONG), None, pair, None)
    assert d.check(reading(14, A.ATT_LONG), None, pair, None)


def test_rel_change_in_percent_and_zero_old_value():
    rel = parse_thresholds("10")
    assert not value_changed(A.ATT_DOUBLE, np.array([100.0]), np.array([109.0]), None, rel)
    assert value_changed(A.ATT_DOUBLE, np.array([100.0]), np.array([110.0]), None, rel)
    assert value_changed(A.ATT_DOUBLE, np.array([100.0]), np.array([89.0]), None, rel)
    assert value_changed(A.ATT_DOUBLE, np.array([0.0]), np.array([0.001]), None, rel)   # 100 % from zero
    assert not value_changed(A.ATT_DOUBLE, np.array([0.0]), np.array([0.0]), None, rel)


def test_without_criteria_numbers_never_fire_but_quality_does():
    d = ChangeDetector()
    assert d.check(reading(1.0), None, None, None)
    assert not d.check(reading(1000.0), None, None, None)
    assert d.check(reading(1000.0, quality=Q.ATTR_ALARM), None, None, None)
    assert not d.check(reading(5.0, quality=Q.ATTR_ALARM), None, None, None)


def test_invalid_quality_transitions():
    d = ChangeDetector()
    abs_ = parse_thresholds(1)
    d.check(reading(1.0), None, abs_, None)
    assert d.check(reading(1.0, quality=Q.ATTR_INVALID), None, abs_, None)
    assert not d.check(reading(50.0, quality=Q.ATTR_INVALID), None, abs_, None)
    assert d.check(reading(1.0), None, abs_, None)


def test_errors_fire_once_per_distinct_stack_and_recovery_fires():
    d = ChangeDetector()
    abs_ = parse_thresholds(1)
    d.check(reading(1.0), None, abs_, None)
    assert d.check(None, ERR, abs_, None)
    assert not d.check(None, ERR, abs_, None)
    assert d.check(None, ERR2, abs_, None)
    assert d.check(reading(1.0), None, abs_, None)


def test_spectrum_size_change_and_any_element():
    abs_ = parse_thresholds(1)
    assert value_changed(A.ATT_DOUBLE, np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]), abs_, None)
    assert value_changed(A.ATT_DOUBLE, np.array([1.0, 2.0]), np.array([1.0, 3.0]), abs_, None)
    assert not value_changed(A.ATT_DOUBLE, np.array([1.0, 2.0]), np.array([1.5, 2.5]), abs_, None)
    # a size change fires even without criteria
    assert value_changed(A.ATT_DOUBLE, np.array([1.0]), np.array([1.0, 1.0]), None, None)


def test_nan_appearing_or_disappearing_is_a_change():
    abs_ = parse_thresholds(1)
    assert value_changed(A.ATT_DOUBLE, np.array([1.0]), np.array([math.nan]), abs_, None)
    assert value_changed(A.ATT_DOUBLE, np.array([math.nan]), np.array([1.0]), abs_, None)
    assert not value_changed(A.ATT_DOUBLE, np.array([math.nan]), np.array([math.nan]), abs_, None)


@pytest.mark.parametrize("arm, old, new, changed", [
    (A.ATT_STRING, ["a"], ["a"], False),
    (A.ATT_STRING, ["a"], ["b"], True),
    (A.ATT_BOOL, np.array([True]), np.array([True]), False),
    (A.ATT_BOOL, np.array([True]), np.array([False]), True),
    (A.DEVICE_STATE, DevState.ON, DevState.ON, False),
    (A.DEVICE_STATE, DevState.ON, DevState.ALARM, True),
    (A.ATT_STATE, [DevState.ON], [DevState.OFF], True),
    (A.ATT_ENCODED, [T.DevEncoded("a", b"\x01")], [T.DevEncoded("a", b"\x01")], False),
    (A.ATT_ENCODED, [T.DevEncoded("a", b"\x01")], [T.DevEncoded("b", b"\x01")], True),
    (A.ATT_ENCODED, [T.DevEncoded("a", b"\x01")], [T.DevEncoded("a", b"\x01\x02")], True),
])
def test_non_numeric_types_fire_on_any_difference_without_criteria(arm, old, new, changed):
    assert value_changed(arm, old, new, None, None) is changed


def test_alarm_events_follow_quality_and_errors_only():
    d = AlarmDetector()
    assert d.check(reading(1.0), None)
    assert not d.check(reading(99.0), None)
    assert d.check(reading(99.0, quality=Q.ATTR_ALARM), None)
    assert not d.check(reading(98.0, quality=Q.ATTR_ALARM), None)
    assert d.check(None, ERR)
    assert not d.check(None, ERR)
    assert d.check(reading(1.0), None)


def test_periodic_timer_with_cpptango_tolerance():
    assert period_with_tolerance(1000) == 980
    assert period_with_tolerance(6000) == 5900
    t = PeriodicTimer()
    assert t.due(0, 1000)
    assert not t.due(500, 1000)
    assert not t.due(980, 1000)
    assert t.due(981, 1000)
    assert not t.due(1500, 1000)
    assert t.due(1990, 1000)
