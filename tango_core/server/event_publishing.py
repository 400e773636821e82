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

import threading
from typing import Any, Callable, NamedTuple, Sequence

from ..idl import types as T
from ..idl.enums import CmdArgType
from ..idl.errors import DevError, DevFailed
from .change_detection import (DEFAULT_EVENT_PERIOD_MS, AlarmDetector, ChangeDetector, PeriodicTimer, Thresholds,
                               parse_thresholds)

__all__ = ["EventCriteria", "AttributeEvents", "DeviceEvents", "check_subscription", "criteria_from_config",
           "NO_CRITERIA_TYPES"]

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


class DeviceEvents:
    """The events of one device (see the module docstring).

    ``supplier`` is a callable returning the process's EventSupplier, or None while events are
    off (a server without subscriptions needs none); ``device`` is the device name.
    """

    def __init__(self, device: str, supplier: Callable[[], Any]) -> None:
        self.device = device
        self._supplier = supplier
        self._attrs: dict[str, AttributeEvents] = {}
        self._lock = threading.Lock()

    def attribute(self, name: str) -> AttributeEvents:
        key = name.lower()
        a = self._attrs.get(key)
        if a is None:
            with self._lock:
                a = self._attrs.setdefault(key, AttributeEvents())
        return a

    def forget(self, name: str) -> None:
        """Drop an attribute's event state (dynamic attribute removed)."""
        with self._lock:
            self._attrs.pop(name.lower(), None)

    def wants(self, attr: str | None, event: str) -> bool:
        sup = self._supplier()
        return sup is not None and sup.wants(self.device, attr, event)

    def _send(self, attr: str | None, event: str, reading: Any, errors: Sequence[DevError] | None) -> bool:
        sup = self._supplier()
        if sup is None:
            return False
        if errors is not None:
            return sup.publish(self.device, attr, event, errors=list(errors))
        return sup.publish(self.device, attr, event, reading)

    # -- readings from the polling thread -----------------------------------------
    def polled(self, attr: str, reading: T.AttributeValue_5 | None, errors: Sequence[DevError] | None,
               criteria: EventCriteria, when_ms: float) -> None:
        """Publish what one polled reading triggers; ``when_ms`` is the time before the reading."""
        sup = self._supplier()
        if sup is None:
            return
        dev = self.device
        want_change = sup.wants(dev, attr, "change")
        want_archive = sup.wants(dev, attr, "archive")
        want_periodic = sup.wants(dev, attr, "periodic")
        want_alarm = sup.wants(dev, attr, "alarm")
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
             errors: Sequence[DevError] | None, criteria: EventCriteria | None = None, *,
             detect: bool = False) -> bool:
        """``push_change_event`` / ``push_archive_event`` / ``push_alarm_event`` / ``push_event``.

        With ``detect`` (the device's ``set_*_event(name, True, True)``) change, archive and alarm
        go through their detector; otherwise, and for user events, the event is sent as given
        (the detector still remembers it, as cppTango's does).
        """
        if not self.wants(attr, event):
            return False
        ev = self.attribute(attr)
        criteria = criteria or EventCriteria()
        detector = {"change": ev.change, "archive": ev.archive, "alarm": ev.alarm}.get(event)
        if detector is not None:
            with ev.lock:
                if not detect:
                    detector.last.store(reading, errors)
                elif event == "alarm":
                    if not detector.check(reading, errors):
                        return False
                else:
                    abs_c, rel_c = ((criteria.abs_change, criteria.rel_change) if event == "change" else
                                    (criteria.archive_abs_change, criteria.archive_rel_change))
                    if not detector.check(reading, errors, abs_c, rel_c):
                        return False
        return self._send(attr, event, reading, errors)

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
