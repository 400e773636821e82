"""Which thread of this process waits for the reply to a request it sent to this same process.

Device code may call its own device through a DeviceProxy while it runs (a command reading one of
its attributes, subscribing to its events: the subscription's first value is a read).  With
cppTango that works: omniORB runs a call to an object of the same process in the calling
thread, and the device's monitor is re-entrant, so the call goes through.  Here the call goes
out over TCP and comes back on a serving thread, which would wait for the monitor that the
calling thread holds while that thread waits for the reply: a dead lock until a time-out.

So the blocking driver notes, while a server runs in this process, which thread waits for which
request (its connection's local address and the GIOP request id), and the server asks, for a
request it serves, whether the thread waiting for it is this process's (:func:`waiting_thread`):
that thread is suspended until the reply, so the request may use what it holds, as the
collocated call would.  Knows nothing of Tango.
"""

from __future__ import annotations

import threading

__all__ = ["serve", "noting", "waiting", "done", "waiting_thread"]

#: True once this process serves GIOP: only then do callers note what they wait for
noting = False

_waiting: dict[tuple[str, int, int], int] = {}


def serve() -> None:
    """A server of this process accepts requests: start noting who waits for what."""
    global noting
    noting = True


def waiting(local: tuple[str, int], request_id: int) -> tuple[str, int, int]:
    """The calling thread waits for the reply to ``request_id`` sent from address ``local``."""
    key = (local[0], local[1], request_id)
    _waiting[key] = threading.get_ident()
    return key


def done(key: tuple[str, int, int]) -> None:
    _waiting.pop(key, None)


def waiting_thread(peer_host: str, peer_port: int, request_id: int) -> int | None:
    """The thread of this process waiting for the request ``request_id`` a server received
    from ``peer_host:peer_port``; None when the caller is not this process (or not waiting)."""
    return _waiting.get((peer_host, peer_port, request_id))
