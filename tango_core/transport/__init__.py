"""Moving GIOP messages over sockets (uses ``wire`` only; raises ``transport.errors``, never DevFailed).

What the client layer uses is small: :func:`endpoint` gives the shared :class:`Endpoint` for a
host and port, whose ``invoke`` sends one request and returns its decoded reply.  The blocking
driver behind it is ``transport/sync.py``, a thin layer over ``wire.connection.GIOPConnection``.
"""

from __future__ import annotations

from typing import Callable, Protocol

from ..wire.cdr import CDRReader, CDRWriter
from .errors import (CallTimeout, ConnectFailed, ConnectionLost, LocationForward, SystemExceptionReply,
                     TransportError, UserExceptionReply)

__all__ = ["TransportError", "ConnectFailed", "CallTimeout", "ConnectionLost", "SystemExceptionReply",
           "UserExceptionReply", "LocationForward", "Endpoint", "endpoint", "drop_endpoint", "close_all_endpoints"]


class Endpoint(Protocol):
    """One server endpoint (host, port), shared by every object reference that lives there."""

    def invoke(self, object_key: bytes, operation: str, write_args: Callable[[CDRWriter], None] | None,
               read_result: Callable[[CDRReader], object] | None, timeout: float,
               version: tuple[int, int] = (1, 2)) -> object:
        """Send one request and return ``read_result(reply body)`` (None without ``read_result``).

        Raises ConnectFailed, CallTimeout, ConnectionLost, SystemExceptionReply,
        UserExceptionReply or LocationForward; never waits longer than ``timeout`` seconds."""


def endpoint(host: str, port: int) -> Endpoint:
    """The process-wide shared endpoint ``host:port`` (blocking driver, connected lazily)."""
    from .sync import get_endpoint
    return get_endpoint(host, port)


def drop_endpoint(host: str, port: int) -> None:
    """Close and forget the shared endpoint ``host:port`` (see ``transport.sync``)."""
    from .sync import drop_endpoint as drop
    drop(host, port)


def close_all_endpoints() -> None:
    """Close every shared endpoint (see ``transport.sync``)."""
    from .sync import close_all_endpoints as close_all
    close_all()

# the blocking client driver (transport/sync.py) is imported on first use: a device server that
# never calls out does not load it
