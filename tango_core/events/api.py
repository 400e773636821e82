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
import numbers
import threading
from collections.abc import Sequence
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


class PositionalArgTypeError(TypeError):
    """A positional argument of the wrong type for the reading being tried (PyTango's name): the
    resolution then tries the next signature, and raises it if none fits."""


_MISSING = object()
_DEPRECATED_STATELESS = ("The 'stateless' parameter is deprecated. The version for removal has not been decided, "
                         "but the earliest is version 11.0.0. Please, update calls to use the 'sub_mode' parameter "
                         "instead.")
_DEPRECATED_STATELESS_FILTERS = ("The 'stateless' and 'filters' parameters are deprecated. The version for removal "
                                 "has not been decided, but the earliest is version 11.0.0. Please, update calls to "
                                 "use the 'sub_mode' parameter instead.")
_CB_TYPE = "Parameter 'cb' must be callable object or an object with a 'push_event' method"


def _param(args: tuple, kwargs: dict, name: str, index: int, check: Callable[[Any], bool] | None = None,
           message: str = "", default: Any = _MISSING) -> tuple[Any, bool]:
    """Argument ``name``: the keyword, else positional ``index``, else ``default``; (value, whether
    the default was used).  PyTango's errors: IndexError when missing, TypeError for a keyword
    of the wrong type, PositionalArgTypeError for a positional one."""
    if name in kwargs:
        value = kwargs[name]
        if check is not None and not check(value):
            raise TypeError(f"Invalid type for parameter '{name}={value}': {message}")
        return value, False
    if len(args) > index:
        value, used_default = args[index], False
    elif default is _MISSING:
        raise IndexError(f"Expected parameter '{name}' as either positional arg {index + 1}, (but only {len(args)} "
                         f"provided), or as keyword argument. user_args={args!r}, user_kwargs={kwargs!r}.")
    else:
        value, used_default = default, True
    if check is not None and not check(value):
        raise PositionalArgTypeError(f"Invalid type for parameter '{name}' at position {index}: {message}. "
                                     f"Received: {type(value)}")
    return value, used_default


def _is_event_type(value: Any) -> bool:
    return isinstance(value, EventType)


def _is_sub_mode(value: Any) -> bool:
    return isinstance(value, EventSubMode)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_queue_size(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_sequence(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _either_cb_or_queuesize(args: tuple, kwargs: dict) -> TypeError:
    return TypeError(f"Either parameter 'queuesize' must be an integer, or parameter 'cb' must be callable object or "
                     f"an object with a 'push_event' method. args={args!r}, kwargs={kwargs!r}.")


def _parse(args: tuple, kwargs: dict, warn_once: Callable[..., Any]):
    """(attr_name, event_type, callback, queue size, sub_mode, extract_as) from any of PyTango's
    signatures, resolved by PyTango's rules and with its errors and deprecation warnings."""
    unexpected = set(kwargs) - _ALLOWED_KWARGS
    if unexpected:
        raise TypeError(f"Got unexpected keyword argument(s): {', '.join(sorted(unexpected))}.\n"
                        f"Allowed keys are: {', '.join(sorted(_ALLOWED_KWARGS))}")
    if (args and isinstance(args[0], EventType)) or kwargs.get("event_type") == EventType.INTERFACE_CHANGE_EVENT:
        return _parse_device_level(args, kwargs, warn_once)
    return _parse_attribute_level(args, kwargs, warn_once)


def _parse_device_level(args: tuple, kwargs: dict, warn_once: Callable[..., Any]):
    """``(event_type, cb, sub_mode=SyncRead)`` or the deprecated ``(event_type, cb, stateless)``."""
    event_type, _ = _param(args, kwargs, "event_type", 0, _is_event_type)
    if event_type != EventType.INTERFACE_CHANGE_EVENT:
        raise TypeError("This method is only for Interface Change Events")
    cb, _ = _param(args, kwargs, "cb", 1, _is_callback, _CB_TYPE + ".")
    sub_mode, stateless = EventSubMode.SyncRead, None
    try:
        sub_mode, _ = _param(args, kwargs, "sub_mode", 2, _is_sub_mode)
    except (IndexError, PositionalArgTypeError):
        try:
            stateless, _ = _param(args, kwargs, "stateless", 2, _is_bool,
                                  " must be either EventSubMode (sub_mode) or bool (stateless) type.")
        except IndexError:
            pass
    if stateless is not None:
        warn_once(_DEPRECATED_STATELESS, key="deprecated:tango.device_proxy:stateless_parameter",
                  category=DeprecationWarning)
        sub_mode = EventSubMode.Stateless if stateless else EventSubMode.SyncRead
    return "dummy", event_type, _callback_function(cb), None, sub_mode, ExtractAs.Numpy


def _parse_attribute_level(args: tuple, kwargs: dict, warn_once: Callable[..., Any]):
    """``(attr_name, event_type, cb_or_queuesize, sub_mode=SyncRead, extract_as=Numpy)`` or the
    deprecated ``(attr_name, event_type, cb_or_queuesize, filters=[], stateless=False, extract_as=Numpy)``."""
    attr_name, _ = _param(args, kwargs, "attr_name", 0, lambda v: isinstance(v, str))
    event_type, _ = _param(args, kwargs, "event_type", 1, _is_event_type)
    if "cb" in kwargs and "queuesize" in kwargs:
        raise TypeError(f"Parameters 'cb' and 'queuesize' cannot be used together. args={args!r}, kwargs={kwargs!r}")
    cb = queue_size = None
    try:
        cb, _ = _param(args, kwargs, "cb", 2, _is_callback, _CB_TYPE)
    except (IndexError, PositionalArgTypeError):
        try:
            queue_size, _ = _param(args, kwargs, "queuesize", 2, _is_queue_size)
        except (IndexError, PositionalArgTypeError):
            raise _either_cb_or_queuesize(args, kwargs) from None
    for other in ("filters", "stateless"):
        if "sub_mode" in kwargs and other in kwargs:
            raise TypeError(f"Parameters 'sub_mode' and '{other}' cannot be used together. args={args!r}, "
                            f"kwargs={kwargs!r}")
    sub_mode_given = filters_given = False
    shift = 0  # filters given at position 3 move extract_as to position 5
    try:
        sub_mode, _ = _param(args, kwargs, "sub_mode", 3, _is_sub_mode, "Parameter 'sub_mode' must be of type EventSubMode")
        sub_mode_given = True
    except (IndexError, PositionalArgTypeError) as no_sub_mode:
        # texts only: an exception kept in a local would keep this frame, and the callback, alive
        wrong = [str(no_sub_mode)] if isinstance(no_sub_mode, PositionalArgTypeError) else []
        try:
            _param(args, kwargs, "filters", 3, _is_sequence, "Parameter 'filters' must be sequence of str")
            filters_given = True
            shift = 0 if "filters" in kwargs else 1
        except (IndexError, PositionalArgTypeError) as no_filters:
            if isinstance(no_filters, PositionalArgTypeError):
                wrong.append(str(no_filters))
        if wrong and not filters_given:
            raise PositionalArgTypeError(wrong[0])
        sub_mode = EventSubMode.SyncRead
    stateless_given = False
    stateless = False
    if not sub_mode_given:
        stateless, used_default = _param(args, kwargs, "stateless", 4, _is_bool,
                                         "Parameter 'stateless' must be of type bool", default=False)
        stateless_given = not used_default
    extract_as, _ = _param(args, kwargs, "extract_as", 4 + shift, lambda v: isinstance(v, ExtractAs),
                           "Parameter 'extract_as' must be of type ExtractAs", default=ExtractAs.Numpy)
    if cb is None and queue_size is None:
        raise _either_cb_or_queuesize(args, kwargs)
    if queue_size is not None and queue_size < 0:
        raise ValueError("the event queue size must be >= 0 (0 = unlimited)")
    if not sub_mode_given and (filters_given or stateless_given):
        warn_once(_DEPRECATED_STATELESS_FILTERS, key="deprecated:tango.device_proxy:stateless_and_filters_parameters",
                  category=DeprecationWarning)
        sub_mode = EventSubMode.Stateless if stateless else EventSubMode.SyncRead
    if event_type == EventType.INTERFACE_CHANGE_EVENT:
        attr_name = "dummy"
    return attr_name, event_type, None if cb is None else _callback_function(cb), queue_size, sub_mode, extract_as


def subscribe_event(client: ClientInterface, proxy, *args, deliver: Callable[[Callable], Callable] | None = None,
                    **kwargs) -> int:
    """Subscribe to an event; returns its id (see the module docstring for the signatures).

    ``deliver(fn)`` (green modes) returns what the event threads call instead of the user's
    function ``fn``, e.g. a function that schedules ``fn`` on the subscriber's event loop.
    """
    attr_name, event_type, cb, queue_size, sub_mode, extract_as = _parse(args, kwargs, client.warn_once)
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
