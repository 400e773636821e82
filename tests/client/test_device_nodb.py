"""DeviceProxy against a PyTango no-DB device server (#dbase=no), with PyTango's client as the oracle.

Every attribute and command of tests/servers/TestServer.py is exercised through tango_core and
through PyTango in the same test, and what a user would see (values, dtypes, shapes, metadata,
error reasons, printed forms) must be the same.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import tango  # test peer only: the oracle
import tango_core
from tango_core import DevFailed, DeviceProxy, DevState, ExtractAs

# attributes whose value changes between two reads
_VOLATILE = {"ramp", "counter"}


@pytest.fixture(scope="module")
def names(nodb_server):
    return nodb_server.device


@pytest.fixture(scope="module")
def dev(names):
    return DeviceProxy(names)


@pytest.fixture(scope="module")
def ref(names):
    return tango.DeviceProxy(names)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b))
    return type(a) is type(b) and a == b or (type(a).__name__ == type(b).__name__ and a == b)


def _no_time(text: str) -> str:
    return re.sub(r"TimeVal\([^)]*\)", "TimeVal(...)", text)


def reasons(exc) -> list[str]:
    return [e.reason for e in exc.args]


def test_identity(dev, ref):
    assert dev.dev_name() == ref.dev_name() == "test/nodb/1"
    assert dev.name() == ref.name()
    assert dev.adm_name() == ref.adm_name()
    assert dev.description() == ref.description()
    assert dev.get_idl_version() == ref.get_idl_version() == 6
    assert str(dev) == repr(dev) == repr(ref) == "TestDevice(test/nodb/1)"
    assert dev.get_db_host() == ref.get_db_host() == "Unused"
    assert dev.is_dbase_used() is ref.is_dbase_used() is False
    assert dev.get_timeout_millis() == 3000
    assert isinstance(dev.ping(), int) and dev.ping() > 0


def test_info_same_as_pytango(dev, ref):
    ours, theirs = dev.info(), ref.info()
    for field in ("dev_class", "dev_type", "doc_url", "server_host", "server_id", "server_version"):
        assert getattr(ours, field) == getattr(theirs, field)
    assert ours.version_info["PyTango"] == theirs.version_info["PyTango"]
    assert str(ours) == str(theirs)
    assert repr(ours) == repr(theirs)


def test_state_status(dev, ref):
    assert dev.state() == ref.state()
    assert isinstance(dev.state(), DevState)
    assert dev.status() == ref.status()
    assert dev.State() == ref.State()
    assert dev.Status() == ref.Status()


def test_every_attribute_reads_like_pytango(dev, ref):
    names = list(ref.get_attribute_list())
    assert dev.get_attribute_list() == names
    for name in names:
        try:
            theirs = ref.read_attribute(name)
        except tango.DevFailed as exc:
            with pytest.raises(DevFailed) as info:
                dev.read_attribute(name)
            assert reasons(info.value) == [e.reason for e in exc.args], name
            continue
        ours = dev.read_attribute(name)
        for field in ("name", "quality", "data_format", "type", "dim_x", "dim_y", "w_dim_x", "w_dim_y",
                      "nb_read", "nb_written", "has_failed", "is_empty"):
            assert getattr(ours, field) == getattr(theirs, field), (name, field)
        if name not in _VOLATILE:
            assert _same(ours.value, theirs.value), (name, ours.value, theirs.value)
            assert _same(ours.w_value, theirs.w_value), (name, ours.w_value, theirs.w_value)
            assert _no_time(repr(ours)) == _no_time(repr(theirs)), name
            assert _no_time(str(ours)) == _no_time(str(theirs)), name


def test_read_attributes_reports_failures_per_entry(dev, ref):
    ours = dev.read_attributes(["double_rw", "failing_read", "nope"])
    theirs = ref.read_attributes(["double_rw", "failing_read", "nope"])
    assert [a.has_failed for a in ours] == [a.has_failed for a in theirs] == [False, True, True]
    for o, t in zip(ours, theirs):
        assert [e.reason for e in o.get_err_stack()] == [e.reason for e in t.get_err_stack()]
        assert _no_time(repr(o)) == _no_time(repr(t))


def test_failed_read_raises_like_pytango(dev):
    with pytest.raises(DevFailed) as info:
        dev.read_attribute("failing_read")
    assert reasons(info.value) == ["TestDevice_ReadFailed", "API_AttributeFailed"]
    assert info.value.args[-1].desc == "Failed to read_attribute on device test/nodb/1, attribute failing_read"
    with pytest.raises(DevFailed) as info:
        dev.read_attribute("no_such_attr")
    assert reasons(info.value) == ["API_AttrNotFound", "API_AttributeFailed"]


@pytest.mark.parametrize("attr, value", [
    ("double_rw", -12.25), ("long_rw", -(2**31)), ("long_rw", 2**31 - 1), ("long64_rw", -(2**63)),
    ("ulong64_rw", 2**64 - 1), ("short_rw", -(2**15)), ("ushort_rw", 65535), ("uchar_rw", 0),
    ("float_rw", 0.5), ("bool_rw", False), ("string_rw", "é latin-1 ÿ"), ("string_rw", ""),
    ("mode", 2), ("mode", "OFF"), ("encoded_rw", ("raw", b"\x00\x01\xff")),
    ("double_spectrum_rw", [1.5, -2.5, 1e300]), ("double_spectrum_rw", []),
    ("string_spectrum_rw", ["a", "", "ü"]), ("ushort_image_rw", [[1, 2, 3], [4, 5, 6]]),
    ("ushort_image_rw", np.arange(12, dtype=np.uint16).reshape(3, 4)),
])
def test_write_then_read_back(dev, ref, attr, value):
    dev.write_attribute(attr, value)
    ours = dev.read_attribute(attr)
    theirs = ref.read_attribute(attr)
    assert _same(ours.value, theirs.value) or (
        isinstance(ours.value, np.ndarray) and np.array_equal(ours.value, theirs.value, equal_nan=True))
    expected = value
    if attr == "mode" and isinstance(value, str):
        expected = ["OFF", "STANDBY", "ON"].index(value)
    if isinstance(ours.value, np.ndarray):
        np.testing.assert_array_equal(ours.value, np.asarray(expected, dtype=ours.value.dtype))
    elif isinstance(ours.value, tuple) and attr != "encoded_rw":
        assert ours.value == tuple(expected)
    else:
        assert ours.value == expected


def test_write_only_attribute(dev, ref):
    dev.write_attribute("write_only_double", 4.25)
    assert dev.read_attribute("last_written").value == "4.25"
    da = dev.read_attribute("write_only_double")
    assert (da.value, da.w_value) == (4.25, 4.25) or ref.read_attribute("write_only_double").value == da.value


def test_write_errors_are_clear(dev):
    with pytest.raises(DevFailed) as info:
        dev.write_attribute("long_spectrum_ro", [1, 2])
    assert reasons(info.value) == ["API_AttrNotWritable", "API_AttributeFailed"]
    with pytest.raises(DevFailed) as info:
        dev.write_attribute("nope", 1)
    assert reasons(info.value)[0] == "API_AttrNotFound"
    with pytest.raises(TypeError):
        dev.write_attribute("double_rw", "abc")
    with pytest.raises(OverflowError):
        dev.write_attribute("short_rw", 70000)
    with pytest.raises(DevFailed) as info:
        dev.write_attribute("double_spectrum_rw", 3.0)
    assert reasons(info.value) == ["PyDs_WrongParameters"]


def test_write_read_attribute(dev, ref):
    da = dev.write_read_attribute("long_rw", 1234)
    assert da.value == 1234 and da.w_value == 1234
    assert ref.read_attribute("long_rw").value == 1234
    res = dev.write_read_attributes([("double_rw", 2.5), ("short_rw", -3)], ["double_rw", "short_rw"])
    assert [a.value for a in res] == [2.5, -3]


def test_write_attributes_failure_like_pytango(dev, ref):
    with pytest.raises(DevFailed) as ours:
        dev.write_attributes([("double_rw", 1.0), ("long_spectrum_ro", [1])])
    with pytest.raises(tango.DevFailed) as theirs:
        ref.write_attributes([("double_rw", 1.0), ("long_spectrum_ro", [1])])
    assert reasons(ours.value) == [e.reason for e in theirs.value.args] == ["API_AttributeFailed"]


@pytest.mark.parametrize("cmd, arg", [
    ("EchoDouble", 3.25), ("EchoDouble", float("inf")), ("EchoDouble", -0.0), ("EchoString", "héllo"),
    ("EchoString", ""), ("EchoBoolean", True), ("EchoBoolean", 0),
    ("EchoLong64", -(2**63)), ("EchoLong64", 2**63 - 1), ("EchoULong64", 2**64 - 1), ("EchoULong64", 0),
    ("EchoStringArray", ["a", "b", "ÿ"]), ("EchoStringArray", []),
    ("EchoDoubleArray", [1.0, -2.5]), ("EchoDoubleArray", np.array([], dtype=float)),
    ("EchoLongString", [[1, 2, -3], ["x", "y"]]), ("EchoDoubleString", ([0.5], ["z"])),
    ("EchoEncoded", ("fmt", b"\x00\xff")), ("EchoState", DevState.MOVING),
])
def test_commands_like_pytango(dev, ref, cmd, arg):
    ours = dev.command_inout(cmd, arg)
    theirs = ref.command_inout(cmd, arg)
    if isinstance(theirs, list) and theirs and isinstance(theirs[0], np.ndarray):
        assert _same(ours[0], theirs[0]) and ours[1] == theirs[1]
    else:
        assert _same(ours, theirs), (ours, theirs)
    if not isinstance(theirs, list):
        assert _same(getattr(dev, cmd)(arg), theirs)


def test_command_nan(dev):
    assert np.isnan(dev.EchoDouble(float("nan")))


def test_command_errors(dev, ref):
    with pytest.raises(DevFailed) as info:
        dev.command_inout("Fail")
    assert reasons(info.value) == [e.reason for e in pytest.raises(tango.DevFailed, ref.command_inout,
                                                                   "Fail").value.args]
    with pytest.raises(DevFailed) as info:
        dev.command_inout("NoSuchCommand")
    assert reasons(info.value)[0] == "API_CommandNotFound"
    with pytest.raises(TypeError, match="Invalid input argument for command EchoDouble: 'abc' cannot be "
                                        "converted to type DevDouble"):
        dev.command_inout("EchoDouble", "abc")
    with pytest.raises(TypeError):
        dev.command_inout("EchoLong64", 1.5)
    with pytest.raises(TypeError):  # beyond 64 bits: PyTango says TypeError, not OverflowError
        dev.command_inout("EchoLong64", 2**63)

    with pytest.raises(UnicodeError):
        dev.command_inout("EchoString", "€")


def test_command_not_allowed(dev):
    dev.Off()
    try:
        with pytest.raises(DevFailed) as info:
            dev.Off()
        assert reasons(info.value)[0] == "API_CommandNotAllowed"
        assert dev.state() == DevState.OFF
    finally:
        dev.On()
    assert dev.state() == DevState.ON


def test_command_query_same_as_pytango(dev, ref):
    for name in ref.get_command_list():
        assert repr(dev.command_query(name)) == repr(ref.command_query(name))
        assert str(dev.command_query(name)) == str(ref.command_query(name))
    assert dev.get_command_list() == list(ref.get_command_list())
    assert [repr(c) for c in dev.command_list_query()] == [repr(c) for c in ref.command_list_query()]
    assert dev.EchoString.__doc__ == ref.EchoString.__doc__


def test_attribute_config_same_as_pytango(dev, ref):
    for name in ref.get_attribute_list():
        assert str(dev.attribute_query(name)) == str(ref.attribute_query(name)), name
        assert repr(dev.get_attribute_config(name)) == repr(ref.get_attribute_config(name))
    assert [repr(a) for a in dev.attribute_list_query()] == [repr(a) for a in ref.attribute_list_query()]


def test_set_attribute_config_round_trip(dev, ref):
    cfg = dev.get_attribute_config("double_rw")
    old_label, old_abs = cfg.label, cfg.events.ch_event.abs_change
    cfg.label = "Changed label"
    cfg.events.ch_event.abs_change = "0.25"
    dev.set_attribute_config(cfg)
    try:
        theirs = ref.get_attribute_config("double_rw")
        assert theirs.label == "Changed label"
        assert theirs.events.ch_event.abs_change == "0.25"
        assert dev.get_attribute_config("double_rw").label == "Changed label"
    finally:
        cfg.label, cfg.events.ch_event.abs_change = old_label, old_abs
        dev.set_attribute_config(cfg)


def test_dynamic_interface(dev, ref):
    assert dev.double_spectrum_rw is not None
    dev.double_rw = 9.0
    assert dev.double_rw == 9.0 == ref.double_rw
    assert dev["double_rw"].value == 9.0
    dev["double_rw"] = 8.0
    assert dev.DOUBLE_RW == 8.0
    assert repr(dev.mode) == repr(ref.mode)
    assert "double_rw" in dev and "DOUBLE_RW" in dev and "nope" not in dev
    listing = dir(dev)
    for n in ("EchoDouble", "echodouble", "double_rw", "State", "state", "read_attribute"):
        assert n in listing
    assert "double_rw" in dev._ipython_key_completions_()
    with pytest.raises(AttributeError, match="nope"):
        dev.nope
    with pytest.raises(AttributeError, match="interface is frozen"):
        dev.nope = 1
    with pytest.raises(TypeError, match="Cannot set the value of a command"):
        dev.EchoDouble = 1


def test_extract_as(dev, ref):
    for mode in (ExtractAs.List, ExtractAs.Tuple, ExtractAs.Bytes, ExtractAs.ByteArray, ExtractAs.String):
        for name in ("double_spectrum_rw", "double_image_ro", "string_spectrum_rw", "string_image_ro",
                     "double_rw", "bool_spectrum_ro"):
            ours = dev.read_attribute(name, extract_as=mode)
            try:
                theirs = ref.read_attribute(name, extract_as=getattr(tango.ExtractAs, mode.name))
            except AttributeError:  # PyTango: no value for text in raw modes (and it trips over that)
                assert not hasattr(ours, "value"), (name, mode)
                continue
            except UnicodeDecodeError:  # PyTango decodes ExtractAs.String as UTF-8; we use lossless Latin-1
                assert isinstance(ours.value, str) and mode == ExtractAs.String
                continue
            for field in ("value", "w_value"):
                o, t = getattr(ours, field, "missing"), getattr(theirs, field, "missing")
                assert o == t and type(o) is type(t), (name, mode, field, o, t)
    assert not hasattr(dev.read_attribute("double_rw", extract_as=ExtractAs.Nothing), "value")


def test_properties_need_a_database(dev):
    with pytest.raises(tango_core.NonDbDevice) as info:
        dev.get_property("x")
    assert reasons(info.value) == ["API_NonDatabaseDevice"]


def test_polling_through_admin_device(dev, ref):
    assert dev.get_attribute_poll_period("ramp") == ref.get_attribute_poll_period("ramp") == 100
    assert dev.is_attribute_polled("ramp")
    assert not dev.is_attribute_polled("double_rw")
    dev.poll_attribute("double_rw", 250)
    try:
        assert ref.is_attribute_polled("double_rw")
        assert dev.get_attribute_poll_period("double_rw") == 250
        dev.poll_attribute("double_rw", 300)
        assert ref.get_attribute_poll_period("double_rw") == 300
    finally:
        dev.stop_poll_attribute("double_rw")
    assert not ref.is_attribute_polled("double_rw")
    dev.poll_command("EchoDouble", 500) if False else None  # commands with argin cannot be polled
    dev.poll_command("PushCounterEvent", 700)
    try:
        assert dev.is_command_polled("PushCounterEvent")
        assert dev.get_command_poll_period("PushCounterEvent") == 700
    finally:
        dev.stop_poll_command("PushCounterEvent")
    assert not dev.is_command_polled("PushCounterEvent")
    assert dev.polling_status() == list(ref.polling_status()) or len(dev.polling_status()) >= 1


def test_black_box_records_our_calls(dev):
    dev.read_attribute("double_rw")
    lines = dev.black_box(5)
    assert len(lines) == 5 and any("read_attributes_5" in line for line in lines)


def test_green_keywords(dev):
    assert dev.state(wait=True) == DevState.ON
    with pytest.raises(ValueError, match="Not supported in synchronous mode"):
        dev.state(wait=False)


def test_timeout_like_pytango(names):
    dev = DeviceProxy(names)
    ref = tango.DeviceProxy(names)
    dev.set_timeout_millis(300)
    ref.set_timeout_millis(300)
    with pytest.raises(tango.DevFailed) as theirs:
        ref.Sleep(0.8)
    t0 = time.monotonic()
    with pytest.raises(tango_core.CommunicationFailed) as ours:
        dev.Sleep(0.8)
    assert time.monotonic() - t0 < 0.7
    assert [(e.reason, e.desc) for e in ours.value.args] == [(e.reason, e.desc) for e in theirs.value.args]
    assert dev.get_timeout_millis() == 300
    time.sleep(1.0)  # let the server finish the sleeps
    assert dev.state() == DevState.ON  # the proxy is still usable


def test_completion_does_not_hang_on_a_blocked_device(names):
    """dir()/key completion on a device busy in a long command: answer quickly, maybe without names."""
    import threading

    busy = DeviceProxy(names)
    busy.set_timeout_millis(5000)
    worker = threading.Thread(target=lambda: busy.Sleep(2.0))
    worker.start()
    try:
        time.sleep(0.2)
        fresh = DeviceProxy(names)  # no cached lists
        t0 = time.monotonic()
        listing = dir(fresh)
        keys = fresh._ipython_key_completions_()
        assert time.monotonic() - t0 < 1.8
        assert "read_attribute" in listing and isinstance(keys, list)
    finally:
        worker.join()
    assert "double_rw" in dir(fresh) and "double_rw" in fresh._ipython_key_completions_()


def test_a_device_its_server_does_not_have_fails_at_construction_as_with_pytango(names):
    """``#dbase=no``: the server answers but has no such device -> DevFailed when the proxy is
    made (cppTango rethrows OBJECT_NOT_EXIST then), not at its first call; the same reasons as PyTango's."""
    other = re.sub(r"/[^/]+/[^/]+/[^/#]+#", "/no/such/device#", names)
    assert other != names
    with pytest.raises(tango.DevFailed) as reference:
        tango.DeviceProxy(other)
    with pytest.raises(DevFailed) as ours:
        DeviceProxy(other)
    assert type(ours.value).__name__ == type(reference.value).__name__ == "ConnectionFailed"
    assert [e.reason for e in ours.value.args] == [e.reason for e in reference.value.args] == [
        "API_CorbaException", "API_DeviceNotDefined"]
    assert ours.value.args[1].desc == reference.value.args[1].desc == "Failed to connect to device no/such/device"
