"""Asynchronous calls of a DeviceProxy: PyTango's polling and callback models.

``dev.command_inout_asynch("Cmd", arg)`` returns a request id at once; the call runs on a small
shared thread pool and ``dev.command_inout_reply(id, timeout_ms)`` collects its result (or
raises its DevFailed). With a callback instead, the callback receives a ``CmdDoneEvent`` /
``AttrReadEvent`` / ``AttrWrittenEvent`` (objects with ``cmd_ended`` / ``attr_read`` /
``attr_written`` methods are accepted too, like PyTango).  When it runs depends on the
process-wide callback model (``ApiUtil.set_asynch_cb_sub_model``), as in cppTango: with
``PULL_CALLBACK`` (the default) in the thread that calls ``get_asynch_replies`` (of the proxy or of
ApiUtil), with ``PUSH_CALLBACK`` as soon as the reply is in, in a worker thread.

Errors follow PyTango: ``AsynReplyNotArrived`` (API_AsynReplyNotArrived) while a reply is not in,
``AsynCall`` (API_BadAsynPollId) for an unknown id.
"""

from __future__ import annotations

import itertools
import threading
import time
import weakref
from concurrent.futures import Future, wait
from typing import Any, Callable

from tango_core.client.device_attribute import attribute_failed, from_attribute_value
from tango_core.client.device_data import convert_argin
from tango_core.client.info import PrintableStruct
from tango_core.idl.enums import ErrSeverity, ExtractAs, asyn_req_type, cb_sub_model
from tango_core.idl.errors import (AsynCall, AsynReplyNotArrived, DevError, DevFailed, MultiDevFailed, NamedDevFailed,
                                   NamedDevFailedList, WrongData)
from tango_core.client.green import green_method
from tango_core.transport.calls import Plan, Wait, run_blocking
from tango_core.transport.workers import DaemonPool

__all__ = ["AsynchCalls", "AsynchMethods", "CmdDoneEvent", "AttrReadEvent", "AttrWrittenEvent",
           "get_callback_model", "set_callback_model", "all_pending", "deliver_all_replies"]

_callback_model = cb_sub_model.PULL_CALLBACK
#: every proxy's AsynchCalls that has had a callback-model request (ApiUtil acts on all of them)
_with_callbacks: "weakref.WeakSet[AsynchCalls]" = weakref.WeakSet()
_with_callbacks_lock = threading.Lock()


def get_callback_model() -> cb_sub_model:
    return _callback_model


def set_callback_model(model: cb_sub_model | int) -> None:
    """PULL_CALLBACK: callbacks run in get_asynch_replies; PUSH_CALLBACK: as replies arrive.
    Replies already waiting for a pull stay until one."""
    global _callback_model
    _callback_model = cb_sub_model(model)


def _all_calls() -> list["AsynchCalls"]:
    with _with_callbacks_lock:
        return list(_with_callbacks)


def all_pending(req_type: int = asyn_req_type.ALL_ASYNCH) -> int:
    """Asynchronous requests of every proxy of the process still waiting (ApiUtil.pending_asynch_call)."""
    return sum(calls.pending(req_type) for calls in _all_calls())


def deliver_all_replies(timeout_ms: int | None = None) -> None:
    """ApiUtil.get_asynch_replies: every proxy's arrived callback replies, in this thread."""
    deadline = None if not timeout_ms else time.monotonic() + timeout_ms / 1000.0
    for calls in _all_calls():
        left = None if deadline is None else max(0, int((deadline - time.monotonic()) * 1000)) or 1
        calls.deliver_replies(timeout_ms if deadline is None else left)

_pool = DaemonPool(8, name="tango-asynch")


def _executor() -> DaemonPool:
    return _pool


class _DoneEvent(PrintableStruct):
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __init__(self, device, errors) -> None:
        self.device = device
        self.err = bool(errors)
        self.errors = tuple(errors)
        self.ext = None


class CmdDoneEvent(_DoneEvent):
    """What a command_inout_asynch callback receives (``argout`` raises API_EmptyDeviceData when
    the command failed, as PyTango's empty DeviceData does)."""

    def __init__(self, device, cmd_name: str, argout: Any, errors=()) -> None:
        super().__init__(device, errors)
        self.cmd_name = cmd_name
        self._argout = argout
        self.argout_raw = None

    @property
    def argout(self) -> Any:
        if self.err:
            raise WrongData(DevError("API_EmptyDeviceData", "Cannot extract, no data in DeviceData object ",
                                     "DeviceData::any_is_null()", ErrSeverity.ERR))
        return self._argout


class AttrReadEvent(_DoneEvent):
    """What a read_attribute(s)_asynch callback receives: ``argout`` is the list of
    DeviceAttribute (an attribute that failed is in it, flagged ``has_failed``, and sets ``err``);
    a call that failed as a whole (time-out, lost device) gives an empty list."""

    def __init__(self, device, attr_names: list[str], argout: Any, errors=()) -> None:
        super().__init__(device, errors)
        self.attr_names = list(attr_names)
        self.argout = argout


class AttrWrittenEvent(_DoneEvent):
    """What a write_attribute(s)_asynch callback receives: ``errors`` is a NamedDevFailedList,
    one NamedDevFailed per attribute the device refused (none when the call failed as a whole,
    e.g. a time-out: then only ``err`` and ``errors.call_failed()`` say so)."""

    def __init__(self, device, attr_names: list[str], errors: NamedDevFailedList | None = None) -> None:
        errors = NamedDevFailedList() if errors is None else errors
        super().__init__(device, ())
        self.err = errors.call_failed()
        self.errors = errors
        self.attr_names = list(attr_names)


def _timed_out_on(exc: DevFailed, names: list[str]) -> DevFailed:
    """cppTango's asynchronous attribute calls name the attributes in their time-out error."""
    if not any(e.reason == "API_DeviceTimedOut" for e in exc.args):
        return exc
    suffix = "\nAttribute(s): " + ", ".join(names)
    return type(exc)(*[DevError(e.reason, e.desc + suffix, e.origin, e.severity) if e.reason == "API_DeviceTimedOut"
                       else e for e in exc.args])


def _asynch_command_error(exc: DevFailed) -> DevFailed:
    """cppTango's asynchronous command names itself in the API_CommandFailed it adds."""
    top = exc.args[-1] if exc.args else None
    if top is None or top.reason != "API_CommandFailed" or "command_inout on" not in top.desc:
        return exc
    top = DevError(top.reason, top.desc.replace("command_inout on", "command_inout_asynch on", 1), top.origin,
                   top.severity)
    return type(exc)(*exc.args[:-1], top)


def _named_failures(exc: DevFailed | None) -> NamedDevFailedList:
    """A write's failure as PyTango's NamedDevFailedList (empty but failed for a whole-call error)."""
    if exc is None:
        return NamedDevFailedList()
    if isinstance(exc, MultiDevFailed):
        return NamedDevFailedList([NamedDevFailed.from_named_dev_error(e) for e in exc.errors], call_failed=True)
    return NamedDevFailedList(call_failed=True)


def _deliver(callback, method: str, event) -> None:
    target = getattr(callback, method, None)
    (target if callable(target) else callback)(event)


class AsynchCalls:
    """The asynchronous requests of one proxy."""

    def __init__(self, proxy) -> None:
        self._proxy = proxy
        self._ids = itertools.count(1)
        self._polled: dict[int, Future | None] = {}  # None: cancelled
        self._callbacks: set[Future] = set()       # callback-model requests whose callback has not run
        self._arrived: list[tuple[Future, Callable[[], None]]] = []  # replies waiting for a pull
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], Any], callback=None, make_event=None, method: str = "") -> int | None:
        """Run ``call`` in the pool; polling model (id returned) or callback model (None: the
        callback gets ``make_event(result, failure)``, failure the call's DevFailed or None)."""
        if callback is None:
            future = _executor().submit(call)
            with self._lock:
                req_id = next(self._ids)
                self._polled[req_id] = future
            return req_id

        box: list[Future] = []   # the request's future, set (under the lock) before run can read it

        def run() -> bool:  # the call in the worker; the callback there too in the push model
            try:
                result, failure = call(), None
            except DevFailed as exc:
                result, failure = None, exc
            except Exception as exc:  # noqa: BLE001 - reported to the callback, as PyTango does
                result = None
                failure = DevFailed(DevError("API_AsynchCallFailed", repr(exc), "DeviceProxy::asynch", ErrSeverity.ERR))
            event = make_event(result, failure)
            if _callback_model == cb_sub_model.PUSH_CALLBACK:
                try:
                    _deliver(callback, method, event)
                finally:
                    with self._lock:
                        self._callbacks.discard(box[0])
                return True
            with self._lock:
                self._arrived.append((box[0], lambda: _deliver(callback, method, event)))
            return False

        with _with_callbacks_lock:
            _with_callbacks.add(self)
        with self._lock:
            future = _executor().submit(run)
            box.append(future)
            self._callbacks.add(future)
        return None

    def _forget(self, future: Future) -> None:
        with self._lock:
            self._callbacks.discard(future)

    def deliver_replies(self, timeout_ms: int | None = None) -> None:
        """``get_asynch_replies``: run the callbacks of the replies in (pull model), in this thread.

        ``timeout_ms`` None: only those already in; 0: wait for every pending one; else wait up to
        that long, then AsynReplyNotArrived if some are still missing (as cppTango)."""
        if timeout_ms is not None:
            with self._lock:
                pending = list(self._callbacks)
            if pending:
                _done, missing = wait(pending, timeout=None if timeout_ms == 0 else timeout_ms / 1000.0)
            else:
                missing = ()
        else:
            missing = ()
        with self._lock:
            arrived, self._arrived = self._arrived, []
        for future, fire in arrived:
            try:
                fire()
            finally:
                self._forget(future)
        if missing:
            raise AsynReplyNotArrived(DevError(
                "API_AsynReplyNotArrived", f"Device {self._proxy.dev_name()}: Still some reply(ies) for asynchronous "
                "callback call(s) to be received", "DeviceProxy::get_asynch_replies()", ErrSeverity.ERR))

    def reply(self, req_id: int, timeout_ms: int | None = None):
        """Result of a polled request; ``timeout_ms`` None: don't wait, 0: wait for it, else wait that long."""
        return run_blocking(self.reply_plan(req_id, timeout_ms))

    def reply_plan(self, req_id: int, timeout_ms: int | None = None) -> Plan:
        """:meth:`reply` as a call plan (the wait does not block an event loop)."""
        with self._lock:
            if req_id not in self._polled:
                raise AsynCall(DevError("API_BadAsynPollId",
                                        f"Failed to find a asynchronous polling request with id = {req_id}",
                                        "DeviceProxy::asynch_reply()", ErrSeverity.ERR))
            future = self._polled[req_id]
        if future is not None and timeout_ms is not None and not future.done():
            try:
                yield Wait(future, None if timeout_ms == 0 else timeout_ms / 1000.0)
            except Exception:  # noqa: BLE001 - not arrived in time, or the call's error: see below
                pass
        if future is None or not future.done():
            if future is None:
                with self._lock:
                    self._polled.pop(req_id, None)
            raise AsynReplyNotArrived(DevError(
                "API_AsynReplyNotArrived",
                f"Device {self._proxy.dev_name()}: Reply for asynchronous call (id = {req_id}) is not yet arrived",
                "DeviceProxy::asynch_reply()", ErrSeverity.ERR))
        with self._lock:
            self._polled.pop(req_id, None)
        return future.result()  # raises the call's DevFailed

    def cancel(self, req_id: int) -> None:
        with self._lock:
            if req_id not in self._polled:
                raise AsynCall(DevError("API_BadAsynPollId",
                                        f"Failed to find a asynchronous polling request with id = {req_id}",
                                        "DeviceProxy::cancel_asynch_request()", ErrSeverity.ERR))
            self._polled[req_id] = None

    def cancel_all(self) -> None:
        with self._lock:
            self._polled.clear()

    def pending(self, req_type: int = asyn_req_type.ALL_ASYNCH) -> int:
        with self._lock:
            polled = sum(1 for f in self._polled.values() if f is not None and not f.done())
            callbacks = len(self._callbacks)
        if req_type == asyn_req_type.POLLING:
            return polled
        if req_type == asyn_req_type.CALLBACK:
            return callbacks
        return polled + callbacks



class AsynchMethods:
    """DeviceProxy's asynchronous methods (a mixin: needs the proxy's synchronous ones)."""

    def _asynch(self):
        calls = self.__dict__.get("_asynch_calls")
        if calls is None:
            calls = self.__dict__.setdefault("_asynch_calls", AsynchCalls(self))
        return calls

    @staticmethod
    def _is_callback(obj) -> bool:
        return callable(obj) or any(hasattr(obj, m) for m in ("cmd_ended", "attr_read", "attr_written"))

    def command_inout_asynch(self, cmd_name: str, *args, forget: bool = False):
        """Start a command: ``(name[, arg][, forget])`` -> request id; ``(name[, arg], callback)`` -> None."""
        args = list(args)
        callback = args.pop() if args and self._is_callback(args[-1]) and not isinstance(args[-1], type) else None
        if len(args) == 2 and isinstance(args[1], bool):
            forget = args.pop()
        arg = args[0] if args else None
        info = self.command_query(cmd_name)
        convert_argin(info.cmd_name, info.in_type, arg)  # bad arguments raise here, not in the reply
        call_args = (cmd_name, arg) if args else (cmd_name,)
        if callback is not None:
            return self._asynch().submit(
                lambda: self.command_inout(*call_args), callback,
                lambda out, exc: CmdDoneEvent(self, info.cmd_name, out, _asynch_command_error(exc).args if exc else ()),
                "cmd_ended")
        raw_args = (cmd_name, arg) if args else (cmd_name, None)

        def call():
            try:
                return self._command_inout_checked_raw(*raw_args, given=bool(args))
            except DevFailed as exc:
                raise _asynch_command_error(exc) from None
        req_id = self._asynch().submit(call)
        return 0 if forget else req_id

    def command_inout_reply(self, idx: int, timeout: int | None = None):
        return self._asynch().reply(idx, timeout).extract()

    def command_inout_reply_raw(self, idx: int, timeout: int | None = None):
        """The result as a DeviceData (PyTango's raw reply)."""
        return self._asynch().reply(idx, timeout)

    def _read_attribute_asynch_plan(self, attr_name: str, cb=None, extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """Start reading one attribute: a request id (polling model) or None (``cb`` called later)."""
        return self._read_asynch(attr_name, cb, extract_as, True)
        yield  # a plan without I/O (green: a future of the id in asyncio mode)

    def _read_attributes_asynch_plan(self, attr_names, cb=None, extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """Start reading attributes: a request id (polling model) or None (``cb`` called later)."""
        return self._read_asynch(attr_names, cb, extract_as, False)
        yield  # a plan without I/O

    def _read_asynch(self, attr_names, cb, extract_as, _single):
        names = [attr_names] if isinstance(attr_names, str) else list(attr_names)
        if cb is not None:
            # the worker thread runs the read with blocking I/O, whatever the proxy's green mode;
            # an attribute that fails is flagged in the list (as read_attributes), not raised
            read = lambda: run_blocking(self._read_attributes_plan(names, extract_as))  # noqa: E731
            return self._asynch().submit(read, cb, lambda out, exc: self._read_event(names, out, exc), "attr_read")

        def read():
            try:
                return _single, self._read_values(names)
            except DevFailed as exc:
                raise _timed_out_on(exc, names) from None
        return self._asynch().submit(read)

    def _read_event(self, names: list[str], attrs, failure: DevFailed | None) -> AttrReadEvent:
        if failure is not None:
            return AttrReadEvent(self, names, [], _timed_out_on(failure, names).args)
        errors = [DevError("API_AttributeFailed", f"Failed to read_attributes on device {self.dev_name()}, "
                           f"attribute {da.name}", "Connection::Cb_ReadAttr_Request()", ErrSeverity.ERR)
                  for da in attrs if da.has_failed]
        return AttrReadEvent(self, names, attrs, errors)

    def _read_reply_plan(self, idx: int, timeout, extract_as) -> Plan:
        single, avs = yield from self._asynch().reply_plan(idx, timeout)
        if single:
            da = from_attribute_value(avs[0], extract_as)
            if da.has_failed:
                raise attribute_failed(da._errors, self.dev_name(), "read_attributes", f"attribute {da.name}",
                                       "DeviceProxy::read_attribute_reply()")
            return da
        return [from_attribute_value(av, extract_as) for av in avs]

    def _read_attribute_reply_plan(self, idx: int, poll_timeout: int | None = None,
                                   extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """The DeviceAttribute of a read_attribute_asynch request (``poll_timeout`` ms: None don't
        wait, 0 wait as long as needed; PyTango 10's name, ``timeout=`` being the green one)."""
        return (yield from self._read_reply_plan(idx, poll_timeout, extract_as))

    def _read_attributes_reply_plan(self, idx: int, poll_timeout: int | None = None,
                                    extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """The DeviceAttributes of a read_attributes_asynch request (``poll_timeout`` as above)."""
        return (yield from self._read_reply_plan(idx, poll_timeout, extract_as))

    def _write_attribute_asynch_plan(self, attr, value, cb=None) -> Plan:
        """Start writing one attribute (the value is checked first): a request id, or None with ``cb``."""
        return (yield from self._write_asynch_plan([(attr, value)], cb, True))

    def _write_attributes_asynch_plan(self, attr_values, cb=None) -> Plan:
        """Start writing attributes (values checked first): a request id, or None with ``cb``."""
        return (yield from self._write_asynch_plan(attr_values, cb, False))

    def _write_asynch_plan(self, attr_values, cb, _single) -> Plan:
        entries, names = [], []
        for n, v in attr_values:  # bad values raise here, not in the reply
            cfg = yield from self._attr_cfg_or_fail_plan(n, "write_attributes_asynch")
            entries.append(self._write_entry(cfg, v))
            names.append(cfg.name)
        # the worker thread runs the call with blocking I/O, whatever the proxy's green mode
        if cb is not None:
            # the callback gets the device's per-attribute failures (the MultiDevFailed), so the
            # values are written as they are, without write_attribute(s)' summary error
            return self._asynch().submit(lambda: run_blocking(self._write_values_plan(entries)), cb,
                                         lambda out, exc: AttrWrittenEvent(self, names, _named_failures(exc)),
                                         "attr_written")
        dev = self.dev_name()

        def call() -> None:  # cppTango's errors of write_attribute(s)_reply
            try:
                run_blocking(self._write_values_plan(entries))
            except MultiDevFailed as exc:
                if _single:
                    raise DevFailed(*exc.args, DevError(
                        "API_AttributeFailed", f"Failed to execute write_attributes_asynch on device {dev}\n"
                        f"Attribute(s): {', '.join(names)}", "DeviceProxy::write_attribute_reply()",
                        ErrSeverity.ERR)) from None
                failed = ", ".join(e.name for e in exc.errors)
                raise DevFailed(DevError(
                    "API_AttributeFailed", f"Failed to execute DeviceProxy::write_attributes_reply() on device {dev}, "
                    f"object(s) {failed}", "DeviceProxy::write_attributes_reply()", ErrSeverity.ERR)) from None
            except DevFailed as exc:
                raise _timed_out_on(exc, names) from None
        return self._asynch().submit(call)

    def _write_attribute_reply_plan(self, idx: int, timeout: int | None = None) -> Plan:
        """Wait for (``timeout`` ms) and check a write_attribute_asynch request."""
        yield from self._asynch().reply_plan(idx, timeout)

    def _write_attributes_reply_plan(self, idx: int, timeout: int | None = None) -> Plan:
        """Wait for (``timeout`` ms) and check a write_attributes_asynch request."""
        yield from self._asynch().reply_plan(idx, timeout)

    # green in PyTango: in asyncio mode these return futures (replies wait without blocking the loop)
    read_attribute_asynch = green_method(_read_attribute_asynch_plan, name="read_attribute_asynch")
    read_attributes_asynch = green_method(_read_attributes_asynch_plan, name="read_attributes_asynch")
    read_attribute_reply = green_method(_read_attribute_reply_plan, name="read_attribute_reply")
    read_attributes_reply = green_method(_read_attributes_reply_plan, name="read_attributes_reply")
    write_attribute_asynch = green_method(_write_attribute_asynch_plan, name="write_attribute_asynch")
    write_attributes_asynch = green_method(_write_attributes_asynch_plan, name="write_attributes_asynch")
    write_attribute_reply = green_method(_write_attribute_reply_plan, name="write_attribute_reply")
    write_attributes_reply = green_method(_write_attributes_reply_plan, name="write_attributes_reply")

    def pending_asynch_call(self, req_type) -> int:
        return self._asynch().pending(req_type)

    def get_asynch_replies(self, call_timeout: int | None = None) -> None:
        """Run the callbacks of this proxy's arrived replies (pull model), waiting for the missing ones
        ``call_timeout`` ms (0: until they are all in; none: not at all)."""
        self._asynch().deliver_replies(call_timeout)

    def cancel_asynch_request(self, idx: int) -> None:
        self._asynch().cancel(idx)

    def cancel_all_polling_asynch_request(self) -> None:
        self._asynch().cancel_all()
