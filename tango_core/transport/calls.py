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
        state = yield Invoke(target, "_get_state", None, read_state, 3.0)
        return state

A driver runs plans over its own kind of I/O: :func:`run_blocking` here (blocking sockets,
``transport/sync.py``), ``transport/asyncio.py`` (an asyncio loop, no thread per call) and
``transport/gevent.py`` (gevent's hub).  The same plan object gives the same answer under
every driver; the drivers differ only in how they wait.

Steps:

* :func:`Invoke` -- one GIOP request to the object at a :class:`Target` (endpoint, object key,
  GIOP version), on the endpoint's shared connection; the plan receives ``read_result(body)``
  or gets a ``transport.errors`` exception (ConnectFailed, CallTimeout, ConnectionLost,
  SystemExceptionReply, UserExceptionReply, LocationForward) or the encoding error of
  ``write_args`` raised at the ``yield``.  It is the step of every call, so it is a plain
  tuple ``(target, operation, write_args, read_result, timeout)``: building it costs nothing.
* :class:`Wait` -- wait for a ``concurrent.futures.Future`` that somebody else completes (another
  thread, task or greenlet doing shared work, e.g. connecting a proxy); the plan receives its
  result or exception, or ``TimeoutError`` after ``timeout`` seconds (None: no limit).
* :class:`Blocking` -- run ``fn()``, a piece of blocking code that is not (yet) a plan (event
  subscription set-up), where blocking harms nobody: the blocking driver calls it in place, the
  asyncio and gevent drivers in a worker thread; the plan receives its result or exception.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Generator

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.giop import Reply, ReplyStatus
from .errors import LocationForward, SystemExceptionReply, UserExceptionReply

__all__ = ["Target", "Invoke", "Wait", "Blocking", "Plan", "reply_result", "run_blocking"]

WriteArgs = Callable[[CDRWriter], None]
ReadResult = Callable[[CDRReader], object]


@dataclass(frozen=True)
class Target:
    """Where an object lives and how to speak to it: endpoint, object key, GIOP version."""

    host: str
    port: int
    object_key: bytes
    version: tuple[int, int] = (1, 2)
    #: (host in lower case, port): the key of the endpoint in the drivers' pools
    key: tuple[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.host.lower(), int(self.port)))


def Invoke(target: Target, operation: str, write_args: WriteArgs | None,  # noqa: N802 - a step's name
           read_result: ReadResult | None, timeout: float) -> tuple:
    """Step: one request/reply with the object at ``target`` (see the module docstring)."""
    return (target, operation, write_args, read_result, timeout)


class Wait:
    """Step: wait for a ``concurrent.futures.Future`` completed elsewhere (see the module docstring)."""

    __slots__ = ("future", "timeout")

    def __init__(self, future: Future, timeout: float | None) -> None:
        self.future = future
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"Wait({self.future!r}, timeout {self.timeout})"


class Blocking:
    """Step: run blocking code out of the way of an event loop (see the module docstring)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn

    def __repr__(self) -> str:
        return f"Blocking({self.fn!r})"


#: A call plan: yields steps, receives their outcomes, returns the call's result.
Plan = Generator["tuple | Wait | Blocking", Any, Any]


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


#: the blocking driver's pool, endpoints by ``Target.key`` (set with ``_blocking_endpoint``'s first use)
_blocking_pool: dict = {}


def _blocking_endpoint(host: str, port: int):
    """The blocking driver's shared endpoint (sync.py imports this module: imported on first use,
    then this name is rebound to ``sync.get_endpoint`` itself, and ``_blocking_pool`` to its pool,
    which run_blocking looks in first by the target's key)."""
    global _blocking_endpoint, _blocking_pool
    from . import sync
    _blocking_endpoint = sync.get_endpoint
    _blocking_pool = sync._pool
    return sync.get_endpoint(host, port)


def run_blocking(plan: Plan):
    """Run ``plan`` to its end with blocking I/O in the calling thread; its result (or its exception)."""
    __tracebackhide__ = True  # a user's traceback goes from their line to the plan's: this loop is plumbing
    send, throw = plan.send, plan.throw
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = send(value) if error is None else throw(error)
        except StopIteration as stop:
            return stop.value
        error = None
        if type(step) is tuple:  # Invoke
            target, operation, write_args, read_result, timeout = step
            try:
                endpoint = _blocking_pool.get(target.key)  # the pool's own key: no lower() nor tuple
                if endpoint is None:
                    endpoint = _blocking_endpoint(target.host, target.port)
                value = endpoint.invoke(target.object_key, operation, write_args, read_result, timeout,
                                        target.version)
            except BaseException as exc:  # noqa: BLE001 - handed to the plan, which decides
                value, error = None, exc
        elif type(step) is Wait:
            try:
                value = step.future.result(step.timeout)
            except FutureTimeout:
                value, error = None, TimeoutError(f"no result within {step.timeout} s")
            except BaseException as exc:  # noqa: BLE001
                value, error = None, exc
        elif type(step) is Blocking:
            try:
                value = step.fn()
            except BaseException as exc:  # noqa: BLE001
                value, error = None, exc
        else:
            plan.close()
            raise TypeError(f"a call plan yielded {step!r}, not a transport step")
