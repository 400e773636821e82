"""A client's event subscription, and the event channel (one device server) it listens to.

Shared by the consumer's parts: the socket wiring (:mod:`.consumer`), the dispatcher
(:mod:`.dispatcher`) and the subscription protocol with the server (:mod:`.subscription_protocol`).
"""

from __future__ import annotations

import collections
import threading
import time
from typing import TYPE_CHECKING, Callable

from ..idl.enums import EVENT_WIRE_NAMES, IDL5_PREFIXED_EVENTS, EventSubMode, EventType, ExtractAs
from . import frames
from .client_interface import ClientInterface

if TYPE_CHECKING:
    from .consumer import EventConsumer

__all__ = ["Subscription", "Channel", "full_device_name", "full_attr_name"]


class Subscription:
    """One subscribe_event() call: what the user asked for and where its events go."""

    def __init__(self, sub_id: int, proxy, attr_name: str, event_type: EventType,
                 callback: Callable | None, queue_size: int | None, sub_mode: EventSubMode,
                 extract_as: ExtractAs, client: ClientInterface | None = None) -> None:
        self.id = sub_id
        self.proxy = proxy
        self.client = client                    # what the client layer lends us (proxies, conversions)
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
        self.inline = True                      # callbacks may run in the receiver thread (dispatcher.py)
        self.active = True
        self.connected = False
        self.last_event_date = None
        self.idl_version = 6
        self.consumer: EventConsumer | None = None    # set by consumer.register()

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


def full_device_name(proxy) -> str:
    """``tango://host:port/dev`` (``#dbase=no`` for no-DB devices), used in names events report."""
    dev = proxy.dev_name().lower()
    try:
        if proxy.is_dbase_used():
            return f"tango://{proxy.get_db_host()}:{proxy.get_db_port()}/{dev}"
        return f"tango://{proxy.get_dev_host()}:{proxy.get_dev_port()}/{dev}#dbase=no"
    except Exception:  # noqa: BLE001 - best effort, only used before a topic is known
        return dev


def full_attr_name(sub: Subscription) -> str:
    base = full_device_name(sub.proxy)
    if sub.is_device_event:
        return base
    if base.endswith("#dbase=no"):
        return f"{base[:-len('#dbase=no')]}/{sub.attr_name.lower()}#dbase=no"
    return f"{base}/{sub.attr_name.lower()}"
