"""Asynchronous calls (polling and callback models) against TangoTest, as PyTango's client does them."""

from __future__ import annotations

import threading
import time

import pytest

import tango  # test peer only: the oracle
from tango_core import (AsynCall, AsynReplyNotArrived, AttributeProxy, DevFailed, DeviceProxy, DevState,
                        asyn_req_type)

DEV = "sys/tg_test/1"


@pytest.fixture(scope="module")
def dev(tango_host, tangotest):
    return DeviceProxy(DEV)


def test_polling_model_command(dev):
    idx = dev.command_inout_asynch("DevDouble", 2.5)
    assert isinstance(idx, int) and idx > 0
    assert dev.command_inout_reply(idx, 0) == 2.5  # 0: wait as long as needed
    with pytest.raises(AsynCall) as info:
        dev.command_inout_reply(idx)  # already collected
    assert info.value.args[0].reason == "API_BadAsynPollId"
    assert dev.command_inout_reply(dev.command_inout_asynch("State"), 1000) == DevState.RUNNING


def test_reply_not_arrived_then_arrives(dev, tangotest):
    slow = DeviceProxy(DEV)
    idx = slow.read_attribute_asynch("double_image_ro")
    try:
        slow.read_attribute_reply(idx)  # no wait: usually not there yet
    except AsynReplyNotArrived as exc:
        assert exc.args[0].reason == "API_AsynReplyNotArrived"
        assert f"(id = {idx}) is not yet arrived" in exc.args[0].desc
        da = slow.read_attribute_reply(idx, 2000)
    else:  # pragma: no cover - the machine was fast enough
        da = None
    if da is not None:
        assert da.value.shape == (251, 251)


def test_errors_come_back_in_the_reply(dev):
    idx = dev.read_attribute_asynch("no_value")
    with pytest.raises(DevFailed) as info:
        dev.read_attribute_reply(idx, 0)
    assert [e.reason for e in info.value.args] == ["API_AttrValueNotSet", "API_AttributeFailed"]
    idx = dev.read_attributes_asynch(["no_value", "long_scalar"])
    result = dev.read_attributes_reply(idx, 0)
    assert [a.has_failed for a in result] == [True, False]
    with pytest.raises(TypeError):  # bad arguments are refused at once, not in the reply
        dev.command_inout_asynch("DevDouble", "abc")
    with pytest.raises(AsynCall):
        dev.command_inout_reply(987654)


def test_write_asynch_and_pending_count(dev, tango_host):
    ref = tango.DeviceProxy(DEV)
    idx = dev.write_attribute_asynch("long_scalar", 321)
    assert dev.write_attribute_reply(idx, 0) is None
    assert ref.read_attribute("long_scalar").w_value == 321
    idx = dev.write_attributes_asynch([("short_scalar", 5), ("double_scalar", 6.5)])
    dev.write_attributes_reply(idx, 0)
    assert ref.read_attribute("short_scalar").w_value == 5
    assert dev.pending_asynch_call(asyn_req_type.POLLING) == 0
    idx = dev.command_inout_asynch("DevDouble", 1.0)
    dev.cancel_asynch_request(idx)
    with pytest.raises(AsynReplyNotArrived):
        dev.command_inout_reply(idx)


def test_callback_model(dev):
    done = threading.Event()
    events = []

    def cb(evt):
        events.append(evt)
        done.set()

    assert dev.command_inout_asynch("DevString", "hé", cb) is None
    time.sleep(0.3)
    assert not done.is_set()       # PULL_CALLBACK, the default: callbacks run in get_asynch_replies
    dev.get_asynch_replies(5000)
    assert done.is_set()
    evt = events[0]
    assert (evt.cmd_name, evt.argout, evt.err, evt.device) == ("DevString", "hé", False, dev)

    class Receiver:
        def __init__(self):
            self.read, self.written = [], []

        def attr_read(self, evt):
            self.read.append(evt)

        def attr_written(self, evt):
            self.written.append(evt)

    r = Receiver()
    dev.read_attributes_asynch(["long_scalar", "no_value"], r)
    dev.write_attribute_asynch("short_scalar", 7, r)
    dev.get_asynch_replies(5000)
    assert [a.name for a in r.read[0].argout] == ["long_scalar", "no_value"]
    assert r.written[0].attr_names == ["short_scalar"] and not r.written[0].err
    failed = []
    dev.command_inout_asynch("DevVoid", lambda e: failed.append(e))
    dev.command_inout_asynch("DumpExecutionState", lambda e: failed.append(e))
    dev.get_asynch_replies(5000)
    assert len(failed) == 2 and not any(e.err for e in failed)
    assert dev.pending_asynch_call(asyn_req_type.ALL_ASYNCH) == 0


def test_attribute_proxy_asynch(tango_host, tangotest):
    ap = AttributeProxy(f"{DEV}/long_scalar")
    idx = ap.write_asynch(99)
    ap.write_reply(idx, 0)
    idx = ap.read_asynch()
    assert ap.read_reply(idx, 0).w_value == 99
    start = time.monotonic()
    got = threading.Event()
    ap.read_asynch(lambda evt: got.set())
    ap.get_device_proxy().get_asynch_replies(5000)
    assert got.is_set() and time.monotonic() - start < 5
