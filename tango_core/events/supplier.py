"""The event supplier of a Tango server: two ZeroMQ PUB sockets, heartbeats, subscriptions.

Like cppTango (brief §5), a server process publishes on two PUB sockets: heartbeats (3 frames)
on one, events (4 frames) on the other, each bound to an ephemeral TCP port and advertised as
``tcp://<host>:<port>`` in the ``ZmqEventSubscriptionChange`` reply together with the exact
topic and channel names (:mod:`.topics`).  What the supplier does:

* ``subscribe()`` answers the subscription command: it records the subscription in a
  :class:`~.subscriptions.SubscriptionTable` (600 s lifetime, renewed by ``confirm()``), opens
  the sockets and starts the heartbeat thread on the first one, and returns the reply;
* ``publish()`` sends one event to the live subscribers of (device, attribute, event):
  counter taken once per publication, one message per data group (``idl5_`` topic with IDL-5
  payload, bare topic with IDL-4 payload for Tango 8 clients); nothing is sent and no counter
  moves when nobody is subscribed;
* a heartbeat thread publishes ``<channel>[#dbase=no].heartbeat`` every ``heartbeat_period``
  (8.5 s: cppTango's 9 s less a margin for scheduling jitter, so that clients, which give up
  after 10 s, never see a gap above 9 s), with cppTango's single-frame flush message on the
  event socket.

The server layer validates requests against its device model and calls this; nothing here
knows devices or attributes beyond their names (the events package imports neither the client
nor the server).  zmq is imported on the first subscription only, so a server that nobody
subscribes to starts without it.  ZMQ sockets are not thread-safe: each one is used under its
own lock, by whichever thread publishes (no hand-over to a sender thread: an event costs no
thread switch).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any, Callable, NamedTuple, Sequence

from ..idl.errors import DevError, DevFailed
from ..idl.types import AttributeValue_5
from . import frames, topics
from .subscriptions import DEFAULT_LIFETIME, EventKey, SubscriptionTable

__all__ = ["EventSupplier", "Publication", "SubscriptionRequest", "parse_subscription_request", "parse_confirmations",
           "TANGO_LIB_RELEASE", "HEARTBEAT_PERIOD", "PUB_HWM", "SUB_HWM", "advertised_host"]

log = logging.getLogger(__name__)

#: lvalue[0] of the subscription reply: the Tango library release (major*100+minor*10+patch) whose
#: protocol we speak -- Tango 10 (IDL 6, alarm events); clients need >= 930 to use our topics.
TANGO_LIB_RELEASE = 1000
#: Seconds between heartbeats (cppTango: 9; clients declare a channel dead after 10).
HEARTBEAT_PERIOD = 8.5
#: Send high-water mark of the PUB sockets, and the receive HWM we tell clients to use.
PUB_HWM = 1000
SUB_HWM = 1000
#: Multicast rate and recovery interval (unused: we publish on TCP only; cppTango's defaults).
MCAST_RATE = 81920
MCAST_IVL = 20000
#: The device IDL version our devices implement.
DEVICE_IDL = 6

_ORIGIN_SUB = "DServer::zmq_event_subscription_change"
_ORIGIN_CONFIRM = "DServer::event_confirm_subscription"


def _failed(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed.from_reason(reason, desc, origin)


def advertised_host() -> str:
    """The address clients should connect to: the host name's address if it is not a loopback,
    else the address of the interface that routes outwards, else 127.0.0.1 (brief §5.6)."""
    try:
        addr = socket.gethostbyname(socket.gethostname())
        if not addr.startswith("127."):
            return addr
    except OSError:
        pass
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.255", 1))     # no packet is sent: this only asks the routing table
        addr = s.getsockname()[0]
        if addr and addr != "0.0.0.0":
            return addr
    except OSError:
        pass
    finally:
        s.close()
    return "127.0.0.1"


class SubscriptionRequest(NamedTuple):
    """A parsed ``ZmqEventSubscriptionChange`` argin."""
    device: str
    attribute: str          # as sent ("dummy" for intr_change); lower-case it for look-ups
    action: str
    event: str              # wire name without idl5_
    client_version: int     # the client's data version (before the device's IDL caps it)


def parse_subscription_request(argin: Sequence[str]) -> SubscriptionRequest | None:
    """Parse ``[device, attribute, action, event(, client version)]``; ``None`` for ``["info"]``.

    Errors as cppTango's: fewer than 4 strings (and not ``info``) or an unknown event name ->
    ``API_WrongNumberOfArgs``.  The client version defaults to 4 (3 for attr_conf); ``"0"``
    means "read it from the ``idlN_`` prefix of the event name" (Tango 8/9 re-subscriptions).
    """
    argin = [str(a) for a in argin]
    if len(argin) == 1:
        if argin[0].lower() == "info":
            return None
        raise _failed("API_WrongNumberOfArgs", "Not enough input arguments, needs 4 i.e. device name, "
                      "attribute/pipe name, action, event name", _ORIGIN_SUB)
    if len(argin) < 4:
        raise _failed("API_WrongNumberOfArgs", "Not enough input arguments, needs at least 4 i.e. device name, "
                      "attribute/pipe name, action, event name, <Tango lib release>", _ORIGIN_SUB)
    device, attribute, action, raw_event = argin[:4]
    event, prefixed_version = topics.strip_idl_prefix(raw_event.lower())
    if event not in topics.EVENT_NAMES:
        raise _failed("API_WrongNumberOfArgs", f"The event type you sent ({raw_event}) is not  valid event type",
                      _ORIGIN_SUB)
    version = 3 if event == "attr_conf" else 4
    if len(argin) >= 5:
        try:
            version = int(argin[4].strip() or "0")
        except ValueError:
            version = 0
        if version == 0:
            version = prefixed_version if prefixed_version is not None else (3 if event == "attr_conf" else 4)
    return SubscriptionRequest(device, attribute, action, event, version)


def parse_confirmations(argin: Sequence[str]) -> list[tuple[str, str, str, int]]:
    """``EventConfirmSubscription`` argin -> [(device, attribute, event, client version)].

    Triplets ``[device, attribute, event_with_prefix]``; the digit after ``idl`` is the client's
    data version (4 without a prefix, 3 for a bare attr_conf), as cppTango reads it.
    """
    out = []
    argin = [str(a) for a in argin]
    for i in range(0, len(argin) - len(argin) % 3, 3):
        device, attribute, raw = argin[i:i + 3]
        event, version = topics.strip_idl_prefix(raw.lower())
        if version is None:
            version = 3 if event == "attr_conf" else 4
        out.append((device, attribute, event, version))
    return out


def _to_legacy(payload: Any) -> Any:
    """IDL-4 form of an IDL-5 payload, for Tango 8 clients (bare topics)."""
    from ..idl import types as T
    if isinstance(payload, T.AttributeValue_5):
        return T.AttributeValue_4(payload.value, payload.quality, payload.data_format, payload.time,
                                  payload.name, payload.r_dim, payload.w_dim, payload.err_list)
    if isinstance(payload, T.AttributeConfig_5):
        p = payload
        return T.AttributeConfig_3(p.name, p.writable, p.data_format, p.data_type, p.max_dim_x, p.max_dim_y,
                                   p.description, p.label, p.unit, p.standard_unit, p.display_unit, p.format,
                                   p.min_value, p.max_value, p.writable_attr_name, p.level, p.att_alarm,
                                   p.event_prop, p.extensions, p.sys_extensions)
    return payload


class EventSupplier:
    """The publishing side of one server process (see the module docstring).

    ``prefix``: ``topics.database_prefix(...)`` or ``topics.no_database_prefix(...)``;
    ``admin_device``: ``dserver/<exec>/<instance>``; ``host``: the address advertised to clients
    (default :func:`advertised_host`); ``bind_host``: the interface the sockets listen on (default
    all). ``TANGO_ZMQ_HEARTBEAT_PORT`` / ``TANGO_ZMQ_EVENT_PORT`` fix the ports, as with cppTango.
    """

    def __init__(self, prefix: str, admin_device: str, *, no_db: bool, host: str | None = None,
                 bind_host: str = "*", lifetime: float = DEFAULT_LIFETIME,
                 heartbeat_period: float = HEARTBEAT_PERIOD, clock: Callable[[], float] = time.monotonic,
                 little_endian: bool = True) -> None:
        self.prefix = prefix.lower()
        self.no_db = no_db
        self.channel = topics.channel_name(self.prefix, admin_device)
        self.heartbeat_topic = topics.heartbeat_topic(self.channel, no_db=no_db)
        self.host = host
        self.bind_host = bind_host
        self.heartbeat_period = float(heartbeat_period)
        self.little_endian = little_endian
        self.subscriptions = SubscriptionTable(lifetime, clock)
        self.heartbeat_endpoint = ""
        self.event_endpoint = ""
        self._publications: dict[tuple, Publication] = {}
        self._byte_order = b"\x01" if little_endian else b"\x00"
        self._sndmore = 2          # zmq.SNDMORE, as a plain int (its enum costs more than the send)
        self._pack_call_info = frames.call_info_packer(little_endian)
        self._csend: Callable[..., Any] = lambda *args: None
        self._ctx = None
        self._hb_sock = None
        self._ev_sock = None
        self._hb_lock = threading.Lock()
        self._ev_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._hb_thread: threading.Thread | None = None
        self._closed = False
        self.heartbeats_sent = 0

    # -- names ------------------------------------------------------------
    def topic(self, device: str, attribute: str | None, event: str, data_version: int = DEVICE_IDL) -> str:
        """The topic this supplier publishes ``event`` on (``attribute`` None for device events)."""
        if event in topics.DEVICE_EVENT_NAMES or attribute is None:
            return topics.device_topic(self.prefix, device, event, no_db=self.no_db)
        return topics.attribute_topic(self.prefix, device, attribute, event, no_db=self.no_db,
                                      data_version=data_version)

    @staticmethod
    def key(device: str, attribute: str | None, event: str) -> EventKey:
        if event in topics.DEVICE_EVENT_NAMES:
            attribute = ""
        return EventKey(device.lower(), (attribute or "").lower(), event)

    # -- subscription commands ----------------------------------------------
    def subscribe(self, device: str, attribute: str | None, event: str, client_version: int,
                  device_idl: int = DEVICE_IDL) -> tuple[list[int], list[str]]:
        """Record a validated subscription and return the ZmqEventSubscriptionChange reply
        ``(lvalue, svalue)`` (brief §5.2)."""
        if self._closed:
            raise _failed("API_ShutdownInProgress", "The device server is shutting down! You can no longer "
                          "subscribe for events", _ORIGIN_SUB)
        data_version = min(int(client_version), device_idl)
        key = self.key(device, attribute, event)
        self._start()
        self.subscriptions.subscribe(key, data_version)
        topic = self.topic(key.device, key.attribute or None, event, data_version)
        lvalue = [TANGO_LIB_RELEASE, device_idl, SUB_HWM, MCAST_RATE, MCAST_IVL, self.zmq_release()]
        svalue = [self.heartbeat_endpoint, self.event_endpoint, topic, self.channel]
        return lvalue, svalue

    def confirm(self, device: str, attribute: str | None, event: str, client_version: int,
                device_idl: int = DEVICE_IDL) -> None:
        """Renew a subscription (one ``EventConfirmSubscription`` triplet)."""
        self._start()
        self.subscriptions.confirm(self.key(device, attribute, event), min(int(client_version), device_idl))

    def info(self) -> tuple[list[int], list[str]]:
        """The reply to ``ZmqEventSubscriptionChange ["info"]``."""
        if not self.heartbeat_endpoint:
            return [TANGO_LIB_RELEASE], ["No ZMQ event yet!", ""]
        return [TANGO_LIB_RELEASE], [f"Heartbeat: {self.heartbeat_endpoint}", f"Event: {self.event_endpoint}"]

    # -- publication ---------------------------------------------------------
    def publication(self, device: str, attribute: str | None, event: str) -> "Publication":
        """The handle of one event, for code that publishes it often (names as given, cached)."""
        pub = self._publications.get((device, attribute, event))
        if pub is None:
            pub = Publication(self, self.key(device, attribute, event))
            if len(self._publications) > 100_000:
                self._publications.clear()
            self._publications[(device, attribute, event)] = pub
        return pub

    def wants(self, device: str, attribute: str | None, event: str) -> bool:
        """True if somebody is subscribed to this event now (cheap when nobody ever was)."""
        return bool(self.publication(device, attribute, event).live())

    def publish(self, device: str, attribute: str | None, event: str, payload: Any = None,
                errors: Sequence[DevError] | None = None) -> bool:
        """Send one event to its live subscribers; False (and no counter change) if there are none.

        ``payload``: the IDL-5 struct (AttributeValue_5, AttributeConfig_5, AttDataReady,
        DevIntrChange); ``errors``: a DevError list instead, sent with ``call_is_except``.
        """
        return self.publication(device, attribute, event).publish(payload, errors)

    def _send(self, pub: "Publication", groups: tuple[int, ...], payload: Any,
              errors: Sequence[DevError] | None) -> bool:
        le = self.little_endian
        is_except = errors is not None
        if not is_except and groups == (5,):
            # the common case, one message: no lists, the numeric frame built directly
            data = frames.numeric_value_frame(payload, le) if payload.__class__ is AttributeValue_5 else None
            if data is None:
                data = frames.encode_data_frame(payload, le)
            topic = pub.topic5 or pub.topic(5)
            more = self._sndmore
            with self._ev_lock:
                sock = self._ev_sock
                if sock is None:
                    return False
                entry = pub.entry
                ctr = entry.counter
                entry.counter = (ctr + 1) & 0xFFFFFFFF
                send = self._csend
                send(sock, topic, more)
                send(sock, self._byte_order, more)
                send(sock, self._pack_call_info(1, ctr, 1, 0, 0, False), more)
                send(sock, data, 0, len(data) < 65536)    # big frames are not copied
            return True
        if is_except:
            data = frames.encode_error_payload(errors, le)
            messages = [(pub.topic(g), data) for g in groups]
        else:
            messages = [(pub.topic(g), frames.encode_data_frame(payload if g >= 5 else _to_legacy(payload), le))
                        for g in groups]
        byte_order, more, pack_info = self._byte_order, self._sndmore, self._pack_call_info
        with self._ev_lock:
            sock = self._ev_sock
            if sock is None:
                return False
            entry = pub.entry
            ctr = entry.counter
            entry.counter = (ctr + 1) & 0xFFFFFFFF
            info = pack_info(1, ctr, 1, 0, 0, is_except)
            send = self._csend
            for topic, data in messages:
                send(sock, topic, more)
                send(sock, byte_order, more)
                send(sock, info, more)
                send(sock, data, 0, len(data) < 65536)    # big frames are not copied
        return True

    def query_event_system(self) -> dict:
        """The ``server`` part of admin QueryEventSystem: counters by topic (without idl5_)."""
        counters = {self.topic(k.device, k.attribute or None, k.event, 4): v
                    for k, v in self.subscriptions.counters().items()}
        return {"event_counters": counters, "perf": None}

    # -- sockets and heartbeat --------------------------------------------------
    @staticmethod
    def zmq_release() -> int:
        import zmq
        major, minor, patch = zmq.zmq_version_info()
        return major * 100 + minor * 10 + patch

    def _start(self) -> None:
        if self._hb_thread is not None:
            return
        with self._start_lock:
            if self._hb_thread is not None:
                return
            if self._closed:
                raise _failed("API_ShutdownInProgress", "The device server is shutting down! You can no "
                              "longer subscribe for events", _ORIGIN_SUB)
            import zmq
            host = self.host or advertised_host()
            ctx = zmq.Context()
            try:
                hb = self._bind(ctx, zmq, "TANGO_ZMQ_HEARTBEAT_PORT")
                ev = self._bind(ctx, zmq, "TANGO_ZMQ_EVENT_PORT")
            except Exception as exc:
                ctx.destroy(linger=0)
                raise _failed("API_ZmqInitFailed", f"Failed to bind the event sockets: {exc}",
                              "ZmqEventSupplier::create_event_socket") from None
            self._sndmore = int(zmq.SNDMORE)
            # pyzmq's compiled send, without the Python layer of zmq.Socket.send (a third of a
            # 4-frame event's cost); the Python method where the backend has none
            backend_socket = getattr(zmq.backend, "Socket", None)
            self._csend = getattr(backend_socket, "send", None) or zmq.Socket.send
            self._ctx, self._hb_sock, self._ev_sock = ctx, hb[0], ev[0]
            self.heartbeat_endpoint = f"tcp://{host}:{hb[1]}"
            self.event_endpoint = f"tcp://{host}:{ev[1]}"
            t = threading.Thread(target=self._heartbeat_loop, name="tango_core event heartbeat", daemon=True)
            self._hb_thread = t
            t.start()

    def _bind(self, ctx, zmq, port_env: str):
        sock = ctx.socket(zmq.PUB)
        sock.setsockopt(zmq.LINGER, 0)
        hwm = int(os.environ.get("TANGO_DS_EVENT_BUFFER_HWM", PUB_HWM))
        sock.setsockopt(zmq.SNDHWM, hwm)
        port = os.environ.get(port_env, "").strip()
        try:
            if port:
                sock.bind(f"tcp://{self.bind_host}:{int(port)}")
                return sock, int(port)
            return sock, sock.bind_to_random_port(f"tcp://{self.bind_host}")
        except Exception:
            sock.close(0)
            raise

    def send_heartbeat(self) -> None:
        """Publish one heartbeat now (and the flush frame on the event socket)."""
        msg = frames.encode_heartbeat(self.heartbeat_topic, self.little_endian)
        with self._hb_lock:
            if self._hb_sock is None:
                return
            self._hb_sock.send_multipart(msg)
        with self._ev_lock:
            if self._ev_sock is not None:
                self._ev_sock.send_multipart(frames.FLUSH_MESSAGE)
        self.heartbeats_sent += 1

    def _heartbeat_loop(self) -> None:
        period = self.heartbeat_period
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                self.send_heartbeat()
            except Exception as exc:   # a closed socket at shutdown; never kill the thread silently otherwise
                if self._stop.is_set():
                    break
                log.warning("event heartbeat failed: %s", exc)
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:                   # fell behind (suspended process): restart the grid now
                next_at = time.monotonic()
                delay = 0
            if self._stop.wait(delay):
                break

    def close(self) -> None:
        """Stop the heartbeat thread and close the sockets (idempotent)."""
        with self._start_lock:
            self._closed = True
            self._stop.set()
            t = self._hb_thread
        if t is not None and t is not threading.current_thread():
            t.join(5)
        with self._hb_lock, self._ev_lock:
            for sock in (self._hb_sock, self._ev_sock):
                if sock is not None:
                    sock.close(0)
            self._hb_sock = self._ev_sock = None
            if self._ctx is not None:
                self._ctx.term()
                self._ctx = None


class Publication:
    """One event of one attribute (or device) as publishers see it: whether it has live
    subscribers (:meth:`live`) and how to send it (:meth:`publish`), with the topic strings and
    the subscription entry looked up once."""

    __slots__ = ("_supplier", "key", "entry", "_topics", "topic5")

    def __init__(self, supplier: EventSupplier, key: EventKey) -> None:
        self._supplier = supplier
        self.key = key
        self.entry = None
        self._topics: dict[int, bytes] = {}
        self.topic5: bytes | None = None      # the topic of Tango >= 9 clients, once known

    def live(self) -> tuple[int, ...]:
        """The data groups subscribed now (5 for Tango >= 9 clients, 4 for Tango 8); () if none."""
        entry = self.entry
        table = self._supplier.subscriptions
        if entry is None:
            entry = table.entry(self.key)
            if entry is None:
                return ()
            self.entry = entry
        if table.clock() < entry.expiry:
            return entry.groups
        return table.live_groups(entry)

    def publish(self, payload: Any = None, errors: Sequence[DevError] | None = None) -> bool:
        groups = self.live()
        if not groups:
            return False
        return self._supplier._send(self, groups, payload, errors)

    def send(self, groups: tuple[int, ...], payload: Any = None, errors: Sequence[DevError] | None = None) -> bool:
        """:meth:`publish` for a caller that just asked :meth:`live` (``groups`` is its answer)."""
        return self._supplier._send(self, groups, payload, errors)

    def topic(self, group: int) -> bytes:
        t = self._topics.get(group)
        if t is None:
            k = self.key
            t = self._supplier.topic(k.device, k.attribute or None, k.event, group).encode("latin-1")
            self._topics[group] = t
            if group == 5:
                self.topic5 = t
        return t
