"""Moving GIOP messages over sockets (uses ``wire`` only; raises ``transport.errors``, never DevFailed)."""

from .errors import (CallTimeout, ConnectFailed, ConnectionLost, LocationForward, SystemExceptionReply,
                     TransportError, UserExceptionReply)
from .sync import GIOPConnection, close_all_connections, drop_connection, get_connection

__all__ = ["TransportError", "ConnectFailed", "CallTimeout", "ConnectionLost", "SystemExceptionReply",
           "UserExceptionReply", "LocationForward", "GIOPConnection", "get_connection", "drop_connection",
           "close_all_connections"]
