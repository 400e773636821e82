"""Events published by a tango_core device server, received by PyTango 10.3.1's consumer (the
reference: cppTango's ZmqEventConsumer inside PyTango) and by tango_core's own.

The server is tests/servers/event_server.py's EventDevice served by tango_core
(event_server_on_tango_core.py), in its own process, without a database and registered in the
session's PyTango database.  Every event type is triggered by a command, so each test decides
what is published; counters are checked on the raw ZMQ frames too.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import peers as _peers
from event_channel import wait_until_events_arrive
from peers import Peer, PeerStartError

tango = pytest.importorskip("tango")
zmq = pytest.importorskip("zmq")

import tango_core  # noqa: E402
from tango_core.events import frames  # noqa: E402
from tango_core.server import Device, attribute, command  # noqa: E402
from tango_core.test_context import DeviceTestContext  # noqa: E402

OUR_EVENT_SERVER = Path(__file__).resolve().parents[1] / "servers" / "event_server_on_tango_core.py"
SERVER_NAME = OUR_EVENT_SERVER.stem


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"peer unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"peer unavailable: {reason}")


def _start(log_dir: Path, instance: str, **kwargs: Any) -> Peer:
    try:
        return _peers.start_pytango_server(OUR_EVENT_SERVER, instance, device_class="EventDevice",
                                           log_dir=log_dir, **kwargs)
    except PeerStartError as exc:
        _unavailable(str(exc))
        raise


@pytest.fixture(scope="module")
def ours_nodb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    """Our EventDevice server without a database, device ``test/ours/1``."""
    peer = _start(tmp_path_factory.mktemp("ours-ev"), "nodb", nodb=True, device_names=["test/ours/1"])
    yield peer
    peer.stop()


@pytest.fixture(scope="module")
def ours_db(tango_host: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peer]:
    """Our EventDevice server registered in the session database, device ``test/oursdb/1``."""
    peer = _start(tmp_path_factory.mktemp("ours-evdb"), "db", tango_host=tango_host,
                  device_names=["test/oursdb/1"])
    yield peer
    peer.stop()
    try:
        tango.Database(*tango_host.rsplit(":", 1)).delete_server(f"{SERVER_NAME}/db")
    except tango.DevFailed:
        pass


@pytest.fixture(params=["nodb", "db"])
def server(request: pytest.FixtureRequest) -> Peer:
    return request.getfixturevalue("ours_nodb" if request.param == "nodb" else "ours_db")


class Received:
    """A callback recording events (PyTango's or tango_core's EventData alike)."""

    def __init__(self) -> None:
        self.events: list = []
        self._cond = threading.Condition()

    def __call__(self, ev: Any) -> None:
        with self._cond:
            self.events.append(ev)
            self._cond.notify_all()

    push_event = __call__

    def wait_for(self, pred: Callable[[list], bool], timeout: float = 10.0, what: str = "") -> list:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not pred(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {[_brief(e) for e in self.events]}")
                self._cond.wait(left)
            return list(self.events)

    def of(self, event: str, attr: str | None = None) -> list:
        return [e for e in self.events if e.event == event and
                (attr is None or _attr(e) == attr)]

    def errors(self) -> list:
        return [e for e in self.events if e.err]


def _attr(ev: Any) -> str:
    name = getattr(ev, "attr_name", None) or getattr(ev, "device_name", "")
    return name.split("#")[0].rsplit("/", 1)[-1].lower()


def _value(ev: Any) -> Any:
    return None if ev.err or ev.attr_value is None else ev.attr_value.value


def _brief(ev: Any) -> str:
    if ev.err:
        return f"<{ev.event} {_attr(ev)} ERR {ev.errors[0].reason}>"
    if ev.event in ("change", "archive", "periodic", "user_event", "alarm"):
        return f"<{ev.event} {_attr(ev)} {_value(ev)!r}>"
    return f"<{ev.event} {_attr(ev)}>"


CLIENTS = {
    "pytango": (tango.DeviceProxy, tango.EventType),
    "tango_core": (tango_core.DeviceProxy, tango_core.EventType),
}


@pytest.fixture(params=list(CLIENTS))
def client(request: pytest.FixtureRequest) -> tuple[str, Any, Any]:
    name = request.param
    proxy_class, event_type = CLIENTS[name]
    return name, proxy_class, event_type


def _proxy(server: Peer, proxy_class: Any) -> Any:
    dev = proxy_class(server.devices[0])
    dev.set_timeout_millis(5000)
    return dev


class Subscriptions:
    """Subscribe through one proxy and always unsubscribe (tests must not leak subscriptions)."""

    def __init__(self, dev: Any) -> None:
        self.dev = dev
        self.ids: list[int] = []

    def __call__(self, *args: Any) -> int:
        eid = self.dev.subscribe_event(*args)
        self.ids.append(eid)
        return eid

    def close(self) -> None:
        for eid in self.ids:
            try:
                self.dev.unsubscribe_event(eid)
            except Exception:  # noqa: BLE001 - the proxy may be gone with a dead server
                pass


@pytest.fixture
def subscriptions() -> Iterator[Callable[[Any], Subscriptions]]:
    made: list[Subscriptions] = []

    def make(dev: Any) -> Subscriptions:
        s = Subscriptions(dev)
        made.append(s)
        return s
    yield make
    for s in made:
        s.close()


# ---------------------------------------------------------------------------
# every event type, both consumers, with and without a database

def test_every_event_type_is_received(server, client, subscriptions):
    name, proxy_class, ET = client
    dev = _proxy(server, proxy_class)
    rx = Received()
    sub = subscriptions(dev)
    sub("value", ET.CHANGE_EVENT, rx)
    sub("value", ET.ARCHIVE_EVENT, rx)
    sub("counter", ET.USER_EVENT, rx)
    sub("alarm_value", ET.ALARM_EVENT, rx)
    sub("ready", ET.DATA_READY_EVENT, rx)
    sub("value", ET.ATTR_CONF_EVENT, rx)
    sub(ET.INTERFACE_CHANGE_EVENT, rx)
    sub("polled", ET.PERIODIC_EVENT, rx)
    sub("polled", ET.CHANGE_EVENT, rx)
    # the synchronous first events (one per subscription; two for alarm in Tango 10)
    rx.wait_for(lambda evs: len(evs) >= 9, what="the first events")
    first = len(rx.events)
    wait_until_events_arrive(dev, ET, "spectrum")
    dev.PushChange(1.5)
    dev.PushUser(7)
    dev.PushAlarm(3.0)
    dev.PushDataReady(4)
    cfg = dev.get_attribute_config("value")
    cfg.unit = "mm"
    dev.set_attribute_config(cfg)
    dyn = f"dyn_{name}_{int(time.time() * 1000) % 100000}"
    dev.AddDynamic(dyn)
    try:
        def new(evs):
            return evs[first:]
        rx.wait_for(lambda evs: {e.event for e in new(evs)} >= {"change", "archive", "user_event", "alarm",
                                                                 "data_ready", "attr_conf", "intr_change",
                                                                 "periodic"},
                    timeout=10, what="one event of each type")
        rx.wait_for(lambda evs: any(_attr(e) == "value" and _value(e) == 1.5 and e.event == "change"
                                    for e in new(evs)), what="change 1.5")
    finally:
        dev.RemoveDynamic(dyn)
    assert not rx.errors(), [_brief(e) for e in rx.errors()]          # API_MissedEvents included
    later = rx.events[first:]
    assert [_value(e) for e in later if e.event == "archive"][:1] == [1.5]
    assert [_value(e) for e in later if e.event == "user_event"][:1] == [7]
    assert [_value(e) for e in later if e.event == "alarm"][:1] == [3.0]
    ready = next(e for e in later if e.event == "data_ready")
    assert ready.ctr == 4 and _attr(ready) == "ready"
    conf = next(e for e in later if e.event == "attr_conf")
    assert conf.attr_conf.unit == "mm" and conf.attr_conf.name == "value"
    intr = next(e for e in later if e.event == "intr_change")
    assert dyn in {a.name for a in intr.att_list}
    assert "PushChange" in {c.cmd_name for c in intr.cmd_list}
    polled = [_value(e) for e in later if e.event == "periodic"]
    assert polled and all(isinstance(v, int) for v in polled)


def test_pushed_errors_arrive_as_error_events(server, client, subscriptions):
    name, proxy_class, ET = client
    dev = _proxy(server, proxy_class)
    rx = Received()
    subscriptions(dev)("value", ET.CHANGE_EVENT, rx)
    rx.wait_for(lambda evs: len(evs) >= 1)
    wait_until_events_arrive(dev, ET, "spectrum")
    dev.PushError("boom")
    evs = rx.wait_for(lambda evs: any(e.err for e in evs), what="the error event")
    err = next(e for e in evs if e.err)
    assert err.errors[0].reason == "Test_PushedError" and err.errors[0].desc == "boom"
    dev.PushChange(8.0)
    rx.wait_for(lambda evs: any(_value(e) == 8.0 for e in evs), what="recovery after the error")


@pytest.mark.parametrize("attr, event, reason", [
    ("ready", "CHANGE_EVENT", "API_AttributePollingNotStarted"),
    ("value", "PERIODIC_EVENT", "API_AttributePollingNotStarted"),
    ("value", "DATA_READY_EVENT", "API_AttributeNotDataReadyEnabled"),
    ("polled", "ARCHIVE_EVENT", "API_EventPropertiesNotSet"),
])
def test_refused_subscriptions_give_cpptangos_reasons(ours_nodb, client, attr, event, reason):
    name, proxy_class, ET = client
    dev = _proxy(ours_nodb, proxy_class)
    errors = (tango.DevFailed, tango_core.DevFailed)
    with pytest.raises(errors) as info:
        dev.subscribe_event(attr, getattr(ET, event), Received())
    assert reason in [e.reason for e in info.value.args]


def test_many_pushed_events_arrive_in_order_with_no_missed_events(server, client, subscriptions):
    name, proxy_class, ET = client
    dev = _proxy(server, proxy_class)
    rx = Received()
    subscriptions(dev)("counter", ET.CHANGE_EVENT, rx)
    rx.wait_for(lambda evs: len(evs) >= 1)
    wait_until_events_arrive(dev, ET, "spectrum")
    dev.Burst(300)
    evs = rx.wait_for(lambda evs: len(evs) >= 301, timeout=20, what="300 events")
    assert not rx.errors(), [_brief(e) for e in rx.errors()][:3]
    assert [_value(e) for e in evs[1:301]] == list(range(300))


# ---------------------------------------------------------------------------
# the wire: counters, topics, the subscription reply

def _admin(server: Peer) -> Any:
    adm = tango.DeviceProxy(server.admin_device)
    adm.set_timeout_millis(5000)
    return adm


def test_subscription_reply_and_raw_frames(ours_nodb):
    adm = _admin(ours_nodb)
    lvalue, svalue = adm.command_inout("ZmqEventSubscriptionChange",
                                       ["test/ours/1", "counter", "subscribe", "change", "6"])
    assert lvalue[0] >= 930 and lvalue[1] == 6 and lvalue[2] == 1000
    assert len(svalue) == 4 and svalue[0].startswith("tcp://") and svalue[1].startswith("tcp://")
    port = ours_nodb.port
    assert svalue[2].endswith(f":{port}/test/ours/1/counter#dbase=no.idl5_change")
    assert svalue[3].endswith(f":{port}/dserver/{SERVER_NAME}/nodb")
    _, info = adm.command_inout("ZmqEventSubscriptionChange", ["info"])
    assert list(info) == [f"Heartbeat: {svalue[0]}", f"Event: {svalue[1]}"]
    _, probe = adm.command_inout("ZmqEventSubscriptionChange", ["test/ours/1", "value", "subscribe", "change", "6"])
    dev = tango.DeviceProxy(ours_nodb.devices[0])
    ctx = zmq.Context()
    try:
        sock = ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(svalue[1])
        sock.setsockopt(zmq.SUBSCRIBE, svalue[2].encode())
        sock.setsockopt(zmq.SUBSCRIBE, probe[2].encode())
        # ZMQ subscriptions propagate asynchronously: push on the probe topic until one arrives
        deadline = time.monotonic() + 10
        while True:
            dev.PushChange(time.time())
            if sock.poll(200):
                assert frames.decode_event(sock.recv_multipart()).topic == probe[2]
                break
            assert time.monotonic() < deadline, "the event socket never delivered"
        while sock.poll(300):
            sock.recv_multipart()
        dev.Burst(50)
        got = []
        while len(got) < 50 and sock.poll(3000):
            got.append(frames.decode_event(sock.recv_multipart()))
        assert len(got) == 50
        ctrs = [e.ctr for e in got]
        assert ctrs == list(range(ctrs[0], ctrs[0] + 50))        # one step per publication
        assert [frames.decode_payload(e)[1].value.value.tolist() for e in got] == [[i] for i in range(50)]
        assert {e.topic for e in got} == {svalue[2]}
    finally:
        ctx.destroy(linger=0)
    counters = json.loads(adm.command_inout("QueryEventSystem"))["server"]["event_counters"]
    assert any(k.endswith("/test/ours/1/counter#dbase=no.change") for k in counters)


def test_database_mode_topics_use_the_database_host(ours_db, tango_host):
    lvalue, svalue = _admin(ours_db).command_inout("ZmqEventSubscriptionChange",
                                                   ["test/oursdb/1", "value", "subscribe", "change", "6"])
    host, port = tango_host.rsplit(":", 1)
    assert svalue[2] == f"tango://{host}:{port}/test/oursdb/1/value.idl5_change"
    assert svalue[3] == f"tango://{host}:{port}/dserver/{SERVER_NAME}/db"


@pytest.mark.slow
def test_heartbeats_every_9_s_at_most(ours_nodb):
    _, svalue = _admin(ours_nodb).command_inout("ZmqEventSubscriptionChange",
                                                ["test/ours/1", "value", "subscribe", "change", "6"])
    ctx = zmq.Context()
    try:
        sock = ctx.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(svalue[0])
        sock.setsockopt(zmq.SUBSCRIBE, svalue[3].encode())
        stamps = []
        deadline = time.monotonic() + 30
        while len(stamps) < 3 and time.monotonic() < deadline:
            if sock.poll(1000):
                beat = frames.decode_heartbeat(sock.recv_multipart())
                assert beat.topic == svalue[3] + "#dbase=no.heartbeat"
                stamps.append(time.monotonic())
        assert len(stamps) == 3
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        assert all(7.5 < g <= 9.0 for g in gaps), gaps
    finally:
        ctx.destroy(linger=0)


# ---------------------------------------------------------------------------
# a server killed and restarted: the consumers resume and report nothing missed

@pytest.mark.slow
@pytest.mark.parametrize("mode", ["nodb", "db"])
def test_consumers_resume_after_kill_9_and_restart(mode, client, tango_host, peer_factory, subscriptions):
    name, proxy_class, ET = client
    instance = f"kill{mode}{name}"
    if mode == "nodb":
        peer = peer_factory.pytango_server(OUR_EVENT_SERVER, instance, nodb=True, device_class="EventDevice",
                                           device_names=["test/ourskill/1"])
    else:
        peer = peer_factory.pytango_server(OUR_EVENT_SERVER, instance, tango_host=tango_host,
                                           device_class="EventDevice", device_names=["test/ourskilldb/1"])
    try:
        dev = proxy_class(peer.devices[0])
        rx = Received()
        if name == "tango_core":
            from tango_core.events import configure, settings
            saved = dict(vars(settings.config))
            configure(keepalive_period=1.0)          # quicker reconnection attempts, Tango's 10 s timeout
        subscriptions(dev)("value", ET.CHANGE_EVENT, rx)
        # ZMQ's subscription reaches the publisher a moment after subscribe_event returns (with
        # real Tango too): a value pushed in that moment is not delivered, so push until one is
        for _ in range(10):
            dev.PushChange(1.0)
            try:
                rx.wait_for(lambda evs: any(_value(e) == 1.0 for e in evs), timeout=1.0)
                break
            except AssertionError:
                continue
        rx.wait_for(lambda evs: any(_value(e) == 1.0 for e in evs), what="1.0")
        peer.kill()
        evs = rx.wait_for(lambda evs: any(e.err for e in evs), timeout=25, what="API_EventTimeout")
        assert next(e for e in evs if e.err).errors[0].reason == "API_EventTimeout"
        n = len(evs)
        peer.restart()
        # the consumer re-subscribes by itself (keep-alive thread), then pushed events flow again
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                dev.PushChange(2.0)
            except (tango.DevFailed, tango_core.DevFailed):
                pass
            if any(_value(e) == 2.0 for e in rx.events[n:]):
                break
            time.sleep(1.0)
        assert any(_value(e) == 2.0 for e in rx.events[n:]), [_brief(e) for e in rx.events[n:]]
        for v in (3.0, 4.0, 5.0):
            dev.PushChange(v)
        rx.wait_for(lambda evs: any(_value(e) == 5.0 for e in evs[n:]), what="5.0")
        after = rx.events[n:]
        assert not [e for e in after if e.err and e.errors[0].reason == "API_MissedEvents"], \
            [_brief(e) for e in after]
        assert [v for v in (_value(e) for e in after) if v in (3.0, 4.0, 5.0)] == [3.0, 4.0, 5.0]
    finally:
        if name == "tango_core":
            configure(**saved)
        if mode == "db":
            try:
                tango.Database(*tango_host.rsplit(":", 1)).delete_server(f"{SERVER_NAME}/{instance}")
            except tango.DevFailed:
                pass


# ---------------------------------------------------------------------------
# subscriptions lapse without EventConfirmSubscription

class Pusher(Device):
    def init_device(self):
        super().init_device()
        self.set_change_event("x", True, False)

    @attribute(dtype=float)
    def x(self):
        return 0.0

    @command(dtype_in=float)
    def Push(self, v):
        self.push_change_event("x", v)


def test_subscription_lapses_without_confirmation_and_confirmation_renews_it():
    """Tango's lifetime is 600 s (clients confirm every 200 s); here the server's is shortened."""
    ctx = DeviceTestContext(Pusher, process=False)
    with ctx as proxy:
        adm = tango_core.DeviceProxy(proxy.adm_name())
        dev_name = proxy.dev_name()
        _, svalue = adm.command_inout("ZmqEventSubscriptionChange", [dev_name, "x", "subscribe", "change", "6"])
        ctx.runtime.events.supplier().subscriptions.lifetime = 1.0
        zctx = zmq.Context()
        try:
            sock = zctx.socket(zmq.SUB)
            sock.setsockopt(zmq.LINGER, 0)
            sock.connect(svalue[1])
            sock.setsockopt(zmq.SUBSCRIBE, svalue[2].encode())
            deadline = time.monotonic() + 10
            while not sock.poll(100):                  # until the subscription has propagated
                assert time.monotonic() < deadline
                proxy.Push(0.0)
                adm.command_inout("EventConfirmSubscription", [dev_name, "x", "idl5_change"])
            while sock.poll(200):
                sock.recv_multipart()
            proxy.Push(1.0)
            first = frames.decode_event(sock.recv_multipart())
            time.sleep(1.2)                             # no confirmation: the subscription lapses
            proxy.Push(2.0)
            assert not sock.poll(500), "an event was published after the subscription lapsed"
            counters = json.loads(adm.command_inout("QueryEventSystem"))["server"]["event_counters"]
            assert list(counters.values()) == [first.ctr + 1]          # the counter did not move
            adm.command_inout("EventConfirmSubscription", [dev_name, "x", "idl5_change"])
            proxy.Push(3.0)
            assert sock.poll(3000)
            ev = frames.decode_event(sock.recv_multipart())
            assert ev.ctr == first.ctr + 1
            assert frames.decode_payload(ev)[1].value.value.tolist() == [3.0]
        finally:
            zctx.destroy(linger=0)


# ---------------------------------------------------------------------------
# alarm events from the polling thread (Tango 10): on quality changes

class Level(Device):
    def init_device(self):
        super().init_device()
        self._v = 0.0

    @attribute(dtype=float, polling_period=100, max_alarm=5.0)
    def level(self):
        return self._v

    @command(dtype_in=float)
    def Set(self, v):
        self._v = v


def test_alarm_events_follow_the_quality_of_a_polled_attribute(client, subscriptions):
    name, proxy_class, ET = client
    ctx = DeviceTestContext(Level, process=True)
    ctx.start()
    try:
        dev = proxy_class(ctx.get_device_access())
        rx = Received()
        subscriptions(dev)("level", ET.ALARM_EVENT, rx)

        def seen(value):
            return rx.wait_for(lambda evs: any(_value(e) == value for e in evs), what=f"the event of {value}")
        seen(0.0)                               # the synchronous first event
        time.sleep(0.3)                         # the first polled reading has been sent or not by now
        n = len(rx.events)
        dev.Set(2.0)                            # VALID -> VALID: no event
        dev.Set(7.0)                            # VALID -> ALARM: one event
        seen(7.0)
        dev.Set(9.0)                            # ALARM -> ALARM: none
        time.sleep(0.3)
        dev.Set(1.0)                            # ALARM -> VALID: one event
        seen(1.0)
        time.sleep(0.3)
        later = [(str(e.attr_value.quality), _value(e)) for e in rx.events[n:] if not e.err]
        assert later == [("ATTR_ALARM", 7.0), ("ATTR_VALID", 1.0)], later
        assert not rx.errors()
    finally:
        ctx.stop()


# ---------------------------------------------------------------------------
# INTERFACE_CHANGE: one event per burst of changes, none for an Init that changes nothing

class Dynamic(Device):
    def init_device(self):
        super().init_device()
        self._extra = getattr(self, "_extra", 0)

    @attribute(dtype=float)
    def probe(self):
        return 0.0

    @command(dtype_in=int)
    def AddMany(self, n):
        for _ in range(n):
            self._extra += 1
            self.add_attribute(attribute(name=f"extra{self._extra}", dtype=float, fget=lambda self, attr: 1.0))

    @command(dtype_in=str)
    def Remove(self, name):
        self.remove_attribute(name)


def test_interface_change_events_are_coalesced_and_init_alone_sends_none(client, subscriptions):
    name, proxy_class, ET = client
    ctx = DeviceTestContext(Dynamic, process=True)
    ctx.start()
    try:
        dev = proxy_class(ctx.get_device_access())
        rx = Received()
        subscriptions(dev)(ET.INTERFACE_CHANGE_EVENT, rx)
        rx.wait_for(lambda evs: len(evs) >= 1, what="the synchronous first event")
        wait_until_events_arrive(dev, ET, "probe")
        dev.AddMany(3)
        evs = rx.wait_for(lambda evs: len(evs) >= 2, what="the interface change")
        time.sleep(0.5)
        assert len(rx.events) == 2, [_brief(e) for e in rx.events]      # one event for three additions
        attrs = {a.name for a in evs[1].att_list}
        assert {"extra1", "extra2", "extra3"} <= attrs and not evs[1].dev_started
        dev.Init()
        time.sleep(0.5)
        assert len(rx.events) == 2, [_brief(e) for e in rx.events]      # same interface after Init
        dev.Remove("extra2")
        evs = rx.wait_for(lambda evs: len(evs) >= 3, what="the removal")
        assert "extra2" not in {a.name for a in evs[2].att_list}
        assert not rx.errors()
    finally:
        ctx.stop()


class Restartable(Device):
    @attribute(dtype=float, unit="V")
    def x(self):
        return 1.0

    @attribute(dtype=float)
    def probe(self):
        return 0.0


def test_dev_restart_sends_the_configuration_again(client, subscriptions):
    name, proxy_class, ET = client
    ctx = DeviceTestContext(Restartable, process=True)
    ctx.start()
    try:
        dev = proxy_class(ctx.get_device_access())
        rx = Received()
        subscriptions(dev)("x", ET.ATTR_CONF_EVENT, rx)
        rx.wait_for(lambda evs: len(evs) >= 1, what="the synchronous first event")
        wait_until_events_arrive(dev, ET, "probe")
        adm = tango.DeviceProxy(dev.adm_name())
        adm.command_inout("DevRestart", dev.dev_name())
        evs = rx.wait_for(lambda evs: len(evs) >= 2, what="ATTR_CONF after DevRestart")
        assert evs[1].attr_conf.name == "x" and evs[1].attr_conf.unit == "V"
        assert dev.read_attribute("x").value == 1.0
        assert not rx.errors()
    finally:
        ctx.stop()


def test_events_of_a_server_registered_in_the_cpp_database(cpp_tango_host, peer_factory, client, subscriptions):
    """Registered in Debian's C++ DataBaseds (MariaDB): topics name that database's host:port."""
    name, proxy_class, ET = client
    instance = f"cppdb{name}"
    peer = peer_factory.pytango_server(OUR_EVENT_SERVER, instance, tango_host=cpp_tango_host,
                                       device_class="EventDevice", device_names=[f"test/ourscpp{name}/1"])
    try:
        dev = proxy_class(peer.devices[0])
        rx = Received()
        subscriptions(dev)("value", ET.CHANGE_EVENT, rx)
        subscriptions(dev)("polled", ET.PERIODIC_EVENT, rx)
        wait_until_events_arrive(dev, ET, "spectrum")
        dev.PushChange(4.5)
        rx.wait_for(lambda evs: any(_value(e) == 4.5 for e in evs) and
                    sum(e.event == "periodic" for e in evs) >= 2, what="a pushed change and periodic events")
        assert not rx.errors()
        _, svalue = _admin(peer).command_inout("ZmqEventSubscriptionChange",
                                               [f"test/ourscpp{name}/1", "value", "subscribe", "change", "6"])
        assert svalue[2] == f"tango://{cpp_tango_host}/test/ourscpp{name}/1/value.idl5_change"
    finally:
        try:
            tango.Database(*cpp_tango_host.rsplit(":", 1)).delete_server(f"{SERVER_NAME}/{instance}")
        except tango.DevFailed:
            pass
