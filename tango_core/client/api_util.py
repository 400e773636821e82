"""PyTango's ``ApiUtil``: process-wide settings and services of the client library.

A singleton (``ApiUtil.instance()``), as in PyTango, with ``get_env_var`` and ``cleanup`` also
callable on the class:

* ``get_env_var(name)`` -- a Tango setting as cppTango reads it: the environment, else
  ``~/.tangorc``, else ``/etc/tangorc`` (None if none has it);
* the asynchronous-call callback model of the process (``get/set_asynch_cb_sub_model``:
  PULL_CALLBACK, the default, runs callbacks in ``get_asynch_replies``; PUSH_CALLBACK as the
  replies arrive), ``pending_asynch_call(req_type)`` and ``get_asynch_replies([timeout_ms])`` over
  every proxy of the process;
* ``cleanup()`` -- stop the event system and close every connection (a script can then exit or
  fork cleanly; proxies reconnect on their next call);
* ``get_user_connect_timeout()`` (``TANGOconnectTimeout`` in ms, -1 when not set),
  ``in_server()``, ``is_zmq_event_consumer_created()``, ``is_notifd_event_consumer_created()``.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

from tango_core.idl.enums import asyn_req_type, cb_sub_model

# tango_core.client.asynch and .names are imported when first needed: a device server imports
# this module at start-up only to say that it runs (server_started)

__all__ = ["ApiUtil", "server_started", "server_stopped", "device_proxy_made"]

_servers_running = 0
#: what the running servers want to hear of each DeviceProxy made (their sub-device diagnostics)
_proxy_observers: list[Callable[[str], None]] = []


def server_started(proxy_made: Callable[[str], None] | None = None) -> None:
    """Called by the server layer when a device server starts in this process (in_server());
    ``proxy_made(name)`` is then called with the name of every DeviceProxy made in the process."""
    global _servers_running
    _servers_running += 1
    if proxy_made is not None:
        _proxy_observers.append(proxy_made)


def server_stopped(proxy_made: Callable[[str], None] | None = None) -> None:
    global _servers_running
    _servers_running = max(0, _servers_running - 1)
    if proxy_made in _proxy_observers:
        _proxy_observers.remove(proxy_made)


def _no_server_after_fork() -> None:
    """A forked child runs none of its parent's device servers (their threads stay in the parent)."""
    global _servers_running
    _servers_running = 0
    _proxy_observers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_no_server_after_fork)


def device_proxy_made(name: str) -> None:
    """A DeviceProxy to ``name`` (as given) was made: the device server of this process, if any,
    records it as a sub-device of the device it serves (cppTango's DeviceProxy does the same)."""
    if _proxy_observers:
        _proxy_observers[-1](name)


def _asynch():
    from tango_core.client import asynch
    return asynch


class ApiUtil:
    """PyTango's ``tango.ApiUtil`` (module docstring)."""

    _instance: "ApiUtil | None" = None

    def __init__(self) -> None:
        raise TypeError("No constructor defined! Use ApiUtil.instance()")  # PyTango's: a singleton

    @classmethod
    def instance(cls) -> "ApiUtil":
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    @staticmethod
    def get_env_var(name: str) -> str | None:
        from tango_core.client.names import read_setting
        return read_setting(name)

    @staticmethod
    def cleanup() -> None:
        events = sys.modules.get("tango_core.events.consumer")
        if events is not None:
            events.shutdown()
        from tango_core.transport.sync import close_all_endpoints
        close_all_endpoints()

    def get_asynch_cb_sub_model(self) -> cb_sub_model:
        return _asynch().get_callback_model()

    def set_asynch_cb_sub_model(self, model: cb_sub_model) -> None:
        _asynch().set_callback_model(model)

    def get_asynch_replies(self, call_timeout: int | None = None) -> None:
        _asynch().deliver_all_replies(call_timeout)

    def pending_asynch_call(self, req: asyn_req_type) -> int:
        return _asynch().all_pending(req)

    def get_user_connect_timeout(self) -> int:
        value = os.environ.get("TANGOconnectTimeout", "")
        try:
            return int(value)
        except ValueError:
            return -1

    def in_server(self) -> bool:
        """Whether this process runs a device server (the server layer says so: server_started)."""
        return _servers_running > 0

    def is_zmq_event_consumer_created(self) -> bool:
        events = sys.modules.get("tango_core.events.consumer")  # not imported: no consumer either
        return events is not None and events.is_running()

    def is_notifd_event_consumer_created(self) -> bool:
        return False  # the notifd event system is gone from Tango 10: only ZMQ events here
