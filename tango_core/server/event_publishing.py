"""Which events a device publishes, and when: the link between a device's attributes and the
process's :class:`~tango_core.events.supplier.EventSupplier`.

One :class:`DeviceEvents` per device holds, per attribute, the memory of what was last sent
(change detectors, periodic timers); the event settings the device code declared
(``set_change_event(name, implemented, detect)`` & co) live on the device's attribute objects
and are passed in.  Readings come from two places:

* the polling thread, for every polled attribute (:meth:`DeviceEvents.polled`): change, archive,
  periodic and alarm events are detected there, for the events somebody subscribed to;
* the device code (``push_change_event`` ...): :meth:`DeviceEvents.push` sends the event as
  given, or through the detector when the code asked for detection.

Subscription requests are checked by :func:`check_subscription` with cppTango's rules and
error reasons (``API_AttributePollingNotStarted``, ``API_EventPropertiesNotSet``,
``API_AttributeNotDataReadyEnabled``).  Nothing is computed for an event nobody subscribed to.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Callable, NamedTuple, Sequence

from ..idl import types as T
from ..idl.enums import CmdArgType, EventType
from ..idl.errors import DevError, DevFailed
from .hooks import EventSink
from .change_detection import (DEFAULT_EVENT_PERIOD_MS, AlarmDetector, ChangeDetector, PeriodicTimer, Thresholds,
                               parse_thresholds)

__all__ = ["EventCriteria", "AttributeEvents", "DeviceEvents", "ServerEvents", "check_subscription",
           "criteria_from_config", "NO_CRITERIA_TYPES"]

_C = CmdArgType
#: Types for which change/archive events need no abs/rel criteria (cppTango's list).
NO_CRITERIA_TYPES = frozenset({_C.DevString, _C.DevBoolean, _C.DevEncoded, _C.DevState, _C.DevEnum})
_ORIGIN = "DServer::event_subscription"


class EventCriteria(NamedTuple):
    """An attribute's event properties, parsed (``None`` = not specified)."""
    abs_change: Thresholds | None = None
    rel_change: Thresholds | None = None
    archive_abs_change: Thresholds | None = None
    archive_rel_change: Thresholds | None = None
    archive_period_ms: float | None = None
    event_period_ms: float = DEFAULT_EVENT_PERIOD_MS


def _period(text: Any) -> float | None:
    try:
        v = float(str(text).strip())
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def criteria_from_config(cfg: T.AttributeConfig_5 | None = None, *, abs_change: Any = None,
                         rel_change: Any = None, archive_abs_change: Any = None, archive_rel_change: Any = None,
                         archive_period: Any = None, event_period: Any = None) -> EventCriteria:
    """EventCriteria from an AttributeConfig_5's ``event_prop`` or from keyword values."""
    if cfg is not None:
        ep = cfg.event_prop
        abs_change, rel_change = ep.ch_event.abs_change, ep.ch_event.rel_change
        archive_abs_change, archive_rel_change = ep.arch_event.abs_change, ep.arch_event.rel_change
        archive_period, event_period = ep.arch_event.period, ep.per_event.period
    return EventCriteria(parse_thresholds(abs_change), parse_thresholds(rel_change),
                         parse_thresholds(archive_abs_change), parse_thresholds(archive_rel_change),
                         _period(archive_period), _period(event_period) or DEFAULT_EVENT_PERIOD_MS)


def _failed(reason: str, desc: str, origin: str = _ORIGIN) -> DevFailed:
    return DevFailed.from_reason(reason, desc, origin)


def check_subscription(event: str, attr_name: str, data_type: CmdArgType | int, *, polled: bool, flags: Any,
                       criteria: EventCriteria) -> None:
    """Raise DevFailed as cppTango's DServer::event_subscription would for this request.

    ``event`` is the wire name without ``idl5_``; ``attr_name`` as the client sent it; ``flags``
    answers PyTango's Attribute questions ``is_change_event()``, ``is_check_change_criteria()``,
    ``is_archive_event()``, ``is_check_archive_criteria()``, ``is_alarm_event()``,
    ``is_data_ready_event()`` (the device's attribute object does).
    """
    if event in ("user_event", "attr_conf", "intr_change"):
        return
    if event == "data_ready":
        if not flags.is_data_ready_event():
            raise _failed("API_AttributeNotDataReadyEnabled",
                          f"The attribute {attr_name} is not data ready event enabled")
        return
    if not polled:
        pushed = (event == "change" and flags.is_change_event()) or \
                 (event == "archive" and flags.is_archive_event()) or \
                 (event == "alarm" and flags.is_alarm_event())
        if not pushed:
            raise _failed("API_AttributePollingNotStarted",
                          f"The polling (necessary to send events) for the attribute {attr_name} is not started")
    numeric = attr_name.lower() != "state" and data_type not in NO_CRITERIA_TYPES
    if event == "change" and numeric and flags.is_check_change_criteria() and \
            criteria.abs_change is None and criteria.rel_change is None:
        raise _failed("API_EventPropertiesNotSet",
                      f"Event properties (abs_change or rel_change) for attribute {attr_name} are not set")
    if event == "archive" and numeric and flags.is_check_archive_criteria() and \
            criteria.archive_abs_change is None and criteria.archive_rel_change is None and \
            criteria.archive_period_ms is None:
        raise _failed("API_EventPropertiesNotSet",
                      "Archive event properties (archive_abs_change or archive_rel_change or archive_period) "
                      f"for attribute {attr_name} are not set")


class AttributeEvents:
    """What was last sent for one attribute of one device (detectors and timers)."""

    __slots__ = ("change", "archive", "alarm", "periodic", "archive_timer", "lock")

    def __init__(self) -> None:
        self.change = ChangeDetector()
        self.archive = ChangeDetector()
        self.alarm = AlarmDetector()
        self.periodic = PeriodicTimer()
        self.archive_timer = PeriodicTimer()
        self.lock = threading.Lock()

    def reset_memory(self) -> None:
        """Forget what was sent (device re-initialised): the next reading is sent again."""
        with self.lock:
            for d in (self.change, self.archive, self.alarm, self.periodic, self.archive_timer):
                d.reset()


_DETECTED = frozenset({"change", "archive", "alarm"})


class DeviceEvents:
    """The events of one device (see the module docstring).

    ``supplier`` is a callable returning the process's EventSupplier, or None while events are
    off (a server without subscriptions needs none); ``device`` is the device name.  Publication
    handles (:class:`~tango_core.events.supplier.Publication`) are looked up once per
    (attribute, event), so a push costs a few attribute reads when nobody listens.
    """

    def __init__(self, device: str, supplier: Callable[[], Any]) -> None:
        self.device = device
        self._supplier = supplier
        self._attrs: dict[str, AttributeEvents] = {}
        self._pubs: dict[tuple[str | None, str], Any] = {}
        self._lock = threading.Lock()

    def attribute(self, name: str) -> AttributeEvents:
        a = self._attrs.get(name)
        if a is None:
            key = name.lower()
            with self._lock:
                a = self._attrs.setdefault(key, AttributeEvents())
                self._attrs[name] = a
        return a

    def forget(self, name: str) -> None:
        """Drop an attribute's event state (dynamic attribute removed)."""
        with self._lock:
            low = name.lower()
            for k in [k for k in self._attrs if k.lower() == low]:
                del self._attrs[k]
            for k in [k for k in self._pubs if (k[0] or "").lower() == low]:
                del self._pubs[k]

    def publication(self, attr: str | None, event: str) -> Any:
        """The supplier's handle for (attr, event), or None while there is no supplier."""
        pub = self._pubs.get((attr, event))
        if pub is None:
            sup = self._supplier()
            if sup is None:
                return None
            pub = self._pubs[(attr, event)] = sup.publication(self.device, attr, event)
        return pub

    def wants(self, attr: str | None, event: str) -> bool:
        pub = self.publication(attr, event)
        return pub is not None and bool(pub.live())

    def _send(self, attr: str | None, event: str, reading: Any, errors: Sequence[DevError] | None) -> bool:
        pub = self.publication(attr, event)
        if pub is None:
            return False
        return pub.publish(reading, list(errors) if errors is not None else None)

    # -- readings from the polling thread -----------------------------------------
    def polled(self, attr: str, reading: T.AttributeValue_5 | None, errors: Sequence[DevError] | None,
               criteria: EventCriteria, when_ms: float) -> None:
        """Publish what one polled reading triggers; ``when_ms`` is the time before the reading."""
        want_change = self.wants(attr, "change")
        want_archive = self.wants(attr, "archive")
        want_periodic = self.wants(attr, "periodic")
        want_alarm = self.wants(attr, "alarm")
        if not (want_change or want_archive or want_periodic or want_alarm):
            return
        ev = self.attribute(attr)
        with ev.lock:
            send_change = want_change and ev.change.check(reading, errors, criteria.abs_change, criteria.rel_change)
            send_periodic = want_periodic and ev.periodic.due(when_ms, criteria.event_period_ms)
            send_archive = False
            if want_archive:
                if criteria.archive_period_ms is not None and ev.archive.last.inited and \
                        ev.archive_timer.due(when_ms, criteria.archive_period_ms):
                    ev.archive.last.store(reading, errors)
                    send_archive = True
                else:
                    first = not ev.archive.last.inited
                    send_archive = ev.archive.check(reading, errors, criteria.archive_abs_change,
                                                    criteria.archive_rel_change)
                    if first and send_archive:
                        ev.archive_timer.due(when_ms, criteria.archive_period_ms or 0)
            send_alarm = want_alarm and ev.alarm.check(reading, errors)
        if send_change:
            self._send(attr, "change", reading, errors)
        if send_periodic:
            self._send(attr, "periodic", reading, errors)
        if send_archive:
            self._send(attr, "archive", reading, errors)
        if send_alarm:
            self._send(attr, "alarm", reading, errors)

    # -- events pushed by the device code ------------------------------------------
    def push(self, event: str, attr: str, reading: T.AttributeValue_5 | None,
             errors: Sequence[DevError] | None, criteria: EventCriteria | None = None,
             detect: bool = False) -> bool:
        """``push_change_event`` / ``push_archive_event`` / ``push_alarm_event`` / ``push_event``.

        With ``detect`` (the device's ``set_*_event(name, True, True)``) change, archive and alarm
        go through their detector; otherwise, and for user events, the event is sent as given
        (the detector still remembers it, as cppTango's does).
        """
        pub = self._pubs.get((attr, event)) or self.publication(attr, event)
        if pub is None:
            return False
        groups = pub.live()
        if not groups:
            return False
        if event in _DETECTED:
            ev = self.attribute(attr)
            detector = ev.change if event == "change" else ev.archive if event == "archive" else ev.alarm
            with ev.lock:
                if not detect:
                    detector.last.store(reading, errors)
                elif event == "alarm":
                    if not detector.check(reading, errors):
                        return False
                else:
                    criteria = criteria or EventCriteria()
                    abs_c, rel_c = ((criteria.abs_change, criteria.rel_change) if event == "change" else
                                    (criteria.archive_abs_change, criteria.archive_rel_change))
                    if not detector.check(reading, errors, abs_c, rel_c):
                        return False
        return pub.send(groups, reading, errors)

    def push_data_ready(self, attr: str, data_type: CmdArgType | int, counter: int) -> bool:
        """``push_data_ready_event(name, counter)``: an AttDataReady with the attribute's type."""
        if not self.wants(attr, "data_ready"):
            return False
        return self._send(attr, "data_ready", T.AttDataReady(attr, int(data_type), int(counter)), None)

    def push_attr_conf(self, config: T.AttributeConfig_5) -> bool:
        """An ATTR_CONF event with the attribute's new configuration."""
        if not self.wants(config.name, "attr_conf"):
            return False
        return self._send(config.name, "attr_conf", config, None)

    def push_interface_change(self, change: T.DevIntrChange) -> bool:
        """An INTERFACE_CHANGE event (commands and attributes after a dynamic add/remove)."""
        if not self.wants(None, "intr_change"):
            return False
        return self._send(None, "intr_change", change, None)


# ---------------------------------------------------------------------------
# the event system of a server (runtime.events)

_WIRE_NAME = {EventType.CHANGE_EVENT: "change", EventType.PERIODIC_EVENT: "periodic",
              EventType.ARCHIVE_EVENT: "archive", EventType.USER_EVENT: "user_event",
              EventType.ATTR_CONF_EVENT: "attr_conf", EventType.DATA_READY_EVENT: "data_ready",
              EventType.INTERFACE_CHANGE_EVENT: "intr_change", EventType.ALARM_EVENT: "alarm"}


class ServerEvents(EventSink):
    """``runtime.events``: the ZeroMQ event system of one server process.

    Adds the admin commands ZmqEventSubscriptionChange, EventConfirmSubscription,
    EventSubscriptionChange (legacy, answers the library release) and feeds QueryEventSystem;
    creates the :class:`~tango_core.events.supplier.EventSupplier` with the topic prefix of the
    server's mode (database host and port, or this host and the GIOP port with ``#dbase=no``) on
    the first subscription command; publishes what device code pushes and what the polling
    engine reads (:meth:`attribute_polled`).
    """

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._supplier: Any = None
        self._supplier_lock = threading.Lock()
        self._devices: dict[Any, DeviceEvents] = {}          # by device object (restarts make new ones)
        self._by_name: dict[str, DeviceEvents] = {}
        self._criteria: dict[tuple[Any, Any], EventCriteria] = {}   # by (device, attribute) objects
        self._closed = False
        self._intr_pending: dict[Any, tuple[float, bool]] = {}      # device -> (when, dev_started)
        self._intr_cond = threading.Condition()
        self._intr_thread: threading.Thread | None = None

    # -- the supplier ----------------------------------------------------------------------------
    def supplier(self) -> Any:
        """The EventSupplier, or None while nobody ever subscribed."""
        return self._supplier

    def _ensure_supplier(self) -> Any:
        if self._supplier is not None:
            return self._supplier
        from ..events import topics
        from ..events.supplier import EventSupplier
        with self._supplier_lock:
            if self._supplier is None:
                rt = self.runtime
                if rt.use_db and rt.database is not None:
                    prefix = topics.database_prefix(rt.database.get_db_host(), rt.database.get_db_port())
                else:
                    prefix = topics.no_database_prefix(socket.gethostname(), rt.port)
                bind = rt.host if rt.host and rt.host not in ("0.0.0.0", "::") else "*"
                self._supplier = EventSupplier(prefix, rt.admin_device_name, no_db=not rt.use_db,
                                               host=rt.ior_host or None, bind_host=bind)
                if self._closed:
                    self._supplier.close()
            return self._supplier

    def device_events(self, device: Any) -> DeviceEvents:
        ev = self._devices.get(device)
        if ev is None:
            key = device.get_name().lower()
            ev = self._by_name.get(key)
            if ev is None:
                ev = self._by_name.setdefault(key, DeviceEvents(key, self.supplier))
            self._devices[device] = ev
        return ev

    def criteria(self, device: Any, attr: Any) -> EventCriteria:
        key = (device, attr)
        c = self._criteria.get(key)
        if c is None:
            get = attr.get_property_string
            c = criteria_from_config(abs_change=get("abs_change"), rel_change=get("rel_change"),
                                     archive_abs_change=get("archive_abs_change"),
                                     archive_rel_change=get("archive_rel_change"),
                                     archive_period=get("archive_period"), event_period=get("event_period"))
            self._criteria[key] = c
        return c

    # -- admin commands ----------------------------------------------------------------------------
    def admin_ready(self, admin: Any) -> None:
        admin.register_command("ZmqEventSubscriptionChange", CmdArgType.DevVarStringArray,
                               CmdArgType.DevVarLongStringArray, lambda adm, argin: self.subscription_change(argin),
                               "Event consumer wants to subscribe to", "Str[0] = Heartbeat pub endpoint - "
                               "Str[1] = Event pub endpoint - ...")
        admin.register_command("EventConfirmSubscription", CmdArgType.DevVarStringArray, CmdArgType.DevVoid,
                               lambda adm, argin: self.confirm_subscriptions(argin),
                               "Str[0] = dev1 name - Str[1] = att1 name - Str[2] = event name - ...")
        admin.register_command("EventSubscriptionChange", CmdArgType.DevVarStringArray, CmdArgType.DevLong,
                               lambda adm, argin: self.legacy_subscription_change(argin),
                               "Event consumer wants to subscribe to", "Tango lib release")

    def _device(self, name: str, origin: str) -> Any:
        dev = self.runtime.find_device(name)
        if dev is None:
            raise DevFailed.from_reason("API_DeviceNotFound", f"Device {name} not found", origin)
        return dev

    def _check(self, dev: Any, attribute: str, event: str) -> Any:
        """The attribute object after cppTango's subscription checks (None for device events)."""
        if event == "intr_change":
            return None
        attr = dev.get_device_attr().get_attr_by_name(attribute)
        polled = self.runtime.polling.get_period(dev, "attribute", attr.get_name()) > 0
        check_subscription(event, attribute, attr.get_data_type(), polled=polled, flags=attr,
                           criteria=self.criteria(dev, attr))
        return attr

    def subscription_change(self, argin: Sequence[str]) -> tuple[list[int], list[str]]:
        """``ZmqEventSubscriptionChange``: checks, records the subscription, answers endpoints and topic."""
        from ..events.supplier import parse_subscription_request
        req = parse_subscription_request(argin)
        if self.runtime.is_svr_shutting_down():
            raise DevFailed.from_reason("API_ShutdownInProgress", "The device server is shutting down! You can no "
                                        "longer subscribe for events", "DServer::zmq_event_subscription_change")
        if req is None:
            sup = self._supplier
            if sup is None:
                from ..events.supplier import TANGO_LIB_RELEASE
                return [TANGO_LIB_RELEASE], ["No ZMQ event yet!", ""]
            return sup.info()
        dev = self._device(req.device, "DServer::event_subscription")
        attr = self._check(dev, req.attribute, req.event)
        sup = self._ensure_supplier()
        name = attr.get_name() if attr is not None else None
        return sup.subscribe(dev.get_name(), name, req.event, req.client_version, dev.get_dev_idl_version())

    def confirm_subscriptions(self, argin: Sequence[str]) -> None:
        """``EventConfirmSubscription``: renew each (device, attribute, event) triplet."""
        from ..events.supplier import parse_confirmations
        sup = self._ensure_supplier()
        for device, attribute, event, version in parse_confirmations(argin):
            dev = self._device(device, "DServer::event_confirm_subscription")
            attr = self._check(dev, attribute, event)
            sup.confirm(dev.get_name(), attr.get_name() if attr is not None else None, event, version,
                        dev.get_dev_idl_version())

    def legacy_subscription_change(self, argin: Sequence[str]) -> int:
        """``EventSubscriptionChange`` (notifd era): checked like the ZMQ command, answers the release."""
        from ..events.supplier import TANGO_LIB_RELEASE, parse_subscription_request
        req = parse_subscription_request(argin)
        if req is not None:
            self._check(self._device(req.device, "DServer::event_subscription"), req.attribute, req.event)
        return TANGO_LIB_RELEASE

    def query_event_system(self) -> dict:
        sup = self._supplier
        server = sup.query_event_system() if sup is not None else {"event_counters": {}, "perf": None}
        return {"version": 1, "server": server, "client": None}

    # -- what the device model tells (EventSink) ------------------------------------------------------
    def push_attribute_event(self, device: Any, attr: Any, event_type: EventType, value: Any) -> None:
        if self._supplier is None:
            return
        event = _WIRE_NAME[event_type]
        if value.__class__ is T.AttributeValue_5 or not isinstance(value, DevFailed):
            reading, errors = value, None
        else:
            reading, errors = None, list(value.args)
        if event == "change":
            detect = attr.change_event_detect
        elif event == "archive":
            detect = attr.archive_event_detect
        elif event == "alarm":
            detect = attr.alarm_event_detect
        else:
            detect = False
        dev_events = self._devices.get(device) or self.device_events(device)
        dev_events.push(event, attr.name, reading, errors, self.criteria(device, attr) if detect else None, detect)

    def push_data_ready_event(self, device: Any, attr: Any, counter: int) -> None:
        if self._supplier is not None:
            self.device_events(device).push_data_ready(attr.get_name(), attr.get_data_type(), counter)

    def push_attr_conf_event(self, device: Any, attr: Any) -> None:
        self._criteria.pop((device, attr), None)
        if self._supplier is None or not self._supplier.wants(device.get_name(), attr.get_name(), "attr_conf"):
            return
        self.device_events(device).push_attr_conf(device.get_attribute_config_5(attr.get_name()))

    #: cppTango's DEV_INTR_THREAD_SLEEP_TIME: changes closer than this make one event
    INTERFACE_CHANGE_DELAY = 0.05

    def interface_changed(self, device: Any, started: bool = False) -> None:
        """Attributes/commands added or removed: one INTERFACE_CHANGE event 50 ms after the last
        of a burst of changes (as cppTango's device interface change thread), if subscribed."""
        attrs = set(device.get_device_attr())
        for key in [k for k in self._criteria if k[0] is device and k[1] not in attrs]:
            del self._criteria[key]
        if self._supplier is None or not self._supplier.wants(device.get_name(), None, "intr_change"):
            return
        with self._intr_cond:
            self._intr_pending[device] = (time.monotonic() + self.INTERFACE_CHANGE_DELAY, started)
            if self._intr_thread is None:
                self._intr_thread = threading.Thread(target=self._interface_change_loop, daemon=True,
                                                     name="tango_core interface change events")
                self._intr_thread.start()
            self._intr_cond.notify_all()

    def _interface_change_loop(self) -> None:
        while True:
            with self._intr_cond:
                if not self._intr_pending or self._closed:
                    self._intr_thread = None
                    return
                now = time.monotonic()
                due = [(d, started) for d, (at, started) in self._intr_pending.items() if at <= now]
                if not due:
                    self._intr_cond.wait(min(at for at, _ in self._intr_pending.values()) - now)
                    continue
                for d, _ in due:
                    del self._intr_pending[d]
            for device, started in due:
                try:
                    self._push_interface(device, started)
                except Exception:   # a device being deleted: nothing to report
                    pass

    def _push_interface(self, device: Any, started: bool) -> None:
        attrs = [device.get_attribute_config_5(a.get_name()) for a in device.get_device_attr()]
        change = T.DevIntrChange(started, list(device.get_command_infos()), attrs)
        self.device_events(device).push_interface_change(change)

    def device_restarted(self, old: Any, new: Any) -> None:
        """After DevRestart, as cppTango: what was last sent is forgotten (the attributes are new),
        an INTERFACE_CHANGE goes out if commands or attributes differ, and every attribute's
        configuration is sent to its ATTR_CONF subscribers (it may have been re-read)."""
        events = self.device_events(new)
        for ev in list(events._attrs.values()):
            ev.reset_memory()
        self._devices.pop(old, None)
        for key in [k for k in self._criteria if k[0] is old]:
            del self._criteria[key]
        if self._supplier is None:
            return
        if old._interface_signature() != new._interface_signature():
            self.interface_changed(new)
        for attr in new.get_device_attr():
            if self._supplier.wants(new.get_name(), attr.get_name(), "attr_conf"):
                events.push_attr_conf(new.get_attribute_config_5(attr.get_name()))

    def device_removed(self, device: Any) -> None:
        self._devices.pop(device, None)
        for key in [k for k in self._criteria if k[0] is device]:
            del self._criteria[key]

    def is_there_subscriber(self, device: Any, attr_name: str, event_type: EventType) -> bool:
        sup = self._supplier
        return sup is not None and sup.wants(device.get_name(), attr_name, _WIRE_NAME[EventType(event_type)])

    def attribute_polled(self, device: Any, attr_name: str, reading: Any, errors: Any, when_ms: float) -> None:
        """A polled reading (from the polling engine): change/archive/periodic/alarm events."""
        if self._supplier is None:
            return
        attr = device.get_device_attr().find(attr_name)
        if attr is None:
            return
        self.device_events(device).polled(attr.get_name(), reading, errors, self.criteria(device, attr), when_ms)

    def close(self) -> None:
        with self._intr_cond:
            self._closed = True
            self._intr_cond.notify_all()
        with self._supplier_lock:
            sup = self._supplier
        if sup is not None:
            sup.close()
