"""The process-wide ZeroMQ event consumer: one context, one receiving thread, one dispatcher.

Threads (all daemons, all created on the first subscription and stopped when the last one goes):

* **receiver** -- owns the ZMQ sockets (heartbeat and event SUB sockets, their monitors) and is
  the only thread touching them, from its first poll to closing them and terminating the context
  when it stops; other threads ask it to connect/subscribe through a control queue plus a wake-up
  socketpair (also closed by the receiver).  Per event it only matches the full topic and reads the counter (duplicates
  dropped, gaps reported as ``API_MissedEvents``), then hands the raw frames to the dispatcher,
  so a slow callback never delays heartbeats or the draining of ZMQ queues.  New filters and
  connections are given a moment to reach the publisher before subscribe_event returns (ZMQ
  has no subscription acknowledgement).
* **dispatcher** -- decodes payloads and runs the user callbacks (or fills pull-model queues).
  As in cppTango, the first event of a synchronous ``subscribe_event`` (the value read at
  subscription) is delivered by the subscribing thread itself before the call returns.
  Its queue is bounded (count and bytes); on overflow the dropped events are counted and the
  subscriber gets an ``API_MissedEvents`` error event before its next event.
* **keep-alive** -- every ``keepalive_period`` s: channels without heartbeat for
  ``heartbeat_timeout`` s get ``API_EventTimeout`` error events and are re-subscribed (re-importing
  the admin device through the database, so new ports/IORs are followed); failed stateless
  subscriptions are retried; every ``confirm_period`` s ``EventConfirmSubscription`` is sent.

The wire facts (commands, reply layout, topics) are in the protocol brief §5; the Tango defaults
(10 s heartbeat timeout, 10 s keep-alive period, 200 s confirmation) are kept unless
:func:`configure` is called.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import logging
import os
import queue
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import zmq

from ..idl.enums import (
    EVENT_WIRE_NAMES,
    IDL5_PREFIXED_EVENTS,
    EventReason,
    EventSubMode,
    EventType,
    ExtractAs,
)
from ..idl.errors import DevFailed, EventSystemFailed, dev_error
from ..wire.errors import MarshalError
from ..client import device_attribute as _device_attribute
from ..client import info as _info
from . import frames
from .settings import EventConfig, config, configure
from .data import AttrConfEventData, DataReadyEventData, DevIntrChangeEventData, EventData

__all__ = ["EventConfig", "EventConsumer", "Subscription", "get_consumer", "configure", "config",
           "shutdown"]

log = logging.getLogger("tango_core.events")

_U32 = 1 << 32
CLIENT_IDL_VERSION = "6"
MIN_LIB_WITH_TOPICS = 930
SUBSCRIPTION_SETTLE = 0.02   # s, see EventConsumer._subscribe_filter


# ---------------------------------------------------------------------------------------------
# Subscriptions and channels
# ---------------------------------------------------------------------------------------------


class Subscription:
    """One subscribe_event() call: what the user asked for and where its events go."""

    def __init__(self, sub_id: int, proxy, attr_name: str, event_type: EventType,
                 callback: Callable | None, queue_size: int | None, sub_mode: EventSubMode,
                 extract_as: ExtractAs) -> None:
        self.id = sub_id
        self.proxy = proxy
        self.attr_name = attr_name              # as the user spelled it ("dummy" for intr_change)
        self.event_type = event_type
        self.event_name = EVENT_WIRE_NAMES[event_type]
        self.callback = callback
        self.queue_size = queue_size
        self.events: collections.deque | None = None
        if queue_size is not None:
            self.events = collections.deque(maxlen=queue_size if queue_size > 0 else None)
        self.sub_mode = sub_mode
        self.extract_as = extract_as
        self.device_name = ""                   # dev_name() of the proxy
        self.channel: Channel | None = None
        self.topic: str | None = None
        self.full_name = ""                     # tango://host:port/dev/attr as events report it
        self.lock = threading.Lock()
        self.holding = True                     # events held until the first (synchronous) value is queued
        self.held: list = []
        self.overflow = 0                       # events dropped by the dispatcher queue, not yet reported
        self.active = True
        self.connected = False
        self.last_event_date = None
        self.idl_version = 6
        self.consumer: EventConsumer | None = None    # set by register()

    @property
    def is_device_event(self) -> bool:
        return self.event_type == EventType.INTERFACE_CHANGE_EVENT

    def wire_attr(self) -> str:
        return "dummy" if self.is_device_event else self.attr_name.lower()

    def confirm_triplet(self) -> list[str]:
        name = self.event_name
        if self.event_type in IDL5_PREFIXED_EVENTS and self.idl_version >= 5:
            name = frames.IDL5_PREFIX + name
        return [self.device_name, self.wire_attr(), name]

    def __repr__(self) -> str:
        return f"<Subscription {self.id} {self.device_name}/{self.attr_name} {self.event_name}>"


class Channel:
    """The event channel of one device server (its admin device and its two ZMQ endpoints)."""

    def __init__(self, name: str, adm_name: str) -> None:
        self.name = name
        self.adm_name = adm_name
        self.hb_endpoint: str | None = None
        self.ev_endpoint: str | None = None
        self.last_heartbeat = time.monotonic()
        self.last_confirm = time.monotonic()
        self.alive = True
        self.subs: list[Subscription] = []
        self.admin = None            # DeviceProxy of the admin device, reused for confirmations


class _TopicMap(dict):
    """``{topic: _TopicState}`` that also keeps ``by_bytes`` (the receiver looks up raw frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_bytes: dict[bytes, _TopicState] = {}

    def __setitem__(self, topic: str, st) -> None:
        super().__setitem__(topic, st)
        self.by_bytes[topic.encode("latin-1")] = st

    def __delitem__(self, topic: str) -> None:
        super().__delitem__(topic)
        self.by_bytes.pop(topic.encode("latin-1"), None)

    def pop(self, topic: str, *default):
        self.by_bytes.pop(topic.encode("latin-1"), None)
        return super().pop(topic, *default)


_CTR_LE = struct.Struct("<I")
_CTR_BE = struct.Struct(">I")


class _TopicState:
    __slots__ = ("subs", "last_ctr")

    def __init__(self) -> None:
        self.subs: tuple[Subscription, ...] = ()
        self.last_ctr: int | None = None


# ---------------------------------------------------------------------------------------------
# Talking to the device server (through the client layer)
# ---------------------------------------------------------------------------------------------


def _new_proxy(name: str):
    from ..client.device_proxy import DeviceProxy
    return DeviceProxy(name)


def _full_device_name(proxy) -> str:
    """``tango://host:port/dev`` (``#dbase=no`` for no-DB devices), used in names events report."""
    dev = proxy.dev_name().lower()
    try:
        if proxy.is_dbase_used():
            return f"tango://{proxy.get_db_host()}:{proxy.get_db_port()}/{dev}"
        return f"tango://{proxy.get_dev_host()}:{proxy.get_dev_port()}/{dev}#dbase=no"
    except Exception:  # noqa: BLE001 - best effort, only used before a topic is known
        return dev


def _device_host(proxy, admin=None) -> str:
    """Host to use for ``tcp://0.0.0.0:port`` endpoints: where the admin device was reached."""
    for obj in (admin, proxy):
        ref = getattr(obj, "_ref", None) if obj is not None else None
        try:
            targets = ref.targets if ref is not None else None
            targets = targets() if callable(targets) else targets
            if targets:
                return targets[0].host
        except Exception:  # noqa: BLE001 - best effort
            pass
    try:
        host = proxy.get_dev_host()
        if host and host not in ("Unknown", "Unused", "IOR"):
            return host
    except Exception:  # noqa: BLE001
        pass
    return "127.0.0.1"


def _fix_endpoint(endpoint: str, host: str) -> str:
    if endpoint.startswith("epgm://") or endpoint.startswith("pgm://"):
        raise EventSystemFailed(dev_error(
            "API_NotSupportedFeature",
            f"Multicast event endpoint {endpoint} is not supported by this client (use TCP events)",
            "EventConsumer.connect_event_channel"))
    if "://0.0.0.0:" in endpoint:
        endpoint = endpoint.replace("://0.0.0.0:", f"://{host}:")
    return endpoint


def _reachable(endpoint: str, timeout: float = 0.5) -> bool:
    try:
        hostport = endpoint.split("://", 1)[1]
        host, port = hostport.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


@dataclass
class _Reply:
    lib_release: int
    idl: int
    hwm: int
    hb_endpoint: str
    ev_endpoint: str
    topic: str | None
    channel: str | None


def _subscription_command(admin, sub: Subscription) -> _Reply:
    """Send ZmqEventSubscriptionChange to the admin device and parse the reply (brief §5.2)."""
    args = [sub.device_name, sub.wire_attr(), "subscribe", sub.event_name, CLIENT_IDL_VERSION]
    lvalue, svalue = admin.command_inout("ZmqEventSubscriptionChange", args)
    host = _device_host(sub.proxy, admin)
    lvalue = [int(x) for x in lvalue]
    svalue = list(svalue)
    if len(lvalue) < 2 or len(svalue) < 2:
        raise EventSystemFailed(dev_error("API_ZmqInitFailed",
                                          f"Unexpected ZmqEventSubscriptionChange reply {lvalue} {svalue}",
                                          "EventConsumer.subscribe"))
    lib = lvalue[0]
    if lib >= MIN_LIB_WITH_TOPICS and len(svalue) >= 4:
        topic, channel = svalue[-2], svalue[-1]
        pairs = svalue[:-2]
    else:
        topic = channel = None
        pairs = svalue
    eps = [(_fix_endpoint(pairs[i], host), _fix_endpoint(pairs[i + 1], host))
           for i in range(0, len(pairs) - 1, 2)]
    hb, ev = eps[0]
    if len(eps) > 1:
        for cand in eps:
            if _reachable(cand[1]):
                hb, ev = cand
                break
    hwm = lvalue[2] if len(lvalue) > 2 else 1000
    return _Reply(lib, lvalue[1], hwm, hb, ev, topic, channel)


# Events a server's polling thread publishes by itself once a client subscribed to them.
_PUSHED_BY_POLLING = frozenset({EventType.CHANGE_EVENT, EventType.PERIODIC_EVENT, EventType.ARCHIVE_EVENT,
                                EventType.ALARM_EVENT})


def _open_event_socket(admin, sub: Subscription) -> bool:
    """Make a server create its event PUB socket with a subscription its polling thread never
    publishes (attr_conf), if it has none yet; True if it had to.

    cppTango's ZmqEventSubscriptionChange registers the subscription *before* it creates the
    event socket on the first subscription of the process, and a polling thread publishing in
    between dereferences the missing socket: the device server segfaults (seen with Debian's
    TangoTest 9.3.4 on an attribute polled every 100 ms).  ``["info"]`` tells whether the socket
    exists (``"Event: "`` without an endpoint when it does not).
    """
    try:
        _, svalue = admin.command_inout("ZmqEventSubscriptionChange", ["info"])
        svalue = list(svalue)
    except DevFailed:
        return False
    event_line = svalue[1] if len(svalue) > 1 else ""
    if event_line.startswith("Event: ") and event_line[len("Event: "):].strip():
        return False
    try:
        admin.command_inout("ZmqEventSubscriptionChange",
                            [sub.device_name, sub.wire_attr(), "subscribe",
                             EVENT_WIRE_NAMES[EventType.ATTR_CONF_EVENT], CLIENT_IDL_VERSION])
    except DevFailed:
        return False          # the real subscription reports what is wrong
    return True


def _open_event_socket_for(admin, subs) -> None:
    """:func:`_open_event_socket` before re-subscribing ``subs`` to a (maybe restarted) server."""
    sub = next((s for s in subs if s.event_type in _PUSHED_BY_POLLING), None)
    if sub is not None:
        _open_event_socket(admin, sub)


def _legacy_names(sub: Subscription, reply: _Reply, adm_name: str) -> tuple[str, str]:
    """Topic and channel for servers older than 9.3 (they do not return them)."""
    base = _full_device_name(sub.proxy)
    prefix, _, _ = base.rpartition(sub.device_name)
    name = sub.event_name
    if sub.event_type in IDL5_PREFIXED_EVENTS and reply.idl >= 5:
        name = frames.IDL5_PREFIX + name
    if sub.is_device_event:
        topic = f"{base}.{name}"
    else:
        topic = f"{base}/{sub.attr_name}.{name}"
    adm = adm_name.split("://", 1)[-1].split("/", 1)[-1] if "://" in adm_name else adm_name
    return topic.lower(), f"{prefix}{adm}".lower()


# ---------------------------------------------------------------------------------------------
# The consumer
# ---------------------------------------------------------------------------------------------


class EventConsumer:
    """Singleton owning the ZMQ context, sockets and the three threads (module docstring)."""

    def __init__(self) -> None:
        self.ctx = zmq.Context()
        self.ctx.setsockopt(zmq.LINGER, 0)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_lock = threading.Lock()                # guards writes to/closing of the socketpair
        self._wake_closed = False
        self._ctl: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.RLock()                    # channels, topics, subscriptions
        self._wiring = threading.RLock()                  # serialises socket (dis)connections/filters
        self.channels: dict[str, Channel] = {}
        self.topics = _TopicMap()
        self.subs: dict[int, Subscription] = {}
        self.pending: list[Subscription] = []             # stateless subs not yet connected
        self._endpoints = {"hb": collections.Counter(), "ev": collections.Counter()}
        self._filters = {"hb": collections.Counter(), "ev": collections.Counter()}
        self._stop = threading.Event()
        self._ka_wake = threading.Condition()
        # dispatcher
        self._dq: collections.deque = collections.deque()
        self._dq_cond = threading.Condition()
        self._dq_bytes = 0
        self._rx_batch: list | None = None                # receiver-thread staging list
        self.stats = collections.Counter()                # received, duplicates, missed, overflow ...
        self._recv_thread = threading.Thread(target=self._receiver_main, name="tango-events-rx", daemon=True)
        self._disp_thread = threading.Thread(target=self._dispatcher_main, name="tango-events-dispatch",
                                             daemon=True)
        self._ka_thread = threading.Thread(target=self._keepalive_main, name="tango-events-keepalive",
                                           daemon=True)
        self._hb_sock = self.ctx.socket(zmq.SUB)
        self._ev_sock = self.ctx.socket(zmq.SUB)
        for s in (self._hb_sock, self._ev_sock):
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.RCVHWM, max(int(config.receive_hwm), 1000))
        # a peer cannot make us buffer more than a Tango message may hold (GIOP's limit)
        self._hb_sock.setsockopt(zmq.MAXMSGSIZE, 64 << 10)
        self._ev_sock.setsockopt(zmq.MAXMSGSIZE, 256 << 20)
        # Monitors tell when a connection is really up (ZMTP handshake done, subscriptions sent):
        # a subscribe_event() returning earlier would miss events pushed right after it.
        mon_events = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
        self._monitors = {"hb": self._hb_sock.get_monitor_socket(mon_events),
                          "ev": self._ev_sock.get_monitor_socket(mon_events)}
        self._up: dict[str, set[str]] = {"hb": set(), "ev": set()}
        self._up_cond = threading.Condition()
        self._recv_thread.start()
        self._disp_thread.start()
        self._ka_thread.start()

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        return (self._recv_thread, self._disp_thread, self._ka_thread)

    # -- calls executed by the receiver thread --------------------------------------------
    def _in_receiver(self, fn: Callable[[], Any]) -> Any:
        if threading.current_thread() is self._recv_thread:
            return fn()
        if self._stop.is_set():
            raise EventSystemFailed(dev_error("API_EventSystemFailed", "The event consumer is closed",
                                              "EventConsumer"))
        done = threading.Event()
        box: list = [None, None]

        def run() -> None:
            try:
                box[0] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box[1] = exc
            finally:
                done.set()

        self._ctl.put(run)
        self._wake_receiver()
        deadline = time.monotonic() + config.call_timeout
        while not done.wait(0.1):
            if not self._recv_thread.is_alive():     # stopped (close, or a forked child): never runs
                raise EventSystemFailed(dev_error("API_EventSystemFailed", "The event consumer is closed",
                                                  "EventConsumer"))
            if time.monotonic() >= deadline:
                raise EventSystemFailed(dev_error("API_EventTimeout", "The event receiver thread did not answer",
                                                  "EventConsumer"))
        if box[1] is not None:
            raise box[1]
        return box[0]

    def _wake_receiver(self) -> None:
        with self._wake_lock:
            if not self._wake_closed:
                try:
                    self._wake_w.send(b"x")
                except OSError:
                    pass

    def _sock(self, kind: str) -> zmq.Socket:
        return self._hb_sock if kind == "hb" else self._ev_sock

    def _connect(self, kind: str, endpoint: str, wait: float = 2.0) -> None:
        def op():
            cnt = self._endpoints[kind]
            new = cnt[endpoint] == 0
            if new:
                # libzmq reports no EVENT_DISCONNECTED for our own disconnect(): an endpoint
                # connected before would still look "up" and the wait below would not wait for
                # the new handshake (events pushed right after subscribing were then lost)
                self._on_monitor(kind)
                with self._up_cond:
                    self._up[kind].discard(endpoint)
                self._sock(kind).connect(endpoint)
            cnt[endpoint] += 1
            return new
        if not self._in_receiver(op):
            return
        deadline = time.monotonic() + wait
        with self._up_cond:      # not fatal if it does not come up: ZMQ keeps reconnecting
            while endpoint not in self._up[kind] and time.monotonic() < deadline:
                self._up_cond.wait(max(0.0, deadline - time.monotonic()))
        if kind == "ev":
            # the socket's filters are sent right after the handshake: let the publisher apply
            # them (see _subscribe_filter) before a caller triggers a push
            time.sleep(SUBSCRIPTION_SETTLE)

    def _on_monitor(self, kind: str) -> None:
        from zmq.utils.monitor import recv_monitor_message
        mon = self._monitors[kind]
        while True:
            try:
                m = recv_monitor_message(mon, zmq.NOBLOCK)
            except zmq.Again:
                return
            endpoint = m.get("endpoint", b"")
            endpoint = endpoint.decode() if isinstance(endpoint, bytes) else str(endpoint)
            with self._up_cond:
                if m["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    self._up[kind].add(endpoint)
                else:
                    self._up[kind].discard(endpoint)
                self._up_cond.notify_all()

    def _disconnect(self, kind: str, endpoint: str | None) -> None:
        if endpoint is None:
            return

        def op():
            cnt = self._endpoints[kind]
            if cnt[endpoint] <= 0:
                return
            cnt[endpoint] -= 1
            if cnt[endpoint] == 0:
                del cnt[endpoint]
                with self._up_cond:
                    self._up[kind].discard(endpoint)
                try:
                    self._sock(kind).disconnect(endpoint)
                except zmq.ZMQError:
                    pass
        self._in_receiver(op)

    def _subscribe_filter(self, kind: str, flt: str) -> None:
        def op():
            cnt = self._filters[kind]
            new = cnt[flt] == 0
            if new:
                self._sock(kind).setsockopt(zmq.SUBSCRIBE, flt.encode("latin-1"))
            cnt[flt] += 1
            return new
        if self._in_receiver(op) and kind == "ev":
            # ZMQ has no subscription acknowledgement: the filter travels to the publisher
            # asynchronously and libzmq applies it on the publisher's next send after ~1 ms of
            # command throttling.  A short pause makes "subscribe, then trigger a push" reliable.
            time.sleep(SUBSCRIPTION_SETTLE)

    def _unsubscribe_filter(self, kind: str, flt: str | None) -> None:
        if flt is None:
            return

        def op():
            cnt = self._filters[kind]
            if cnt[flt] <= 0:
                return
            cnt[flt] -= 1
            if cnt[flt] == 0:
                del cnt[flt]
                try:
                    self._sock(kind).setsockopt(zmq.UNSUBSCRIBE, flt.encode("latin-1"))
                except zmq.ZMQError:
                    pass
        self._in_receiver(op)

    # -- receiver thread ------------------------------------------------------------------
    def _receiver_main(self) -> None:
        poller = zmq.Poller()
        poller.register(self._hb_sock, zmq.POLLIN)
        poller.register(self._ev_sock, zmq.POLLIN)
        poller.register(self._wake_r.fileno(), zmq.POLLIN)
        for mon in self._monitors.values():
            poller.register(mon, zmq.POLLIN)
        hb, ev = self._hb_sock, self._ev_sock
        hb_mon, ev_mon = self._monitors["hb"], self._monitors["ev"]
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(500))
                if ready.get(self._wake_r.fileno()):
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except (BlockingIOError, OSError):
                        pass
                while True:
                    try:
                        self._ctl.get_nowait()()
                    except queue.Empty:
                        break
                if ready.get(hb):
                    self._drain(hb, self._on_heartbeat)
                if ready.get(ev):
                    self._rx_batch = []
                    try:
                        self._drain(ev, self._on_event)
                    finally:
                        self._flush_rx_batch()
                        self._rx_batch = None
                if ready.get(hb_mon):
                    self._on_monitor("hb")
                if ready.get(ev_mon):
                    self._on_monitor("ev")
        except Exception:  # noqa: BLE001 - never die silently
            log.exception("tango event receiver thread failed")
        finally:
            for kind in ("hb", "ev"):
                try:
                    self._sock(kind).disable_monitor()
                except Exception:  # noqa: BLE001
                    pass
            for s in (*self._monitors.values(), self._hb_sock, self._ev_sock):
                try:
                    s.close(linger=0)
                except Exception:  # noqa: BLE001
                    pass
            try:
                self.ctx.term()      # every socket of this context is closed: returns at once
            except Exception:  # noqa: BLE001
                pass
            with self._wake_lock:
                self._wake_closed = True
                for s in (self._wake_r, self._wake_w):
                    try:
                        s.close()
                    except OSError:
                        pass

    @staticmethod
    def _drain(sock: zmq.Socket, handle: Callable[[list], None], budget: int = 2000) -> None:
        recv = sock.recv_multipart
        for _ in range(budget):
            try:
                msg = recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            handle(msg)

    def _on_heartbeat(self, msg: list) -> None:
        try:
            hb = frames.decode_heartbeat(msg)
        except MarshalError:
            self.stats["bad_heartbeats"] += 1
            return
        ch = self.channels.get(hb.channel)
        if ch is not None:
            ch.last_heartbeat = time.monotonic()
        self.stats["heartbeats"] += 1

    def _on_event(self, msg: list) -> None:
        """Receiver hot path: full-topic match, counter check, hand the raw frames on."""
        if len(msg) != 4:          # "I like beer" flush frames and anything else
            return
        st = self.topics.by_bytes.get(msg[0])   # full topic compare: ZMQ filters are only prefixes
        if st is None:
            return
        self.stats["received"] += 1
        info, order = msg[2], msg[1]
        if len(info) == 21 and order == b"\x01":
            ctr = _CTR_LE.unpack_from(info, 4)[0]
        elif len(info) == 21 and order == b"\x00":
            ctr = _CTR_BE.unpack_from(info, 4)[0]
        else:
            try:
                ctr = frames.decode_call_info(info, order == b"\x01").ctr
            except MarshalError as exc:
                self.stats["bad_events"] += 1
                self._enqueue_error(st.subs, [dev_error("API_ZmqFailed", f"Undecodable event message: {exc}",
                                                        "EventConsumer.push_zmq_event")])
                return
        last = st.last_ctr
        if last is not None:
            diff = (ctr - last) % _U32
            if diff == 0:
                self.stats["duplicates"] += 1
                return
            if 1 < diff < (1 << 31):
                self.stats["missed"] += diff - 1
                self._enqueue_error(st.subs, [dev_error(
                    "API_MissedEvents", "Missed some events! Zmq queue has reached HWM?",
                    "ZmqEventConsumer::push_zmq_event()")])
        st.last_ctr = ctr
        self._enqueue_msg(st.subs, msg)

    # -- dispatcher queue -----------------------------------------------------------------
    def _push(self, item: tuple, nbytes: int = 0, subs=()) -> None:
        batch = self._rx_batch
        if batch is not None and threading.current_thread() is self._recv_thread:
            batch.append((item, nbytes, subs))   # flushed once per drained burst
            return
        with self._dq_cond:
            self._append_locked(item, nbytes, subs)
            self._dq_cond.notify()

    def _append_locked(self, item: tuple, nbytes: int, subs) -> None:
        if nbytes and (len(self._dq) >= config.dispatch_max_events
                       or self._dq_bytes + nbytes > config.dispatch_max_bytes):
            for s in subs:
                s.overflow += 1
            self.stats["overflow"] += 1
            return
        self._dq.append((item, nbytes))
        self._dq_bytes += nbytes

    def _flush_rx_batch(self) -> None:
        batch = self._rx_batch
        if not batch:
            return
        self._rx_batch = []
        with self._dq_cond:
            for item, nbytes, subs in batch:
                self._append_locked(item, nbytes, subs)
            self._dq_cond.notify()

    def _enqueue_msg(self, subs, msg: list) -> None:
        ready = []
        for s in subs:
            if s.holding:
                with s.lock:
                    if s.holding:
                        s.held.append(("msg", (s,), msg))
                        continue
            ready.append(s)
        if ready:
            self._push(("msg", tuple(ready), msg), len(msg[3]) or 1, ready)

    def _enqueue_error(self, subs, errors, reason=EventReason.Update) -> None:
        for s in subs:
            item = ("err", (s,), (tuple(errors), reason))
            if s.holding:
                with s.lock:
                    if s.holding:
                        s.held.append(item)
                        continue
            self._push(item)

    def enqueue_event(self, sub: Subscription, event) -> None:
        self._push(("ev", (sub,), event))

    def release(self, sub: Subscription, first_event=None, *, here: bool = False) -> None:
        """Queue the first (synchronous) event, then what arrived meanwhile; stop holding.

        ``here``: deliver the first event in the calling thread (subscribe_event does, like
        cppTango, so the callback has seen it when subscribe_event returns); what arrived
        meanwhile follows through the dispatcher, after it.
        """
        if here and first_event is not None:
            try:
                self._deliver(sub, first_event)
            finally:
                self.release(sub)
            return
        with sub.lock:
            if first_event is not None:
                self._push(("ev", (sub,), first_event))
            for item in sub.held:
                self._push(item)
            sub.held = []
            sub.holding = False

    def _dispatcher_main(self) -> None:
        dq, cond = self._dq, self._dq_cond
        pop = dq.popleft
        while True:
            with cond:
                while not dq and not self._stop.is_set():
                    cond.wait(0.5)
                if not dq:
                    if self._stop.is_set():
                        return
                    continue
                chunk = [pop() for _ in range(min(len(dq), 64))]
                self._dq_bytes -= sum(n for _, n in chunk)
            for item, _ in chunk:
                try:
                    self._dispatch(item)
                except Exception:  # noqa: BLE001
                    log.exception("tango event dispatch failed")

    def _dispatch(self, item: tuple) -> None:
        kind, subs, payload = item
        if kind == "call":
            payload()
            return
        if kind == "ev":
            self._deliver(subs[0], payload)
            return
        if kind == "err":
            errors, reason = payload
            for s in subs:
                self._deliver(s, make_error_event(s, errors, reason))
            return
        try:
            pkind, value = frames.decode_payload(frames.decode_event(payload))
        except Exception as exc:  # noqa: BLE001 - a bad payload becomes an error event
            pkind, value = "error", (dev_error("API_ZmqFailed", f"Cannot decode event payload: {exc}",
                                               "EventConsumer.push_zmq_event"),)
        cache: dict = {}
        for s in subs:
            self._deliver(s, build_event(s, pkind, value, s.full_name, cache))

    def _deliver(self, sub: Subscription, event) -> None:
        if not sub.active:
            return
        if sub.overflow:
            n, sub.overflow = sub.overflow, 0
            self._deliver_one(sub, make_error_event(sub, [dev_error(
                "API_MissedEvents",
                f"{n} event(s) dropped: the event callbacks are too slow (dispatch queue full)",
                "EventConsumer.dispatch")], EventReason.Update))
        self._deliver_one(sub, event)

    def _deliver_one(self, sub: Subscription, event) -> None:
        sub.last_event_date = event.reception_date
        self.stats["dispatched"] += 1
        if sub.events is not None:
            with sub.lock:
                sub.events.append(event)
            return
        cb = sub.callback
        try:
            cb(event)
        except Exception:  # noqa: BLE001 - a user callback must not kill the dispatcher
            log.exception("exception in event callback for %r", sub)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far has been dispatched (tests, benchmarks)."""
        if threading.current_thread() is self._disp_thread:
            return True
        done = threading.Event()
        self._push(("call", (), done.set))
        return done.wait(timeout)

    # -- subscribe / unsubscribe ----------------------------------------------------------
    def connect_subscription(self, sub: Subscription) -> None:
        """Run the handshake and wire the sockets; raises DevFailed on failure.

        On return the subscription is registered on its topic but still *holding*:
        the caller queues the first value with :meth:`release`.
        """
        proxy = sub.proxy
        if not sub.device_name:
            sub.device_name = proxy.dev_name()
        adm_name = proxy.adm_name()
        admin = _new_proxy(adm_name)
        try:
            sub.idl_version = int(proxy.get_idl_version())
        except Exception:  # noqa: BLE001
            sub.idl_version = 6
        if sub.event_type in _PUSHED_BY_POLLING and not self._serves_admin(adm_name):
            if _open_event_socket(admin, sub):
                self.stats["event_sockets_opened"] += 1
        reply = _subscription_command(admin, sub)
        self._attach(sub, reply, adm_name)
        if not sub.active:        # unsubscribed meanwhile (a background subscription): undo
            self.detach(sub)

    def _serves_admin(self, adm_name: str) -> bool:
        """True if we already receive events from that server (so its event socket exists)."""
        with self._lock:
            return any(ch.adm_name == adm_name for ch in self.channels.values())

    def _attach(self, sub: Subscription, reply: _Reply, adm_name: str) -> None:
        with self._wiring:     # a concurrent detach must not drop the channel we are joining
            self._attach_locked(sub, reply, adm_name)

    def _attach_locked(self, sub: Subscription, reply: _Reply, adm_name: str) -> None:
        topic, chname = reply.topic, reply.channel
        if topic is None or chname is None:
            topic, chname = _legacy_names(sub, reply, adm_name)
        sub.idl_version = reply.idl
        with self._lock:
            ch = self.channels.get(chname)
            new_channel = ch is None
            if new_channel:
                ch = Channel(chname, adm_name)
                self.channels[chname] = ch
        if new_channel:
            ch.hb_endpoint, ch.ev_endpoint = reply.hb_endpoint, reply.ev_endpoint
            self._connect("hb", ch.hb_endpoint)
            self._connect("ev", ch.ev_endpoint)
            self._subscribe_filter("hb", chname)
        self._subscribe_filter("ev", topic)
        with self._lock:
            st = self.topics.get(topic)
            if st is None:
                st = self.topics[topic] = _TopicState()
            st.subs = st.subs + (sub,)
            ch.subs.append(sub)
            sub.channel, sub.topic = ch, topic
            sub.full_name = _full_attr_name(sub)
            sub.connected = True
            if sub in self.pending:
                self.pending.remove(sub)

    def detach(self, sub: Subscription) -> None:
        """Undo :meth:`_attach` (unsubscribe or before a re-subscription)."""
        with self._wiring:
            self._detach_locked(sub)

    def _detach_locked(self, sub: Subscription) -> None:
        with self._lock:
            ch, topic = sub.channel, sub.topic
            sub.connected = False
            sub.channel = None
            st = self.topics.get(topic) if topic else None
            drop_topic = False
            if st is not None:
                st.subs = tuple(s for s in st.subs if s is not sub)
                if not st.subs:
                    del self.topics[topic]
                    drop_topic = True
            drop_channel = False
            if ch is not None:
                if sub in ch.subs:
                    ch.subs.remove(sub)
                if not ch.subs and self.channels.get(ch.name) is ch:
                    del self.channels[ch.name]
                    drop_channel = True
        if drop_topic:
            self._unsubscribe_filter("ev", topic)
        if drop_channel:
            self._unsubscribe_filter("hb", ch.name)
            self._disconnect("hb", ch.hb_endpoint)
            self._disconnect("ev", ch.ev_endpoint)

    def add(self, sub: Subscription) -> None:
        with self._lock:
            self.subs[sub.id] = sub

    def remove(self, sub: Subscription) -> None:
        sub.active = False
        with self._lock:
            if sub in self.pending:
                self.pending.remove(sub)
        try:
            if sub.connected:
                self.detach(sub)
        finally:
            # only now may a concurrent release_if_idle() see the consumer idle and close it
            with self._lock:
                self.subs.pop(sub.id, None)

    def add_pending(self, sub: Subscription) -> None:
        with self._lock:
            if sub not in self.pending:
                self.pending.append(sub)
        self.wake_keepalive()

    # -- keep-alive thread ----------------------------------------------------------------
    def wake_keepalive(self) -> None:
        with self._ka_wake:
            self._ka_wake.notify()

    def _keepalive_main(self) -> None:
        while not self._stop.is_set():
            with self._ka_wake:
                self._ka_wake.wait(max(0.05, float(config.keepalive_period)))
            if self._stop.is_set():
                return
            try:
                self.keepalive_once()
            except Exception:  # noqa: BLE001
                log.exception("tango event keep-alive failed")

    def keepalive_once(self) -> None:
        now = time.monotonic()
        with self._lock:
            channels = list(self.channels.values())
            pending = list(self.pending)
        for ch in channels:
            if self._stop.is_set():
                return
            if ch.alive and now - ch.last_heartbeat > config.heartbeat_timeout:
                ch.alive = False
                self.stats["timeouts"] += 1
                for s in list(ch.subs):
                    self._enqueue_error((s,), [dev_error(
                        "API_EventTimeout",
                        "Event channel is not responding anymore, maybe the server or event system is down",
                        "EventConsumer::KeepAliveThread()")])
            if not ch.alive:
                self._reconnect_channel(ch)
            elif now - ch.last_confirm >= config.confirm_period:
                self._confirm(ch)
        for sub in pending:
            if self._stop.is_set() or not sub.active:
                continue
            self._retry_pending(sub)

    def _confirm(self, ch: Channel) -> None:
        ch.last_confirm = time.monotonic()
        args: list[str] = []
        for s in list(ch.subs):
            args += s.confirm_triplet()
        if not args:
            return
        try:
            if ch.admin is None:
                ch.admin = _new_proxy(ch.adm_name)
            ch.admin.command_inout("EventConfirmSubscription", args)
            self.stats["confirmations"] += 1
        except DevFailed as exc:
            # Tango 8 has no EventConfirmSubscription (API_CommandNotFound); a server that lost
            # our subscriptions (restarted between two heartbeat checks) refuses it: in both
            # cases renewing with ZmqEventSubscriptionChange is what keeps events flowing.
            ch.admin = None
            log.debug("EventConfirmSubscription to %s failed (%s); re-subscribing", ch.adm_name,
                      exc.args[0].reason if exc.args else exc)
            try:
                admin = _new_proxy(ch.adm_name)
                _open_event_socket_for(admin, ch.subs)
            except Exception:  # noqa: BLE001
                return
            for s in list(ch.subs):
                try:
                    _subscription_command(admin, s)
                except Exception:  # noqa: BLE001 - a dead server is the heartbeat check's business
                    pass
        except Exception as exc:  # noqa: BLE001
            ch.admin = None
            log.debug("EventConfirmSubscription to %s failed: %s", ch.adm_name, exc)

    def _reconnect_channel(self, ch: Channel) -> None:
        subs = list(ch.subs)
        if not subs:
            return
        try:
            admin = _new_proxy(ch.adm_name)          # re-imports from the database: new IOR/ports
            _open_event_socket_for(admin, subs)      # a restarted server has none yet
            replies = [(s, _subscription_command(admin, s)) for s in subs]
            ch.admin = admin
        except Exception as exc:  # noqa: BLE001 - still down; retried at the next period
            log.debug("re-subscription to %s failed: %s", ch.name, exc)
            return
        for s in subs:                               # new events wait for the fresh value
            with s.lock:
                s.holding = True
        try:
            with self._wiring:
                if self.channels.get(ch.name) is not ch:      # unsubscribed meanwhile
                    return
                self._rewire_channel(ch, replies)
            self.stats["reconnections"] += 1
        finally:
            for s in subs:
                first = None
                if s.active and s.connected and s.sub_mode != EventSubMode.Sync:
                    first = first_event(s, EventReason.SubSuccess)
                self.release(s, first)

    def _rewire_channel(self, ch: Channel, replies: list) -> None:
        """Point a re-subscribed channel at what the (restarted) server answered."""
        first = replies[0][1]
        if (first.hb_endpoint, first.ev_endpoint) != (ch.hb_endpoint, ch.ev_endpoint):
            old = (ch.hb_endpoint, ch.ev_endpoint)
            self._connect("hb", first.hb_endpoint)
            self._connect("ev", first.ev_endpoint)
            ch.hb_endpoint, ch.ev_endpoint = first.hb_endpoint, first.ev_endpoint
            self._disconnect("hb", old[0])
            self._disconnect("ev", old[1])
        if first.channel and first.channel != ch.name:      # server now spells its channel differently
            self._subscribe_filter("hb", first.channel)
            with self._lock:
                self.channels.pop(ch.name, None)
                old_name, ch.name = ch.name, first.channel
                self.channels[ch.name] = ch
            self._unsubscribe_filter("hb", old_name)
        for s, r in replies:
            if r.topic and r.topic != s.topic:
                self._move_topic(s, r.topic)
        with self._lock:
            for s, _ in replies:
                st = self.topics.get(s.topic)
                if st is not None:
                    st.last_ctr = None               # the restarted server counts from 1 again
        ch.last_heartbeat = time.monotonic()
        ch.last_confirm = time.monotonic()
        ch.alive = True

    def _move_topic(self, sub: Subscription, topic: str) -> None:
        self._subscribe_filter("ev", topic)
        old = sub.topic
        drop = False
        with self._lock:
            st = self.topics.get(old) if old else None
            if st is not None:
                st.subs = tuple(x for x in st.subs if x is not sub)
                if not st.subs:
                    del self.topics[old]
                    drop = True
            new = self.topics.get(topic)
            if new is None:
                new = self.topics[topic] = _TopicState()
            new.subs = new.subs + (sub,)
            sub.topic = topic
        if drop:
            self._unsubscribe_filter("ev", old)

    def _retry_pending(self, sub: Subscription) -> None:
        with sub.lock:
            sub.holding = True           # what arrives before the first value waits for it
        try:
            self.connect_subscription(sub)
        except Exception as exc:  # noqa: BLE001
            errors = exc.args if isinstance(exc, DevFailed) else (
                dev_error("API_EventSystemFailed", str(exc), "EventConsumer.subscribe"),)
            self.release(sub, make_error_event(sub, errors, EventReason.SubFail))
            return
        if sub.sub_mode == EventSubMode.Async:     # success notice without a value
            self.release(sub, make_error_event(sub, (), EventReason.SubSuccess))
        else:
            self.release(sub, first_event(sub, EventReason.SubSuccess))

    # -- shutdown -------------------------------------------------------------------------
    def close(self, timeout: float = 2.0) -> None:
        """Stop the threads and wait (at most ``timeout`` s each) for them to end.

        Only signals: the receiver closes its sockets, the context and the wake-up socketpair
        itself as it stops (pyzmq sockets are not thread-safe, and a socket closed under a
        running poll can crash libzmq), so a receiver that has not stopped yet still owns them.
        """
        self._stop.set()
        self.wake_keepalive()
        self._wake_receiver()
        with self._dq_cond:
            self._dq_cond.notify_all()
        me = threading.current_thread()
        for t in self.threads:
            if t is not me and t.is_alive():
                t.join(timeout)


# ---------------------------------------------------------------------------------------------
# Building the objects callbacks receive
# ---------------------------------------------------------------------------------------------


def make_error_event(sub: Subscription, errors, reason=EventReason.Update):
    """An error event of the right class for the subscription's event type."""
    name = sub.full_name or _full_attr_name(sub)
    et = sub.event_type
    if et == EventType.ATTR_CONF_EVENT:
        return AttrConfEventData(sub.proxy, name, sub.event_name, None, reason, errors)
    if et == EventType.DATA_READY_EVENT:
        return DataReadyEventData(sub.proxy, name, sub.event_name, -1, -1, reason, errors)
    if et == EventType.INTERFACE_CHANGE_EVENT:
        return DevIntrChangeEventData(sub.proxy, sub.event_name, name, None, None, False, reason, errors)
    return EventData(sub.proxy, name, sub.event_name, None, reason, errors)


def _full_attr_name(sub: Subscription) -> str:
    base = _full_device_name(sub.proxy)
    if sub.is_device_event:
        return base
    if base.endswith("#dbase=no"):
        return f"{base[:-len('#dbase=no')]}/{sub.attr_name.lower()}#dbase=no"
    return f"{base}/{sub.attr_name.lower()}"


def build_event(sub: Subscription, kind: str, value, name: str, cache: dict):
    """Turn a decoded payload into the event object for one subscriber."""
    if kind == "error":
        return make_error_event(sub, value)
    ev_name = sub.event_name
    if kind == "value":
        da = cache.get(sub.extract_as)
        if da is None:
            da = cache[sub.extract_as] = _device_attribute.from_attribute_value(value, sub.extract_as)
        if da.has_failed:
            return EventData(sub.proxy, name, ev_name, None, EventReason.Update, da.get_err_stack())
        return EventData(sub.proxy, name, ev_name, da, EventReason.Update)
    if kind == "attr_conf":
        return AttrConfEventData(sub.proxy, name, ev_name, _info.attribute_info_ex_from_idl(value),
                                 EventReason.Update)
    if kind == "data_ready":
        return DataReadyEventData(sub.proxy, name, ev_name, int(value.data_type), value.ctr, EventReason.Update)
    if kind == "intr_change":
        cmds = [_info.command_info_from_idl(c) for c in value.cmds]
        atts = [_info.attribute_info_ex_from_idl(a) for a in value.atts]
        return DevIntrChangeEventData(sub.proxy, ev_name, name, cmds, atts, value.dev_started,
                                      EventReason.Update)
    raise ValueError(f"unknown payload kind {kind!r}")


def first_event(sub: Subscription, reason=EventReason.SubSuccess):
    """The value cppTango delivers right after subscribing, read synchronously (brief §5.2)."""
    proxy = sub.proxy
    name = sub.full_name or _full_attr_name(sub)
    et = sub.event_type
    try:
        if et == EventType.DATA_READY_EVENT:
            return None                                   # nothing to read for data-ready
        if et == EventType.ATTR_CONF_EVENT:
            return AttrConfEventData(proxy, name, sub.event_name, proxy.get_attribute_config(sub.attr_name),
                                     reason)
        if et == EventType.INTERFACE_CHANGE_EVENT:
            # cppTango reports the value read at subscription time with dev_started=True
            return DevIntrChangeEventData(proxy, sub.event_name, name, list(proxy.command_list_query()),
                                          list(proxy.attribute_list_query_ex()), True, reason)
        da = proxy.read_attribute(sub.attr_name, extract_as=sub.extract_as)
        return EventData(proxy, name, sub.event_name, da, reason)
    except DevFailed as exc:
        return make_error_event(sub, exc.args, reason)
    except Exception as exc:  # noqa: BLE001
        return make_error_event(sub, [dev_error("API_CorbaException", str(exc), "EventConsumer.subscribe")], reason)


# ---------------------------------------------------------------------------------------------
# Process-wide singleton
# ---------------------------------------------------------------------------------------------

_consumer: EventConsumer | None = None
_consumer_lock = threading.Lock()
_ids = itertools.count(1)


def next_id() -> int:
    return next(_ids)


def get_consumer() -> EventConsumer:
    global _consumer
    with _consumer_lock:
        if _consumer is None:
            _consumer = EventConsumer()
        return _consumer


def register(sub: Subscription) -> EventConsumer:
    """Get (or start) the consumer and add ``sub`` atomically, so a concurrent last
    unsubscribe cannot close the consumer under a new subscription."""
    global _consumer
    with _consumer_lock:
        if _consumer is None:
            _consumer = EventConsumer()
        _consumer.add(sub)
        sub.consumer = _consumer
        return _consumer


def release_if_idle(consumer: EventConsumer) -> None:
    """Stop threads and close sockets when the last subscription is gone."""
    global _consumer
    with _consumer_lock:
        with consumer._lock:
            idle = not consumer.subs
        if not idle or _consumer is not consumer:
            return
        _consumer = None
    consumer.close()


def shutdown() -> None:
    """Close everything (atexit hook; also usable by tests)."""
    global _consumer
    with _consumer_lock:
        c, _consumer = _consumer, None
    if c is not None:
        c.close(timeout=1.0)


def _forget_in_child() -> None:
    """A forked child has none of the consumer's threads and must not use the parent's ZMQ
    context: it starts afresh on its first subscription (pyzmq never closes the parent's
    sockets or context from a child)."""
    global _consumer, _consumer_lock
    _consumer = None
    _consumer_lock = threading.Lock()


atexit.register(shutdown)
os.register_at_fork(after_in_child=_forget_in_child)
