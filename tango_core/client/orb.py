"""Object references: where a CORBA object lives and how to call it.

An :class:`ObjectRef` is built from a stringified IOR (what ``DbImportDevice``
returns) or a corbaloc URL (the Database via TANGO_HOST, ``#dbase=no`` devices).
It knows every address the object can be reached at -- each IIOP profile's
primary address, then its TAG_ALTERNATE_IIOP_ADDRESS components; each corbaloc
address (replicated databases) -- and the GIOP version to speak: 1.2 for IOR
profiles (as cppTango's omniORB does), the corbaloc address's version (1.0 when
none is given) for corbaloc.

``invoke_plan`` is the call as a call plan (``transport/calls.py``): it yields one
``Invoke`` step per attempt on the endpoint's shared connection, tries the addresses in
order while they refuse connections (remembering the one that worked), and follows
LOCATION_FORWARD replies (a few hops at most); every driver (blocking, asyncio, gevent)
runs that same plan.  ``invoke`` runs it with blocking I/O.  It raises only transport
errors; ``client/connection.py`` maps them to DevFailed.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from ..transport.addresses import UNIX_PORT, local_host_name, served_unix_sockets, unix_sockets_enabled
from ..transport.calls import Invoke, Plan, Target, run_blocking
from ..transport.errors import CallTimeout, ConnectFailed, ConnectionLost, LocationForward
from ..wire.cdr import CDRReader, CDRWriter
from ..wire.errors import MarshalError
from ..wire.ior import IOR, parse_corbaloc, parse_ior

__all__ = ["Target", "ObjectRef", "MAX_FORWARDS"]

MAX_FORWARDS = 5
_MAX_GIOP = (1, 2)


def _targets_from_ior(ior: IOR) -> list[Target]:
    """Every address of the object, in the order omniORB tries them: the server's unix-domain
    socket first when it is on this host (see ``transport.addresses``), then TCP."""
    targets = []
    unix = unix_sockets_enabled()
    for profile in ior.iiop_profiles():
        version = min(tuple(profile.version), _MAX_GIOP)  # cppTango servers publish IIOP 1.2
        if unix:
            for host, path in profile.unix_sockets():
                if host == local_host_name() and path[:1] == "/" and path not in served_unix_sockets:
                    targets.append(Target(path, UNIX_PORT, profile.object_key, version))
        for host, port in profile.addresses():
            targets.append(Target(host, port, profile.object_key, version))
    return targets


class ObjectRef:
    """A reference to one remote object (a device or the database), shareable across threads."""

    def __init__(self, targets: list[Target], type_id: str = "", source: str = "") -> None:
        if not targets:
            raise MarshalError(f"object reference without any usable IIOP address: {source[:80]!r}")
        self._targets = list(targets)
        self._forward: list[Target] | None = None
        self._preferred = 0
        self._lock = threading.Lock()
        self.type_id = type_id
        self.source = source

    @classmethod
    def from_string(cls, text: str) -> "ObjectRef":
        """Build from ``IOR:...`` or ``corbaloc:...``; raises MarshalError if unusable."""
        text = text.strip()
        if text[:4].upper() == "IOR:":
            ior = parse_ior(text)
            return cls(_targets_from_ior(ior), ior.type_id, text)
        if text[:9].lower() == "corbaloc:":
            loc = parse_corbaloc(text)
            targets = [Target(host, port, loc.object_key, min(tuple(version), _MAX_GIOP))
                       for version, host, port in loc.addresses]
            return cls(targets, "", text)
        raise MarshalError(f"not an IOR nor a corbaloc URL: {text[:80]!r}")

    @classmethod
    def from_ior(cls, ior: IOR) -> "ObjectRef":
        return cls(_targets_from_ior(ior), ior.type_id, ior.to_string())

    @property
    def is_corbaloc(self) -> bool:
        return self.source[:9].lower() == "corbaloc:"

    @property
    def targets(self) -> list[Target]:
        """Addresses in the order they will be tried (the one that worked last first)."""
        with self._lock:
            if self._forward is not None:
                return list(self._forward)
            return self._targets[self._preferred:] + self._targets[:self._preferred]

    @property
    def primary(self) -> Target:
        return self.targets[0]

    def idl_version_from_type_id(self) -> int | None:
        """6 for ``IDL:Tango/Device_6:1.0``, 1 for ``IDL:Tango/Device:1.0``, None if unknown."""
        tid = self.type_id
        if not tid.startswith("IDL:Tango/Device"):
            return None
        name = tid[len("IDL:Tango/"):].split(":", 1)[0]
        if name == "Device":
            return 1
        if name.startswith("Device_"):
            try:
                return int(name[len("Device_"):])
            except ValueError:
                return None
        return None

    def invoke(self, operation: str, write_args: Callable[[CDRWriter], None] | None,
               read_result: Callable[[CDRReader], object] | None, timeout: float):
        """Call ``operation`` on the object with blocking I/O; see the module docstring."""
        return run_blocking(self.invoke_plan(operation, write_args, read_result, timeout))

    def invoke_plan(self, operation: str, write_args: Callable[[CDRWriter], None] | None,
                    read_result: Callable[[CDRReader], object] | None, timeout: float) -> Plan:
        """The call as a plan (see the module docstring); raises transport errors."""
        forwards = 0
        failed: Target | None = None
        deadline: float | None = None
        if self._forward is None:
            # the common case, no forward: one attempt at the address that worked last (the only
            # one, or the unix socket, mostly) with the whole timeout
            target = self._targets[self._preferred]
            alone = len(self._targets) == 1
            if not alone:  # the other addresses get what this attempt leaves of the timeout
                deadline = time.monotonic() + timeout
            try:
                # the Invoke step's tuple, built here: one function call less per call
                return (yield (target, operation, write_args, read_result, timeout))
            except LocationForward as fwd:
                self._follow(fwd, target, 1)  # then the general loop below, one forward done
                forwards = 1
            except ConnectFailed:
                if alone:
                    raise
                failed = target  # the other addresses now, in order (see below)
        if deadline is None:
            deadline = time.monotonic() + timeout
        while True:
            targets = self.targets
            last_error: Exception | None = None
            for index, target in enumerate(targets):
                if target is failed:  # refused just now: not again in this round
                    failed = None
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise last_error or CallTimeout(target.host, target.port, operation, timeout)
                try:
                    result = yield Invoke(target, operation, write_args, read_result, remaining)
                except ConnectFailed as exc:
                    last_error = exc
                    continue
                except LocationForward as fwd:
                    forwards += 1
                    self._follow(fwd, target, forwards)
                    break
                except (CallTimeout, ConnectionLost):
                    self._drop_forward()
                    raise
                else:
                    if index:
                        self._remember(target)
                    return result
            else:
                # every address refused: a forward target that died sends us back to the original
                if self._drop_forward():
                    continue
                raise last_error  # type: ignore[misc]

    def _follow(self, fwd: LocationForward, target: Target, forwards: int) -> None:
        """Take a LOCATION_FORWARD from ``target`` into account (ConnectionLost past MAX_FORWARDS)."""
        if forwards > MAX_FORWARDS:
            raise ConnectionLost(target.host, target.port,
                                 f"more than {MAX_FORWARDS} LOCATION_FORWARD replies") from None
        new = _targets_from_ior(fwd.ior)
        if not new:
            raise ConnectionLost(target.host, target.port, "LOCATION_FORWARD to an IOR without IIOP address") from None
        with self._lock:
            if fwd.permanent:
                self._targets, self._preferred, self._forward = new, 0, None
            else:
                self._forward = new

    def _remember(self, target: Target) -> None:
        with self._lock:
            if self._forward is None and target in self._targets:
                self._preferred = self._targets.index(target)

    def _drop_forward(self) -> bool:
        with self._lock:
            had = self._forward is not None
            self._forward = None
            return had

    def __repr__(self) -> str:
        t = self.primary
        return f"ObjectRef({t.host}:{t.port}, key={t.object_key!r}, giop={t.version[0]}.{t.version[1]})"
