"""Where a connection goes: TCP ``(host, port)``, or the unix-domain socket of an omniORB server.

omniORB servers (cppTango and PyTango device servers, the database servers) also listen on a
unix-domain socket and name it in their IORs (``wire.ior.IIOPProfile.unix_sockets``); omniORB
clients on the same host use it instead of TCP loopback, and so do we (``client/orb.py`` puts
it first among an object's addresses, TCP after it).  Every driver writes such an address as
``(socket file path, 0)``: the endpoint pools, the errors and the plans keep their
``(host, port)`` shape, and port 0 is never a TCP server's port.  tango_core's own servers
listen on one too (``transport/server.py``) and publish it the same way, so that PyTango's
clients on the same host use it with them as they do with cppTango servers.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time

__all__ = ["UNIX_PORT", "is_unix", "address_text", "unix_sockets_enabled", "local_host_name",
           "new_unix_socket_path", "served_unix_sockets"]

#: the port of an address that is a unix-domain socket's file path
UNIX_PORT = 0


def is_unix(host: str, port: int) -> bool:
    """True for the address of a unix-domain socket (a file path, port 0)."""
    return port == UNIX_PORT and host[:1] == "/"


def address_text(host: str, port: int) -> str:
    """``host:port``, or ``unix socket <path>``: how errors name an address."""
    return f"unix socket {host}" if is_unix(host, port) else f"{host}:{port}"


def unix_sockets_enabled() -> bool:
    """Whether to use the unix-domain sockets servers publish: yes where the platform has them,
    unless ``TANGO_CORE_UNIX_SOCKETS=0`` (then TCP only, as omniORB's
    ``clientTransportRule = * tcp``)."""
    return hasattr(socket, "AF_UNIX") and os.environ.get("TANGO_CORE_UNIX_SOCKETS", "1").strip() != "0"


_host_name: str | None = None


def local_host_name() -> str:
    """This host's name as ``gethostname()`` gives it: what omniORB compares with the host
    named beside a unix socket (the socket is usable only on that host)."""
    global _host_name
    if _host_name is None:
        try:
            _host_name = socket.gethostname()
        except OSError:
            _host_name = ""
    return _host_name


#: the unix-domain sockets this process serves on: its clients call its own devices over TCP (a
#: call to this very process must be recognised as one, see ``calls_to_self``, by its TCP address)
served_unix_sockets: set[str] = set()

_serial = 0


def new_unix_socket_path() -> str:
    """A fresh file name for a server's unix-domain socket: ``<tmp>/tango_core-<user>/<pid>-<time>-<n>``
    (one directory per user, as omniORB's ``/tmp/omni-<user>``; short enough for ``sun_path``)."""
    global _serial
    _serial += 1
    try:
        user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    except OSError:  # pragma: no cover - no user id
        user = "user"
    return os.path.join(tempfile.gettempdir(), f"tango_core-{user}", f"{os.getpid()}-{int(time.time())}-{_serial}")
