"""Property tests: whatever a user writes with tango_core, PyTango reads back the same, and the
other way round (PyTango no-DB server; Hypothesis picks the values)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tango  # test peer only: the oracle
from tango_core import DeviceProxy

LATIN1_TEXT = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=40)
FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def pair(nodb_server):
    return DeviceProxy(nodb_server.device), tango.DeviceProxy(nodb_server.device)


@SETTINGS
@given(values=st.lists(st.floats(min_value=-1e300, max_value=1e300), max_size=100))
def test_double_spectrum_both_ways(pair, values):
    ours, ref = pair
    ours.write_attribute("double_spectrum_rw", values)
    np.testing.assert_array_equal(ref.read_attribute("double_spectrum_rw").value,
                                  np.asarray(values, dtype=float).reshape(-1))
    ref.write_attribute("double_spectrum_rw", values[::-1])
    got = ours.read_attribute("double_spectrum_rw").value
    assert got.dtype == np.float64 and got.tolist() == [float(v) for v in values[::-1]]


@SETTINGS
@given(text=LATIN1_TEXT)
def test_latin1_strings_both_ways(pair, text):
    ours, ref = pair
    ours.write_attribute("string_rw", text)
    assert ref.read_attribute("string_rw").value == text
    assert ours.EchoString(text) == ref.EchoString(text) == text


@SETTINGS
@given(strings=st.lists(LATIN1_TEXT, max_size=8), numbers=st.lists(st.integers(-2**31, 2**31 - 1), max_size=8))
def test_long_string_array_commands(pair, strings, numbers):
    ours, ref = pair
    a = ours.EchoLongString([numbers, strings])
    b = ref.EchoLongString([numbers, strings])
    assert a[0].tolist() == b[0].tolist() == numbers and a[1] == b[1] == strings


@SETTINGS
@given(x=st.integers(-2**63, 2**63 - 1), y=st.integers(0, 2**64 - 1), d=FINITE)
def test_64bit_and_double_scalars(pair, x, y, d):
    ours, ref = pair
    assert ours.EchoLong64(x) == ref.EchoLong64(x) == x
    assert ours.EchoULong64(y) == y
    assert ours.EchoDouble(d) == d
    ours.write_attribute("long64_rw", x)
    assert ref.read_attribute("long64_rw").value == x
