"""The consumer's dispatch queue and thread: decode payloads, build event objects, run callbacks.

Callbacks run one at a time, in arrival order, in one of two threads:

* **in the receiver thread** (unless ``configure(callbacks_in_receiver=False)``), right after the
  burst that brought the event was drained, when nothing is queued and no dispatch is running;
* **in the dispatcher thread**, from a bounded queue, otherwise.
  No second thread is woken per event, which is most of an event's client CPU and latency on a
  busy machine (a thread switch costs more than decoding a 10,000-double spectrum).  A
  subscription whose callback once took longer than :data:`INLINE_SLOW` there goes through the
  queue from then on, so that a slow callback delays the draining of ZMQ queues and the reading of
  heartbeats at most once (the keep-alive gives no verdict on heartbeats while that happens).
  While it runs callbacks the receiver thread lends its sockets (receiver.py), so a callback may
  wait for a thread that is subscribing or unsubscribing (which needs them) without both
  stalling; PyTango's own test suite has such a callback.

The queue is bounded (count and bytes, :mod:`.settings`); on overflow the dropped events are
counted and the subscriber gets an ``API_MissedEvents`` error event before its next event.  A
subscription *holds* its events until its first (synchronously read) value is queued
(:meth:`Dispatcher.release`), so callbacks see that value first, as with cppTango.
"""

from __future__ import annotations

import collections
import logging
import threading
import time

from ..idl.enums import EventReason, EventType
from ..idl.errors import dev_error
from . import frames
from .client_subscription import Subscription, full_attr_name
from .data import AttrConfEventData, DataReadyEventData, DevIntrChangeEventData, EventData
from .settings import config

__all__ = ["Dispatcher", "make_error_event", "build_event", "INLINE_SLOW"]

log = logging.getLogger("tango_core.events")

#: s: a callback run in the receiver thread that takes longer than this sends its subscription's
#: later events through the dispatcher thread (see the module docstring)
INLINE_SLOW = 0.02


class Dispatcher:
    """The bounded queue between the receiver and the callbacks, and the thread draining it.

    Items are ``(kind, subscriptions, payload)``: ``"msg"`` raw event frames, ``"ev"`` a ready
    event object, ``"err"`` (errors, reason) for an error event, ``"call"`` a function (flush).
    """

    def __init__(self, stop: threading.Event, stats: collections.Counter) -> None:
        self._stop = stop
        self.stats = stats
        self._dq: collections.deque = collections.deque()
        self._dq_cond = threading.Condition()
        self._dq_bytes = 0
        self._batch: list | None = None                   # staging list of the batching thread
        self._batch_thread: threading.Thread | None = None
        self._busy = False         # a dispatch is running (in either thread): guarded by _dq_cond
        #: monotonic time the receiver thread began running callbacks, None when it is not
        self.inline_since: float | None = None
        self.thread = threading.Thread(target=self._main, name="tango-events-dispatch", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Wake the thread so that it sees the stop flag (set by the owner)."""
        with self._dq_cond:
            self._dq_cond.notify_all()

    # -- queueing -------------------------------------------------------------------------
    def begin_batch(self) -> None:
        """From now on, what this thread pushes is staged and queued at :meth:`end_batch`
        (the receiver does it per drained burst: one lock and one wake-up per burst)."""
        self._batch = []
        self._batch_thread = threading.current_thread()

    def end_batch(self) -> None:
        """Dispatch the staged burst here if nothing is queued nor running and every subscription
        in it keeps up (module docstring); else queue it for the dispatcher thread."""
        batch = self._batch
        self._batch = None
        if not batch:
            return
        cond = self._dq_cond
        with cond:
            if (self._busy or self._dq or not config.callbacks_in_receiver
                    or any(not s.inline for item, _, _ in batch for s in item[1])):
                for item, nbytes, subs in batch:
                    self._append_locked(item, nbytes, subs)
                cond.notify()
                return
            self._busy = True
        try:
            self._dispatch_here(batch)
        finally:
            with cond:
                self._busy = False
                if self._dq:
                    cond.notify()

    def _dispatch_here(self, batch: list) -> None:
        """Run a burst's callbacks in this (the receiver) thread; after one that was slow, queue
        the rest of the burst for the dispatcher thread (it runs them once this returns)."""
        clock = time.monotonic
        for i, (item, _, _) in enumerate(batch):
            self.inline_since = start = clock()
            try:
                self._dispatch(item)
            except Exception:  # noqa: BLE001
                log.exception("tango event dispatch failed")
            finally:
                self.inline_since = None
            if clock() - start > INLINE_SLOW:
                for sub in item[1]:
                    sub.inline = False
                rest = batch[i + 1:]
                if rest:
                    with self._dq_cond:
                        for later, nbytes, subs in rest:
                            self._append_locked(later, nbytes, subs)
                return

    def push(self, item: tuple, nbytes: int = 0, subs=()) -> None:
        batch = self._batch
        if batch is not None and threading.current_thread() is self._batch_thread:
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

    def enqueue_msg(self, subs, msg: list) -> None:
        """Raw event frames for ``subs`` (decoded where they are dispatched)."""
        ready = []
        for s in subs:
            if s.holding:
                with s.lock:
                    if s.holding:
                        s.held.append(("msg", (s,), msg))
                        continue
            ready.append(s)
        if ready:
            self.push(("msg", tuple(ready), msg), len(msg[3]) or 1, ready)

    def enqueue_error(self, subs, errors, reason=EventReason.Update) -> None:
        for s in subs:
            item = ("err", (s,), (tuple(errors), reason))
            if s.holding:
                with s.lock:
                    if s.holding:
                        s.held.append(item)
                        continue
            self.push(item)

    def enqueue_event(self, sub: Subscription, event) -> None:
        self.push(("ev", (sub,), event))

    def release(self, sub: Subscription, first_event=None, *, here: bool = False) -> None:
        """Queue the first (synchronous) event, then what arrived meanwhile; stop holding.

        ``here``: deliver the first event in the calling thread (subscribe_event does, like
        cppTango, so the callback has seen it when subscribe_event returns); what arrived
        meanwhile follows through the dispatcher, after it.
        """
        if here and first_event is not None:
            try:
                self.deliver(sub, first_event)
            finally:
                self.release(sub)
            return
        with sub.lock:
            if first_event is not None:
                self.push(("ev", (sub,), first_event))
            for item in sub.held:
                self.push(item)
            sub.held = []
            sub.holding = False

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far has been dispatched (tests, benchmarks)."""
        me = threading.current_thread()
        if me is self.thread or (me is self._batch_thread and self.inline_since is not None):
            return True  # called from a callback: what came before it has been dispatched
        done = threading.Event()
        self.push(("call", (), done.set))
        return done.wait(timeout)

    # -- the dispatcher thread ------------------------------------------------------------
    def _main(self) -> None:
        dq, cond = self._dq, self._dq_cond
        pop = dq.popleft
        while True:
            with cond:
                while (not dq or self._busy) and not self._stop.is_set():
                    cond.wait(0.5)
                if not dq or self._busy:
                    if self._stop.is_set():
                        return
                    continue
                chunk = [pop() for _ in range(min(len(dq), 64))]
                self._dq_bytes -= sum(n for _, n in chunk)
                self._busy = True
            try:
                for item, _ in chunk:
                    try:
                        self._dispatch(item)
                    except Exception:  # noqa: BLE001
                        log.exception("tango event dispatch failed")
            finally:
                with cond:
                    self._busy = False

    def _dispatch(self, item: tuple) -> None:
        kind, subs, payload = item
        if kind == "call":
            payload()
            return
        if kind == "ev":
            self.deliver(subs[0], payload)
            return
        if kind == "err":
            errors, reason = payload
            for s in subs:
                self.deliver(s, make_error_event(s, errors, reason))
            return
        try:
            pkind, value = frames.decode_payload(frames.decode_event(payload))
        except Exception as exc:  # noqa: BLE001 - a bad payload becomes an error event
            pkind, value = "error", (dev_error("API_ZmqFailed", f"Cannot decode event payload: {exc}",
                                               "EventConsumer.push_zmq_event"),)
        cache: dict = {}
        for s in subs:
            self.deliver(s, build_event(s, pkind, value, s.full_name, cache))

    def deliver(self, sub: Subscription, event) -> None:
        """Hand ``event`` to the subscriber (after an API_MissedEvents one if events were dropped)."""
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
        except BaseException:  # noqa: BLE001 - a user callback (even sys.exit()) must not end the
            # event threads: every later event of every subscription would be lost silently
            log.exception("exception in event callback for %r", sub)


# ---------------------------------------------------------------------------------------------
# Building the objects callbacks receive
# ---------------------------------------------------------------------------------------------


def make_error_event(sub: Subscription, errors, reason=EventReason.Update):
    """An error event of the right class for the subscription's event type."""
    name = sub.full_name or full_attr_name(sub)
    et = sub.event_type
    if et == EventType.ATTR_CONF_EVENT:
        return AttrConfEventData(sub.proxy, name, sub.event_name, None, reason, errors)
    if et == EventType.DATA_READY_EVENT:
        return DataReadyEventData(sub.proxy, name, sub.event_name, -1, -1, reason, errors)
    if et == EventType.INTERFACE_CHANGE_EVENT:
        return DevIntrChangeEventData(sub.proxy, sub.event_name, name, None, None, False, reason, errors)
    return EventData(sub.proxy, name, sub.event_name, None, reason, errors)


def build_event(sub: Subscription, kind: str, value, name: str, cache: dict):
    """Turn a decoded payload into the event object for one subscriber (the subscription's
    client interface converts the IDL values into the client's user-facing objects)."""
    if kind == "error":
        return make_error_event(sub, value)
    ev_name = sub.event_name
    client = sub.client
    if kind == "value":
        da = cache.get(sub.extract_as)
        if da is None:
            da = cache[sub.extract_as] = client.device_attribute(value, sub.extract_as)
        if da.has_failed:
            return EventData(sub.proxy, name, ev_name, None, EventReason.Update, da.get_err_stack())
        return EventData(sub.proxy, name, ev_name, da, EventReason.Update)
    if kind == "attr_conf":
        return AttrConfEventData(sub.proxy, name, ev_name, client.attribute_info(value), EventReason.Update)
    if kind == "data_ready":
        return DataReadyEventData(sub.proxy, name, ev_name, int(value.data_type), value.ctr, EventReason.Update)
    if kind == "intr_change":
        cmds = [client.command_info(c) for c in value.cmds]
        atts = [client.attribute_info(a) for a in value.atts]
        return DevIntrChangeEventData(sub.proxy, ev_name, name, cmds, atts, value.dev_started,
                                      EventReason.Update)
    raise ValueError(f"unknown payload kind {kind!r}")
