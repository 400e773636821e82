"""Telling the Starters that the servers of their host changed (``UpdateServersInfo``).

A Starter (``tango/admin/<host>``) keeps the list of the device servers of its host, read from
the database with ``DbGetHostServersInfo``.  When a write command changes that list -- a server
exported (started) on a host, its server info put, the server deleted or renamed -- the command
layer names the hosts concerned (``DatabaseCommands.starters_to_update``) and this notifier sends
``UpdateServersInfo`` to their Starters, as the C++ DataBaseds does:

* from one background thread, after the command has committed and answered: a database command
  never waits for a Starter, and never fails because one is absent, dead or slow;
* every call has a timeout (:data:`TIMEOUT_MS`); any error is ignored (logged at debug level):
  a host without a Starter is the common case;
* hosts named again while a notification is pending are told once.

The free property ``Default/FireToStarter`` set to ``false`` turns it off (read at start-up and
on Init), as in the C++ server.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

#: timeout of each UpdateServersInfo call (and of the look-up of the Starter's device), ms
TIMEOUT_MS = 3000
#: family of the Starter devices: ``tango/admin/<short host name>``
STARTER_DEVICE_PREFIX = "tango/admin/"

_log = logging.getLogger(__name__)


class StarterNotifier:
    """Sends ``UpdateServersInfo`` to ``tango/admin/<host>`` of the database at ``tango_host``."""

    def __init__(self, tango_host: str, *, timeout_ms: int = TIMEOUT_MS) -> None:
        self.tango_host = tango_host
        self.timeout_ms = timeout_ms
        self._pending: list[str] = []
        self._wake = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def notify(self, hosts: Iterable[str]) -> None:
        """Queue the Starters of ``hosts`` (short host names); returns at once."""
        with self._wake:
            if self._closed:
                return
            for host in hosts:
                if host and host not in self._pending:
                    self._pending.append(host)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="starter-notifier", daemon=True)
                self._thread.start()
            self._wake.notify()

    def close(self, timeout: float = 1.0) -> None:
        """Stop the thread; a notification under way is left to finish within its own timeout."""
        with self._wake:
            self._closed = True
            self._pending.clear()
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                hosts, self._pending = self._pending, []
            for host in hosts:
                self._tell(host)

    def _tell(self, host: str) -> None:
        from ..client.device_proxy import DeviceProxy

        name = f"tango://{self.tango_host}/{STARTER_DEVICE_PREFIX}{host}"
        try:
            proxy = DeviceProxy(name)
            proxy.set_timeout_millis(self.timeout_ms)
            proxy.command_inout("UpdateServersInfo")
        except Exception as exc:  # noqa: BLE001 - no Starter on that host, or not answering: nothing to do
            _log.debug("UpdateServersInfo to %s failed: %s", name, exc)
        else:
            _log.debug("UpdateServersInfo sent to %s", name)
