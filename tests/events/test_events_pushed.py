"""Events pushed from device code by a real PyTango 10.3.1 server (tests/servers/event_server.py),
received through tango_core's DeviceProxy.subscribe_event: every event type, error events, the
pull model, ordering under a burst, slow callbacks, unsubscription and the str/repr users see.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tango_core.client.attribute_proxy import AttributeProxy
from tango_core.client.device_proxy import DeviceProxy
from tango_core.events import AttrConfEventData, DataReadyEventData, DevIntrChangeEventData, EventData
from tango_core.idl.enums import EventReason, EventSubMode, EventType, ExtractAs
from tango_core.idl.errors import DevFailed

from event_channel import wait_until_events_arrive

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def dev(event_nodb):
    d = DeviceProxy(event_nodb.device)
    yield d
    for eid in list(d.__dict__.get("_tango_core_events", {})):
        d.unsubscribe_event(eid)


def _live(dev) -> None:
    """Wait until the subscriptions made so far reach the server's publisher (tests/event_channel.py):
    an event pushed right after subscribe_event is otherwise dropped under load (ZMQ's slow joiner)."""
    wait_until_events_arrive(dev, EventType, "spectrum")


def _attr_full(peer, attr: str) -> str:
    base = peer.device[: -len("#dbase=no")]
    return f"{base}/{attr}#dbase=no"


def _wait_until(ready, timeout: float) -> None:
    """Poll ``ready()`` every 20 ms until it is true or ``timeout`` s passed (callers assert after)."""
    deadline = time.monotonic() + timeout
    while not ready() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_change_event_first_value_then_pushed_values(dev, event_nodb, collector):
    dev.PushChange(1.0)
    eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    assert isinstance(eid, int)
    assert len(collector.events) == 1      # like PyTango: the first value is there on return
    first = collector.events[0]
    assert isinstance(first, EventData)
    assert first.event_reason == EventReason.SubSuccess and not first.err
    assert first.attr_value.value == 1.0
    _live(dev)
    for v in (2.0, 3.0, 4.0):
        dev.PushChange(v)
    evs = collector.wait_count(4)
    assert [e.attr_value.value for e in evs] == [1.0, 2.0, 3.0, 4.0]
    assert all(e.event_reason == EventReason.Update for e in evs[1:])
    e = evs[-1]
    assert e.event == "change"
    assert e.attr_name == _attr_full(event_nodb, "value")
    assert e.device is dev
    assert e.attr_value.name == "value"
    assert e.errors == () and e.err is False


def test_first_callback_in_the_callers_thread_later_ones_on_the_event_threads(dev):
    # PyTango 10.3.1 (checked): the SubSuccess callback runs in the subscribing thread before
    # subscribe_event returns; pushed events arrive on the event thread (ours: the receiver's,
    # or the dispatcher's behind a slow callback).
    threads = []
    dev.subscribe_event("value", EventType.CHANGE_EVENT,
                        lambda ev: threads.append((ev.event_reason, threading.current_thread().name)))
    assert threads == [(EventReason.SubSuccess, threading.current_thread().name)]
    _live(dev)
    dev.PushChange(5.5)
    _wait_until(lambda: len(threads) >= 2, 10)
    assert len(threads) == 2 and threads[1][0] == EventReason.Update
    assert threads[1][1] in ("tango-events-rx", "tango-events-dispatch")


def test_plain_function_callback_and_event_str_repr(dev, event_nodb):
    got = []
    done = threading.Event()

    def cb(ev):
        got.append(ev)
        if len(got) >= 2:
            done.set()

    dev.subscribe_event("value", EventType.CHANGE_EVENT, cb)
    _live(dev)
    dev.PushChange(7.25)
    assert done.wait(10)
    ev = got[1]
    text = str(ev)
    assert text.startswith("EventData[\n    attr_name = \"")
    for line in ('    err = False', '    errors = ()', '    event = "change"',
                 '    event_reason = <EventReason.Update: 3>', '    attr_value = DeviceAttribute['):
        assert line in text
    r = repr(ev)
    assert r.startswith(f"EventData(attr_name = '{_attr_full(event_nodb, 'value')}', attr_value = DeviceAttribute(")
    # ITango's event logger writes its own fields onto the event; they show in str()
    ev.host = "h"
    assert '    host = "h"' in str(ev)


def test_burst_of_1000_events_none_lost_order_kept(dev, collector):
    dev.subscribe_event("counter", EventType.CHANGE_EVENT, collector)
    collector.wait_count(1)
    _live(dev)
    dev.Burst(1000)
    from tango_core.events import consumer
    try:
        evs = collector.wait_count(1001, timeout=30)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; consumer stats {dict(consumer._consumer.stats)}") from None
    assert not any(e.err for e in evs), [e.errors for e in evs if e.err][:1]
    assert [e.attr_value.value for e in evs[1:]] == list(range(1000))


def test_slow_callback_loses_nothing(dev):
    got = []

    def slow(ev):
        time.sleep(0.002)
        got.append(ev)

    dev.subscribe_event("counter", EventType.CHANGE_EVENT, slow)
    _live(dev)
    dev.Burst(500)
    _wait_until(lambda: len(got) >= 501, 30)
    assert not any(e.err for e in got), [e.errors for e in got if e.err][:1]
    assert [e.attr_value.value for e in got[1:]] == list(range(500))


def _callbacks_in_receiver(on: bool):
    """``configure(callbacks_in_receiver=on)`` during one test, whatever was configured before."""
    from tango_core.events import configure, settings
    saved = settings.config.callbacks_in_receiver
    configure(callbacks_in_receiver=on)
    yield
    configure(callbacks_in_receiver=saved)


@pytest.fixture
def callbacks_in_receiver():
    """Callbacks in the receiving thread (the default) during one test."""
    yield from _callbacks_in_receiver(True)


@pytest.fixture
def callbacks_in_dispatcher():
    """Every callback in the dispatcher thread during one test."""
    yield from _callbacks_in_receiver(False)


def test_callbacks_run_in_the_receiving_thread_by_default():
    from tango_core.events import settings
    assert settings.EventConfig().callbacks_in_receiver is True


def test_opted_out_callbacks_run_in_the_dispatcher_thread(dev, callbacks_in_dispatcher):
    names = []
    dev.subscribe_event("counter", EventType.CHANGE_EVENT, lambda ev: names.append(threading.current_thread().name))
    _live(dev)
    dev.Burst(20)
    _wait_until(lambda: len(names) >= 21, 15)
    assert set(names[1:]) == {"tango-events-dispatch"}, names


def test_callbacks_that_keep_up_run_in_the_receiver_a_slow_one_moves_to_the_dispatcher(dev, callbacks_in_receiver):
    """Fast callbacks run in the receiving thread (no second thread woken per event);
    once a callback took long there, its subscription's later events go through the dispatcher
    thread, in the same order and with none lost."""
    from tango_core.events.dispatcher import INLINE_SLOW
    got = []

    def cb(ev):
        got.append((ev.attr_value.value, threading.current_thread().name))
        if ev.attr_value.value == 100:
            time.sleep(INLINE_SLOW * 5)

    dev.subscribe_event("counter", EventType.CHANGE_EVENT, cb)
    _live(dev)
    dev.Burst(300)
    _wait_until(lambda: len(got) >= 301, 30)
    assert [v for v, _ in got[1:]] == list(range(300))
    threads = [name for _, name in got[1:]]
    assert set(threads[:101]) == {"tango-events-rx"}, threads[:101]
    assert set(threads[101:]) == {"tango-events-dispatch"}, threads[101:]


@pytest.mark.parametrize("exc", [ValueError("bad callback"), SystemExit(3)])
def test_a_callback_that_raises_does_not_stop_later_events(dev, exc):
    """Even sys.exit() in a callback (it runs in one of the event threads) is logged, and the
    next events of this and other subscriptions still arrive."""
    got = []

    def cb(ev):
        if ev.event_reason == EventReason.Update:
            got.append(ev.attr_value.value)
            if len(got) == 1:
                raise exc

    dev.subscribe_event("value", EventType.CHANGE_EVENT, cb)
    _live(dev)
    for v in (11.0, 12.0, 13.0):
        dev.PushChange(v)
    _wait_until(lambda: len(got) >= 3, 10)
    assert got == [11.0, 12.0, 13.0]


def test_callback_run_by_the_receiver_may_subscribe_and_unsubscribe(dev, peer_factory, callbacks_in_receiver):
    """A callback (run in the receiving thread) subscribes to a device of another server, whose
    event socket is new: the subscription completes at once and its events arrive."""
    server = Path(__file__).resolve().parents[1] / "servers" / "event_server.py"
    other_peer = peer_factory.pytango_server(server, "evsub", nodb=True, device_class="EventDevice",
                                             device_names=["test/evsub/1"])
    other = DeviceProxy(other_peer.device)
    other_values = []
    box = {}
    done = threading.Event()

    def cb(ev):
        if ev.event_reason == EventReason.Update and "id" not in box:
            t0 = time.monotonic()
            box["id"] = other.subscribe_event(
                "value", EventType.CHANGE_EVENT,
                lambda e: other_values.append(None if e.err else e.attr_value.value))
            box["took"] = time.monotonic() - t0
            box["thread"] = threading.current_thread().name
            done.set()

    dev.subscribe_event("value", EventType.CHANGE_EVENT, cb)
    _live(dev)
    dev.PushChange(71.0)
    assert done.wait(15)
    assert box["thread"] == "tango-events-rx"
    assert box["took"] < 1.5, box   # not the 2 s wait for a connection nobody reports
    _live(other)
    other.PushChange(3.0)
    _wait_until(lambda: 3.0 in other_values, 10)
    assert 3.0 in other_values, other_values
    other.unsubscribe_event(box["id"])



def test_a_callback_run_by_the_receiver_may_wait_for_a_thread_that_is_subscribing(dev, callbacks_in_receiver):
    """A callback (run in the receiving thread) waits for a lock that the main thread holds while
    it subscribes, then unsubscribes (PyTango's test_event_after_unsubscription_crash does so
    without the lock, by chance).  The subscription needs the ZMQ sockets, which the receiving
    thread lends while it runs callbacks: both finish, instead of stalling until call_timeout
    and failing with API_EventTimeout."""
    from tango_core.events import configure, settings
    saved = settings.config.call_timeout
    configure(call_timeout=4.0)
    lock = threading.Lock()
    in_callback, finished = threading.Event(), threading.Event()
    box = {}

    def inner(ev):
        pass

    def cb(ev):
        if ev.event_reason != EventReason.Update or "thread" in box:
            return
        box["thread"] = threading.current_thread().name
        in_callback.set()
        with lock:  # held by the main thread while it subscribes
            dev.unsubscribe_event(box["inner"])
        finished.set()

    try:
        box["inner"] = dev.subscribe_event("counter", EventType.CHANGE_EVENT, inner)
        dev.subscribe_event("value", EventType.CHANGE_EVENT, cb)
        _live(dev)
        with lock:
            dev.PushChange(5.0)
            assert in_callback.wait(10)
            # the callback now waits for this lock; subscribing needs the sockets
            later = dev.subscribe_event("value", EventType.ARCHIVE_EVENT, inner)  # a new ZMQ filter
        assert finished.wait(10)
        assert box["thread"] == "tango-events-rx"
        dev.unsubscribe_event(later)
    finally:
        configure(call_timeout=saved)

def test_dispatch_queue_overflow_is_reported_not_buffered_forever(dev):
    from tango_core.events import configure, settings
    saved = settings.config.dispatch_max_events
    configure(dispatch_max_events=20)
    release = threading.Event()
    got = []

    def blocked(ev):
        release.wait(10)
        got.append(ev)

    try:
        dev.subscribe_event("counter", EventType.CHANGE_EVENT, blocked)
        dev.Burst(300)
        time.sleep(1.0)
        release.set()
        _wait_until(lambda: any(e.err for e in got), 10)
        errs = [e for e in got if e.err]
        assert errs, "overflow must be reported as an error event"
        assert errs[0].errors[0].reason == "API_MissedEvents"
        assert "dropped" in errs[0].errors[0].desc
        values = [e.attr_value.value for e in got[1:] if not e.err]
        assert len(values) < 300 and values == sorted(values)
    finally:
        release.set()
        configure(dispatch_max_events=saved)


def test_pull_model_queue(dev):
    eid = dev.subscribe_event("counter", EventType.CHANGE_EVENT, 5)
    _live(dev)
    dev.Burst(20)
    _wait_until(lambda: dev.get_last_event_date(eid).totime() != 0, 10)
    time.sleep(0.5)
    assert dev.event_queue_size(eid) == 5
    assert not dev.is_event_queue_empty(eid)
    assert dev.get_last_event_date(eid).totime() > time.time() - 60
    evs = dev.get_events(eid)
    assert [e.attr_value.value for e in evs] == [15, 16, 17, 18, 19]   # the 5 newest
    assert dev.is_event_queue_empty(eid)
    dev.Burst(3)
    seen = []
    _wait_until(lambda: dev.event_queue_size(eid) >= 3, 10)
    dev.get_events(eid, seen.append)
    assert [e.attr_value.value for e in seen] == [0, 1, 2]


def test_pull_model_unbounded_queue_and_errors_for_push_subscriptions(dev, collector):
    eid = dev.subscribe_event("counter", EventType.CHANGE_EVENT, 0)
    _live(dev)
    dev.Burst(50)
    _wait_until(lambda: dev.event_queue_size(eid) >= 51, 10)
    assert [e.attr_value.value for e in dev.get_events(eid)][1:] == list(range(50))
    push_id = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    with pytest.raises(DevFailed) as info:
        dev.get_events(push_id)
    assert info.value.args[0].reason == "API_EventQueues"


def test_user_archive_alarm_and_data_ready_events(dev, event_nodb, collector):
    dev.subscribe_event("counter", EventType.USER_EVENT, collector)
    dev.subscribe_event("value", EventType.ARCHIVE_EVENT, collector)
    dev.subscribe_event("alarm_value", EventType.ALARM_EVENT, collector)
    dev.subscribe_event("ready", EventType.DATA_READY_EVENT, collector)
    _live(dev)
    dev.PushUser(77)
    dev.PushChange(12.5)
    dev.PushAlarm(3.5)
    dev.PushDataReady(9)
    evs = collector.wait_for(lambda evs: {e.event for e in evs if e.event_reason == EventReason.Update}
                             >= {"user_event", "archive", "alarm", "data_ready"})
    upd = {e.event: e for e in evs if e.event_reason == EventReason.Update}
    assert upd["user_event"].attr_value.value == 77
    assert upd["archive"].attr_value.value == 12.5
    assert upd["alarm"].attr_value.value == 3.5
    dr = upd["data_ready"]
    assert isinstance(dr, DataReadyEventData)
    assert dr.ctr == 9 and int(dr.attr_data_type) == 5     # DevDouble
    assert dr.attr_name == _attr_full(event_nodb, "ready")
    # data-ready has no synchronous first value (nothing to read); the others do
    firsts = [e.event for e in evs if e.event_reason == EventReason.SubSuccess]
    assert sorted(firsts) == ["alarm", "archive", "user_event"]


def test_error_pushed_by_the_device_arrives_as_error_event(dev, collector):
    dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    _live(dev)
    dev.PushError("broken sensor")
    evs = collector.wait_for(lambda evs: any(e.err for e in evs))
    err = next(e for e in evs if e.err)
    assert err.attr_value is None
    assert err.errors[0].reason == "Test_PushedError"
    assert err.errors[0].desc == "broken sensor"


def test_attr_conf_event_after_set_attribute_config(dev, event_nodb, collector):
    dev.subscribe_event("value", EventType.ATTR_CONF_EVENT, collector)
    first = collector.wait_count(1)[0]
    assert isinstance(first, AttrConfEventData) and first.event_reason == EventReason.SubSuccess
    assert first.attr_conf.name == "value"
    _live(dev)
    cfg = dev.get_attribute_config("value")
    new_unit = "mm" if cfg.unit != "mm" else "um"
    cfg.unit = new_unit
    dev.set_attribute_config(cfg)
    evs = collector.wait_for(lambda evs: any(e.attr_conf is not None and e.attr_conf.unit == new_unit
                                             for e in evs[1:]))
    ev = evs[-1]
    assert ev.event == "attr_conf" and ev.attr_name == _attr_full(event_nodb, "value")
    assert str(ev).startswith("AttrConfEventData[\n    attr_conf = AttributeInfoEx[")


def test_interface_change_event(dev, event_nodb, collector):
    dev.subscribe_event(EventType.INTERFACE_CHANGE_EVENT, collector)
    first = collector.wait_count(1)[0]
    assert isinstance(first, DevIntrChangeEventData)
    assert first.event_reason == EventReason.SubSuccess and first.dev_started is True
    assert "PushChange" in [c.cmd_name for c in first.cmd_list]
    assert "value" in [a.name for a in first.att_list]
    assert first.device_name == event_nodb.device
    _live(dev)
    name = f"dyn{int(time.time() * 1000) % 100000}"
    dev.AddDynamic(name)
    evs = collector.wait_for(lambda evs: any(name in [a.name for a in e.att_list] for e in evs[1:]), 15)
    assert evs[-1].event == "intr_change" and evs[-1].dev_started is False


def test_spectrum_change_events_and_extract_as_list(dev, collector):
    dev.subscribe_event("spectrum", EventType.CHANGE_EVENT, collector, extract_as=ExtractAs.List)
    _live(dev)
    dev.PushSpectrum(4)
    evs = collector.wait_for(lambda evs: any(not e.err and len(e.attr_value.value) == 4 for e in evs[1:]))
    assert evs[-1].attr_value.value == [0.0, 1.0, 2.0, 3.0]
    dev.PushSpectrum(10000)
    evs = collector.wait_for(lambda evs: len(evs[-1].attr_value.value) == 10000)
    assert evs[-1].attr_value.value[-1] == 9999.0


#: the numeric types of PushTypedSpectrum (tests/servers/event_server.py) and the numpy dtype a
#: value arrives in (PyTango's, native byte order)
NUMERIC_DTYPES = {"boolean": np.bool_, "uchar": np.uint8, "short": np.int16, "ushort": np.uint16,
                  "long": np.int32, "ulong": np.uint32, "long64": np.int64, "ulong64": np.uint64,
                  "float": np.float32, "double": np.float64}


def _typed_values(kind: str, n: int, first: int) -> np.ndarray:
    """What ``PushTypedSpectrum("<kind> <n> <first>")`` pushes, as its docstring says."""
    values = np.arange(first, first + n)
    return values % 3 == 0 if kind == "boolean" else values.astype(NUMERIC_DTYPES[kind])


@pytest.mark.parametrize("kind", list(NUMERIC_DTYPES))
def test_numeric_spectrum_events_carry_what_was_pushed_and_stay_unchanged(dev, collector, kind):
    """Small spectra and big ones (received without copy, the array a view of the message) of every
    numeric type: each callback's value equals what was pushed, in its numpy type, writable as
    PyTango's; a value kept by the callback is unchanged by the events after it, and writing into
    one value changes no other."""
    dev.subscribe_event(f"typed_{kind}", EventType.CHANGE_EVENT, collector)
    _live(dev)
    pushes = [(5, 1), (20_000, 2), (20_000, 3), (5, 4), (20_000, 5)]
    for n, first in pushes:
        dev.PushTypedSpectrum(f"{kind} {n} {first}")

    def updates(evs):
        return [e for e in evs if e.event_reason == EventReason.Update]

    evs = updates(collector.wait_for(lambda evs: len(updates(evs)) >= len(pushes), 20))
    assert not any(e.err for e in evs), [e.errors for e in evs if e.err]
    values = [e.attr_value.value for e in evs]
    values[1][:] = values[1][::-1]               # the user's own array: changes nothing else
    for (n, first), value in zip(pushes[2:], values[2:]):
        expected = _typed_values(kind, n, first)
        assert value.dtype == expected.dtype and value.dtype.isnative and value.shape == (n,)
        assert value.flags.writeable
        np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(values[0], _typed_values(kind, 5, 1))
    np.testing.assert_array_equal(values[1], _typed_values(kind, 20_000, 2)[::-1])


def test_attribute_proxy_subscription(event_nodb, collector):
    ap = AttributeProxy(event_nodb.device[: -len("#dbase=no")] + "/value#dbase=no")
    eid = ap.subscribe_event(EventType.CHANGE_EVENT, collector)
    dev = DeviceProxy(event_nodb.device)
    _live(dev)
    dev.PushChange(42.0)
    evs = collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 42.0 for e in evs))
    assert evs[0].event_reason == EventReason.SubSuccess
    ap.unsubscribe_event(eid)


def test_several_subscriptions_share_one_topic(dev, event_nodb):
    a, b = [], []
    ida = dev.subscribe_event("value", EventType.CHANGE_EVENT, a.append)
    dev2 = DeviceProxy(event_nodb.device)
    idb = dev2.subscribe_event("value", EventType.CHANGE_EVENT, b.append)
    assert ida != idb
    _live(dev)
    dev.PushChange(100.0)
    _wait_until(lambda: len(a) >= 2 and len(b) >= 2, 10)
    assert a[-1].attr_value.value == b[-1].attr_value.value == 100.0
    assert a[-1].device is dev and b[-1].device is dev2
    dev2.unsubscribe_event(idb)
    dev.PushChange(101.0)
    _wait_until(lambda: a[-1].attr_value.value == 101.0, 10)
    assert a[-1].attr_value.value == 101.0 and b[-1].attr_value.value == 100.0


def test_unsubscribe_stops_callbacks_and_unknown_ids_raise_key_error(dev, event_nodb):
    got = []
    eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, got.append)
    with pytest.raises(KeyError, match="does not own this subscription"):
        DeviceProxy(event_nodb.device).unsubscribe_event(eid)
    dev.unsubscribe_event(eid)
    n = len(got)
    dev.PushChange(55.0)
    time.sleep(0.5)
    assert len(got) == n
    with pytest.raises(KeyError):
        dev.unsubscribe_event(eid)


def test_last_unsubscribe_leaves_no_thread_or_socket(event_nodb):
    from tango_core.events import consumer
    dev = DeviceProxy(event_nodb.device)
    ids = [dev.subscribe_event("value", EventType.CHANGE_EVENT, lambda e: None) for _ in range(2)]
    c = consumer._consumer
    assert c is not None and all(t.is_alive() for t in c.threads)
    for i in ids:
        dev.unsubscribe_event(i)
    assert consumer._consumer is None
    assert not any(t.is_alive() for t in c.threads)
    assert c.receiver.ctx.closed
    assert not [t for t in threading.enumerate() if t.name.startswith("tango-events")]


def test_subscription_errors_are_raised_to_the_caller(dev):
    with pytest.raises(DevFailed) as info:
        dev.subscribe_event("nope", EventType.CHANGE_EVENT, lambda e: None)
    reasons = [e.reason for e in info.value.args]
    assert reasons[0] == "API_AttrNotFound" and reasons[-1] == "API_DSFailedRegisteringEvent"
    with pytest.raises(DevFailed) as info:       # polled attribute without archive criteria
        dev.subscribe_event("polled", EventType.ARCHIVE_EVENT, lambda e: None)
    assert info.value.args[0].reason == "API_EventPropertiesNotSet"
    with pytest.raises(DevFailed) as info:       # not data-ready enabled
        dev.subscribe_event("value", EventType.DATA_READY_EVENT, lambda e: None)
    assert info.value.args[0].reason == "API_AttributeNotDataReadyEnabled"


def test_bad_arguments_raise_type_errors(dev):
    with pytest.raises(TypeError):
        dev.subscribe_event("value", EventType.CHANGE_EVENT, "not a callback")
    with pytest.raises(TypeError):
        dev.subscribe_event(EventType.CHANGE_EVENT, lambda e: None)   # only INTERFACE_CHANGE is device-level
    with pytest.raises(TypeError):
        dev.subscribe_event("value", EventType.CHANGE_EVENT, lambda e: None, bogus=1)


def test_deprecated_filters_signature_as_itango_uses_it(dev, collector):
    with pytest.warns(DeprecationWarning):
        eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector, [])
    _live(dev)
    dev.PushChange(8.0)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 8.0 for e in evs))
    dev.unsubscribe_event(eid)


def test_sync_mode_has_no_first_read(dev, collector):
    dev.subscribe_event("value", EventType.CHANGE_EVENT, collector, EventSubMode.Sync)
    _live(dev)
    dev.PushChange(9.0)
    evs = collector.wait_count(1)
    time.sleep(0.3)
    assert [e.attr_value.value for e in collector.events] == [9.0]
    assert evs[0].event_reason == EventReason.Update


def test_polled_attribute_periodic_events(dev, collector):
    dev.subscribe_event("polled", EventType.PERIODIC_EVENT, collector)
    evs = collector.wait_count(4, timeout=10)
    vals = [e.attr_value.value for e in evs]
    assert vals == sorted(vals) and evs[1].event == "periodic"
    # default event_period 1000 ms: 3 periodic events need >= ~2 s
    gaps = [evs[i + 1].reception_date.totime() - evs[i].reception_date.totime() for i in range(1, 3)]
    assert all(0.5 < g < 2.0 for g in gaps), gaps


def test_confirmation_is_sent_and_accepted(dev, collector):
    from tango_core.events import configure, consumer, settings
    saved = dict(vars(settings.config))
    configure(keepalive_period=0.2, confirm_period=0.5)
    try:
        dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
        dev.subscribe_event(EventType.INTERFACE_CHANGE_EVENT, lambda e: None)
        dev.subscribe_event("alarm_value", EventType.ALARM_EVENT, lambda e: None)
        dev.subscribe_event("ready", EventType.DATA_READY_EVENT, lambda e: None)
        dev.subscribe_event("value", EventType.ATTR_CONF_EVENT, lambda e: None)
        _wait_until(lambda: consumer._consumer.stats["confirmations"] >= 2, 10)
        assert consumer._consumer.stats["confirmations"] >= 2
        dev.PushChange(21.0)
        collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 21.0 for e in evs))
        assert not any(e.err for e in collector.events)
    finally:
        configure(**saved)


@pytest.mark.slow
def test_quiet_subscription_is_kept_alive_by_heartbeats(dev, collector, fast_keepalive):
    """No event for 12 s: the no-DB server's heartbeats (``...#dbase=no.heartbeat``) must be
    matched to the channel, or the consumer would report API_EventTimeout after 10 s."""
    from tango_core.events import consumer
    dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    time.sleep(12.5)
    assert consumer._consumer.stats["heartbeats"] >= 1
    assert not any(e.err for e in collector.events), [e.errors for e in collector.events if e.err]
    dev.PushChange(31.0)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 31.0 for e in evs))


def test_callback_may_unsubscribe_itself(dev):
    from tango_core.events import consumer
    done = threading.Event()
    box = {}

    def cb(ev):
        if ev.event_reason == EventReason.Update:
            dev.unsubscribe_event(box["id"])
            done.set()

    box["id"] = dev.subscribe_event("value", EventType.CHANGE_EVENT, cb)
    _live(dev)
    dev.PushChange(61.0)
    assert done.wait(10)
    _wait_until(lambda: consumer._consumer is None, 5)
    assert consumer._consumer is None


@pytest.mark.parametrize("mode, has_value", [(EventSubMode.Async, False), (EventSubMode.AsyncRead, True)])
def test_async_subscription_modes(dev, collector, mode, has_value):
    eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector, mode)
    first = collector.wait_count(1)[0]
    assert first.event_reason == EventReason.SubSuccess and not first.err
    assert (first.attr_value is not None) == has_value
    _live(dev)
    dev.PushChange(71.0)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value is not None and e.attr_value.value == 71.0
                                       for e in evs[1:]))
    dev.unsubscribe_event(eid)


def test_data_ready_event_prints_like_pytango(dev, event_nodb, collector):
    dev.subscribe_event("ready", EventType.DATA_READY_EVENT, collector)
    _live(dev)
    dev.PushDataReady(4)
    ev = collector.wait_count(1)[0]
    r = repr(ev)
    assert r.startswith(f"DataReadyEventData(attr_data_type = 5, attr_name = '{_attr_full(event_nodb, 'ready')}', "
                        "ctr = 4, device = ")
    assert ", err = False, errors = (), event = 'data_ready', event_reason = <EventReason.Update: 3>, " \
           "reception_date = TimeVal(" in r


def test_async_def_callback_runs_on_the_subscribing_event_loop(event_nodb):
    import asyncio

    async def main():
        loop = asyncio.get_running_loop()
        got = asyncio.Queue()

        async def cb(ev):
            assert asyncio.get_running_loop() is loop
            await got.put(ev)

        dev = DeviceProxy(event_nodb.device)
        eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, cb, green_mode=None)
        first = await asyncio.wait_for(got.get(), 10)
        await loop.run_in_executor(None, lambda: _live(DeviceProxy(event_nodb.device)))
        await loop.run_in_executor(None, dev.PushChange, 81.0)
        while True:
            ev = await asyncio.wait_for(got.get(), 10)
            if not ev.err and ev.attr_value.value == 81.0:
                break
        dev.unsubscribe_event(eid)
        return first

    first = asyncio.run(main())
    assert first.event_reason == EventReason.SubSuccess


@pytest.mark.slow
def test_no_db_server_restarted_on_the_same_port_events_resume(peer_factory, collector, fast_keepalive):
    server = Path(__file__).resolve().parents[1] / "servers" / "event_server.py"
    peer = peer_factory.pytango_server(server, "evn", nodb=True, device_class="EventDevice",
                                       device_names=["test/evn/1"])
    dev = DeviceProxy(peer.device)
    dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    _live(dev)
    dev.PushChange(1.5)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 1.5 for e in evs[1:]))
    peer.kill()
    evs = collector.wait_for(lambda evs: any(e.err for e in evs), timeout=25)
    assert next(e for e in evs if e.err).errors[0].reason == "API_EventTimeout"
    n = len(evs)          # before restart(): the re-subscription may be done before it returns
    peer.restart()
    collector.wait_for(lambda evs: any(e.event_reason == EventReason.SubSuccess and not e.err
                                       for e in evs[n:]), timeout=30)
    _live(dev)
    dev.PushChange(2.5)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 2.5 for e in evs[n:]), timeout=15)
