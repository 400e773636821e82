"""Sub-device diagnostics: which devices each device of this server talks to (cppTango's SubDevDiag).

A device that makes a ``DeviceProxy`` while it serves a request (or while it is built) has the
proxy's device recorded as one of its *sub-devices*.  Tools draw a control system's dependency
graph from it: the admin device's ``QuerySubDevice`` command answers the list, one
``"device sub_device"`` string per pair (just ``"sub_device"`` for a proxy made outside any
device's request), and a server with a database stores each device's list in its
``__SubDevices`` device property (the admin device's for proxies made outside any request), every
30 minutes when it changed, as cppTango's polling thread does.

Which device is "the current one" (the *associated device*) follows the request being served:
:func:`associated_device` is set by the object adapter around every request to a device and
while a device is built (a context variable, so asyncio device code sees its request's device).
Device code reaches all this through ``Util.instance().get_sub_dev_diag()``, PyTango's API:
``get_associated_device``, ``register_sub_device``, ``remove_sub_devices``, ``get_sub_devices``.
"""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

__all__ = ["SubDevDiag", "associated_device", "associate", "dissociate", "stored_sub_devices", "sub_devices_storer",
           "STORE_PERIOD_S", "SUB_DEVICES_PROPERTY"]

#: cppTango stores changed lists every 30 minutes
STORE_PERIOD_S = 30 * 60.0
SUB_DEVICES_PROPERTY = "__SubDevices"

_associated: contextvars.ContextVar[str] = contextvars.ContextVar("tango_core_associated_device", default="")


@contextmanager
def associated_device(name: str) -> Iterator[None]:
    """Within the block, ``name`` is the device this thread (or task) works for."""
    token = associate(name)
    try:
        yield
    finally:
        dissociate(token)


def associate(name: str) -> contextvars.Token:
    """:func:`associated_device` without a block, for the request path (undo with :func:`dissociate`)."""
    return _associated.set(name)


def dissociate(token: contextvars.Token) -> None:
    _associated.reset(token)


class SubDevDiag:
    """PyTango's ``tango.SubDevDiag`` of one server (``Util.get_sub_dev_diag()``).

    ``store`` is called with ``(device name, [sub devices])`` to write a list into the
    database and ``stored`` with a device name to read the list stored there (both None for a
    server without a database); ``admin_name`` is the admin device's name (the owner of sub-devices
    registered outside any device's request).
    """

    def __init__(self, admin_name: str = "", store: Callable[[str, list[str]], None] | None = None,
                 stored: Callable[[str], list[str]] | None = None,
                 served: Callable[[], list[str]] | None = None) -> None:
        self._lock = threading.Lock()
        self._sub_devices: dict[str, list[str]] = {}
        self._modified: set[str] = set()
        self._stored: dict[str, list[str]] = {}   # what the database has, read when first needed
        self._admin_name = admin_name
        self._store, self._read_stored = store, stored
        self._served = served  # the names of the devices the server serves
        self._timer: threading.Thread | None = None
        self._stop = threading.Event()

    # -- the associated device ------------------------------------------------------------------
    def set_associated_device(self, dev_name: str) -> None:
        """Make ``dev_name`` the device the calling thread works for (until its request ends)."""
        _associated.set(dev_name)

    def get_associated_device(self) -> str:
        """The device whose request (or construction) the calling thread serves; "" outside any."""
        return _associated.get()

    # -- the lists ------------------------------------------------------------------------------
    def register_sub_device(self, dev_name: str, sub_dev_name: str) -> None:
        """Record ``sub_dev_name`` as a sub-device of ``dev_name`` (names lower-cased, once each)."""
        dev_name, sub_dev_name = dev_name.lower(), sub_dev_name.lower()
        with self._lock:
            subs = self._sub_devices.setdefault(dev_name, [])
            if sub_dev_name not in subs:
                subs.append(sub_dev_name)
                self._modified.add(dev_name)
        if self._store is not None and self._timer is None:
            self._start_storing()

    def remove_sub_devices(self, dev_name: str | None = None) -> None:
        """Forget the sub-devices of ``dev_name``, or of every device when no name is given."""
        with self._lock:
            if dev_name is None:
                self._sub_devices.clear()
                self._modified.clear()
            else:
                self._sub_devices.pop(dev_name.lower(), None)
                self._modified.discard(dev_name.lower())

    def get_sub_devices(self) -> list[str]:
        """``"device sub_device"`` for every pair, by device name (``"sub_device"`` alone when it
        was registered outside any device's request): the admin's QuerySubDevice answer."""
        with self._lock:
            return [f"{dev} {sub}" if dev else sub
                    for dev, subs in sorted(self._sub_devices.items()) for sub in subs]

    # -- the database ---------------------------------------------------------------------------
    def store_sub_devices(self) -> None:
        """Write the lists changed since the last store into the ``__SubDevices`` device
        properties (the admin device's for sub-devices without a device), skipping a list equal to
        the one already stored.  A database error is ignored: the next period tries again."""
        if self._store is None:
            return
        from ..idl.errors import DevFailed
        with self._lock:
            changed = {dev: list(self._sub_devices.get(dev, ())) for dev in self._modified}
        for dev, subs in changed.items():
            owner = dev or self._admin_name
            try:
                if dev not in self._stored and self._read_stored is not None:
                    self._stored[dev] = [s.lower() for s in self._read_stored(owner)]
                if sorted(subs) != sorted(self._stored.get(dev, ())):
                    self._store(owner, subs)
                    self._stored[dev] = subs
            except DevFailed:
                continue
            with self._lock:
                if self._sub_devices.get(dev, []) == subs:
                    self._modified.discard(dev)

    def get_sub_devices_from_cache(self) -> None:
        """Read the lists stored in the database for every served device (and the admin's), as
        cppTango does at start-up: what the next store compares with.  (Otherwise each list is
        read when first needed.)"""
        if self._read_stored is None:
            return
        from ..idl.errors import DevFailed
        names = list(self._served()) if self._served is not None else []
        for name in [self._admin_name, *names]:
            key = "" if name.lower() == self._admin_name.lower() else name.lower()
            try:
                self._stored[key] = [s.lower() for s in self._read_stored(name)]
            except DevFailed:
                continue

    def _start_storing(self) -> None:
        with self._lock:
            if self._timer is not None:
                return
            self._timer = threading.Thread(target=self._store_periodically, name="sub-device store", daemon=True)
        self._timer.start()

    def _store_periodically(self) -> None:
        while not self._stop.wait(STORE_PERIOD_S):
            self.store_sub_devices()

    def close(self) -> None:
        """Stop the periodic store (server shutdown)."""
        self._stop.set()

    def __repr__(self) -> str:
        return f"SubDevDiag({self.get_sub_devices()!r})"


def stored_sub_devices(database: Any) -> Callable[[str], list[str]]:
    """Reads a device's ``__SubDevices`` property with ``database`` (a client Database)."""
    def read(device: str) -> list[str]:
        return list(database.get_device_property(device, [SUB_DEVICES_PROPERTY]).get(SUB_DEVICES_PROPERTY, []))
    return read


def sub_devices_storer(database: Any) -> Callable[[str, list[str]], None]:
    """Writes a device's ``__SubDevices`` property with ``database`` (a client Database)."""
    def store(device: str, subs: list[str]) -> None:
        database.put_device_property(device, {SUB_DEVICES_PROPERTY: subs})
    return store
