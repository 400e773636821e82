"""Events through a database: Debian's cppTango 9.3.4 TangoTest with polling and event criteria
configured through tango_core itself, a PyTango server killed and restarted on new ports during a
subscription, stateless subscriptions to a server that is not running yet, and the errors a
user gets for an unpolled attribute.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import peers as _peers
from tango_core.client.device_proxy import DeviceProxy
from tango_core.idl.enums import EventReason, EventSubMode, EventType
from tango_core.idl.errors import DevFailed, NonSupportedFeature

from event_channel import wait_until_events_arrive
from thread_runs import run_in_threads

pytestmark = pytest.mark.timeout(120)

TT = "sys/tg_test/1"
EVENT_SERVER = Path(__file__).resolve().parents[1] / "servers" / "event_server.py"


_POLLED_HERE: set[str] = set()


@pytest.fixture
def tt(tango_host):
    """TangoTest of the session; polling started by a test is stopped after it (shared peer)."""
    d = DeviceProxy(TT)
    yield d
    for eid in list(d.__dict__.get("_tango_core_events", {})):
        d.unsubscribe_event(eid)
    while _POLLED_HERE:
        attr = _POLLED_HERE.pop()
        try:
            d.stop_poll_attribute(attr)
        except DevFailed:
            pass


def _live(dev: DeviceProxy) -> None:
    """Wait until the subscriptions made so far reach the EventServer's publisher
    (tests/event_channel.py): a push right after subscribe_event is otherwise dropped under load."""
    wait_until_events_arrive(dev, EventType, "spectrum")


def _configure_change(d: DeviceProxy, attr: str, abs_change: str, period_ms: int) -> None:
    """Polling + change/archive criteria, set through tango_core's own client API."""
    _POLLED_HERE.add(attr)
    d.poll_attribute(attr, period_ms)
    cfg = d.get_attribute_config(attr)
    cfg.events.ch_event.abs_change = abs_change
    cfg.events.arch_event.archive_abs_change = abs_change
    cfg.events.per_event.period = "300"
    d.set_attribute_config(cfg)


def test_unpolled_attribute_gives_a_clear_error(tt):
    if tt.is_attribute_polled("short_scalar_ro"):
        tt.stop_poll_attribute("short_scalar_ro")
    with pytest.raises(DevFailed) as info:
        tt.subscribe_event("short_scalar_ro", EventType.CHANGE_EVENT, lambda e: None)
    errs = info.value.args
    assert errs[0].reason == "API_AttributePollingNotStarted"
    assert "polling" in errs[0].desc.lower() and "short_scalar_ro" in errs[0].desc
    assert errs[-1].reason == "API_DSFailedRegisteringEvent"


def test_change_without_criteria_gives_event_properties_not_set(tt):
    _POLLED_HERE.add("ulong_scalar")
    tt.poll_attribute("ulong_scalar", 500)
    cfg = tt.get_attribute_config("ulong_scalar")
    cfg.events.ch_event.abs_change = "Not specified"
    cfg.events.ch_event.rel_change = "Not specified"
    tt.set_attribute_config(cfg)
    with pytest.raises(DevFailed) as info:
        tt.subscribe_event("ulong_scalar", EventType.CHANGE_EVENT, lambda e: None)
    assert info.value.args[0].reason == "API_EventPropertiesNotSet"


def test_tangotest_periodic_change_and_archive_on_scalar(tt, tango_host, collector):
    _configure_change(tt, "double_scalar", "0.001", 100)
    assert tt.get_attribute_poll_period("double_scalar") == 100
    tt.subscribe_event("double_scalar", EventType.PERIODIC_EVENT, collector)
    tt.subscribe_event("double_scalar", EventType.CHANGE_EVENT, collector)
    tt.subscribe_event("double_scalar", EventType.ARCHIVE_EVENT, collector)
    evs = collector.wait_for(lambda evs: sum(e.event == "periodic" for e in evs) >= 5, timeout=15)
    kinds = {e.event for e in evs}
    assert kinds >= {"periodic", "change", "archive"}
    assert not any(e.err for e in evs), [e.errors for e in evs if e.err][:1]
    e = next(e for e in evs if e.event == "periodic" and e.event_reason == EventReason.Update)
    assert e.attr_name == f"tango://{tango_host}/{TT}/double_scalar"
    assert isinstance(e.attr_value.value, float)
    # periodic cadence follows event_period (300 ms) configured above
    per = [x.reception_date.totime() for x in evs if x.event == "periodic"
           and x.event_reason == EventReason.Update]
    gaps = np.diff(per)
    assert 0.15 < float(np.median(gaps)) < 0.6, gaps


def test_tangotest_events_on_spectra(tt, collector):
    _configure_change(tt, "double_spectrum_ro", "0.001", 200)
    _configure_change(tt, "long_spectrum_ro", "1", 200)
    tt.subscribe_event("double_spectrum_ro", EventType.PERIODIC_EVENT, collector)
    tt.subscribe_event("long_spectrum_ro", EventType.CHANGE_EVENT, collector)
    tt.subscribe_event("long_spectrum_ro", EventType.ARCHIVE_EVENT, collector)
    evs = collector.wait_for(lambda evs: {e.event for e in evs if e.event_reason == EventReason.Update}
                             >= {"periodic", "change", "archive"}, timeout=15)
    assert not any(e.err for e in evs), [e.errors for e in evs if e.err][:1]
    per = next(e for e in evs if e.event == "periodic")
    assert isinstance(per.attr_value.value, np.ndarray) and per.attr_value.value.dtype == np.float64
    assert per.attr_value.value.size == per.attr_value.dim_x > 0
    ch = next(e for e in evs if e.event == "change")
    assert ch.attr_value.value.dtype == np.int32


@pytest.mark.slow
def test_server_killed_and_restarted_on_new_ports_events_resume(tango_host, peer_factory, collector,
                                                               fast_keepalive, db_cleanup):
    db_cleanup("event_server/evr")
    peer = peer_factory.pytango_server(EVENT_SERVER, "evr", tango_host=tango_host, device_class="EventDevice",
                                       device_names=["test/evr/1"])
    dev = DeviceProxy(peer.short_names[0])
    eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    _live(dev)
    dev.PushChange(1.0)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 1.0 for e in evs[1:]))
    old_port = peer.port
    peer.kill()
    # no heartbeat for 10 s -> API_EventTimeout delivered to the subscriber
    evs = collector.wait_for(lambda evs: any(e.err for e in evs), timeout=25)
    err = next(e for e in evs if e.err)
    assert err.errors[0].reason == "API_EventTimeout"
    assert err.attr_value is None and err.event == "change"
    n = len(evs)          # before restart(): the re-subscription may be done before it returns
    peer.restart(new_port=True)
    assert peer.port != old_port
    # re-subscribed through the database (new IOR, new ZMQ ports): a fresh synchronous value...
    collector.wait_for(lambda evs: any(e.event_reason == EventReason.SubSuccess and not e.err
                                       for e in evs[n:]), timeout=30)
    # ...and pushed events flow again
    _live(dev)
    for attempt in range(20):
        try:
            dev.PushChange(2.0)
            break
        except DevFailed:
            time.sleep(0.5)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 2.0 for e in evs[n:]), timeout=15)
    dev.unsubscribe_event(eid)


def test_stateless_subscription_waits_for_the_server(tango_host, peer_factory, collector, fast_keepalive,
                                                     db_cleanup):
    db_cleanup("event_server/evs")
    _peers.register_server(tango_host, "event_server/evs", "EventDevice", ["test/evs/1"])
    dev = DeviceProxy("test/evs/1")            # not exported yet: construction still works
    eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector, EventSubMode.Stateless)
    evs = collector.wait_count(2, timeout=10)  # an error event now and at every retry
    assert all(e.err and e.event_reason == EventReason.SubFail for e in evs)
    assert evs[0].errors[0].reason in ("API_DeviceNotExported", "API_CantConnectToDevice",
                                       "DB_DeviceNotDefined", "API_ServerNotRunning")
    n = len(collector.events)  # before the start: the retry may succeed before pytango_server() returns
    peer_factory.pytango_server(EVENT_SERVER, "evs", tango_host=tango_host, device_class="EventDevice",
                                device_names=["test/evs/1"], register=False)
    collector.wait_for(lambda evs: any(e.event_reason == EventReason.SubSuccess and not e.err
                                       for e in evs[n:]), timeout=20)
    _live(dev)
    DeviceProxy("test/evs/1").PushChange(3.0)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 3.0 for e in evs[n:]))
    dev.unsubscribe_event(eid)


def test_stateless_false_raises_for_a_server_that_is_down(tango_host, db_cleanup):
    db_cleanup("event_server/evdown")
    _peers.register_server(tango_host, "event_server/evdown", "EventDevice", ["test/evdown/1"])
    dev = DeviceProxy("test/evdown/1")
    with pytest.raises(DevFailed):
        dev.subscribe_event("value", EventType.CHANGE_EVENT, lambda e: None)


def test_interpreter_exit_with_live_subscription_does_not_hang(event_db, tango_host):
    code = textwrap.dedent(f"""
        from tango_core.client.device_proxy import DeviceProxy
        from tango_core.idl.enums import EventType
        d = DeviceProxy({event_db.short_names[0]!r})
        d.subscribe_event("value", EventType.CHANGE_EVENT, lambda e: None)
        d.PushChange(4.0)
        print("subscribed")
    """)
    env = dict(__import__("os").environ, TANGO_HOST=tango_host, PYTHONPATH=str(EVENT_SERVER.parents[2]))
    t0 = time.monotonic()
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert "subscribed" in res.stdout
    assert time.monotonic() - t0 < 15


def test_importing_tango_core_does_not_import_zmq():
    code = "import sys, tango_core, tango_core.events; print('zmq' in sys.modules)"
    env = dict(__import__("os").environ, PYTHONPATH=str(EVENT_SERVER.parents[2]))
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_alarm_event_on_a_tango9_server_is_refused_clearly(tt):
    _configure_change(tt, "long_scalar", "1", 500)
    with pytest.raises(NonSupportedFeature) as info:
        tt.subscribe_event("long_scalar", EventType.ALARM_EVENT, lambda e: None)
    errs = info.value.args
    assert errs[0].reason == "API_WrongNumberOfArgs" and "alarm" in errs[0].desc
    assert errs[-1].reason == "API_NotSupportedFeature" and "Tango 10" in errs[-1].desc


def test_two_servers_share_one_receiving_thread(tt, event_db, collector):
    _configure_change(tt, "long_scalar", "1", 200)
    tt.subscribe_event("long_scalar", EventType.PERIODIC_EVENT, collector)
    dev = DeviceProxy(event_db.short_names[0])
    dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    _live(dev)
    dev.PushChange(17.0)
    collector.wait_for(lambda evs: any(e.event == "periodic" and e.event_reason == EventReason.Update
                                       for e in evs)
                       and any(e.event == "change" and not e.err and e.attr_value.value == 17.0 for e in evs))
    import threading
    names = sorted(t.name for t in threading.enumerate() if t.name.startswith("tango-events"))
    assert names == ["tango-events-dispatch", "tango-events-keepalive", "tango-events-rx"]
    for eid in list(dev.__dict__["_tango_core_events"]):
        dev.unsubscribe_event(eid)


def test_concurrent_subscribe_and_unsubscribe(event_db):
    def worker(i):
        d = DeviceProxy(event_db.short_names[0])
        for _ in range(5):
            eid = d.subscribe_event("value", EventType.CHANGE_EVENT, lambda e: None)
            d.unsubscribe_event(eid)

    assert run_in_threads(worker, 6, timeout=60) == []  # no error, no thread left running
    from tango_core.events import consumer
    deadline = time.monotonic() + 5
    while consumer._consumer is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert consumer._consumer is None


def test_periodic_events_through_the_cpp_database(cpp_tango_host, collector):
    """The production-style system (C++ DataBaseds on MariaDB + its TangoTest), named with an
    explicit TANGO_HOST in the device name."""
    d = DeviceProxy(f"tango://{cpp_tango_host}/{TT}")
    d.poll_attribute("long_scalar", 200)
    try:
        cfg = d.get_attribute_config("long_scalar")
        cfg.events.per_event.period = "250"
        d.set_attribute_config(cfg)
        eid = d.subscribe_event("long_scalar", EventType.PERIODIC_EVENT, collector)
        evs = collector.wait_for(lambda evs: sum(e.event_reason == EventReason.Update for e in evs) >= 3)
        assert not any(e.err for e in evs)
        assert evs[-1].attr_name == f"tango://{cpp_tango_host}/{TT}/long_scalar"
        d.unsubscribe_event(eid)
    finally:
        d.stop_poll_attribute("long_scalar")


def test_resubscribing_to_a_dropped_channel_waits_for_its_new_connection(tt, event_db, collector):
    """The consumer stays up (TangoTest subscription) while the event server's channel is dropped
    and joined again: the new subscription must wait for the new ZMQ connection, not trust the
    state of the old one (libzmq reports nothing when we disconnect), or a push right after
    subscribe_event is lost."""
    from tango_core.events import consumer
    _configure_change(tt, "long_scalar", "1", 200)
    tt.subscribe_event("long_scalar", EventType.PERIODIC_EVENT, lambda e: None)
    c = consumer._consumer
    dev = DeviceProxy(event_db.short_names[0])
    for value in (41.0, 42.0, 43.0):
        eid = dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
        ch = c.subs[eid].channel
        assert ch.ev_endpoint in c.receiver.up["ev"] and ch.hb_endpoint in c.receiver.up["hb"]
        _live(dev)      # the connection is up (above); the topic filter still travels asynchronously
        dev.PushChange(value)
        collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == value for e in evs))
        dev.unsubscribe_event(eid)
        assert consumer._consumer is c and ch.name not in c.channels
        assert ch.ev_endpoint not in c.receiver.up["ev"] and ch.hb_endpoint not in c.receiver.up["hb"]


def _child_subscribes(device: str) -> list:
    import threading as _threading
    got, done = [], _threading.Event()

    def cb(ev):
        got.append(None if ev.err else ev.attr_value.value)
        if len(got) >= 2:
            done.set()
    d = DeviceProxy(device)
    eid = d.subscribe_event("value", EventType.CHANGE_EVENT, cb)
    _live(d)
    d.PushChange(51.0)
    done.wait(15)
    d.unsubscribe_event(eid)
    return got[1:]


def test_forked_child_subscribes_with_its_own_consumer(event_db, collector):
    """A child forked while the parent has live subscriptions has none of the consumer's threads
    and must not touch the parent's ZMQ context: it gets a consumer of its own."""
    import multiprocessing
    from tango_core.events import consumer
    dev = DeviceProxy(event_db.short_names[0])
    dev.subscribe_event("value", EventType.CHANGE_EVENT, collector)
    c = consumer._consumer
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply_async(_child_subscribes, (event_db.short_names[0],)).get(40) == [51.0]
    assert consumer._consumer is c and all(t.is_alive() for t in c.threads)
    dev.PushChange(52.0)
    collector.wait_for(lambda evs: any(not e.err and e.attr_value.value == 52.0 for e in evs))


def test_first_subscription_to_a_fresh_cpp_server_opens_its_event_socket_first(peer_factory, collector):
    """cppTango registers a subscription before it creates its event socket: a polling thread
    publishing in between segfaults the server (Debian TangoTest 9.3.4, seen under load).  The
    first change subscription to a fresh server therefore goes after an attr_conf one, which
    no polling thread publishes; later ones (the socket exists) go straight."""
    from tango_core.events import consumer
    db, tangotest = peer_factory.tango_system()
    d = DeviceProxy(tangotest.devices[0])
    d.poll_attribute("double_scalar", 100)
    cfg = d.get_attribute_config("double_scalar")
    cfg.events.ch_event.abs_change = "0.000001"
    d.set_attribute_config(cfg)
    d.subscribe_event("double_scalar", EventType.CHANGE_EVENT, collector)
    c = consumer._consumer
    assert c.stats["event_sockets_opened"] == 1
    d.subscribe_event("double_scalar", EventType.PERIODIC_EVENT, collector)
    assert c.stats["event_sockets_opened"] == 1
    collector.wait_for(lambda evs: sum(e.event == "change" and e.event_reason == EventReason.Update
                                       for e in evs) >= 3)
    assert tangotest.is_running()
