"""Devices declared with numpy type hints (``value: npt.NDArray[np.int32]``), checked with the
numpy-typing fixtures of ``tango_core.test_utils`` imported the way a user's conftest.py imports
them (PyTango's ``tango.test_utils`` offers the same three), read back by PyTango's client and
tango_core's.  Declarations that cannot work fail with the error PyTango 10.3.1 gives.

(No ``from __future__ import annotations`` here: the hints are local variables.)"""


import numpy as np
import numpy.typing as npt
import pytest

from server_clients import pytango_proxy
from tango_core import AttrDataFormat, AttrWriteType, DevFailed
from tango_core.server import Device, attribute, command
from tango_core.test_context import DeviceTestContext
from tango_core import test_utils
from tango_core.test_utils import NUMPY_GENERAL_TYPING_HINTS, NUMPY_IMAGES_TYPING_HINTS, assert_close

# the fixtures, as a user's conftest.py takes them
attribute_numpy_typed_values = test_utils.attribute_numpy_typed_values
attribute_wrong_numpy_typed = test_utils.attribute_wrong_numpy_typed
command_numpy_typed_values = test_utils.command_numpy_typed_values

NUMPY_TYPES = {np.bool_, np.ubyte, np.short, np.ushort, np.int32, np.uint32, np.int64, np.uint64, np.float32,
               np.float64}


def test_the_fixtures_cover_every_numpy_type_in_every_format():
    cases = NUMPY_GENERAL_TYPING_HINTS + NUMPY_IMAGES_TYPING_HINTS
    assert {(dtype, dformat) for dtype, _hint, dformat, _value in cases} == {
        (dtype, dformat) for dtype in NUMPY_TYPES
        for dformat in (AttrDataFormat.SCALAR, AttrDataFormat.SPECTRUM, AttrDataFormat.IMAGE)}


def test_numpy_typed_attribute_round_trip(attribute_numpy_typed_values, client):
    type_hint, dformat, value, expected = attribute_numpy_typed_values

    class NumpyTyped(Device):
        stored = None

        @attribute(access=AttrWriteType.READ_WRITE, dformat=dformat, max_dim_x=3, max_dim_y=3)
        def value(self) -> type_hint:
            return self.stored

        def write_value(self, new: type_hint):
            self.stored = new

    ctx = DeviceTestContext(NumpyTyped)
    with ctx:
        proxy = client(ctx.get_device_access())
        proxy.write_attribute("value", value)
        assert_close(proxy.read_attribute("value").value, expected(value))


def test_numpy_typed_command_round_trip(command_numpy_typed_values, client):
    type_hint, _dformat, value, expected = command_numpy_typed_values
    if type_hint is np.ubyte and client is pytango_proxy:
        pytest.xfail("PyTango's client sends no DevUChar command argument (PyTango's own test xfails it too)")

    class NumpyTyped(Device):
        @command
        def identity(self, arg: type_hint) -> type_hint:
            return arg

    ctx = DeviceTestContext(NumpyTyped)
    with ctx:
        proxy = client(ctx.get_device_access())
        assert_close(proxy.command_inout("identity", value), expected(value))


def test_numpy_typed_attribute_that_cannot_work_fails_as_pytangos(attribute_wrong_numpy_typed):
    """No data format for an NDArray hint: RuntimeError when the class is made; an image without
    y dimension: the server refuses it at start-up (cppTango's API_AttrWrongDefined); a spectrum
    given an image: TypeError when it is written."""
    dformat, max_x, max_y, value, error, text = attribute_wrong_numpy_typed
    with pytest.raises(error, match=text) as raised:
        class NumpyTyped(Device):
            stored = None

            value: npt.NDArray[np.int_] = attribute(access=AttrWriteType.READ_WRITE, dformat=dformat,
                                                    max_dim_x=max_x, max_dim_y=max_y)

            def read_value(self):
                return self.stored

            def write_value(self, new):
                self.stored = new

        with DeviceTestContext(NumpyTyped) as proxy:
            proxy.value = value
    if error is DevFailed:
        assert (raised.value.args[0].reason, raised.value.args[0].desc) == (
            "API_AttrWrongDefined", "Attribute : value:  Maximum y dim. wrongly defined")


@pytest.mark.parametrize("dformat, max_x, max_y, axis", [(AttrDataFormat.SPECTRUM, 0, 0, "x"),
                                                          (AttrDataFormat.IMAGE, 0, 3, "x"),
                                                          (AttrDataFormat.IMAGE, 3, 0, "y")])
def test_array_attribute_without_size_is_refused_at_start_up(dformat, max_x, max_y, axis):
    class Sizeless(Device):
        values = attribute(dtype=float, dformat=dformat, max_dim_x=max_x, max_dim_y=max_y)

        def read_values(self):
            return []

    with pytest.raises(DevFailed) as raised, DeviceTestContext(Sizeless):
        pass
    assert (raised.value.args[0].reason, raised.value.args[0].desc) == (
        "API_AttrWrongDefined", f"Attribute : values:  Maximum {axis} dim. wrongly defined")
