"""What a DeviceProxy does through the device's admin device (``dserver/<server>/<instance>``):
polling (AddObjPolling/UpdObjPollingPeriod/RemObjPolling/DevPollStatus), locking (LockDevice/
ReLockDevices/UnLockDevice/DevLockStatus) and logging (Get/SetLoggingLevel, Add/Remove/GetLoggingTarget),
as cppTango's DeviceProxy does it. A mixin of DeviceProxy: it needs ``dev_name()``, ``adm_name()``,
``_tango_host`` and the class itself (for the admin proxy).
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from tango_core.idl.enums import GreenMode
from tango_core.idl.errors import DevFailed

if TYPE_CHECKING:
    from tango_core.client.device_proxy import DeviceProxy

__all__ = ["AdminServices"]


class AdminServices:
    """Polling, locking and logging of a device, through its admin device."""

    # ------------------------------------------------------------------ polling (through the admin device)
    def get_admin_proxy(self):
        """The admin device's proxy (cached), in this device's database even if the default one
        changed since (ITango's %switchdb)."""
        adm = self.__dict__.get("_adm_proxy")
        if adm is None:
            name = self.adm_name()
            th = self._tango_host
            if th is not None and len(th.replicas) == 1 and not name.startswith("tango://"):
                name = f"tango://{th.host}:{th.port}/{name}"
            adm = type(self)(name, green_mode=GreenMode.Synchronous)  # used by blocking code only
            self.__dict__["_adm_proxy"] = adm
        return adm

    def polling_status(self) -> list[str]:
        return list(self.get_admin_proxy().command_inout("DevPollStatus", self.dev_name()))

    def _poll_period(self, kind: str, name: str) -> int:
        prefix = f"Polled {kind} name = "
        lname = name.lower()
        for block in self.polling_status():
            lines = block.split("\n")
            if lines[0].startswith(prefix) and lines[0][len(prefix):].strip().lower() == lname:
                for line in lines[1:]:
                    if line.startswith("Polling period (mS) = "):
                        return int(line.split("=", 1)[1])
                    if line.startswith("Polling externally triggered"):
                        return 0
        return 0

    def _is_polled(self, kind: str, name: str) -> bool:
        prefix = f"Polled {kind} name = "
        lname = name.lower()
        return any(b.split("\n")[0].startswith(prefix) and b.split("\n")[0][len(prefix):].strip().lower() == lname
                   for b in self.polling_status())

    def _poll(self, kind: str, name: str, period: int) -> None:
        adm = self.get_admin_proxy()
        arg = [[int(period)], [self.dev_name(), kind, name]]
        cmd = "UpdObjPollingPeriod" if self._is_polled(kind, name) else "AddObjPolling"
        adm.command_inout(cmd, arg)

    def _stop_poll(self, kind: str, name: str) -> None:
        self.get_admin_proxy().command_inout("RemObjPolling", [self.dev_name(), kind, name])

    def poll_attribute(self, attr_name: str, period: int) -> None:
        self._poll("attribute", attr_name, period)

    def stop_poll_attribute(self, attr_name: str) -> None:
        self._stop_poll("attribute", attr_name)

    def is_attribute_polled(self, attr_name: str) -> bool:
        return self._is_polled("attribute", attr_name)

    def get_attribute_poll_period(self, attr_name: str) -> int:
        return self._poll_period("attribute", attr_name)

    def poll_command(self, cmd_name: str, period: int) -> None:
        self._poll("command", cmd_name, period)

    def stop_poll_command(self, cmd_name: str) -> None:
        self._stop_poll("command", cmd_name)

    def is_command_polled(self, cmd_name: str) -> bool:
        return self._is_polled("command", cmd_name)

    def get_command_poll_period(self, cmd_name: str) -> int:
        return self._poll_period("command", cmd_name)

    # ------------------------------------------------------------------ logging (through the admin device)
    def get_logging_level(self) -> int:
        return int(self.get_admin_proxy().command_inout("GetLoggingLevel", [self.dev_name()])[0][0])

    def set_logging_level(self, level: int) -> None:
        self.get_admin_proxy().command_inout("SetLoggingLevel", [[int(level)], [self.dev_name()]])

    def get_logging_target(self) -> list[str]:
        return list(self.get_admin_proxy().command_inout("GetLoggingTarget", self.dev_name()))

    def add_logging_target(self, target_type_target_name: str) -> None:
        """Add a target such as ``"file::/tmp/dev.log"`` or ``"device::tmp/log/1"``."""
        self.get_admin_proxy().command_inout("AddLoggingTarget", [self.dev_name(), target_type_target_name])

    def remove_logging_target(self, target_type_target_name: str) -> None:
        self.get_admin_proxy().command_inout("RemoveLoggingTarget", [self.dev_name(), target_type_target_name])

    # ------------------------------------------------------------------ locking (through the admin device)
    def lock(self, lock_validity: int = 10) -> None:
        """Lock the device for this process (cppTango: LockDevice, then ReLockDevices in the background)."""
        validity = max(int(lock_validity), 2)  # cppTango's MIN_LOCK_VALIDITY
        adm = self.get_admin_proxy()
        adm.command_inout("LockDevice", [[validity], [self.dev_name()]])
        _relocker.add(adm, self.dev_name(), validity)

    def unlock(self, force: bool = False) -> None:
        adm = self.get_admin_proxy()
        counter = adm.command_inout("UnLockDevice", [[1 if force else 0], [self.dev_name()]])
        if force or not counter:
            _relocker.remove(adm, self.dev_name())

    def _lock_status(self):
        return self.get_admin_proxy().command_inout("DevLockStatus", self.dev_name())

    def locking_status(self) -> str:
        return self._lock_status()[1][0]

    def is_locked(self) -> bool:
        return bool(self._lock_status()[0][0])

    def is_locked_by_me(self) -> bool:
        longs = self._lock_status()[0]
        return bool(longs[0]) and int(longs[1]) == os.getpid()

    def get_locker(self, lockinfo) -> bool:
        """Fill ``lockinfo`` (a LockerInfo) with the lock holder; False if the device is not locked."""
        from tango_core.idl.enums import LockerLanguage

        longs, strings = self._lock_status()
        if not longs[0]:
            return False
        java = any(int(x) for x in longs[2:6])
        lockinfo.ll = LockerLanguage.JAVA if java else LockerLanguage.CPP
        lockinfo.li = tuple(int(x) for x in longs[2:6]) if java else int(longs[1])
        import socket

        host = strings[1]  # the caller's ORB address as the server saw it
        if host.startswith("giop:tcp:"):
            host = host[len("giop:tcp:"):].rsplit(":", 1)[0].strip("[]")
        if host.startswith("giop:unix:") or host.startswith("127.") or host in ("localhost", "::1"):
            host = socket.gethostname()
        else:
            try:
                host = socket.gethostbyaddr(host)[0]
            except OSError:
                pass
        lockinfo.locker_host = host
        lockinfo.locker_class = strings[2]
        return True


class _Relocker:
    """One daemon thread re-locking this process's locked devices (cppTango's lock thread): each
    device half-way through its lock validity (at least 1 s after the last re-lock), the devices
    of one admin device in one ReLockDevices call.  A device locked while the thread sleeps wakes
    it, so a short validity is kept even after a long one (the thread never oversleeps a lock)."""

    def __init__(self) -> None:
        self._wake = threading.Condition(threading.Lock())
        #: (id of the admin proxy, device) -> (admin proxy, validity s, when to re-lock next)
        self._devices: dict[tuple[int, str], tuple["DeviceProxy", float, float]] = {}
        self._thread: threading.Thread | None = None

    def add(self, adm: "DeviceProxy", dev: str, validity: int) -> None:
        with self._wake:
            self._devices[(id(adm), dev)] = (adm, validity, time.monotonic() + max(validity / 2.0, 1.0))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tango-relock", daemon=True)
                self._thread.start()
            self._wake.notify()

    def remove(self, adm: "DeviceProxy", dev: str) -> None:
        with self._wake:
            self._devices.pop((id(adm), dev), None)

    def _due(self) -> dict[int, tuple]:
        """Wait until a device is due; its admin proxy and the due devices of each admin."""
        with self._wake:
            while True:
                now = time.monotonic()
                next_at = min((at for _, _, at in self._devices.values()), default=None)
                if next_at is not None and next_at <= now:
                    break
                self._wake.wait(None if next_at is None else next_at - now)
            by_adm: dict[int, tuple] = {}
            for key, (adm, validity, at) in list(self._devices.items()):
                if at <= now:
                    self._devices[key] = (adm, validity, now + max(validity / 2.0, 1.0))
                    by_adm.setdefault(key[0], (adm, []))[1].append(key[1])
            return by_adm

    def _run(self) -> None:
        while True:
            for adm, devs in self._due().values():
                try:
                    adm.command_inout("ReLockDevices", devs)
                except DevFailed:
                    pass


_relocker = _Relocker()
