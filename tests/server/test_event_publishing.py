"""Which events a device publishes and when (tango_core/server/event_publishing.py), with a real
EventSupplier and raw ZMQ subscribers; subscription checks with cppTango's reasons."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("zmq")

from event_probe import Subscriber
from tango_core.events import frames, topics
from tango_core.events.supplier import EventSupplier
from tango_core.idl import types as T
from tango_core.idl.enums import AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType, DispLevel
from tango_core.idl.errors import DevError, DevFailed
from tango_core.server.event_publishing import (DeviceEvents, EventCriteria, check_subscription,
                                                criteria_from_config)

DEV = "test/ev/1"


def _av(x, quality=AttrQuality.ATTR_VALID, name="x"):
    return T.AttributeValue_5(T.AttrValUnion(AttributeDataType.ATT_DOUBLE, np.array([x])), quality,
                              AttrDataFormat.SCALAR, CmdArgType.DevDouble, T.TimeVal(1.0), name,
                              T.AttributeDim(1, 0), T.AttributeDim(0, 0), [])


@pytest.fixture
def supplier():
    s = EventSupplier(topics.no_database_prefix("vm", 1), "dserver/ev/1", no_db=True, host="127.0.0.1",
                      bind_host="127.0.0.1")
    yield s
    s.close()


def _listen(supplier, *subs):
    """Subscribe (event, attr) pairs and return a connected Subscriber."""
    names = [supplier.subscribe(DEV, attr, event, 6)[1][2] for event, attr in subs]
    return Subscriber(supplier, names)


def _values(sub, n):
    out = []
    for _ in range(n):
        ev = sub.next_event()
        kind, v = frames.decode_payload(ev)
        out.append((ev.event_name, v.value.value.tolist()[0] if kind == "value" else kind))
    return out


# ---------------------------------------------------------------------------
# subscription checks

class Flags:
    """The event settings of an attribute, answered with PyTango's Attribute method names."""

    def __init__(self, change_implemented=False, change_detect=True, archive_implemented=False,
                 archive_detect=True, alarm_implemented=False, data_ready=False):
        self.is_change_event = lambda: change_implemented
        self.is_check_change_criteria = lambda: change_detect
        self.is_archive_event = lambda: archive_implemented
        self.is_check_archive_criteria = lambda: archive_detect
        self.is_alarm_event = lambda: alarm_implemented
        self.is_data_ready_event = lambda: data_ready


def _check(event, polled=False, data_type=CmdArgType.DevDouble, criteria=EventCriteria(), **flags):
    check_subscription(event, "Volts", data_type, polled=polled, flags=Flags(**flags), criteria=criteria)


def _reason(fn, *args, **kwargs):
    with pytest.raises(DevFailed) as info:
        fn(*args, **kwargs)
    return info.value.args[0].reason, info.value.args[0].desc


def test_change_needs_polling_or_code_pushing():
    reason, desc = _reason(_check, "change")
    assert reason == "API_AttributePollingNotStarted"
    assert desc == "The polling (necessary to send events) for the attribute Volts is not started"
    assert _reason(_check, "periodic")[0] == "API_AttributePollingNotStarted"
    assert _reason(_check, "archive", change_implemented=True)[0] == "API_AttributePollingNotStarted"
    _check("change", change_implemented=True, change_detect=False)      # pushed without detection: fine
    _check("user_event")
    _check("attr_conf")


def test_numeric_change_needs_abs_or_rel_change():
    reason, desc = _reason(_check, "change", polled=True)
    assert reason == "API_EventPropertiesNotSet"
    assert desc == "Event properties (abs_change or rel_change) for attribute Volts are not set"
    _check("change", polled=True, criteria=criteria_from_config(abs_change="0.1"))
    _check("change", polled=True, data_type=CmdArgType.DevString)
    _check("change", polled=True, data_type=CmdArgType.DevBoolean)
    reason, desc = _reason(_check, "archive", polled=True)
    assert reason == "API_EventPropertiesNotSet" and desc.startswith("Archive event properties (archive_abs_change")
    _check("archive", polled=True, criteria=criteria_from_config(archive_period="1000"))


def test_data_ready_needs_the_attribute_enabled():
    assert _reason(_check, "data_ready") == ("API_AttributeNotDataReadyEnabled",
                                              "The attribute Volts is not data ready event enabled")
    _check("data_ready", data_ready=True)


def test_criteria_from_an_attribute_config():
    cfg = T.AttributeConfig_5(name="x", level=DispLevel.OPERATOR)
    cfg.event_prop.ch_event.abs_change = "0.5"
    cfg.event_prop.arch_event.period = "2000"
    cfg.event_prop.per_event.period = "Not specified"
    c = criteria_from_config(cfg)
    assert c.abs_change == (-0.5, 0.5) and c.rel_change is None and c.archive_period_ms == 2000.0
    assert c.event_period_ms == 1000


# ---------------------------------------------------------------------------
# publication

def test_polled_readings_fire_change_only_on_change_and_periodic_on_time(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    crit = criteria_from_config(abs_change=1.0)
    sub = _listen(supplier, ("change", "x"), ("periodic", "x"))
    try:
        dev.polled("x", _av(1.0), None, crit, when_ms=0)        # first: change + periodic
        dev.polled("x", _av(1.5), None, crit, when_ms=500)      # nothing
        dev.polled("x", _av(2.5), None, crit, when_ms=990)      # change, periodic (990 > 980)
        dev.polled("x", _av(2.6), None, crit, when_ms=1500)     # nothing (510 ms since the last periodic)
        assert _values(sub, 4) == [("change", 1.0), ("periodic", 1.0), ("change", 2.5), ("periodic", 2.5)]
        assert sub.nothing_more()
    finally:
        sub.close()


def test_polled_errors_are_sent_once_per_distinct_error(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    crit = criteria_from_config(abs_change=1.0)
    sub = _listen(supplier, ("change", "x"))
    err = [DevError("PyDs_PythonError", "ValueError: x\n", "read_x")]
    try:
        dev.polled("x", _av(1.0), None, crit, 0)
        dev.polled("x", None, err, crit, 100)
        dev.polled("x", None, err, crit, 200)
        dev.polled("x", _av(1.0), None, crit, 300)
        evs = [sub.next_event() for _ in range(3)]
        assert [e.call_is_except for e in evs] == [False, True, False]
        assert [e.ctr for e in evs] == [1, 2, 3]
        assert sub.nothing_more()
    finally:
        sub.close()


def test_archive_fires_on_change_and_on_its_period(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    crit = criteria_from_config(archive_abs_change=10, archive_period=1000)
    sub = _listen(supplier, ("archive", "x"))
    try:
        dev.polled("x", _av(1.0), None, crit, 0)         # first
        dev.polled("x", _av(2.0), None, crit, 500)       # no
        dev.polled("x", _av(20.0), None, crit, 700)      # change
        dev.polled("x", _av(21.0), None, crit, 1000)     # period from the first (0): 1000 > 980
        assert _values(sub, 3) == [("archive", 1.0), ("archive", 20.0), ("archive", 21.0)]
        assert sub.nothing_more()
    finally:
        sub.close()


def test_nothing_is_computed_or_sent_without_subscribers(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    dev.polled("x", _av(1.0), None, criteria_from_config(abs_change=1), 0)
    assert not dev.attribute("x").change.last.inited
    assert not dev.push("change", "x", _av(1.0), None)
    assert DeviceEvents(DEV, lambda: None).push("user_event", "x", _av(1.0), None) is False


def test_pushed_change_without_detection_always_goes_and_with_detection_filters(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    sub = _listen(supplier, ("change", "x"))
    try:
        for v in (1.0, 1.0, 1.0):
            assert dev.push("change", "X", _av(v), None, detect=False)
        crit = criteria_from_config(abs_change=0.5)
        assert not dev.push("change", "x", _av(1.2), None, crit, detect=True)
        assert dev.push("change", "x", _av(1.6), None, crit, detect=True)
        assert _values(sub, 4) == [("change", 1.0)] * 3 + [("change", 1.6)]
        assert sub.nothing_more()
    finally:
        sub.close()


def test_user_data_ready_attr_conf_and_interface_change_events(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    sub = _listen(supplier, ("user_event", "x"), ("data_ready", "x"), ("attr_conf", "x"), ("intr_change", "dummy"))
    try:
        assert dev.push("user_event", "x", _av(7.0), None)
        assert dev.push_data_ready("x", CmdArgType.DevDouble, 3)
        assert dev.push_attr_conf(T.AttributeConfig_5(name="x", unit="V"))
        assert dev.push_interface_change(T.DevIntrChange(True, [], []))
        got = {}
        for _ in range(4):
            e = sub.next_event()
            got[e.event_name] = frames.decode_payload(e)
        assert got["user_event"][1].value.value.tolist() == [7.0]
        assert got["data_ready"][1] == T.AttDataReady("x", CmdArgType.DevDouble, 3)
        assert got["attr_conf"][1].unit == "V"
        assert got["intr_change"][1].dev_started is True
    finally:
        sub.close()


def test_alarm_from_polling_on_quality_change(supplier):
    dev = DeviceEvents(DEV, lambda: supplier)
    sub = _listen(supplier, ("alarm", "x"))
    try:
        crit = EventCriteria()
        dev.polled("x", _av(1.0), None, crit, 0)
        dev.polled("x", _av(50.0), None, crit, 100)
        dev.polled("x", _av(99.0, AttrQuality.ATTR_ALARM), None, crit, 200)
        assert _values(sub, 2) == [("alarm", 1.0), ("alarm", 99.0)]
        assert sub.nothing_more()
    finally:
        sub.close()
