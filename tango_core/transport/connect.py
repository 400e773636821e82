"""Opening a stream to a server: TCP, or the unix-domain socket an omniORB server names in its IOR.

The blocking and gevent drivers connect with :func:`open_stream`; the asyncio driver lets its
loop connect and words a failure with :func:`connect_failed`, so that a connect fails with the
same :class:`ConnectFailed` words whichever driver made it.
"""

from __future__ import annotations

import socket
from typing import Callable

from .addresses import is_unix
from .errors import ConnectFailed

__all__ = ["open_stream", "connect_failed", "connect_unix", "connect_error"]


def open_stream(host: str, port: int, timeout: float,
                make_socket: Callable[..., socket.socket] = socket.socket,
                create_connection: Callable[..., socket.socket] = socket.create_connection) -> socket.socket:
    """A stream socket connected within ``timeout`` to ``host:port`` (TCP_NODELAY), or to the
    unix-domain socket ``host`` when ``port`` is ``addresses.UNIX_PORT``; the standard library's, or
    gevent's when given its ``socket`` and ``create_connection``.  Raises :class:`ConnectFailed`
    (see :func:`connect_failed`)."""
    unix = is_unix(host, port)
    try:
        sock = connect_unix(host, timeout, make_socket) if unix else create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise connect_failed(host, port, exc, timeout) from None
    if not unix:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def connect_failed(host: str, port: int, exc: BaseException, timeout: float) -> ConnectFailed:
    """What every driver raises for a connect (TCP or unix-domain socket) that failed with ``exc``."""
    if isinstance(exc, TimeoutError):  # socket.timeout
        return ConnectFailed(host, port, f"connect timed out after {timeout:g} s", timed_out=True)
    if isinstance(exc, socket.gaierror):
        return ConnectFailed(host, port, f"unknown host ({exc.strerror})")
    if isinstance(exc, OSError):
        return ConnectFailed(host, port, connect_error(exc))
    return ConnectFailed(host, port, str(exc))


def connect_unix(path: str, timeout: float, make_socket: Callable[..., socket.socket] = socket.socket) -> socket.socket:
    """A stream socket (made by ``make_socket``: the standard library's, or gevent's) connected to
    the unix-domain socket ``path`` within ``timeout``; on failure it is closed and the error
    propagates."""
    sock = make_socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return sock


def connect_error(exc: OSError) -> str:
    """Why a connect failed (TCP or unix-domain socket), in words."""
    if isinstance(exc, FileNotFoundError):  # only a unix-domain socket's file can be missing
        return "no such socket file (the server has stopped)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return exc.strerror or str(exc)
