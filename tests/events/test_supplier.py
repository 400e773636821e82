"""The event supplier (tango_core/events/supplier.py, topics.py, subscriptions.py) on its own:
names as cppTango spells them, the subscription table's expiry and counters, and real ZMQ traffic
received by raw SUB sockets and decoded with the consumer's frames.py.

Servers built on it are tested end to end with PyTango's consumer in tests/server/.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

zmq = pytest.importorskip("zmq")

from tango_core.events import frames, topics
from tango_core.events.subscriptions import EventKey, SubscriptionTable
from tango_core.events.supplier import (EventSupplier, TANGO_LIB_RELEASE, parse_confirmations,
                                        parse_subscription_request)
from tango_core.idl import types as T
from tango_core.idl.enums import AttrDataFormat, AttrQuality, AttributeDataType, CmdArgType
from tango_core.idl.errors import DevError, DevFailed

from event_probe import Subscriber


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _value(x: float, name: str = "dscalar") -> T.AttributeValue_5:
    return T.AttributeValue_5(T.AttrValUnion(AttributeDataType.ATT_DOUBLE, np.array([x])), AttrQuality.ATTR_VALID,
                              AttrDataFormat.SCALAR, CmdArgType.DevDouble, T.TimeVal(1.5), name,
                              T.AttributeDim(1, 0), T.AttributeDim(0, 0), [])


# ---------------------------------------------------------------------------
# names

def test_topics_follow_the_captured_spellings():
    db = topics.database_prefix("127.0.0.1", 11000)
    assert topics.attribute_topic(db, "test/demo/2", "DScalar", "change", no_db=False) == \
        "tango://127.0.0.1:11000/test/demo/2/dscalar.idl5_change"
    assert topics.attribute_topic(db, "test/demo/2", "wattr", "alarm", no_db=False) == \
        "tango://127.0.0.1:11000/test/demo/2/wattr.alarm"
    assert topics.device_topic(db, "test/demo/2", "intr_change", no_db=False) == \
        "tango://127.0.0.1:11000/test/demo/2.intr_change"
    channel = topics.channel_name(db, "dserver/DemoDev/db1")
    assert channel == "tango://127.0.0.1:11000/dserver/demodev/db1"
    assert topics.heartbeat_topic(channel, no_db=False) == channel + ".heartbeat"

    nodb = topics.no_database_prefix("vm", 12345)
    assert topics.attribute_topic(nodb, "test/demo/1", "dscalar", "change", no_db=True) == \
        "tango://vm:12345/test/demo/1/dscalar#dbase=no.idl5_change"
    ch = topics.channel_name(nodb, "dserver/DemoDev/demo")
    assert ch == "tango://vm:12345/dserver/demodev/demo"
    assert topics.heartbeat_topic(ch, no_db=True) == "tango://vm:12345/dserver/demodev/demo#dbase=no.heartbeat"


def test_idl5_prefix_only_for_the_five_value_and_conf_events_of_idl5_data():
    for name in ("change", "periodic", "archive", "user_event", "attr_conf"):
        assert topics.wire_event_name(name, 6) == "idl5_" + name
        assert topics.wire_event_name(name, 4) == name
    for name in ("alarm", "data_ready", "intr_change"):
        assert topics.wire_event_name(name, 6) == name


def test_database_host_spelling_is_kept_for_ips_and_dotted_names():
    assert topics.expand_host("10.1.2.3") == "10.1.2.3"
    assert topics.expand_host("db.example.org") == "db.example.org"


# ---------------------------------------------------------------------------
# command arguments

def test_subscription_request_parsing():
    r = parse_subscription_request(["test/demo/2", "DScalar", "subscribe", "change", "6"])
    assert r == ("test/demo/2", "DScalar", "subscribe", "change", 6)
    assert parse_subscription_request(["d/e/f", "a", "subscribe", "attr_conf"]).client_version == 3
    assert parse_subscription_request(["d/e/f", "a", "subscribe", "change"]).client_version == 4
    # a "0" version is read from the idlN_ prefix (Tango 8/9 re-subscriptions)
    assert parse_subscription_request(["d/e/f", "a", "subscribe", "idl5_change", "0"]) == \
        ("d/e/f", "a", "subscribe", "change", 5)
    assert parse_subscription_request(["INFO"]) is None


@pytest.mark.parametrize("argin, fragment", [
    (["d/e/f", "a"], "needs at least 4"),
    (["nonsense"], "needs 4"),
    (["d/e/f", "a", "subscribe", "quantum"], "(quantum) is not  valid event type"),
])
def test_bad_subscription_requests_raise_wrong_number_of_args(argin, fragment):
    with pytest.raises(DevFailed) as info:
        parse_subscription_request(argin)
    err = info.value.args[0]
    assert err.reason == "API_WrongNumberOfArgs" and fragment in err.desc
    assert err.origin == "DServer::zmq_event_subscription_change"


def test_confirmation_triplets():
    assert parse_confirmations(["test/demo/2", "dscalar", "idl5_change", "test/demo/2", "x", "attr_conf",
                                "test/demo/2", "x", "change", "dangling"]) == \
        [("test/demo/2", "dscalar", "change", 5), ("test/demo/2", "x", "attr_conf", 3),
         ("test/demo/2", "x", "change", 4)]


# ---------------------------------------------------------------------------
# subscription table

def test_subscription_lapses_600_s_after_the_last_stamp_and_confirm_renews_it():
    clock = FakeClock()
    table = SubscriptionTable(clock=clock)
    key = EventKey("a/b/c", "x", "change")
    assert table.active_groups(key) == ()
    table.subscribe(key, 6)
    clock.now += 599.9
    assert table.active_groups(key) == (5,)
    table.confirm(key, 5)
    clock.now += 599.9
    assert table.is_active(key)
    clock.now += 0.2
    assert not table.is_active(key)
    table.confirm(key, 5)                 # cppTango's confirmation revives a lapsed subscription
    assert table.is_active(key)


def test_versions_lapse_separately_and_share_one_counter():
    clock = FakeClock()
    table = SubscriptionTable(lifetime=10, clock=clock)
    key = EventKey("a/b/c", "x", "change")
    table.subscribe(key, 4)
    clock.now += 5
    table.subscribe(key, 6)
    assert table.active_groups(key) == (5, 4)
    clock.now += 6
    assert table.active_groups(key) == (5,)
    assert [table.take_counter(key) for _ in range(3)] == [1, 2, 3]
    table.subscribe(key, 6)               # a re-subscription keeps the numbering
    assert table.take_counter(key) == 4


# ---------------------------------------------------------------------------
# ZMQ traffic

@pytest.fixture
def supplier():
    s = EventSupplier(topics.no_database_prefix("vm", 12345), "dserver/DemoDev/demo", no_db=True,
                      host="127.0.0.1", bind_host="127.0.0.1")
    yield s
    s.close()


def test_reply_has_endpoints_topic_and_channel(supplier):
    assert supplier.info() == ([TANGO_LIB_RELEASE], ["No ZMQ event yet!", ""])
    lvalue, svalue = supplier.subscribe("test/demo/1", "DScalar", "change", 6)
    assert lvalue[0] >= 930 and lvalue[1] == 6 and lvalue[2] == 1000
    major, minor, patch = zmq.zmq_version_info()
    assert lvalue[5] == major * 100 + minor * 10 + patch
    assert len(svalue) == 4
    assert svalue[0].startswith("tcp://127.0.0.1:") and svalue[1].startswith("tcp://127.0.0.1:")
    assert svalue[0] != svalue[1]
    assert svalue[2] == "tango://vm:12345/test/demo/1/dscalar#dbase=no.idl5_change"
    assert svalue[3] == "tango://vm:12345/dserver/demodev/demo"
    assert supplier.info() == ([TANGO_LIB_RELEASE], [f"Heartbeat: {svalue[0]}", f"Event: {svalue[1]}"])
    # a Tango 8 client gets the bare topic; data_ready/intr_change never take idl5_
    assert supplier.subscribe("test/demo/1", "dscalar", "change", 4)[1][2] == \
        "tango://vm:12345/test/demo/1/dscalar#dbase=no.change"
    assert supplier.subscribe("test/demo/1", "dummy", "intr_change", 6)[1][2] == \
        "tango://vm:12345/test/demo/1#dbase=no.intr_change"


def test_events_reach_a_subscriber_with_counters_one_apart(supplier):
    _, svalue = supplier.subscribe("test/demo/1", "dscalar", "change", 6)
    sub = Subscriber(supplier, [svalue[2]])
    try:
        for x in (9.5, 10.5, 11.5):
            assert supplier.publish("test/demo/1", "dscalar", "change", _value(x))
        got = [sub.next_event() for _ in range(3)]
        assert [e.ctr for e in got] == [1, 2, 3]
        assert {e.topic for e in got} == {svalue[2]}
        values = [frames.decode_payload(e) for e in got]
        assert [(k, v.value.value.tolist()) for k, v in values] == [("value", [9.5]), ("value", [10.5]),
                                                                     ("value", [11.5])]
        assert values[0][1] == _value(9.5)
        # another attribute nobody subscribed to: nothing sent
        assert not supplier.publish("test/demo/1", "other", "change", _value(1.0, "other"))
        assert sub.nothing_more()
    finally:
        sub.close()


def test_an_error_event_carries_call_is_except_and_the_dev_errors(supplier):
    _, svalue = supplier.subscribe("test/demo/1", "failing", "periodic", 6)
    sub = Subscriber(supplier, [svalue[2]])
    try:
        supplier.publish("test/demo/1", "failing", "periodic",
                         errors=[DevError("PyDs_PythonError", "ValueError: attr failure\n", "read")])
        ev = sub.next_event()
        assert ev.call_is_except and ev.ctr == 1
        kind, errs = frames.decode_payload(ev)
        assert kind == "error" and errs[0].reason == "PyDs_PythonError"
    finally:
        sub.close()


def test_a_tango_8_subscriber_gets_idl4_payloads_on_the_bare_topic_with_the_same_counter(supplier):
    _, new = supplier.subscribe("test/demo/1", "dscalar", "change", 6)
    _, old = supplier.subscribe("test/demo/1", "dscalar", "change", 4)
    sub = Subscriber(supplier, [new[2], old[2]])
    try:
        supplier.publish("test/demo/1", "dscalar", "change", _value(2.0))
        got = {e.topic: e for e in (sub.next_event(), sub.next_event())}
        assert set(got) == {new[2], old[2]}
        assert got[new[2]].ctr == got[old[2]].ctr == 1
        kind, av4 = frames.decode_payload(got[old[2]])
        assert kind == "value" and isinstance(av4, T.AttributeValue_4) and av4.value.value.tolist() == [2.0]
    finally:
        sub.close()


def test_nothing_is_published_after_the_subscription_lapses_and_the_counter_waits():
    clock = FakeClock()
    s = EventSupplier(topics.database_prefix("127.0.0.1", 11000), "dserver/DemoDev/db1", no_db=False,
                      host="127.0.0.1", bind_host="127.0.0.1", clock=clock)
    try:
        _, svalue = s.subscribe("test/demo/2", "dscalar", "change", 6)
        sub = Subscriber(s, [svalue[2]])
        assert s.publish("test/demo/2", "dscalar", "change", _value(1.0))
        assert sub.next_event().ctr == 1
        clock.now += 600
        assert not s.wants("test/demo/2", "dscalar", "change")
        assert not s.publish("test/demo/2", "dscalar", "change", _value(2.0))
        assert sub.nothing_more()
        s.confirm("test/demo/2", "dscalar", "change", 5)     # EventConfirmSubscription brings it back
        assert s.publish("test/demo/2", "dscalar", "change", _value(3.0))
        ev = sub.next_event()
        assert ev.ctr == 2 and frames.decode_payload(ev)[1].value.value.tolist() == [3.0]
        sub.close()
    finally:
        s.close()


def test_heartbeats_are_sent_periodically_on_the_channel_topic():
    s = EventSupplier(topics.no_database_prefix("vm", 1), "dserver/a/b", no_db=True, host="127.0.0.1",
                      bind_host="127.0.0.1", heartbeat_period=0.2)
    try:
        s.subscribe("a/b/c", "x", "change", 6)
        ctx = zmq.Context()
        hb = ctx.socket(zmq.SUB)
        hb.setsockopt(zmq.LINGER, 0)
        hb.connect(s.heartbeat_endpoint)
        hb.setsockopt(zmq.SUBSCRIBE, s.channel.encode())
        stamps = []
        deadline = time.monotonic() + 10
        while len(stamps) < 6 and time.monotonic() < deadline:
            if hb.poll(1000):
                beat = frames.decode_heartbeat(hb.recv_multipart())
                assert beat.topic == "tango://vm:1/dserver/a/b#dbase=no.heartbeat"
                assert beat.channel == s.channel
                stamps.append(time.monotonic())
        ctx.destroy(linger=0)
        assert len(stamps) == 6
        gaps = np.diff(stamps)
        assert 0.1 < np.median(gaps) < 0.4
    finally:
        s.close()


def test_default_heartbeat_period_stays_under_tangos_9_s():
    from tango_core.events.supplier import HEARTBEAT_PERIOD
    assert 0 < HEARTBEAT_PERIOD <= 9


def test_no_heartbeat_thread_and_no_zmq_before_the_first_subscription():
    s = EventSupplier(topics.no_database_prefix("vm", 1), "dserver/a/b", no_db=True, host="127.0.0.1")
    try:
        names = {t.name for t in threading.enumerate()}
        assert "tango_core event heartbeat" not in names
        assert s.heartbeat_endpoint == "" and not s.publish("a/b/c", "x", "change", _value(1.0))
    finally:
        s.close()


def test_close_stops_the_heartbeat_thread_and_refuses_new_subscriptions():
    s = EventSupplier(topics.no_database_prefix("vm", 1), "dserver/a/b", no_db=True, host="127.0.0.1",
                      bind_host="127.0.0.1")
    s.subscribe("a/b/c", "x", "change", 6)
    thread = s._hb_thread
    s.close()
    assert not thread.is_alive()
    with pytest.raises(DevFailed) as info:
        s.subscribe("a/b/c", "x", "change", 6)
    assert info.value.args[0].reason == "API_ShutdownInProgress"
    assert not s.publish("a/b/c", "x", "change", _value(1.0))


def test_concurrent_publishers_never_reuse_or_skip_a_counter(supplier):
    _, svalue = supplier.subscribe("test/demo/1", "dscalar", "change", 6)
    sub = Subscriber(supplier, [svalue[2]])
    try:
        def push(n):
            for i in range(n):
                supplier.publish("test/demo/1", "dscalar", "change", _value(float(i)))
        threads = [threading.Thread(target=push, args=(100,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ctrs = [sub.next_event().ctr for _ in range(400)]
        assert ctrs == list(range(1, 401))
    finally:
        sub.close()
