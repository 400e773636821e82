"""The client's structs print exactly like PyTango's (str and repr), for defaults and for values
set field by field -- what a shell user sees for ``dev.info()``, ``attribute_query`` results ..."""

from __future__ import annotations

import pytest

import tango  # test peer only: the oracle
import tango_core

STRUCTS = ["DeviceInfo", "CommandInfo", "AttributeInfo", "AttributeInfoEx", "AttributeAlarmInfo",
           "ChangeEventInfo", "PeriodicEventInfo", "ArchiveEventInfo", "AttributeEventInfo", "AttributeDimension",
           "DeviceAttribute", "LockerInfo"]


@pytest.mark.parametrize("name", STRUCTS)
def test_defaults_print_like_pytango(name):
    ours, theirs = getattr(tango_core, name)(), getattr(tango, name)()
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def _fill_both(ours, theirs):
    """Same non-default values on our and PyTango's object (multi-line text, enums, lists, dicts);
    fields PyTango keeps read-only are left alone on both."""
    values = {
        "dev_class": "TangoTest", "server_id": "TangoTest/test", "server_host": "vm", "server_version": 6,
        "doc_url": "Doc URL = http://x", "dev_type": "t", "cmd_name": "DevString", "cmd_tag": 3,
        "in_type_desc": "line 1\nline 2", "out_type_desc": "", "name": "double_scalar", "label": "lbl",
        "unit": "mm", "format": "%6.2f", "description": "a\nb\n", "max_dim_x": 7, "max_dim_y": 2,
        "min_value": "-1", "max_value": "1", "extensions": ["x=1", "y"], "enum_labels": ["A", "B"],
        "delta_t": "2", "abs_change": "0.5", "period": "100", "archive_period": "300", "dim_x": 4,
        "version_info": {"PyTango": "10.3.1", "idl": "6.0.4"},
    }
    enum_names = {"disp_level": ("DispLevel", "EXPERT"), "in_type": ("CmdArgType", "DevString"),
                  "out_type": ("CmdArgType", "DevVarLongStringArray"), "data_type": ("CmdArgType", "DevDouble"),
                  "data_format": ("AttrDataFormat", "IMAGE"), "writable": ("AttrWriteType", "READ_WRITE")}
    changed = 0
    for k in [*values, *enum_names]:
        if not hasattr(theirs, k):
            continue
        if k in enum_names:
            enum, member = enum_names[k]
            theirs_v, ours_v = getattr(getattr(tango, enum), member), getattr(getattr(tango_core, enum), member)
        else:
            theirs_v = ours_v = values[k]
        try:
            setattr(theirs, k, theirs_v)
        except AttributeError:  # read-only in PyTango
            continue
        setattr(ours, k, ours_v)
        changed += 1
    return changed


@pytest.mark.parametrize("name", ["DeviceInfo", "CommandInfo", "AttributeInfo", "AttributeInfoEx",
                                  "ChangeEventInfo", "PeriodicEventInfo", "ArchiveEventInfo",
                                  "AttributeAlarmInfo", "AttributeDimension"])
def test_filled_structs_print_like_pytango(name):
    ours, theirs = getattr(tango_core, name)(), getattr(tango, name)()
    _fill_both(ours, theirs)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


def test_nested_struct_changes_print_like_pytango():
    ours, theirs = tango_core.AttributeInfoEx(), tango.AttributeInfoEx()
    for obj in (ours, theirs):
        obj.events.ch_event.abs_change = "1"
        obj.alarms.max_alarm = "9"
        obj.name = "x"
    assert str(ours) == str(theirs)
    other = tango_core.AttributeInfoEx()
    other.events.ch_event.abs_change = "1"
    other.alarms.max_alarm = "9"
    other.name = "x"
    assert ours == other and ours != tango_core.AttributeInfoEx()


def test_public_api_names_resolve_without_zmq():
    """Every exported name imports (``from tango_core import *`` works) and none pulls in zmq."""
    import subprocess
    import sys

    code = ("import sys\nfrom tango_core import *\nimport tango_core\n"
            "missing = [n for n in tango_core.__all__ if not hasattr(tango_core, n)]\n"
            "assert not missing, missing\n"
            "assert Device is DeviceProxy and Attribute is tango_core.server.attributes.Attribute\n"
            "assert 'zmq' not in sys.modules, 'zmq imported'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    names = set(tango_core.__all__)
    for n in ("DeviceProxy", "AttributeProxy", "Database", "DeviceAttribute", "DeviceData", "DevFailed",
              "DevError", "ConnectionFailed", "CommunicationFailed", "WrongNameSyntax", "NonDbDevice", "WrongData",
              "NonSupportedFeature", "EventSystemFailed", "DevState", "AttrQuality", "AttrWriteType",
              "AttrDataFormat", "CmdArgType", "DispLevel", "ErrSeverity", "EventType", "EventData",
              "AttrConfEventData", "DataReadyEventData", "DevIntrChangeEventData", "ExtractAs", "DeviceInfo",
              "CommandInfo", "AttributeInfoEx", "DbDevInfo", "DbDatum", "Device", "Attribute", "TimeVal"):
        assert n in names
