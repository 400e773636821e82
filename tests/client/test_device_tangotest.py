"""DeviceProxy against Debian's cppTango 9.3.4 TangoTest (DB mode), PyTango's client as the oracle.

TangoTest's readable values are mostly random, so reads compare everything but the value
(type, dtype, shape, dims, quality, format...), and writes compare the value read back.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import tango  # test peer only: the oracle
from thread_runs import run_in_threads
from tango_core import (AttrDataFormat, CmdArgType, DevFailed, DeviceProxy, DevState,
                        ExtractAs)

DEV = "sys/tg_test/1"


@pytest.fixture(scope="module")
def dev(tango_host, tangotest):
    return DeviceProxy(DEV)


@pytest.fixture(scope="module")
def ref(tango_host, tangotest):
    return tango.DeviceProxy(DEV)


def reasons(exc) -> list[str]:
    return [e.reason for e in exc.args]


def _shape_of(v):
    if isinstance(v, np.ndarray):
        return ("ndarray", v.dtype, v.shape)
    if isinstance(v, tuple):
        return ("tuple", len(v), tuple(_shape_of(x) for x in v[:1]))
    return (type(v).__name__,)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a).__name__ == type(b).__name__ and a == b


def test_identity_like_pytango(dev, ref):
    assert str(dev) == repr(dev) == repr(ref) == "TangoTest(sys/tg_test/1)"
    assert dev.dev_name() == ref.dev_name()
    assert dev.adm_name() == ref.adm_name() == "dserver/TangoTest/test"
    assert dev.get_idl_version() == ref.get_idl_version() == 5
    assert dev.description() == ref.description()
    assert dev.get_db_host() == ref.get_db_host() and dev.get_db_port() == ref.get_db_port()
    assert dev.get_db_port_num() == ref.get_db_port_num()
    assert dev.get_dev_host() == ref.get_dev_host()
    assert str(dev.info()) == str(ref.info())
    assert repr(dev.info()) == repr(ref.info())
    assert dev.state() == ref.state() == DevState.RUNNING
    assert dev.status() == ref.status()
    assert DeviceProxy("SYS/TG_TEST/1").dev_name() == "sys/tg_test/1"
    assert DeviceProxy(f"tango://{dev.get_db_host()}:{dev.get_db_port()}/{DEV}").state() == DevState.RUNNING


def test_every_attribute_reads_like_pytango(dev, ref):
    names = list(ref.get_attribute_list())
    assert dev.get_attribute_list() == names
    assert len(names) == 62
    for name in names:
        try:
            theirs = ref.read_attribute(name)
        except tango.DevFailed as exc:
            with pytest.raises(DevFailed) as info:
                dev.read_attribute(name)
            assert reasons(info.value) == [e.reason for e in exc.args], name
            assert info.value.args[0].desc == exc.args[0].desc
            continue
        ours = dev.read_attribute(name)
        for field in ("name", "quality", "data_format", "type", "dim_x", "dim_y", "w_dim_x", "w_dim_y",
                      "nb_read", "nb_written", "has_failed", "is_empty"):
            assert getattr(ours, field) == getattr(theirs, field), (name, field)
        assert _shape_of(ours.value) == _shape_of(theirs.value), name
        assert _shape_of(ours.w_value) == _shape_of(theirs.w_value), name
        if ours.data_format == AttrDataFormat.SCALAR and ours.type == CmdArgType.DevString or name == "State":
            assert ours.value == theirs.value
    assert dev.read_attribute("State").value == DevState.RUNNING


def test_read_attributes_many_at_once(dev):
    names = dev.get_attribute_list()
    result = dev.read_attributes(names)
    assert [a.name for a in result] == names
    failed = {a.name for a in result if a.has_failed}
    assert failed == {"no_value", "throw_exception"}


def _write_value(cfg):
    """A typical test value for a writable TangoTest attribute, from its configuration."""
    dt = cfg.data_type
    scalar = {
        CmdArgType.DevBoolean: True, CmdArgType.DevShort: -32768, CmdArgType.DevUShort: 65535,
        CmdArgType.DevLong: 2**31 - 1, CmdArgType.DevULong: 2**32 - 1, CmdArgType.DevLong64: -(2**63),
        CmdArgType.DevULong64: 2**64 - 1, CmdArgType.DevFloat: 0.5, CmdArgType.DevDouble: -1.25e-300,
        CmdArgType.DevUChar: 255, CmdArgType.DevString: "héllo ÿ",
    }[dt]
    if cfg.data_format == AttrDataFormat.SCALAR:
        return scalar
    if cfg.data_format == AttrDataFormat.SPECTRUM:
        return [scalar, scalar, scalar] if dt != CmdArgType.DevBoolean else [True, False, True]
    return [[scalar, scalar, scalar], [scalar, scalar, scalar]]


def test_write_every_writable_attribute_and_read_back(dev, ref):
    for cfg in dev.attribute_list_query_ex():
        if cfg.name == "long_image":
            continue  # TangoTest 9.3.4 crashes on any long_image write (PyTango's client too)
        if cfg.writable in (tango.AttrWriteType.READ, tango.AttrWriteType.READ_WITH_WRITE):
            continue
        value = _write_value(cfg)
        dev.write_attribute(cfg.name, value)
        ours = dev.read_attribute(cfg.name)
        theirs = ref.read_attribute(cfg.name)
        assert _same(ours.w_value, theirs.w_value), (cfg.name, ours.w_value, theirs.w_value)
        expected = np.asarray(value) if not isinstance(value, str) else value
        if isinstance(ours.w_value, np.ndarray):
            np.testing.assert_array_equal(ours.w_value, expected.astype(ours.w_value.dtype))
        elif isinstance(ours.w_value, tuple):
            assert ours.w_value == (tuple(value) if not isinstance(value[0], list)
                                    else tuple(tuple(r) for r in value))
        elif isinstance(value, float):
            assert ours.w_value == pytest.approx(value)
        else:
            assert ours.w_value == value, cfg.name


def test_write_edge_values(dev, ref):
    dev.write_attribute("double_spectrum", [])
    assert ref.read_attribute("double_spectrum").w_value.shape == (0,)
    assert dev.read_attribute("double_spectrum").w_value.shape == (0,)
    dev.write_attribute("double_scalar", 1.7976931348623157e308)
    assert ref.read_attribute("double_scalar").w_value == 1.7976931348623157e308
    with pytest.raises(DevFailed) as info:
        dev.write_attribute("double_scalar", float("inf"))
    assert reasons(info.value) == ["API_WAttrOutsideLimit", "API_AttributeFailed"]
    dev.write_attribute("string_scalar", "")
    assert dev.read_attribute("string_scalar").w_value == ""
    dev.write_attribute("double_image", np.arange(6.0).reshape(2, 3))
    da = dev.read_attribute("double_image")
    assert (da.w_dim_x, da.w_dim_y) == (3, 2)
    np.testing.assert_array_equal(da.w_value, np.arange(6.0).reshape(2, 3))
    dev.ampli = 2.0
    assert ref.ampli == 2.0


def test_write_errors(dev):
    with pytest.raises(DevFailed) as info:
        dev.write_attribute("short_scalar_ro", 3)
    assert reasons(info.value) == ["API_AttrNotWritable", "API_AttributeFailed"]
    assert info.value.args[0].desc == "Attribute short_scalar_ro is not writable"
    with pytest.raises(DevFailed) as info:
        dev.write_attribute("no_such_attribute", 3)
    assert reasons(info.value)[0] == "API_AttrNotFound"
    with pytest.raises(DevFailed) as info:
        dev.read_attribute("no_such_attribute")
    assert reasons(info.value) == ["API_AttrNotFound", "API_AttributeFailed"]
    with pytest.raises(DevFailed) as info:
        dev.command_inout("NoSuchCommand")
    assert reasons(info.value) == ["API_CommandNotFound", "API_CommandFailed"]
    with pytest.raises(DevFailed) as info:
        dev.command_inout("NoSuchCommand", 1)
    assert reasons(info.value) == ["API_CommandNotFound"]
    with pytest.raises(DevFailed) as info:
        dev.command_query("NoSuchCommand")
    assert reasons(info.value) == ["API_CommandNotFound"]
    with pytest.raises(AttributeError):
        dev.no_such_thing


_EDGE_ARGS = {
    "DevBoolean": [True, False],
    "DevShort": [0, -32768, 32767],
    "DevUShort": [0, 65535],
    "DevLong": [-(2**31), 2**31 - 1],
    "DevULong": [0, 2**32 - 1],
    "DevLong64": [-(2**63), 2**63 - 1],
    "DevULong64": [0, 2**64 - 1],
    "DevFloat": [1.5, float("inf"), float("nan")],
    "DevDouble": [0.0, -1e308, float("nan"), float("-inf")],
    "DevString": ["", "hello", "é à ÿ latin-1"],
    "DevVarCharArray": [[], [0, 1, 255], b"\x00\xff"],
    "DevVarShortArray": [[], [-32768, 32767]],
    "DevVarUShortArray": [[], [0, 65535]],
    "DevVarLongArray": [[], [-(2**31), 2**31 - 1]],
    "DevVarULongArray": [[], [0, 2**32 - 1]],
    "DevVarLong64Array": [[], [-(2**63), 2**63 - 1]],
    "DevVarULong64Array": [[], [0, 2**64 - 1]],
    "DevVarFloatArray": [[], [1.5, float("nan")]],
    "DevVarDoubleArray": [[], np.linspace(0, 1, 1000), [float("nan")]],
    "DevVarStringArray": [[], ["a", "", "ü"]],
    "DevVarLongStringArray": [[[], []], [[1, -2], ["x", "y", "z"]]],
    "DevVarDoubleStringArray": [[[], []], [[1.5, -2.5], ["x"]]],
    "DevVoid": [None],
    "State": [None],
    "Status": [None],
    "Init": [None],
    "SwitchStates": [None],
    "DumpExecutionState": [None],
}


def _results_equal(a, b) -> bool:
    if isinstance(b, list) and len(b) == 2 and isinstance(b[0], np.ndarray):
        return _same(a[0], b[0]) and a[1] == b[1]
    return _same(a, b)


@pytest.mark.parametrize("cmd", sorted(_EDGE_ARGS))
def test_every_command_like_pytango(dev, ref, cmd):
    for arg in _EDGE_ARGS[cmd]:
        if cmd == "SwitchStates":
            dev.command_inout(cmd)
            ref.command_inout(cmd)  # switches back
            continue
        ours = dev.command_inout(cmd, arg) if arg is not None else dev.command_inout(cmd)
        theirs = ref.command_inout(cmd, arg) if arg is not None else ref.command_inout(cmd)
        if cmd in ("Status", "DumpExecutionState"):
            assert type(ours) is type(theirs)
            continue
        assert _results_equal(ours, theirs), (cmd, arg, ours, theirs)


def test_command_list_covers_every_tangotest_command(dev, ref):
    assert dev.get_command_list() == list(ref.get_command_list())
    tested = set(_EDGE_ARGS) | {"CrashFromDevelopperThread", "CrashFromOmniThread"}
    assert set(dev.get_command_list()) <= tested
    for info in dev.command_list_query():
        assert repr(info) == repr(ref.command_query(info.cmd_name))
        assert str(info) == str(ref.command_query(info.cmd_name))


def test_argin_validated_before_sending(dev):
    dev.command_query("DevShort"), dev.command_query("DevUShort"), dev.command_query("DevVoid")
    dev.command_query("DevString"), dev.command_query("DevVarDoubleArray")
    with pytest.raises(TypeError, match="cannot be converted to type DevShort"):
        dev.DevShort(2.5)
    with pytest.raises(OverflowError):
        dev.DevShort(70000)
    with pytest.raises(TypeError):
        dev.DevUShort(-1)
    with pytest.raises(TypeError):
        dev.DevVoid(3)
    with pytest.raises(UnicodeError):
        dev.DevString("€")
    with pytest.raises(DevFailed) as info:
        dev.DevVarDoubleArray(5.0)
    assert reasons(info.value) == ["PyDs_WrongParameters"]
    assert not any("command_inout" in line for line in dev.black_box(2))  # nothing reached the device


def test_attribute_configs_print_like_pytango(dev, ref):
    for name in ref.get_attribute_list():
        assert str(dev.attribute_query(name)) == str(ref.attribute_query(name)), name
    assert [repr(a) for a in dev.attribute_list_query()] == [repr(a) for a in ref.attribute_list_query()]
    assert [repr(a) for a in dev.attribute_list_query_ex()] == [repr(a) for a in ref.attribute_list_query_ex()]


def test_set_attribute_config_event_properties(dev, ref):
    """What change events need: set abs_change on TangoTest's double_scalar."""
    cfg = dev.get_attribute_config("double_scalar")
    old = cfg.events.ch_event.abs_change
    cfg.events.ch_event.abs_change = "0.1"
    cfg.events.per_event.period = "500"
    dev.set_attribute_config(cfg)
    try:
        theirs = ref.get_attribute_config("double_scalar")
        assert theirs.events.ch_event.abs_change == "0.1"
        assert theirs.events.per_event.period == "500"
    finally:
        cfg.events.ch_event.abs_change = old
        cfg.events.per_event.period = "1000"
        dev.set_attribute_config(cfg)
    assert ref.get_attribute_config("double_scalar").events.ch_event.abs_change == old


@pytest.mark.parametrize("value", ["invalid_item", ["invalid", "list", "of", "items"], 42, [None]])
def test_set_attribute_config_refuses_what_is_not_attribute_info_as_pytango(dev, ref, value):
    with pytest.raises(TypeError) as theirs:
        ref.set_attribute_config(value)
    with pytest.raises(TypeError) as ours:
        dev.set_attribute_config(value)
    assert str(ours.value) == str(theirs.value)


def test_set_attribute_config_of_nothing_changes_nothing(dev, ref):
    assert dev.set_attribute_config([]) is None
    assert ref.set_attribute_config([]) is None


def test_set_plain_attribute_info_keeps_event_properties(dev, ref):
    cfg = dev.get_attribute_config("short_scalar")
    cfg.events.ch_event.abs_change = "3"
    dev.set_attribute_config(cfg)
    try:
        plain = dev.get_attribute_config(["short_scalar"])[0]  # an AttributeInfo, as in PyTango
        plain.label = "tc label"
        dev.set_attribute_config(plain)
        theirs = ref.get_attribute_config("short_scalar")
        assert (theirs.label, theirs.events.ch_event.abs_change) == ("tc label", "3")
    finally:
        cfg.events.ch_event.abs_change = "Not specified"
        cfg.label = "short_scalar"
        dev.set_attribute_config(cfg)
    theirs = ref.get_attribute_config("short_scalar")
    assert (theirs.label, theirs.events.ch_event.abs_change) == ("short_scalar", "Not specified")


def test_polling_like_pytango(dev, ref):
    dev.poll_attribute("short_scalar", 300)
    try:
        assert ref.is_attribute_polled("short_scalar")
        assert ref.get_attribute_poll_period("short_scalar") == 300
        assert dev.get_attribute_poll_period("short_scalar") == 300
        assert dev.polling_status() == list(ref.polling_status())
    finally:
        dev.stop_poll_attribute("short_scalar")
    assert not ref.is_attribute_polled("short_scalar")
    assert dev.get_attribute_poll_period("short_scalar") == 0
    dev.poll_command("DevVoid", 1000) if False else None
    dev.poll_command("State", 1500)
    try:
        assert ref.is_command_polled("State") and dev.get_command_poll_period("State") == 1500
    finally:
        dev.stop_poll_command("State")
    assert not dev.is_command_polled("State")


def test_device_properties(dev, ref):
    dev.put_property({"tc_prop": 3.5, "tc_list": ["a", "b"]})
    try:
        assert dev.get_property("tc_prop") == {"tc_prop": ["3.5"]}
        assert ref.get_property(["tc_prop", "tc_list"]) == dev.get_property(["tc_prop", "tc_list"])
        assert dev.get_property("missing") == {"missing": []}
    finally:
        dev.delete_property(["tc_prop", "tc_list"])
    assert ref.get_property("tc_prop") == {"tc_prop": []}


def test_dynamic_interface_and_completion(dev, ref):
    assert dev.DevString("x") == "x"
    assert dev.State() == DevState.RUNNING
    assert isinstance(dev.double_scalar, float)
    dev.short_scalar = 12
    assert dev["short_scalar"].w_value == 12
    assert dev.State.__doc__ == ref.State.__doc__
    names = dir(dev)
    assert {"DevString", "devstring", "double_scalar", "long_spectrum_ro", "read_attribute"} <= set(names)
    assert "ampli" in dev._ipython_key_completions_()


def test_extract_as_on_tangotest(dev, ref):
    for mode in (ExtractAs.List, ExtractAs.Tuple, ExtractAs.Bytes, ExtractAs.ByteArray):
        ours = dev.read_attribute("short_image_ro", extract_as=mode)
        theirs = ref.read_attribute("short_image_ro", extract_as=getattr(tango.ExtractAs, mode.name))
        assert type(ours.value) is type(theirs.value)
        assert len(ours.value) == len(theirs.value)
        assert ours.w_value == theirs.w_value


def test_fifty_threads_share_one_proxy(dev):
    counts = []

    def work(i):
        n = 0
        for k in range(20):
            assert dev.DevLong(i * 1000 + k) == i * 1000 + k
            assert dev.read_attribute("long_scalar").name == "long_scalar"
            n += 1
        counts.append(n)

    errors = run_in_threads(work, 50, timeout=60)
    assert not errors
    assert counts == [20] * 50


def test_restart_of_tangotest_mid_session(dev, tangotest):
    assert dev.state() == DevState.RUNNING
    tangotest.restart()
    assert dev.state() == DevState.RUNNING  # the next call succeeds
    assert dev.read_attribute("long_scalar").name == "long_scalar"


def test_logging_level_and_targets(dev, ref, tmp_path):
    assert dev.get_logging_level() == ref.get_logging_level()
    dev.set_logging_level(4)
    try:
        assert ref.get_logging_level() == 4 == dev.get_logging_level()
        target = f"file::{tmp_path}/tangotest.log"
        dev.add_logging_target(target)
        assert target in ref.get_logging_target() and dev.get_logging_target() == list(ref.get_logging_target())
        dev.remove_logging_target(target)
        assert target not in ref.get_logging_target()
    finally:
        dev.set_logging_level(0)


def _written_by_another_process() -> str:
    """Another client writes double_scalar: "" when it could, else the reason it was refused.
    (A lock is its process's -- cppTango compares the client's PID and address -- so PyTango's
    client in another process.)"""
    other = subprocess.run(
        [sys.executable, "-c", "import tango\n"
         "try:\n tango.DeviceProxy('sys/tg_test/1').write_attribute('double_scalar', 3.0)\n"
         "except tango.DevFailed as e:\n print(e.args[0].reason)"],
        capture_output=True, text=True, timeout=60)
    assert other.returncode == 0, other.stderr
    return other.stdout.strip()


def test_lock_keeps_other_clients_out(dev, ref):
    from tango_core.client.info import LockerInfo

    assert not dev.is_locked() and dev.locking_status() == ref.locking_status()
    dev.lock(2)
    try:
        assert dev.is_locked() and dev.is_locked_by_me() and ref.is_locked()
        info = LockerInfo()
        assert dev.get_locker(info) and info.li == os.getpid()
        time.sleep(3)  # longer than the validity: our background re-lock keeps it
        assert _written_by_another_process() == "API_DeviceLocked"
        dev.write_attribute("double_scalar", 3.0)
    finally:
        dev.unlock()
    assert not ref.is_locked()
    ref.write_attribute("double_scalar", 3.0)


def test_a_short_lock_after_a_long_one_is_kept_too(dev, ref):
    """The re-lock thread sleeps half the validity of what it keeps; a device locked for 2 s
    while it sleeps the 5 s of an earlier 10 s lock must wake it (it did not: the 2 s lock ran
    out, and another client wrote)."""
    dev.lock(10)
    dev.unlock()
    dev.lock(2)
    try:
        time.sleep(3)
        assert _written_by_another_process() == "API_DeviceLocked"
    finally:
        dev.unlock()
    assert not ref.is_locked()


def test_device_not_defined_and_not_exported(tango_host, tangotest):
    with pytest.raises(DevFailed) as info:
        DeviceProxy("sys/tg_test/222")
    assert reasons(info.value)[0] == "DB_DeviceNotDefined"
    d = DeviceProxy("sys/access_control/1")  # defined, never exported: construction succeeds
    with pytest.raises(DevFailed) as info:
        d.state()
    assert "API_DeviceNotExported" in reasons(info.value)
    assert re.search("is not exported", info.value.args[0].desc)


def test_device_data_like_pytango(dev, ref):
    from tango_core import DeviceData, WrongData

    dd = DeviceData()
    assert dd.is_empty() and repr(dd) == repr(tango.DeviceData()) and str(dd) == str(tango.DeviceData())
    with pytest.raises(WrongData):
        dd.get_type()
    dd.insert(CmdArgType.DevLong, 5)
    assert dev.command_inout("DevLong", dd) == 5
    raw = dev.command_inout_raw("DevVarDoubleArray", [1.5, 2.5])
    theirs = ref.command_inout_raw("DevVarDoubleArray", [1.5, 2.5])
    assert raw.get_type() == theirs.get_type() == CmdArgType.DevVarDoubleArray
    assert raw.extract().tolist() == theirs.extract().tolist() == [1.5, 2.5]
    assert raw.extract(tango.ExtractAs.List) == [1.5, 2.5]


def test_polling_history_like_pytango(dev, ref):
    from tango_core import DeviceAttributeHistory

    attrs = ["short_spectrum_ro", "throw_exception", "double_scalar", "string_spectrum_ro", "double_image_ro",
             "boolean_scalar", "long_scalar"]
    for a in attrs:
        dev.poll_attribute(a, 100)
    dev.poll_command("Status", 100)
    time.sleep(0.8)
    try:
        for a in attrs:
            ours, theirs = dev.attribute_history(a, 4), ref.attribute_history(a, 4)
            assert len(ours) == len(theirs) == 4
            by_time = {t.time.totime(): t for t in theirs}  # the poller may add a record between the calls
            pairs = [(o, by_time[o.time.totime()]) for o in ours if o.time.totime() in by_time]
            assert len(pairs) >= 3, a
            for o, t in pairs:
                assert isinstance(o, DeviceAttributeHistory)
                for f in ("name", "quality", "data_format", "type", "dim_x", "dim_y", "w_dim_x", "w_dim_y",
                          "has_failed"):
                    assert getattr(o, f) == getattr(t, f), (a, f)
                if t.has_failed:
                    assert [e.reason for e in o.get_err_stack()] == [e.reason for e in t.get_err_stack()]
                    continue
                for ov, tv in ((o.value, t.value), (o.w_value, t.w_value)):
                    assert (np.array_equal(ov, tv) and ov.dtype == tv.dtype) if isinstance(tv, np.ndarray) \
                        else ov == tv, a
        ours, theirs = dev.command_history("Status", 3), ref.command_history("Status", 3)
        theirs_by_date = {t.get_date().totime(): (t.extract(), t.has_failed()) for t in theirs}
        common = [o for o in ours if o.get_date().totime() in theirs_by_date]
        assert len(common) >= 2
        assert all((o.extract(), o.has_failed()) == theirs_by_date[o.get_date().totime()] for o in common)
        assert len(ours) == 3 and ours[0].extract() == "The device is in RUNNING state."
    finally:
        for a in attrs:
            dev.stop_poll_attribute(a)
        dev.stop_poll_command("Status")
