"""A tango_core device server as both clients see it, without a database.

Each test runs a device class in ``tango_core.test_context.DeviceTestContext`` and talks to it
with PyTango 10.3.1's client and with tango_core's (the ``client`` fixture), asserting what a user
sees: values, types, qualities, configuration, errors with PyTango's reasons.
"""

from __future__ import annotations

import enum
import time

import numpy as np
import pytest

from server_clients import DEVFAILED
from tango_core import AttrQuality, AttrWriteType, DevState
from tango_core.server import Device, attribute, command, device_property
from tango_core.test_context import DeviceTestContext, MultiDeviceTestContext


def _reasons(exc: BaseException) -> list[str]:
    return [e.reason for e in exc.args]


class Sensor(Device):
    """A pressure sensor."""

    gain = device_property(dtype=float, default_value=2.0)

    def init_device(self):
        super().init_device()
        self._set = 0
        self.set_state(DevState.ON)

    @attribute(dtype=float, unit="bar", abs_change=0.1, max_alarm=100)
    def pressure(self):
        return 1.23 * self.gain

    @attribute(dtype=int, access=AttrWriteType.READ_WRITE, min_value=-5, max_value=5, label="Set point")
    def setpoint(self):
        return self._set

    @setpoint.write
    def setpoint(self, value):
        self._set = value

    @attribute(dtype=(float,), max_dim_x=4)
    def spectrum(self):
        return [1.0, 2.0, 3.0]

    @attribute(dtype=((np.uint8,),), max_dim_x=3, max_dim_y=2)
    def image(self):
        return np.arange(6, dtype=np.uint8).reshape(2, 3)

    @attribute(dtype=float)
    def broken(self):
        raise ValueError("sensor unplugged")

    @command(dtype_in=float, dtype_out=float)
    def scale(self, factor):
        return 1.23 * factor

    @command
    def fail(self):
        raise RuntimeError("cannot")


class Valve(Device):
    """A valve whose position is an enumeration, and its history."""

    class Position(enum.IntEnum):
        CLOSED = 0
        HALF = 1
        OPEN = 2

    def init_device(self):
        super().init_device()
        self._position, self._history = 0, [0]

    @attribute(dtype=Position, access=AttrWriteType.READ_WRITE)
    def position(self):
        return self._position

    @position.write
    def position(self, value):
        self._position = value

    @attribute(dtype=(Position,), max_dim_x=8, access=AttrWriteType.READ_WRITE)
    def history(self):
        return self._history

    @history.write
    def history(self, value):
        self._history = list(value)


def _refuses_enum_write(valve, name, value, element) -> None:
    with pytest.raises(DEVFAILED) as info:
        valve.write_attribute(name, value)
    error = info.value.args[0]
    assert error.reason == "API_WAttrOutsideLimit"
    assert error.desc == (f"Set value for attribute {name} is negative or above the maximun authorized (3) "
                          f"for at least element {element}")
    assert list(np.atleast_1d(valve.read_attribute(name).value)) == [0]


@pytest.mark.parametrize("name, value, element", [("position", 3, 0), ("history", [0, 1, 5, 2], 2)])
def test_enum_write_of_no_label_is_refused_as_cpptango(client, name, value, element):
    """An enumeration's value is a label's index: PyTango 10.3.1's server (cppTango 10) answers
    a write of any other number with these words, and keeps the value it had."""
    ctx = DeviceTestContext(Valve)
    with ctx:
        valve = client(ctx.get_device_access())
        _refuses_enum_write(valve, name, value, element)
        valve.write_attribute(name, 2 if name == "position" else [2, 1])
        assert list(np.atleast_1d(valve.read_attribute(name).value)) == ([2] if name == "position" else [2, 1])


@pytest.mark.parametrize("name, value, element", [("history", np.array([1, -2], np.int16), 1)])
def test_negative_enum_write_is_refused_as_cpptango(name, value, element):
    """A negative index too, in a numpy array (which both clients send as it is; a negative
    Python int they refuse before sending, with an OverflowError: below)."""
    from server_clients import tango_core_proxy

    ctx = DeviceTestContext(Valve)
    with ctx:
        _refuses_enum_write(tango_core_proxy(ctx.get_device_access()), name, value, element)


@pytest.mark.parametrize("name, value", [("position", -1), ("history", [1, -2])])
def test_a_negative_enum_number_is_refused_before_sending_as_pytango_does(client, name, value):
    ctx = DeviceTestContext(Valve)
    with ctx:
        valve = client(ctx.get_device_access())
        with pytest.raises(OverflowError, match="can't convert negative value to unsigned int"):
            valve.write_attribute(name, value)
        assert list(np.atleast_1d(valve.read_attribute(name).value)) == [0]


@pytest.fixture
def sensor(client):
    ctx = DeviceTestContext(Sensor)
    with ctx:
        yield client(ctx.get_device_access())


def test_state_status_description_and_info(sensor):
    assert sensor.state() == DevState.ON
    assert sensor.status() == "The device is in ON state."
    assert sensor.description() == "A pressure sensor."
    info = sensor.info()
    assert (info.dev_class, info.server_id, info.server_version) == ("Sensor", "Sensor/sensor", 6)
    sensor.ping()


def test_scalar_read_uses_device_property_default(sensor):
    assert sensor.pressure == pytest.approx(2.46)
    da = sensor.read_attribute("pressure")
    assert da.quality == AttrQuality.ATTR_VALID
    assert da.name == "pressure"


def test_write_and_read_back_with_set_point(sensor):
    sensor.write_attribute("setpoint", 3)
    da = sensor.read_attribute("setpoint")
    assert (da.value, da.w_value) == (3, 3)


def test_write_outside_limits_fails_with_pytango_reason(sensor):
    with pytest.raises(DEVFAILED) as info:
        sensor.write_attribute("setpoint", 10)
    assert info.value.args[0].reason == "API_WAttrOutsideLimit"
    assert info.value.args[0].desc == ("Set value for attribute setpoint is above the maximum authorized "
                                       "(at least element 0)")


def test_spectrum_and_image(sensor):
    assert list(sensor.spectrum) == [1.0, 2.0, 3.0]
    image = sensor.image
    assert image.shape == (2, 3)
    assert image.dtype == np.uint8
    assert image.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_read_error_keeps_the_exception_text(sensor):
    with pytest.raises(DEVFAILED) as info:
        sensor.broken
    assert info.value.args[0].reason == "PyDs_PythonError"
    assert "ValueError: sensor unplugged" in info.value.args[0].desc


def test_read_attributes_reports_errors_per_attribute(sensor):
    values = sensor.read_attributes(["pressure", "nope", "broken", "State"])
    assert [v.has_failed for v in values] == [False, True, True, False]
    assert values[3].value == DevState.ON
    assert values[1].get_err_stack()[0].reason == "API_AttrNotFound"


def test_command_result_and_python_error(sensor):
    assert sensor.scale(2.0) == pytest.approx(2.46)
    with pytest.raises(DEVFAILED) as info:
        sensor.fail()
    assert _reasons(info.value)[:2] == ["PyDs_PythonError", "PyDs_UnexpectedFailure"]
    with pytest.raises(DEVFAILED) as info:
        sensor.command_inout("NoSuchCommand")
    assert info.value.args[0].reason == "API_CommandNotFound"


def test_attribute_config_as_pytango_sends_it(sensor):
    cfg = sensor.get_attribute_config("setpoint")
    assert cfg.label == "Set point"
    assert cfg.min_value == "-5"
    assert cfg.max_value == "5"
    assert cfg.writable == AttrWriteType.READ_WRITE
    assert cfg.writable_attr_name == "setpoint"
    cfg = sensor.get_attribute_config("pressure")
    assert (cfg.unit, cfg.format, cfg.description) == ("bar", "%6.2f", "No description")


def test_set_attribute_config_changes_alarm_and_state(sensor):
    assert sensor.state() == DevState.ON
    cfg = sensor.get_attribute_config_ex("pressure")[0]
    cfg.alarms.max_alarm = "2"
    sensor.set_attribute_config(cfg)
    assert sensor.get_attribute_config("pressure").max_alarm == "2"
    assert sensor.read_attribute("pressure").quality == AttrQuality.ATTR_ALARM
    assert sensor.state() == DevState.ALARM
    assert sensor.status() == "The device is in ALARM state.\nAlarm : Value too high for pressure"


def test_admin_device_answers(sensor, client):
    admin = client(sensor.adm_name())
    assert admin.state() == DevState.ON
    assert list(admin.command_inout("QueryClass")) == ["Sensor"]
    assert list(admin.command_inout("QueryDevice")) == ["Sensor::test/nodb/sensor"]
    with pytest.raises(DEVFAILED) as info:
        admin.command_inout("NoSuchAdminCommand")
    assert info.value.args[0].reason == "API_CommandNotFound"


def test_black_box_lists_the_requests(sensor):
    sensor.scale(1.0)
    entries = sensor.black_box(3)
    # the client runs in the server's process: cppTango calls it "a collocated client"
    assert "Operation command_inout_4 (cmd = scale) from cache_device requested from a collocated client" \
        in entries[0]


def test_two_classes_in_one_server(client):
    class Other(Device):
        @attribute(dtype=str)
        def name_attr(self):
            return "other"

    info = ({"class": Sensor, "devices": [{"name": "test/sensor/1", "properties": {"gain": 3.0}}]},
            {"class": Other, "devices": [{"name": "test/other/1"}, {"name": "test/other/2"}]})
    with MultiDeviceTestContext(info) as ctx:
        assert client(ctx.get_device_access("test/sensor/1")).pressure == pytest.approx(3.69)
        assert client(ctx.get_device_access("test/other/2")).name_attr == "other"
        admin = client(ctx.get_server_access())
        assert sorted(admin.command_inout("QueryDevice")) == ["Other::test/other/1", "Other::test/other/2",
                                                               "Sensor::test/sensor/1"]


def test_enum_state_string_and_encoded_attributes(client):
    class Mode(enum.IntEnum):
        IDLE = 0
        BUSY = 1

    class Kinds(Device):
        @attribute(dtype=Mode, access=AttrWriteType.READ_WRITE)
        def mode(self):
            return getattr(self, "_mode", Mode.IDLE)

        @mode.write
        def mode(self, value):
            self._mode = Mode(value)

        @attribute(dtype=DevState)
        def other_state(self):
            return DevState.MOVING

        @attribute(dtype=str, access=AttrWriteType.READ_WRITE)
        def text(self):
            return getattr(self, "_text", "")

        @text.write
        def text(self, value):
            self._text = value

        @attribute(dtype="DevEncoded")
        def blob(self):
            return "jpeg", b"\x00\x01\xff"

        @attribute(dtype=bool)
        def flag(self):
            return True, time.time(), AttrQuality.ATTR_WARNING

    ctx = DeviceTestContext(Kinds)
    with ctx:
        p = client(ctx.get_device_access())
        p.mode = 1
        assert int(p.mode) == 1
        assert list(p.get_attribute_config("mode").enum_labels) == ["IDLE", "BUSY"]
        assert p.other_state == DevState.MOVING
        p.text = "h\xe9llo"
        assert p.text == "h\xe9llo"
        fmt, data = p.blob
        assert fmt == "jpeg" and bytes(data) == b"\x00\x01\xff"
        flag = p.read_attribute("flag")
        assert flag.value is True and flag.quality == AttrQuality.ATTR_WARNING
