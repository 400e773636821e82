"""The consumer's ZeroMQ side: one context, two SUB sockets and the one thread that uses them.

pyzmq sockets are not thread-safe, so one thread at a time touches the heartbeat and event SUB
sockets (and their monitors): the one holding the *socket lock*.  The receiver thread holds it
from its first poll to closing the sockets and terminating the context when it stops, except
while it runs event callbacks (``callbacks_in_receiver``): it then *lends* the sockets.  Other
threads ask it to connect, disconnect and change filters through a control queue plus a wake-up
socketpair (:meth:`ZmqReceiver.run`), or, while the sockets are lent, take the lock and do it
themselves: a callback run by the receiver thread may then wait for such a thread (it holds a
lock the callback needs, PyTango's test suite has that case) without both stalling until
``call_timeout``.  Endpoints and filters are reference-counted, so several subscriptions can
share them (a callback may subscribe and unsubscribe too: such a call runs in its thread, under
the socket lock).  Each received
message is handed to the owner's callbacks as a list of frames (``bytes``, or for big ones a writable
``memoryview`` of the ZMQ message: :data:`ZERO_COPY_MIN`); the receiver knows nothing of Tango
beyond "heartbeat" and "event" sockets.
"""

from __future__ import annotations

import collections
import logging
import queue
import socket
import sys
import threading
import time
from typing import Any, Callable

import zmq

if getattr(sys.modules.get("gevent.monkey"), "is_module_patched", lambda _name: False)("socket"):
    # gevent monkey-patched the standard library: our threads are greenlets, so ZMQ must wait on
    # gevent's hub too (pyzmq's cooperative sockets), or one poll would freeze every greenlet
    import zmq.green as zmq  # noqa: F811

from ..idl.errors import EventSystemFailed, dev_error
from .settings import config

__all__ = ["ZmqReceiver", "SUBSCRIPTION_SETTLE"]

log = logging.getLogger("tango_core.events")

SUBSCRIPTION_SETTLE = 0.02   # s, see ZmqReceiver.subscribe
#: Frames this long or longer (spectra and images: the data frame) are handed on as views of the
#: received ZMQ message, without copy; shorter ones are copied into ``bytes``, which costs less at
#: that size and does not pin libzmq's 8 KiB receive batches (small messages share one).
ZERO_COPY_MIN = 8192
#: s: how often a thread waiting for the receiver thread looks whether it lends the sockets
_LENT_CHECK = 0.02
_NOBLOCK = zmq.NOBLOCK


class ZmqReceiver:
    """The SUB sockets and the receiver thread (module docstring).

    ``on_heartbeat(frames)`` is called for every heartbeat message, ``on_event(frames)`` for every
    event-socket message, between ``on_events_start()`` and ``on_events_end()`` around each
    drained burst (the owner batches its hand-off to the dispatcher per burst).
    """

    def __init__(self, stop: threading.Event, on_heartbeat: Callable[[list], None],
                 on_event: Callable[[list], None], on_events_start: Callable[[], None],
                 on_events_end: Callable[[], None]) -> None:
        self._stop = stop
        self._on_heartbeat, self._on_event = on_heartbeat, on_event
        self._on_events_start, self._on_events_end = on_events_start, on_events_end
        self.ctx = zmq.Context()
        self.ctx.setsockopt(zmq.LINGER, 0)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_lock = threading.Lock()                # guards writes to/closing of the socketpair
        self._wake_closed = False
        self._ctl: queue.SimpleQueue = queue.SimpleQueue()
        self._endpoints = {"hb": collections.Counter(), "ev": collections.Counter()}
        self._filters = {"hb": collections.Counter(), "ev": collections.Counter()}
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
        #: endpoints whose connection is up, per socket ("hb", "ev")
        self.up: dict[str, set[str]] = {"hb": set(), "ev": set()}
        self._up_cond = threading.Condition()
        #: who may use the sockets: the receiver thread, except while it lends them (see the module
        #: docstring); ``lent`` is True meanwhile.  Held for good once the sockets are closed.
        self._sock_lock = threading.Lock()
        self.lent = False
        self.thread = threading.Thread(target=self._main, name="tango-events-rx", daemon=True)

    def start(self) -> None:
        self.thread.start()

    # -- calls executed by the receiver thread --------------------------------------------
    def run(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` with the sockets and return its result (or raise its exception): in the
        receiver thread, or in this one while the receiver thread lends the sockets."""
        if threading.current_thread() is self.thread:
            if not self.lent:
                return fn()
            with self._sock_lock:  # a callback's call: another thread may hold the lent sockets
                return fn()
        if self._stop.is_set():
            raise EventSystemFailed(dev_error("API_EventSystemFailed", "The event consumer is closed",
                                              "EventConsumer"))
        if self.lent and self.thread.is_alive() and self._sock_lock.acquire(False):
            try:
                return fn()
            finally:
                self._sock_lock.release()
        done = threading.Event()
        box: list = [None, None]
        claim = threading.Lock()   # whoever takes it runs fn: the receiver thread, or this one

        def run() -> None:
            try:
                box[0] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed back to the caller
                box[1] = exc
            finally:
                done.set()

        self._ctl.put((claim, run))
        self.wake()
        deadline = time.monotonic() + config.call_timeout
        while not done.wait(_LENT_CHECK if self.lent else 0.1):
            # queued just before the receiver thread began running callbacks: they might wait for
            # this thread, so run it here once the sockets are lent
            if self.lent and self._sock_lock.acquire(False):
                try:
                    if claim.acquire(False):
                        run()
                finally:
                    self._sock_lock.release()
                continue
            if not self.thread.is_alive():     # stopped (close, or a forked child): never runs
                raise EventSystemFailed(dev_error("API_EventSystemFailed", "The event consumer is closed",
                                                  "EventConsumer"))
            if time.monotonic() >= deadline:
                raise EventSystemFailed(dev_error("API_EventTimeout", "The event receiver thread did not answer",
                                                  "EventConsumer"))
        if box[1] is not None:
            raise box[1]
        return box[0]

    def lending_sockets(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` (the receiver thread's event callbacks) with the sockets lent to whichever
        thread needs them meanwhile; the queued requests are done first."""
        self._run_queued()
        self.lent = True
        self._sock_lock.release()
        try:
            return fn()
        finally:
            self._sock_lock.acquire()
            self.lent = False

    def _run_queued(self) -> None:
        ctl = self._ctl
        while not ctl.empty():  # (only this thread takes from it)
            claim, job = ctl.get_nowait()
            if claim.acquire(False):
                job()

    def wake(self) -> None:
        with self._wake_lock:
            if not self._wake_closed:
                try:
                    self._wake_w.send(b"x")
                except OSError:
                    pass

    def _sock(self, kind: str) -> zmq.Socket:
        return self._hb_sock if kind == "hb" else self._ev_sock

    def connect(self, kind: str, endpoint: str, wait: float = 2.0) -> None:
        """Connect socket ``kind`` to ``endpoint`` (once per endpoint) and wait, at most ``wait``
        s, for the connection to be up."""
        def op():
            cnt = self._endpoints[kind]
            new = cnt[endpoint] == 0
            if new:
                # libzmq reports no EVENT_DISCONNECTED for our own disconnect(): an endpoint
                # connected before would still look "up" and the wait below would not wait for
                # the new handshake (events pushed right after subscribing were then lost)
                self._on_monitor(kind)
                with self._up_cond:
                    self.up[kind].discard(endpoint)
                self._sock(kind).connect(endpoint)
            cnt[endpoint] += 1
            return new
        if not self.run(op):
            return
        deadline = time.monotonic() + wait
        here = threading.current_thread() is self.thread
        with self._up_cond:      # not fatal if it does not come up: ZMQ keeps reconnecting
            while endpoint not in self.up[kind] and time.monotonic() < deadline:
                if self.lent or here:  # the receiver thread runs callbacks (maybe this one): read the monitor here
                    self._up_cond.release()
                    try:
                        self._read_monitor_lent(kind, deadline)
                    finally:
                        self._up_cond.acquire()
                else:
                    self._up_cond.wait(min(_LENT_CHECK, max(0.0, deadline - time.monotonic())))
        if kind == "ev":
            # the socket's filters are sent right after the handshake: let the publisher apply
            # them (see subscribe) before a caller triggers a push
            time.sleep(SUBSCRIPTION_SETTLE)

    def _read_monitor_lent(self, kind: str, deadline: float) -> None:
        """Wait a little for the monitor of socket ``kind`` and read it, with the lent sockets
        (briefly: other threads may need them, or the receiver thread take them back)."""
        here = threading.current_thread() is self.thread
        if here and not self.lent:  # the receiver thread, holding the sockets
            self._poll_monitor(kind, deadline)
            return
        if not (self._sock_lock.acquire() if here else self._sock_lock.acquire(False)):
            time.sleep(0.001)  # the receiver thread has them back (it reads the monitors itself)
            return
        try:
            if self.lent:
                self._poll_monitor(kind, deadline)
        finally:
            self._sock_lock.release()

    def _poll_monitor(self, kind: str, deadline: float) -> None:
        timeout = min(_LENT_CHECK, max(0.0, deadline - time.monotonic()))
        self._monitors[kind].poll(int(timeout * 1000) + 1)
        self._on_monitor(kind)

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
                    self.up[kind].add(endpoint)
                else:
                    self.up[kind].discard(endpoint)
                self._up_cond.notify_all()

    def disconnect(self, kind: str, endpoint: str | None) -> None:
        """Undo one :meth:`connect` (the socket disconnects with the last one)."""
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
                    self.up[kind].discard(endpoint)
                try:
                    self._sock(kind).disconnect(endpoint)
                except zmq.ZMQError:
                    pass
        self.run(op)

    def subscribe(self, kind: str, flt: str) -> None:
        """Add the topic filter ``flt`` to socket ``kind`` (reference-counted)."""
        def op():
            cnt = self._filters[kind]
            new = cnt[flt] == 0
            if new:
                self._sock(kind).setsockopt(zmq.SUBSCRIBE, flt.encode("latin-1"))
            cnt[flt] += 1
            return new
        if self.run(op) and kind == "ev":
            # ZMQ has no subscription acknowledgement: the filter travels to the publisher
            # asynchronously and libzmq applies it on the publisher's next send after ~1 ms of
            # command throttling.  A short pause makes "subscribe, then trigger a push" reliable.
            time.sleep(SUBSCRIPTION_SETTLE)

    def unsubscribe(self, kind: str, flt: str | None) -> None:
        """Undo one :meth:`subscribe`."""
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
        self.run(op)

    # -- the receiver thread --------------------------------------------------------------
    def _main(self) -> None:
        poller = zmq.Poller()
        poller.register(self._hb_sock, zmq.POLLIN)
        poller.register(self._ev_sock, zmq.POLLIN)
        poller.register(self._wake_r.fileno(), zmq.POLLIN)
        for mon in self._monitors.values():
            poller.register(mon, zmq.POLLIN)
        hb, ev = self._hb_sock, self._ev_sock
        hb_mon, ev_mon = self._monitors["hb"], self._monitors["ev"]
        self._sock_lock.acquire()   # held for good from here: see lending_sockets
        try:
            while not self._stop.is_set():
                ready = dict(poller.poll(500))
                if ready.get(self._wake_r.fileno()):
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except (BlockingIOError, OSError):
                        pass
                self._run_queued()
                if ready.get(hb):
                    self._drain(hb, self._on_heartbeat)
                if ready.get(ev):
                    self._on_events_start()
                    try:
                        self._drain(ev, self._on_event)
                    finally:
                        self.lending_sockets(self._on_events_end)
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
        """Hand each queued message over as a list of frames, at most ``budget`` messages.

        Not ``recv_multipart``: it asks the socket for ZMQ_RCVMORE after every frame (a few us
        each in pyzmq), and its copying mode copies big data frames into new ``bytes``.  Here every
        frame is received without copy and knows itself whether more follow; frames of at least
        :data:`ZERO_COPY_MIN` octets are handed on as writable views of ZMQ's own message buffer
        (which lives as long as a view of it, and ZMQ never reuses it), shorter ones as ``bytes``.
        """
        recv = sock.recv
        for _ in range(budget):
            try:
                frame = recv(_NOBLOCK, copy=False)
                msg = []
                while True:
                    msg.append(frame.buffer if len(frame) >= ZERO_COPY_MIN else frame.bytes)
                    if not frame.more:
                        break
                    frame = recv(_NOBLOCK, copy=False)   # the rest of a message comes with its first frame
            except zmq.Again:
                return
            handle(msg)
