"""PyTango's event API, as functions the DeviceProxy/AttributeProxy methods delegate to.

``subscribe_event(client, proxy, ...)`` -- ``client`` the :class:`~.client_interface.ClientInterface`
the client layer hands over (this package imports nothing from it) -- accepts every PyTango
10.3.1 signature:

* ``(attr_name, event_type, cb_or_queuesize, sub_mode=EventSubMode.SyncRead, extract_as=ExtractAs.Numpy)``
* ``(event_type, cb, sub_mode=EventSubMode.SyncRead)`` for device-level events (INTERFACE_CHANGE)
* the deprecated ``(attr_name, event_type, cb_or_queuesize, filters=[], stateless=False, extract_as=...)``
  and ``(event_type, cb, stateless=False)``

plus the ``green_mode=`` keyword.  ``cb`` is a callable or an object with ``push_event``; an
integer instead selects the pull model (a buffer of that many events, 0 = unlimited) read with
``get_events``.  Ids are process-wide integers; each proxy remembers the ids it owns so that
``unsubscribe_event`` on another proxy raises ``KeyError`` like PyTango.

This module does not import zmq at import time; the consumer is loaded on the first subscription.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import warnings
from typing import Any, Callable

from ..idl.enums import EventReason, EventSubMode, EventType, ExtractAs
from ..idl.errors import DevError, DevFailed, ErrSeverity, EventSystemFailed
from .client_interface import ClientInterface

__all__ = ["subscribe_event", "unsubscribe_event", "get_events", "event_queue_size",
           "get_last_event_date", "is_event_queue_empty"]

_ALLOWED_KWARGS = {"attr_name", "event_type", "cb", "queuesize", "sub_mode", "extract_as",
                   "filters", "stateless", "green_mode"}
_owner_lock = threading.Lock()


def _owned(proxy) -> dict:
    """The {id: Subscription} map kept on the proxy (PyTango keeps one per DeviceProxy too)."""
    d = getattr(proxy, "__dict__", None)
    if d is None:
        raise TypeError(f"{type(proxy).__name__} cannot own event subscriptions")
    with _owner_lock:
        m = d.get("_tango_core_events")
        if m is None:
            m = d["_tango_core_events"] = {}
        return m


def _is_callback(obj) -> bool:
    return callable(obj) or callable(getattr(obj, "push_event", None))


def _callback_function(obj) -> Callable:
    """What to call with each event: ``obj.push_event`` or ``obj`` itself."""
    push = getattr(obj, "push_event", None)
    return push if callable(push) else obj


def _as_callable(obj) -> Callable:
    fn = _callback_function(obj)
    if inspect.iscoroutinefunction(fn):
        return _coroutine_callback(fn)
    return fn


def _coroutine_callback(fn: Callable) -> Callable:
    """``async def`` callbacks (asyncio green mode) run on the event loop that subscribed,
    or, without a running loop, to completion on the dispatcher thread."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None

    def run(event) -> None:
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(fn(event), loop)
        else:
            asyncio.run(fn(event))
    return run


def _parse(args: tuple, kwargs: dict):
    unknown = set(kwargs) - _ALLOWED_KWARGS
    if unknown:
        raise TypeError(f"subscribe_event() got unexpected keyword argument(s) {sorted(unknown)}")
    args = list(args)
    if (args and not isinstance(args[0], str)) or (
            not args and kwargs.get("event_type") == EventType.INTERFACE_CHANGE_EVENT
            and "attr_name" not in kwargs):
        return _parse_device_level(args, kwargs)
    names = ["attr_name", "event_type", "cb_or_queuesize"]
    vals: dict[str, Any] = {}
    for i, n in enumerate(names):
        if i < len(args):
            vals[n] = args[i]
    rest = args[3:]
    if "attr_name" in kwargs:
        vals["attr_name"] = kwargs["attr_name"]
    if "event_type" in kwargs:
        vals["event_type"] = kwargs["event_type"]
    if "cb" in kwargs and "queuesize" in kwargs:
        raise TypeError("give either 'cb' or 'queuesize', not both")
    if "cb" in kwargs:
        vals["cb_or_queuesize"] = kwargs["cb"]
    if "queuesize" in kwargs:
        vals["cb_or_queuesize"] = kwargs["queuesize"]
    for n in names:
        if n not in vals:
            raise TypeError(f"subscribe_event() missing required argument {n!r}")
    attr_name, event_type, cbq = vals["attr_name"], vals["event_type"], vals["cb_or_queuesize"]
    if not isinstance(attr_name, str):
        raise TypeError("Parameter 'attr_name' must be a str")
    event_type = _event_type(event_type)
    if "sub_mode" in kwargs and ("filters" in kwargs or "stateless" in kwargs):
        raise TypeError("'sub_mode' cannot be combined with the deprecated 'filters'/'stateless' parameters")
    sub_mode = kwargs.get("sub_mode")
    stateless = kwargs.get("stateless")
    filters = kwargs.get("filters")
    extract_as = kwargs.get("extract_as")
    deprecated = filters is not None or stateless is not None
    # positional tail: (sub_mode, extract_as) or (filters, stateless, extract_as)
    if rest:
        if isinstance(rest[0], EventSubMode):
            sub_mode = rest[0]
            if len(rest) > 1:
                extract_as = rest[1]
            if len(rest) > 2:
                raise TypeError("subscribe_event() takes at most 5 positional arguments after self")
        elif isinstance(rest[0], (list, tuple)):
            filters, deprecated = rest[0], True
            if len(rest) > 1:
                stateless = rest[1]
            if len(rest) > 2:
                extract_as = rest[2]
        elif isinstance(rest[0], bool):
            stateless, deprecated = rest[0], True
            if len(rest) > 1:
                extract_as = rest[1]
        else:
            raise TypeError("Parameter 'sub_mode' must be of type EventSubMode "
                            "(or the deprecated 'filters' a sequence of str)")
    if deprecated:
        warnings.warn("The 'stateless' and 'filters' parameters are deprecated. Please, update calls "
                      "to use the 'sub_mode' parameter instead.", DeprecationWarning, stacklevel=4)
        if stateless is not None and not isinstance(stateless, bool):
            raise TypeError("Parameter 'stateless' must be of type bool")
        sub_mode = EventSubMode.Stateless if stateless else EventSubMode.SyncRead
    if sub_mode is None:
        sub_mode = EventSubMode.SyncRead
    if not isinstance(sub_mode, EventSubMode):
        sub_mode = EventSubMode(sub_mode)
    extract_as = ExtractAs.Numpy if extract_as is None else ExtractAs(extract_as)
    if _is_callback(cbq):
        cb, queue_size = _callback_function(cbq), None
    elif isinstance(cbq, int) and not isinstance(cbq, bool):
        if cbq < 0:
            raise ValueError("the event queue size must be >= 0 (0 = unlimited)")
        cb, queue_size = None, cbq
    else:
        raise TypeError("Either parameter 'queuesize' must be an integer, or parameter 'cb' must be "
                        "callable object or an object with a 'push_event' method.")
    if event_type == EventType.INTERFACE_CHANGE_EVENT:
        attr_name = "dummy"
    return attr_name, event_type, cb, queue_size, sub_mode, extract_as


def _parse_device_level(args: list, kwargs: dict):
    event_type = _event_type(args[0] if args else kwargs.get("event_type"))
    if event_type != EventType.INTERFACE_CHANGE_EVENT:
        raise TypeError(f"{event_type!s} needs an attribute name; only INTERFACE_CHANGE_EVENT is device-level")
    cb = args[1] if len(args) > 1 else kwargs.get("cb")
    if cb is None or not _is_callback(cb):
        raise TypeError("Parameter 'cb' must be callable object or an object with a 'push_event' method")
    sub_mode = kwargs.get("sub_mode")
    stateless = kwargs.get("stateless")
    if len(args) > 2:
        if isinstance(args[2], EventSubMode):
            sub_mode = args[2]
        elif isinstance(args[2], bool):
            stateless = args[2]
        else:
            raise TypeError("must be either EventSubMode (sub_mode) or bool (stateless) type.")
    if stateless is not None:
        warnings.warn("The 'stateless' parameter is deprecated. Please, update calls to use the "
                      "'sub_mode' parameter instead.", DeprecationWarning, stacklevel=4)
        sub_mode = EventSubMode.Stateless if stateless else EventSubMode.SyncRead
    sub_mode = EventSubMode.SyncRead if sub_mode is None else EventSubMode(sub_mode)
    return "dummy", event_type, _callback_function(cb), None, sub_mode, ExtractAs.Numpy


def _event_type(value) -> EventType:
    try:
        return EventType(value)
    except (ValueError, TypeError):
        raise TypeError(f"Parameter 'event_type' must be an EventType, not {value!r}") from None


def subscribe_event(client: ClientInterface, proxy, *args, deliver: Callable[[Callable], Callable] | None = None,
                    **kwargs) -> int:
    """Subscribe to an event; returns its id (see the module docstring for the signatures).

    ``deliver(fn)`` (green modes) returns what the event threads call instead of the user's
    function ``fn``, e.g. a function that schedules ``fn`` on the subscriber's event loop.
    """
    attr_name, event_type, cb, queue_size, sub_mode, extract_as = _parse(args, kwargs)
    if cb is not None:
        if deliver is not None:
            cb = deliver(cb)
        if inspect.iscoroutinefunction(cb):
            cb = _coroutine_callback(cb)
    from . import consumer as _c
    from .dispatcher import make_error_event
    from .subscription_protocol import first_event

    sub = _c.Subscription(_c.next_id(), proxy, attr_name, event_type, cb, queue_size, sub_mode, extract_as,
                          client)
    consumer = _c.register(sub)
    owned = _owned(proxy)
    try:
        if sub_mode in (EventSubMode.Async, EventSubMode.AsyncRead):
            consumer.add_pending(sub)      # the keep-alive thread subscribes in the background
            owned[sub.id] = sub
            return sub.id
        try:
            consumer.connect_subscription(sub)
        except DevFailed as exc:
            if sub_mode != EventSubMode.Stateless:
                raise _registering_failed(exc, event_type) from None
            consumer.add_pending(sub, at_once=False)
            consumer.release(sub, make_error_event(sub, exc.args, EventReason.SubFail))
            owned[sub.id] = sub
            return sub.id
        first = None
        if sub_mode != EventSubMode.Sync:
            first = first_event(sub, EventReason.SubSuccess)
        owned[sub.id] = sub                # the first callback may already unsubscribe it
        consumer.release(sub, first, here=True)
        return sub.id
    except BaseException:              # no id returned: nothing may stay subscribed
        owned.pop(sub.id, None)
        consumer.remove(sub)
        _c.release_if_idle(consumer)
        raise


def _registering_failed(exc: DevFailed, event_type: EventType) -> DevFailed:
    errors = tuple(exc.args) + (DevError(
        "API_DSFailedRegisteringEvent", "Device server send exception while trying to register event",
        "EventConsumer::connect_event_system()", ErrSeverity.ERR),)
    if (event_type == EventType.ALARM_EVENT and exc.args
            and exc.args[0].reason == "API_WrongNumberOfArgs" and "alarm" in exc.args[0].desc):
        from ..idl.errors import NonSupportedFeature
        return NonSupportedFeature(*errors, DevError(
            "API_NotSupportedFeature", "ALARM_EVENT needs a Tango 10 device server; this one predates it",
            "EventConsumer::subscribe_event()", ErrSeverity.ERR))
    return type(exc)(*errors)


def _lookup(proxy, event_id: int):
    sub = _owned(proxy).get(event_id)
    if sub is None:
        raise KeyError(f"This device proxy does not own this subscription {event_id}")
    return sub


def unsubscribe_event(proxy, event_id: int) -> None:
    """Stop an event subscription; the last one also stops the event threads and sockets."""
    from . import consumer as _c

    owned = _owned(proxy)
    sub = owned.get(event_id)
    if sub is None:
        raise KeyError(f"This device proxy does not own this subscription {event_id}")
    del owned[event_id]
    sub.active = False
    consumer = sub.consumer
    if consumer is not None and consumer is _c._consumer:   # not one closed by shutdown() or a fork
        consumer.remove(sub)
        _c.release_if_idle(consumer)


def get_events(proxy, event_id: int, callback: Callable | None = None, extract_as=None):
    """Pull model: return the buffered events (oldest first), or pass each to ``callback``."""
    sub = _lookup(proxy, event_id)
    if sub.events is None:
        raise DevFailed(DevError("API_EventQueues", "No event queue specified during subscribe_event()\n"
                                 "Cannot return any event data", "EventConsumer::get_events()",
                                 ErrSeverity.ERR))
    with sub.lock:
        events = list(sub.events)
        sub.events.clear()
    if callback is None:
        return events
    fn = _as_callable(callback)
    for ev in events:
        fn(ev)
    return None


def event_queue_size(proxy, event_id: int) -> int:
    sub = _lookup(proxy, event_id)
    return 0 if sub.events is None else len(sub.events)


def get_last_event_date(proxy, event_id: int):
    """The reception date of the newest event still queued; like cppTango, a drained queue raises."""
    sub = _lookup(proxy, event_id)
    if sub.events is not None:
        with sub.lock:
            if sub.events:
                return sub.events[-1].reception_date
        raise EventSystemFailed(DevError("API_EventQueues", "No new events available!\nCannot return any event date",
                                         "EventQueue::get_last_event_date()", ErrSeverity.ERR))
    if sub.last_event_date is None:
        from ..idl.types import TimeVal
        return TimeVal(0, 0, 0)
    return sub.last_event_date


def is_event_queue_empty(proxy, event_id: int) -> bool:
    return event_queue_size(proxy, event_id) == 0
