"""Commands of every CmdArgType a PyTango device server can declare (29 of 30: PyTango cannot
declare ConstDevString), echoed by a server written for this test, with PyTango's client as the
oracle; plus attribute types TangoTest lacks (DevState spectrum, DevEnum, DevUChar image).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import peers
import tango  # test peer only: the oracle
from tango_core import DevFailed, DeviceProxy, DevState

SERVER_SOURCE = 'import enum\nimport numpy as np\nfrom tango import AttrWriteType, DevState, CmdArgType\nfrom tango.server import Device, attribute, command, run\n\nT = CmdArgType\nECHO_TYPES = ["DevBoolean", "DevShort", "DevLong", "DevFloat", "DevDouble", "DevUShort", "DevULong",\n              "DevString", "DevVarCharArray", "DevVarShortArray", "DevVarLongArray", "DevVarFloatArray",\n              "DevVarDoubleArray", "DevVarUShortArray", "DevVarULongArray", "DevVarStringArray",\n              "DevVarLongStringArray", "DevVarDoubleStringArray", "DevState", "ConstDevString",\n              "DevVarBooleanArray", "DevUChar", "DevLong64", "DevULong64", "DevVarLong64Array",\n              "DevVarULong64Array", "DevEncoded", "DevEnum", "DevVarStateArray", "DevVarEncodedArray"]\n\n\nclass Color(enum.IntEnum):\n    RED = 0\n    GREEN = 1\n    BLUE = 2\n\n\nclass _AllTypesBase:\n    def init_device(self):\n        Device.init_device(self)\n        self.set_state(DevState.ON)\n        self._states = [DevState.ON, DevState.FAULT]\n        self._color = Color.GREEN\n        self._uchar_img = np.arange(6, dtype=np.uint8).reshape(2, 3)\n\n    @command\n    def Void(self):\n        pass\n\n    @attribute(dtype=(DevState,), max_dim_x=10)\n    def state_spectrum(self):\n        return self._states\n\n    @attribute(dtype=Color, access=AttrWriteType.READ_WRITE)\n    def color(self):\n        return self._color\n\n    @color.write\n    def color(self, v):\n        self._color = Color(v)\n\n    @attribute(dtype=(("DevUChar",),), max_dim_x=10, max_dim_y=10, access=AttrWriteType.READ_WRITE)\n    def uchar_image(self):\n        return self._uchar_img\n\n    @uchar_image.write\n    def uchar_image(self, v):\n        self._uchar_img = np.asarray(v, dtype=np.uint8)\n\n    @attribute(dtype=("DevLong64",), max_dim_x=10, access=AttrWriteType.WRITE)\n    def long64_spectrum_w(self):\n        return [1]\n\n    @long64_spectrum_w.write\n    def long64_spectrum_w(self, v):\n        self._l64 = v\n\n\n\n\ndef _make_echo(name):\n    def echo(self, value):\n        return value\n    echo.__name__ = "Echo" + name\n    return command(echo, dtype_in=getattr(T, name), dtype_out=getattr(T, name))\n\n\n_ns = {k: v for k, v in vars(_AllTypesBase).items() if not k.startswith("__")}\nfor _n in ECHO_TYPES:\n    try:\n        _ns["Echo" + _n] = _make_echo(_n)\n    except Exception as exc:  # a type PyTango\'s server cannot declare\n        print("skip", _n, exc)\nAllTypes = type("AllTypes", (Device,), _ns)\n\nif __name__ == "__main__":\n    run((AllTypes,))\n'

VALUES = {
    "DevBoolean": [True, False], "DevShort": [-32768, 32767], "DevLong": [-(2**31), 7],
    "DevFloat": [1.5, float("inf")], "DevDouble": [2.5, -0.0], "DevUShort": [0, 65535], "DevULong": [2**32 - 1],
    "DevString": ["s", "", "é"], "DevVarCharArray": [[1, 2], b"\x00\xff", []],
    "DevVarShortArray": [[1, -1]], "DevVarLongArray": [[1], []], "DevVarFloatArray": [[1.5]],
    "DevVarDoubleArray": [[2.5, np.nan]], "DevVarUShortArray": [[1]], "DevVarULongArray": [[2**32 - 1]],
    "DevVarStringArray": [["a", "é"], []], "DevVarLongStringArray": [[[1], ["a"]], [[], []]],
    "DevVarDoubleStringArray": [[[1.5], ["a"]]], "DevState": [DevState.ALARM, DevState.UNKNOWN],
    "DevVarBooleanArray": [[True, False]], "DevLong64": [-(2**63)], "DevULong64": [2**64 - 1],
    "DevVarLong64Array": [[1, -(2**63)]], "DevVarULong64Array": [[2**64 - 1]],
    "DevEncoded": [("f", b"xy"), ("", b"")], "DevEnum": [1],
}
#: types PyTango's own client cannot send (or its server cannot answer): ours must still agree with
#: the server where the server works, and fail cleanly where it does not.
CLIENT_ONLY = {"DevVarStateArray": [DevState.ON, DevState.MOVING]}
SERVER_BROKEN = {"DevUChar": 200, "DevVarEncodedArray": [("f", b"x")]}


@pytest.fixture(scope="module")
def alltypes(tmp_path_factory):
    path = tmp_path_factory.mktemp("alltypes") / "AllTypes.py"
    path.write_text(SERVER_SOURCE)
    try:
        peer = peers.start_pytango_server(path, "at", nodb=True, device_names=["test/all/1"],
                                          device_class="AllTypes", log_dir=path.parent)
    except peers.PeerStartError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"cannot start the AllTypes server: {exc}")
    yield peer.device
    peer.stop()


def _equal(a, b) -> bool:
    if isinstance(b, list) and len(b) == 2 and isinstance(b[0], np.ndarray):
        return _equal(a[0], b[0]) and a[1] == b[1]
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        return np.isnan(b)
    return type(a).__name__ == type(b).__name__ and a == b


@pytest.mark.parametrize("argtype", sorted(VALUES))
def test_echo_like_pytango(alltypes, argtype):
    ours, ref = DeviceProxy(alltypes), tango.DeviceProxy(alltypes)
    cmd = "Echo" + argtype
    info = ours.command_query(cmd)
    assert repr(info) == repr(ref.command_query(cmd))
    assert info.in_type.name == argtype
    for value in VALUES[argtype]:
        assert _equal(ours.command_inout(cmd, value), ref.command_inout(cmd, value)), (argtype, value)


def test_state_array_argin_works_where_pytango_cannot(alltypes):
    ours = DeviceProxy(alltypes)
    assert ours.EchoDevVarStateArray(CLIENT_ONLY["DevVarStateArray"]) == CLIENT_ONLY["DevVarStateArray"]


@pytest.mark.parametrize("argtype", sorted(SERVER_BROKEN))
def test_server_side_failures_are_clean_devfailed(alltypes, argtype):
    ours, ref = DeviceProxy(alltypes), tango.DeviceProxy(alltypes)
    with pytest.raises(tango.DevFailed) as theirs:
        ref.command_inout("Echo" + argtype, SERVER_BROKEN[argtype])
    with pytest.raises(DevFailed) as info:
        ours.command_inout("Echo" + argtype, SERVER_BROKEN[argtype])
    assert type(info.value).__name__ == type(theirs.value).__name__
    assert info.value.args[0].reason == theirs.value.args[0].reason
    assert ours.state() == DevState.ON  # the device is still usable


def test_void_command_and_list(alltypes):
    ours, ref = DeviceProxy(alltypes), tango.DeviceProxy(alltypes)
    assert ours.Void() is None
    assert ours.get_command_list() == list(ref.get_command_list())
    assert len(ours.get_command_list()) == 29 + 4  # echoes + Void, Init, State, Status


def test_attribute_types_tangotest_lacks(alltypes):
    ours, ref = DeviceProxy(alltypes), tango.DeviceProxy(alltypes)
    for name in ("state_spectrum", "color", "uchar_image"):
        a, b = ours.read_attribute(name), ref.read_attribute(name)
        assert _equal(a.value, b.value), name
        assert (a.type, a.data_format) == (b.type, b.data_format)
    assert repr(ours.color) == repr(ref.color) == "<color.GREEN: 1>"
    ours.color = "BLUE"
    assert ref.color == 2
    ours.write_attribute("uchar_image", [[9, 8], [7, 6]])
    np.testing.assert_array_equal(ref.read_attribute("uchar_image").value, [[9, 8], [7, 6]])
    ours.write_attribute("long64_spectrum_w", [-(2**63), 2**63 - 1])
    # beyond the C long long PyTango reads each element into: its TypeError, not an OverflowError
    for proxy in (ours, ref):
        with pytest.raises(TypeError, match="Expecting a integer type"):
            proxy.write_attribute("long64_spectrum_w", [2**63])


def test_boolean_array_argins_convert_each_element_as_pytango_does(alltypes):
    """DevVarBooleanArray (TangoTest has no such command): list elements, numpy scalars, 0-d
    arrays and numpy arrays of any dtype give the same reply, or the same exception class and
    message start, as PyTango's client."""
    from test_commands_argin import _array_argins, _precise_outcome

    ours, ref = DeviceProxy(alltypes), tango.DeviceProxy(alltypes)
    mismatches = []
    for value in _array_argins() + [[True, False], [0, 1], [2], [-1], [np.True_]]:
        theirs = _precise_outcome(lambda: ref.command_inout("EchoDevVarBooleanArray", value))
        mine = _precise_outcome(lambda: ours.command_inout("EchoDevVarBooleanArray", value))
        if mine != theirs:
            mismatches.append((value, mine, theirs))
    assert not mismatches, "\n".join(f"{v!r}: ours={o!r} pytango={t!r}" for v, o, t in mismatches)
