"""Values device code returns and clients write, converted as PyTango converts them (cases
PyTango's own test suite exercises)."""

from __future__ import annotations

import enum

import numpy as np
import pytest

from tango_core import AttrWriteType, DevState
from tango_core.server import Device, attribute
from tango_core.test_context import DeviceTestContext

pytestmark = pytest.mark.peers

NUMPY_TYPE = {int: np.int64, float: np.float64, bool: np.bool_}


def _trl(proxy) -> str:
    return f"tango://{proxy.get_dev_host()}:{proxy.get_dev_port()}/{proxy.dev_name()}#dbase=no"


@pytest.mark.parametrize("base_type", [int, float, bool])
@pytest.mark.parametrize("spectrum_value, image_value",
                         [([], []), (np.empty(0), np.empty((0, 0))), (np.array([]), np.array([]))],
                         ids=["list", "np.empty", "np.array"])
def test_empty_arrays_of_any_dtype_are_empty_values(client, base_type, spectrum_value, image_value):
    """An empty numpy array is an empty spectrum or image whatever its dtype (float64 for an int
    or bool attribute) and, for an image, its shape (1-D): returned by device code, or written by
    a client; device code gets arrays of the attribute's own dtype."""

    class Empty(Device):
        values = {"spectrum": spectrum_value, "image": image_value}

        @attribute(dtype=(base_type,), max_dim_x=3, access=AttrWriteType.READ_WRITE)
        def spectrum(self):
            return self.values["spectrum"]

        @spectrum.write
        def spectrum(self, value):
            self.values["spectrum"] = value

        @attribute(dtype=((base_type,),), max_dim_x=3, max_dim_y=3, access=AttrWriteType.READ_WRITE)
        def image(self):
            return self.values["image"]

        @image.write
        def image(self, value):
            self.values["image"] = value

    with DeviceTestContext(Empty) as proxy:
        dev = client(_trl(proxy))
        for name, value in (("spectrum", spectrum_value), ("image", image_value)):
            assert len(dev.read_attribute(name).value) == 0
            dev.write_attribute(name, value)
            written = Empty.values[name]
            assert written.size == 0 and written.dtype == NUMPY_TYPE[base_type], (name, written)
            assert len(dev.read_attribute(name).value) == 0


class Colour(enum.IntEnum):
    RED = 0
    GREEN = 1
    BLUE = 2


def test_enum_and_state_arrays_read_as_members_through_the_dynamic_interface():
    """``dev.attr`` of DevEnum and DevState attributes gives enum members, spectra as tuples and
    images as tuples of tuples: tango_core's proxy as PyTango's, on the same server."""
    from server_clients import pytango_proxy, tango_core_proxy

    class Enums(Device):
        @attribute(dtype=(DevState,), max_dim_x=3)
        def states(self):
            return DevState.ON, DevState.RUNNING

        @attribute(dtype=((DevState,),), max_dim_x=3, max_dim_y=3)
        def state_image(self):
            return (DevState.ON, DevState.RUNNING), (DevState.UNKNOWN, DevState.MOVING)

        @attribute(dtype=Colour)
        def colour(self):
            return Colour.BLUE

        @attribute(dtype=(Colour,), max_dim_x=3)
        def colours(self):
            return 1, 2

        @attribute(dtype=((Colour,),), max_dim_x=3, max_dim_y=3)
        def colour_image(self):
            return (1, 2), (0, 1)

    def shape(value):
        if isinstance(value, tuple):
            return tuple(shape(v) for v in value)
        return type(value).__name__ if not isinstance(value, enum.Enum) else (value.name, int(value))

    with DeviceTestContext(Enums) as proxy:
        theirs, ours = pytango_proxy(_trl(proxy)), tango_core_proxy(_trl(proxy))
        for name in ("states", "state_image", "colour", "colours", "colour_image"):
            assert shape(getattr(ours, name)) == shape(getattr(theirs, name)), name
        assert ours.colours == (Colour.GREEN, Colour.BLUE)
        assert ours.state_image[1] == (DevState.UNKNOWN, DevState.MOVING)


def test_dev_encoded_text_travels_as_utf8_as_with_pytango():
    """DevEncoded data given as text is sent as UTF-8 (attribute writes and command arguments),
    read back as text with ExtractAs.String, and data that is not UTF-8 raises
    UnicodeDecodeError there: tango_core's proxy does what PyTango's does, on the same device."""
    from server_clients import pytango_proxy, tango_core_proxy
    from tango_core import DevEncoded, ExtractAs
    from tango_core.server import command

    text = "é€ ăѣ𝔠"
    received = []

    class Encoded(Device):
        value = ("utf8", b"")

        @attribute(dtype=DevEncoded, access=AttrWriteType.READ_WRITE)
        def data(self):
            return Encoded.value

        @data.write
        def data(self, value):
            received.append(value)
            Encoded.value = value

        @attribute(dtype=DevEncoded)
        def not_utf8(self):
            return "latin1", "é".encode("latin-1")

        @command(dtype_in=DevEncoded, dtype_out=DevEncoded)
        def echo(self, value):
            received.append(value)
            return value

    import tango as pytango

    with DeviceTestContext(Encoded) as proxy:
        for make, as_text in ((pytango_proxy, pytango.ExtractAs.String), (tango_core_proxy, ExtractAs.String)):
            received.clear()
            dev = make(_trl(proxy))
            dev.data = ("utf8", text)
            assert dev.echo(("utf8", text)) == ("utf8", text.encode())
            assert received == [("utf8", text.encode())] * 2, make
            assert tuple(dev.read_attribute("data", extract_as=as_text).value) == ("utf8", text)
            with pytest.raises(UnicodeDecodeError):
                dev.read_attribute("not_utf8", extract_as=as_text)
