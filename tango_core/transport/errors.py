"""Errors of the transport layer: what can go wrong while moving GIOP messages.

None of these is a ``DevFailed``.  The transport knows sockets and GIOP, not
Tango; the client layer (``client/connection.py``) turns each of them into the
``DevFailed`` subclass and reason a PyTango user expects (``API_CantConnectToDevice``,
``API_DeviceTimedOut``, ``API_CommunicationFailed``, ``API_CorbaException`` ...).
Keeping them separate lets that layer add the device name and the call it was
making, which the transport does not know.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .addresses import address_text

if TYPE_CHECKING:  # pragma: no cover
    from ..wire.cdr import CDRReader
    from ..wire.ior import IOR


class TransportError(Exception):
    """Base class of every transport failure."""


class ConnectFailed(TransportError):
    """The connection could not be opened (refused, unreachable, name unknown,
    connect timeout).  Nothing was sent, so retrying elsewhere is always safe.

    ``timed_out`` is True when the connect attempt ran out of time (as opposed to
    an immediate refusal), which CORBA calls TRANSIENT_ConnectFailed in both cases.
    """

    def __init__(self, host: str, port: int, reason: str, timed_out: bool = False) -> None:
        super().__init__(f"cannot connect to {address_text(host, port)}: {reason}")
        self.host = host
        self.port = port
        self.reason = reason
        self.timed_out = timed_out


class CallTimeout(TransportError):
    """No reply arrived within the call's timeout.  The request may or may not
    have been executed by the peer (CORBA: TRANSIENT_CallTimedout)."""

    def __init__(self, host: str, port: int, operation: str, timeout: float) -> None:
        super().__init__(f"no reply to {operation!r} from {address_text(host, port)} within {timeout:g} s")
        self.host = host
        self.port = port
        self.operation = operation
        self.timeout = timeout


class ConnectionLost(TransportError):
    """The connection broke while a reply was awaited (EOF, reset, garbage,
    a message over the size limit, MessageError from the peer) and the request
    could not be safely re-sent.  CORBA: COMM_FAILURE."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"connection to {address_text(host, port)} lost: {reason}")
        self.host = host
        self.port = port
        self.reason = reason


class SystemExceptionReply(TransportError):
    """The peer answered with a CORBA system exception (OBJECT_NOT_EXIST,
    BAD_OPERATION, MARSHAL, IMP_LIMIT, UNKNOWN ...)."""

    def __init__(self, repo_id: str, minor: int, completed: int) -> None:
        super().__init__(f"{repo_id} (minor 0x{minor:08x}, completed {completed})")
        self.repo_id = repo_id
        self.minor = minor
        self.completed = completed

    @property
    def name(self) -> str:
        """``OBJECT_NOT_EXIST`` for ``IDL:omg.org/CORBA/OBJECT_NOT_EXIST:1.0``."""
        return self.repo_id.rsplit("/", 1)[-1].split(":", 1)[0]


class UserExceptionReply(TransportError):
    """The peer raised an IDL user exception.  ``body`` is a CDRReader positioned
    just after the repository id; the client layer decodes ``IDL:Tango/DevFailed:1.0``
    and ``IDL:Tango/MultiDevFailed:1.0`` with ``idl.errors``."""

    def __init__(self, repo_id: str, body: "CDRReader") -> None:
        super().__init__(repo_id)
        self.repo_id = repo_id
        self.body = body


class LocationForward(TransportError):
    """The peer asked us to retry the request at another object (GIOP
    LOCATION_FORWARD / LOCATION_FORWARD_PERM).  Raised by ``Endpoint.invoke``;
    ``client/orb.py`` follows it, since only it knows object references."""

    def __init__(self, ior: "IOR", permanent: bool = False) -> None:
        super().__init__("location forward" + (" (permanent)" if permanent else ""))
        self.ior = ior
        self.permanent = permanent
