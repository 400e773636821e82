"""What every transport driver shares: the meaning of a reply, and the steps of a call plan.

**Replies.**  :func:`reply_result` turns a GIOP Reply into what the caller gets: the decoded
result, or the transport error that says what the peer answered instead (user exception,
system exception, location forward).  The blocking and the asyncio drivers both use it, so a
reply means the same thing whichever driver received it.

**Call plans.**  The client's logic (which operation to call, with which arguments, what to do
with the result or the failure) is written once, as a generator: a *plan*.  A plan never does
I/O itself; it yields a *step* saying what it needs done and receives the outcome (``send``) or
has the failure raised at the ``yield`` (``throw``)::

    def state_plan(target):
        state = yield Invoke(target.host, target.port, target.object_key, "_get_state",
                             None, read_state, 3.0)
        return state

A driver runs plans over its own kind of I/O: :func:`run_blocking` here (blocking sockets,
``transport/sync.py``), ``transport/asyncio.py`` (an asyncio loop, no thread per call) and
``transport/gevent.py`` (gevent's hub).  The same plan object gives the same answer under
every driver; the drivers differ only in how they wait.

Steps:

* :class:`Invoke` -- one GIOP request on the shared connection to ``(host, port)``; the plan
  receives ``read_result(body)`` or gets a ``transport.errors`` exception (ConnectFailed,
  CallTimeout, ConnectionLost, SystemExceptionReply, UserExceptionReply, LocationForward) or
  the encoding error of ``write_args`` raised at the ``yield``.
* :class:`Wait` -- wait for a ``concurrent.futures.Future`` that somebody else completes (another
  thread, task or greenlet doing shared work, e.g. connecting a proxy); the plan receives its
  result or exception, or ``TimeoutError`` after ``timeout`` seconds (None: no limit).
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Generator

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.giop import Reply, ReplyStatus
from .errors import LocationForward, SystemExceptionReply, UserExceptionReply

__all__ = ["Invoke", "Wait", "Plan", "reply_result", "run_blocking"]

WriteArgs = Callable[[CDRWriter], None]
ReadResult = Callable[[CDRReader], object]


class Invoke:
    """Step: one request/reply on the endpoint's shared GIOP connection (see the module docstring)."""

    __slots__ = ("host", "port", "object_key", "operation", "write_args", "read_result", "timeout", "version")

    def __init__(self, host: str, port: int, object_key: bytes, operation: str, write_args: WriteArgs | None,
                 read_result: ReadResult | None, timeout: float, version: tuple[int, int] = (1, 2)) -> None:
        self.host = host
        self.port = port
        self.object_key = object_key
        self.operation = operation
        self.write_args = write_args
        self.read_result = read_result
        self.timeout = timeout
        self.version = version

    def __repr__(self) -> str:
        return f"Invoke({self.operation!r} on {self.host}:{self.port}, timeout {self.timeout:g} s)"


class Wait:
    """Step: wait for a ``concurrent.futures.Future`` completed elsewhere (see the module docstring)."""

    __slots__ = ("future", "timeout")

    def __init__(self, future: Future, timeout: float | None) -> None:
        self.future = future
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Wait({self.future!r}, timeout {self.timeout})"


#: A call plan: yields steps, receives their outcomes, returns the call's result.
Plan = Generator["Invoke | Wait", Any, Any]


def reply_result(reply: Reply, read_result: ReadResult | None):
    """The caller's outcome of ``reply``: ``read_result(body)`` (None without reader) for a normal
    reply, else raises UserExceptionReply / SystemExceptionReply / LocationForward."""
    status = reply.status
    if status == ReplyStatus.NO_EXCEPTION:
        return read_result(reply.body) if read_result is not None else None
    if status == ReplyStatus.USER_EXCEPTION:
        raise UserExceptionReply(reply.exception_id or "", reply.body)
    if status == ReplyStatus.SYSTEM_EXCEPTION:
        se = reply.system_exception
        raise SystemExceptionReply(se.repo_id, se.minor, int(se.completed))
    if status in (ReplyStatus.LOCATION_FORWARD, ReplyStatus.LOCATION_FORWARD_PERM):
        raise LocationForward(reply.forward_ior, status == ReplyStatus.LOCATION_FORWARD_PERM)
    # NEEDS_ADDRESSING_MODE: we only ever use KeyAddr, which omniORB always accepts.
    raise SystemExceptionReply("IDL:omg.org/CORBA/NO_IMPLEMENT:1.0", 0, 1)


def run_blocking(plan: Plan):
    """Run ``plan`` to its end with blocking I/O in the calling thread; its result (or its exception)."""
    from .sync import get_endpoint

    send, throw = plan.send, plan.throw
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = send(value) if error is None else throw(error)
        except StopIteration as stop:
            return stop.value
        error = None
        if type(step) is Invoke:
            try:
                value = get_endpoint(step.host, step.port).invoke(
                    step.object_key, step.operation, step.write_args, step.read_result, step.timeout, step.version)
            except BaseException as exc:  # noqa: BLE001 - handed to the plan, which decides
                value, error = None, exc
        elif type(step) is Wait:
            try:
                value = step.future.result(step.timeout)
            except FutureTimeout:
                value, error = None, TimeoutError(f"no result within {step.timeout} s")
            except BaseException as exc:  # noqa: BLE001
                value, error = None, exc
        else:
            plan.close()
            raise TypeError(f"a call plan yielded {step!r}, not a transport step")
