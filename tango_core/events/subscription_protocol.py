"""The Tango event subscription protocol, client side: what the consumer says to a server's admin
device, and the keep-alive that keeps subscriptions alive (protocol brief §5.2).

* :func:`subscribe` sends ``ZmqEventSubscriptionChange`` and reads the endpoints, topic and
  channel from the reply (:class:`SubscriptionReply`); :func:`legacy_names` builds the topic
  and channel for servers older than 9.3, which do not return them;
* :func:`open_event_socket` makes a cppTango server create its event socket before the first
  subscription its polling thread publishes for (see there why);
* :func:`first_event` reads the value delivered right after subscribing, as cppTango does;
* :class:`KeepAlive` is the thread that declares channels without heartbeat for
  ``heartbeat_timeout`` s dead (``API_EventTimeout`` error events) -- it wakes when the oldest
  heartbeat reaches that age, so the error comes within ~10 s of the last heartbeat, as cppTango's
  does, not up to a whole period later -- and re-subscribes dead channels every
  ``reconnect_period`` s (re-importing the admin device, so new ports and IORs are followed), so
  values flow again within about a second of the server answering; every ``keepalive_period`` s
  it retries failed stateless subscriptions and sends ``EventConfirmSubscription`` every
  ``confirm_period`` s.

The socket wiring itself is the consumer's (:mod:`.consumer`); admin devices are reached through
each subscription's client interface.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..idl.enums import EVENT_WIRE_NAMES, IDL5_PREFIXED_EVENTS, EventReason, EventSubMode, EventType
from ..idl.errors import DevFailed, EventSystemFailed, dev_error
from . import frames
from .client_subscription import Channel, Subscription, full_attr_name, full_device_name
from .data import AttrConfEventData, DevIntrChangeEventData, EventData
from .dispatcher import make_error_event
from .settings import config

if TYPE_CHECKING:
    from .consumer import EventConsumer

__all__ = ["CLIENT_IDL_VERSION", "MIN_LIB_WITH_TOPICS", "PUSHED_BY_POLLING", "SubscriptionReply", "subscribe",
           "open_event_socket", "open_event_socket_for", "legacy_names", "first_event", "KeepAlive"]

log = logging.getLogger("tango_core.events")

CLIENT_IDL_VERSION = "6"
MIN_LIB_WITH_TOPICS = 930

#: Events a server's polling thread publishes by itself once a client subscribed to them.
PUSHED_BY_POLLING = frozenset({EventType.CHANGE_EVENT, EventType.PERIODIC_EVENT, EventType.ARCHIVE_EVENT,
                               EventType.ALARM_EVENT})


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


def fix_endpoint(endpoint: str, host: str) -> str:
    """A published endpoint as this client can reach it (``0.0.0.0`` -> the server's host);
    multicast endpoints are refused (EventSystemFailed)."""
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
class SubscriptionReply:
    """What a ``ZmqEventSubscriptionChange`` reply says (brief §5.2)."""
    lib_release: int
    idl: int
    hwm: int
    hb_endpoint: str
    ev_endpoint: str
    topic: str | None
    channel: str | None


def subscribe(admin, sub: Subscription) -> SubscriptionReply:
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
    eps = [(fix_endpoint(pairs[i], host), fix_endpoint(pairs[i + 1], host))
           for i in range(0, len(pairs) - 1, 2)]
    hb, ev = eps[0]
    if len(eps) > 1:
        for cand in eps:
            if _reachable(cand[1]):
                hb, ev = cand
                break
    hwm = lvalue[2] if len(lvalue) > 2 else 1000
    return SubscriptionReply(lib, lvalue[1], hwm, hb, ev, topic, channel)


def open_event_socket(admin, sub: Subscription) -> bool:
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


def open_event_socket_for(admin, subs) -> None:
    """:func:`open_event_socket` before re-subscribing ``subs`` to a (maybe restarted) server."""
    sub = next((s for s in subs if s.event_type in PUSHED_BY_POLLING), None)
    if sub is not None:
        open_event_socket(admin, sub)


def legacy_names(sub: Subscription, reply: SubscriptionReply, adm_name: str) -> tuple[str, str]:
    """Topic and channel for servers older than 9.3 (they do not return them)."""
    base = full_device_name(sub.proxy)
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


def first_event(sub: Subscription, reason=EventReason.SubSuccess):
    """The value cppTango delivers right after subscribing, read synchronously (brief §5.2)."""
    proxy = sub.proxy
    name = sub.full_name or full_attr_name(sub)
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


class KeepAlive:
    """The keep-alive thread of one consumer (module docstring)."""

    def __init__(self, consumer: "EventConsumer", stop: threading.Event) -> None:
        self._consumer = consumer
        self._stop = stop
        self._wake = threading.Condition()
        self._last_full_round = time.monotonic()
        self._woken = False  # wake() asked for a round: pending subscriptions are retried at once
        self.thread = threading.Thread(target=self._main, name="tango-events-keepalive", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        """Run a round now (a new pending subscription; stopping)."""
        with self._wake:
            self._woken = True
            self._wake.notify()

    def _main(self) -> None:
        while not self._stop.is_set():
            wait = self._next_wait()  # (takes the consumer's lock: not under _wake, see wake())
            with self._wake:
                if not self._woken and not self._stop.is_set():
                    self._wake.wait(wait)
            if self._stop.is_set():
                return
            try:
                self.run_once()
            except Exception:  # noqa: BLE001
                log.exception("tango event keep-alive failed")

    def _next_wait(self) -> float:
        """Seconds until the next round: the keep-alive period, or sooner when a channel's last
        heartbeat reaches ``heartbeat_timeout`` or a dead channel is due for re-subscription."""
        wait = float(config.keepalive_period)
        now = time.monotonic()
        channels, _pending = self._consumer.snapshot()
        stalled = self._receiver_in_callback()
        if stalled:
            wait = min(wait, 1.0)  # no verdict meanwhile (run_once): look again soon after
        for ch in channels:
            if not ch.alive:
                wait = min(wait, float(config.reconnect_period))
            elif not stalled:
                wait = min(wait, ch.last_heartbeat + config.heartbeat_timeout - now + 0.02)
        return max(0.02, wait)

    def _receiver_in_callback(self) -> bool:
        """True while the receiver thread runs a callback of more than a second (dispatcher.py)."""
        since = self._consumer.dispatcher.inline_since
        return since is not None and time.monotonic() - since > 1.0

    def run_once(self) -> None:
        consumer = self._consumer
        now = time.monotonic()
        channels, pending = consumer.snapshot()
        woken, self._woken = self._woken, False
        due = woken or now - self._last_full_round >= float(config.keepalive_period) - 0.02
        if due:
            self._last_full_round = now
        # heartbeats that came while the receiver thread runs a callback are still unread
        judge = not self._receiver_in_callback()
        for ch in channels:
            if self._stop.is_set():
                return
            if ch.alive and judge and now - ch.last_heartbeat > config.heartbeat_timeout:
                ch.alive = False
                consumer.stats["timeouts"] += 1
                for s in list(ch.subs):
                    consumer.dispatcher.enqueue_error((s,), [dev_error(
                        "API_EventTimeout",
                        "Event channel is not responding anymore, maybe the server or event system is down",
                        "EventConsumer::KeepAliveThread()")])
            if not ch.alive:
                self._reconnect_channel(ch)
            elif now - ch.last_confirm >= config.confirm_period:
                self._confirm(ch)
        if not due:
            return
        for sub in pending:
            if self._stop.is_set() or not sub.active:
                continue
            self._retry_pending(sub)

    def _confirm(self, ch: Channel) -> None:
        ch.last_confirm = time.monotonic()
        subs = list(ch.subs)
        args: list[str] = []
        for s in subs:
            args += s.confirm_triplet()
        if not args:
            return
        client = subs[0].client
        try:
            if ch.admin is None:
                ch.admin = client.device_proxy(ch.adm_name)
            ch.admin.command_inout("EventConfirmSubscription", args)
            self._consumer.stats["confirmations"] += 1
        except DevFailed as exc:
            # Tango 8 has no EventConfirmSubscription (API_CommandNotFound); a server that lost
            # our subscriptions (restarted between two heartbeat checks) refuses it: in both
            # cases renewing with ZmqEventSubscriptionChange is what keeps events flowing.
            ch.admin = None
            log.debug("EventConfirmSubscription to %s failed (%s); re-subscribing", ch.adm_name,
                      exc.args[0].reason if exc.args else exc)
            try:
                admin = client.device_proxy(ch.adm_name)
                open_event_socket_for(admin, ch.subs)
            except Exception:  # noqa: BLE001
                return
            for s in list(ch.subs):
                try:
                    subscribe(admin, s)
                except Exception:  # noqa: BLE001 - a dead server is the heartbeat check's business
                    pass
        except Exception as exc:  # noqa: BLE001
            ch.admin = None
            log.debug("EventConfirmSubscription to %s failed: %s", ch.adm_name, exc)

    def _reconnect_channel(self, ch: Channel) -> None:
        subs = list(ch.subs)
        if not subs:
            return
        consumer = self._consumer
        try:
            admin = subs[0].client.device_proxy(ch.adm_name)   # re-imports from the database: new IOR/ports
            open_event_socket_for(admin, subs)                 # a restarted server has none yet
            replies = [(s, subscribe(admin, s)) for s in subs]
            ch.admin = admin
        except Exception as exc:  # noqa: BLE001 - still down; retried at the next period
            log.debug("re-subscription to %s failed: %s", ch.name, exc)
            return
        for s in subs:                               # new events wait for the fresh value
            with s.lock:
                s.holding = True
        try:
            if consumer.rewire_channel(ch, replies):
                consumer.stats["reconnections"] += 1
        finally:
            for s in subs:
                first = None
                if s.active and s.connected and s.sub_mode != EventSubMode.Sync:
                    first = first_event(s, EventReason.SubSuccess)
                consumer.dispatcher.release(s, first)

    def _retry_pending(self, sub: Subscription) -> None:
        consumer = self._consumer
        with sub.lock:
            sub.holding = True           # what arrives before the first value waits for it
        try:
            consumer.connect_subscription(sub)
        except Exception as exc:  # noqa: BLE001
            errors = exc.args if isinstance(exc, DevFailed) else (
                dev_error("API_EventSystemFailed", str(exc), "EventConsumer.subscribe"),)
            consumer.dispatcher.release(sub, make_error_event(sub, errors, EventReason.SubFail))
            return
        if sub.sub_mode == EventSubMode.Async:     # success notice without a value
            consumer.dispatcher.release(sub, make_error_event(sub, (), EventReason.SubSuccess))
        else:
            consumer.dispatcher.release(sub, first_event(sub, EventReason.SubSuccess))
