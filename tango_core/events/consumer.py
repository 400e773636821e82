"""The process-wide ZeroMQ event consumer: one per process, created on the first subscription.

It puts three parts together, one thread each (all daemons, all stopped when the last
subscription goes, at exit, and forgotten by a forked child, which starts its own):

* the **receiver** (:mod:`.receiver`) owns the ZMQ sockets; per event message the consumer's
  :meth:`EventConsumer._on_event` (run there) only matches the full topic and reads the counter
  (duplicates dropped, gaps reported as ``API_MissedEvents``), then hands the raw frames on;
* the **dispatcher** (:mod:`.dispatcher`) decodes payloads and runs the user callbacks.  As in
  cppTango, the first event of a synchronous ``subscribe_event`` (the value read at
  subscription) is delivered by the subscribing thread itself before the call returns;
* the **keep-alive** (:mod:`.subscription_protocol`) watches heartbeats, re-subscribes dead
  channels and confirms subscriptions.

The consumer itself keeps the routing state: channels (one per device server), topics and their
subscribers, and wires the sockets when a subscription is attached or detached.  The wire facts
(commands, reply layout, topics) are in the protocol brief §5; the Tango defaults (10 s heartbeat
timeout, 10 s keep-alive period, 200 s confirmation) are kept unless :func:`configure` is called.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import logging
import os
import struct
import threading
import time

from ..idl.errors import dev_error
from ..wire.errors import MarshalError
from . import frames
from .client_subscription import Channel, Subscription, full_attr_name
from .dispatcher import Dispatcher
from .receiver import ZmqReceiver
from .settings import EventConfig, config, configure
from .subscription_protocol import (PUSHED_BY_POLLING, KeepAlive, SubscriptionReply, legacy_names,
                                    open_event_socket, subscribe)

__all__ = ["EventConfig", "EventConsumer", "Subscription", "TopicState", "get_consumer", "configure",
           "config", "shutdown", "register", "release_if_idle", "next_id"]

log = logging.getLogger("tango_core.events")

_U32 = 1 << 32
_CTR_LE = struct.Struct("<I")
_CTR_BE = struct.Struct(">I")


class _TopicMap(dict):
    """``{topic: TopicState}`` that also keeps ``by_bytes`` (the receiver looks up raw frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.by_bytes: dict[bytes, TopicState] = {}

    def __setitem__(self, topic: str, st) -> None:
        super().__setitem__(topic, st)
        self.by_bytes[topic.encode("latin-1")] = st

    def __delitem__(self, topic: str) -> None:
        super().__delitem__(topic)
        self.by_bytes.pop(topic.encode("latin-1"), None)

    def pop(self, topic: str, *default):
        self.by_bytes.pop(topic.encode("latin-1"), None)
        return super().pop(topic, *default)


class TopicState:
    """The subscribers of one topic and the last event counter seen on it."""

    __slots__ = ("subs", "last_ctr")

    def __init__(self) -> None:
        self.subs: tuple[Subscription, ...] = ()
        self.last_ctr: int | None = None


class EventConsumer:
    """Singleton owning the receiver, the dispatcher, the keep-alive and the routing state."""

    def __init__(self) -> None:
        self._lock = threading.RLock()                    # channels, topics, subscriptions
        self._wiring = threading.RLock()                  # serialises socket (dis)connections/filters
        self.channels: dict[str, Channel] = {}
        self.topics = _TopicMap()
        self.subs: dict[int, Subscription] = {}
        self.pending: list[Subscription] = []             # stateless subs not yet connected
        self._stop = threading.Event()
        self.stats = collections.Counter()                # received, duplicates, missed, overflow ...
        self.dispatcher = Dispatcher(self._stop, self.stats)
        self.receiver = ZmqReceiver(self._stop, self._on_heartbeat, self._on_event,
                                    self.dispatcher.begin_batch, self.dispatcher.end_batch)
        self.keepalive = KeepAlive(self, self._stop)
        self.receiver.start()
        self.dispatcher.start()
        self.keepalive.start()

    @property
    def threads(self) -> tuple[threading.Thread, ...]:
        return (self.receiver.thread, self.dispatcher.thread, self.keepalive.thread)

    def snapshot(self) -> tuple[list[Channel], list[Subscription]]:
        """The channels and the pending subscriptions, for the keep-alive."""
        with self._lock:
            return list(self.channels.values()), list(self.pending)

    # -- receiver thread ------------------------------------------------------------------
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
                self.dispatcher.enqueue_error(st.subs, [dev_error(
                    "API_ZmqFailed", f"Undecodable event message: {exc}", "EventConsumer.push_zmq_event")])
                return
        last = st.last_ctr
        if last is not None:
            diff = (ctr - last) % _U32
            if diff == 0:
                self.stats["duplicates"] += 1
                return
            if 1 < diff < (1 << 31):
                self.stats["missed"] += diff - 1
                self.dispatcher.enqueue_error(st.subs, [dev_error(
                    "API_MissedEvents", "Missed some events! Zmq queue has reached HWM?",
                    "ZmqEventConsumer::push_zmq_event()")])
        st.last_ctr = ctr
        self.dispatcher.enqueue_msg(st.subs, msg)

    # -- what subscribe_event uses --------------------------------------------------------
    def release(self, sub: Subscription, first_event=None, *, here: bool = False) -> None:
        """Queue (or, ``here``, deliver in this thread) the first event; see Dispatcher.release."""
        self.dispatcher.release(sub, first_event, here=here)

    def enqueue_event(self, sub: Subscription, event) -> None:
        self.dispatcher.enqueue_event(sub, event)

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far has been dispatched (tests, benchmarks)."""
        return self.dispatcher.flush(timeout)

    def connect_subscription(self, sub: Subscription) -> None:
        """Run the handshake and wire the sockets; raises DevFailed on failure.

        On return the subscription is registered on its topic but still *holding*:
        the caller queues the first value with :meth:`release`.
        """
        proxy = sub.proxy
        if not sub.device_name:
            sub.device_name = proxy.dev_name()
        adm_name = proxy.adm_name()
        admin = sub.client.device_proxy(adm_name)
        try:
            sub.idl_version = int(proxy.get_idl_version())
        except Exception:  # noqa: BLE001
            sub.idl_version = 6
        if sub.event_type in PUSHED_BY_POLLING and not self._serves_admin(adm_name):
            if open_event_socket(admin, sub):
                self.stats["event_sockets_opened"] += 1
        reply = subscribe(admin, sub)
        self._attach(sub, reply, adm_name)
        if not sub.active:        # unsubscribed meanwhile (a background subscription): undo
            self.detach(sub)

    def _serves_admin(self, adm_name: str) -> bool:
        """True if we already receive events from that server (so its event socket exists)."""
        with self._lock:
            return any(ch.adm_name == adm_name for ch in self.channels.values())

    def _attach(self, sub: Subscription, reply: SubscriptionReply, adm_name: str) -> None:
        with self._wiring:     # a concurrent detach must not drop the channel we are joining
            self._attach_locked(sub, reply, adm_name)

    def _attach_locked(self, sub: Subscription, reply: SubscriptionReply, adm_name: str) -> None:
        topic, chname = reply.topic, reply.channel
        if topic is None or chname is None:
            topic, chname = legacy_names(sub, reply, adm_name)
        sub.idl_version = reply.idl
        with self._lock:
            ch = self.channels.get(chname)
            new_channel = ch is None
            if new_channel:
                ch = Channel(chname, adm_name)
                self.channels[chname] = ch
        rx = self.receiver
        if new_channel:
            ch.hb_endpoint, ch.ev_endpoint = reply.hb_endpoint, reply.ev_endpoint
            rx.connect("hb", ch.hb_endpoint)
            rx.connect("ev", ch.ev_endpoint)
            rx.subscribe("hb", chname)
        rx.subscribe("ev", topic)
        with self._lock:
            st = self.topics.get(topic)
            if st is None:
                st = self.topics[topic] = TopicState()
            st.subs = st.subs + (sub,)
            ch.subs.append(sub)
            sub.channel, sub.topic = ch, topic
            sub.full_name = full_attr_name(sub)
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
        rx = self.receiver
        if drop_topic:
            rx.unsubscribe("ev", topic)
        if drop_channel:
            rx.unsubscribe("hb", ch.name)
            rx.disconnect("hb", ch.hb_endpoint)
            rx.disconnect("ev", ch.ev_endpoint)

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

    def add_pending(self, sub: Subscription, at_once: bool = True) -> None:
        """Subscribe ``sub`` from the keep-alive thread: at once (an asynchronous subscription),
        or at its next round (a stateless one that just failed: cppTango retries it every
        keep-alive period, and its callback has the failure already)."""
        with self._lock:
            if sub not in self.pending:
                self.pending.append(sub)
        if at_once:
            self.keepalive.wake()

    # -- re-subscription (the keep-alive) -------------------------------------------------
    def rewire_channel(self, ch: Channel, replies: list[tuple[Subscription, SubscriptionReply]]) -> bool:
        """Point a re-subscribed channel at what the (restarted) server answered; False if the
        channel was dropped meanwhile (its subscriptions went)."""
        with self._wiring:
            if self.channels.get(ch.name) is not ch:      # unsubscribed meanwhile
                return False
            self._rewire_channel_locked(ch, replies)
        return True

    def _rewire_channel_locked(self, ch: Channel, replies: list) -> None:
        rx = self.receiver
        first = replies[0][1]
        if (first.hb_endpoint, first.ev_endpoint) != (ch.hb_endpoint, ch.ev_endpoint):
            old = (ch.hb_endpoint, ch.ev_endpoint)
            rx.connect("hb", first.hb_endpoint)
            rx.connect("ev", first.ev_endpoint)
            ch.hb_endpoint, ch.ev_endpoint = first.hb_endpoint, first.ev_endpoint
            rx.disconnect("hb", old[0])
            rx.disconnect("ev", old[1])
        if first.channel and first.channel != ch.name:      # server now spells its channel differently
            rx.subscribe("hb", first.channel)
            with self._lock:
                self.channels.pop(ch.name, None)
                old_name, ch.name = ch.name, first.channel
                self.channels[ch.name] = ch
            rx.unsubscribe("hb", old_name)
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
        self.receiver.subscribe("ev", topic)
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
                new = self.topics[topic] = TopicState()
            new.subs = new.subs + (sub,)
            sub.topic = topic
        if drop:
            self.receiver.unsubscribe("ev", old)

    # -- shutdown -------------------------------------------------------------------------
    def close(self, timeout: float = 2.0) -> None:
        """Stop the threads and wait (at most ``timeout`` s each) for them to end.

        Only signals: the receiver closes its sockets, the context and the wake-up socketpair
        itself as it stops (pyzmq sockets are not thread-safe, and a socket closed under a
        running poll can crash libzmq), so a receiver that has not stopped yet still owns them.
        """
        self._stop.set()
        self.keepalive.wake()
        self.receiver.wake()
        self.dispatcher.stop()
        me = threading.current_thread()
        for t in self.threads:
            if t is not me and t.is_alive():
                t.join(timeout)


# ---------------------------------------------------------------------------------------------
# Process-wide singleton
# ---------------------------------------------------------------------------------------------


_consumer: EventConsumer | None = None
_consumer_lock = threading.Lock()
_ids = itertools.count(1)


def next_id() -> int:
    return next(_ids)


def is_running() -> bool:
    """Whether the consumer (its threads and sockets) exists in this process."""
    return _consumer is not None


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
