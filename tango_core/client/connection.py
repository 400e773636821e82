"""Connection: what DeviceProxy and Database share (cppTango's ``Tango::Connection``).

A Connection owns the way to one remote Tango object: its name, its object
reference, the IDL version it speaks, the call timeout, and the (re)connection
logic.  Every remote call goes through :meth:`Connection._invoke`, which turns
transport failures into the ``DevFailed`` a PyTango user expects and hides
server restarts.

API for subclasses (DeviceProxy is built on this; keep to these names)
======================================================================

Construction
    ``Connection.__init__(self, name, *, connect=True)`` -- ``name`` is a str or a
    :class:`~.names.DeviceName`.  For a database device it binds the database
    (the *current* default one for short names), imports the device through the subclass's
    ``_import_ior_plan()`` (DeviceProxy: ``DbImportDevice``; an undefined name raises ``DevFailed``
    whose ``args[0].reason == "DB_DeviceNotDefined"``) and, if it is exported, connects.
    A failed connect does NOT raise here (like cppTango): the first call reports it (within 1 s of
    the failed attempt as "The connection request was delayed", exactly like PyTango).
    Subclasses may set attributes before/after calling it; there are no ``__slots__``.

State (read freely; change only through the methods)
    ``self._name``            DeviceName: location (host/port/dbase) and the name as typed
    ``self._dev_name``        display name, initially the typed name (no prefix); a subclass
                              may replace it with the server's spelling (``_get_name``)
    ``self._tango_host``      TangoHost of the database (None for ``#dbase=no``)
    ``self._ref``             ObjectRef or None (not connected)
    ``self._idl_version``     int, 0 until the first successful connect
    ``self._import_info``     DbDevImportInfo of the last DbImportDevice (DB devices) or None
    ``self._dev_info_1``      idl.types.DevInfo from the IDL-1 ``info`` call made at connect

Calls
    ``self._invoke(op, *args, what=None, command=None, origin=None, timeout_ms=None)`` -- one
    CORBA call on the device: ``op`` is an :class:`~tango_core.idl.operations.Operation` of the
    operations table (its layouts encode ``args`` and decode the result, which is returned).
    ``self._invoke_encoded(op, write_args, ...)`` is the same with the in-parameters written by
    ``write_args(w: CDRWriter)`` (requests encoded once and cached).  It connects first if
    needed (re-importing the IOR from the database for DB devices, at most one failed
    reconnection attempt per second), retries once after a server restart, and raises:

    * the server's ``DevFailed`` (or ``MultiDevFailed``) with its error stack untouched;
    * ``ConnectionFailed`` [API_CorbaException, API_CantConnectToDevice "Failed to connect to
      device <name>"] (API_CantConnectToDatabase / API_DeviceNotExported / API_ServerNotRunning
      where cppTango uses them);
    * ``CommunicationFailed`` [API_CorbaException, API_DeviceTimedOut "Timeout (3000 mS)
      exceeded on device <name>[, command <cmd>]"] on timeout;
    * ``CommunicationFailed`` [API_CorbaException, API_CommunicationFailed "Failed to execute
      <what> on device <name>[, command <cmd>]"] for a dropped connection, an undecodable reply
      or a CORBA system exception (whose repository id is in the first error's desc).

    ``what`` names the operation in messages (default: ``operation``), ``command`` adds
    ", command X", ``origin`` is the origin of the added errors (default
    ``"Connection::<what>()"``).

    ``self._client_ident()``   idl.types.ClntIdent for IDL-4+ operations (CPP_6 for IDL 6).
    ``self._connect_if_needed()`` force a connection now (raises ConnectionFailed).
    ``self._command_info(name)``   DevCmdInfo(_2) from ``command_query(_2)``, cached per name.
    ``self._command_inout_raw(name, argin, in_type)`` -> (CmdArgType, value): checks ``argin``
    against ``in_type`` (TypeError), then ``_send_command``.
    ``self._send_command(name, in_type, checked_argin)`` -> (CmdArgType, value): command_inout_4 /
    _2 / IDL-1 by the IDL version; wraps server errors like cppTango (API_CommandFailed).

Public PyTango methods here: ``command_inout``, ``get/set_timeout_millis``, ``get_idl_version``,
``get/set_source``, ``get/set_transparency_reconnection``, ``dev_name``, ``get_db_host``,
``get_db_port``, ``get_db_port_num``, ``get_dev_host``, ``get_dev_port``, ``is_dbase_used``,
``get_from_env_var``, ``connect``, ``reconnect``, ``is_connected``.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from typing import Any, Callable
from urllib.parse import quote

from ..idl.command_any import check_command_value
from ..idl.enums import AccessControlType, CmdArgType, DevSource, ExtractAs
from ..idl.errors import (CommunicationFailed, ConnectionFailed, DevError, DevFailed, DeviceUnlocked,
                          NonSupportedFeature, decode_user_exception, dev_error)
from ..idl.operations import OPERATIONS, Operation, newest, repository_ids
from ..idl.types import ClntIdent, DevCmdInfo, DevCmdInfo_2, DevInfo
from ..transport.calls import Plan, Wait, run_blocking
from ..transport.errors import (CallTimeout, ConnectFailed, ConnectionLost, SystemExceptionReply,
                                TransportError, UserExceptionReply)
from ..wire.cdr import CDRReader, CDRWriter
from ..wire.errors import CodecError
from .names import DeviceName, TangoHost, parse_device_name
from .orb import ObjectRef

__all__ = ["Connection", "CLNT_TIMEOUT_MS", "RECONNECTION_DELAY", "system_exception_text"]

# cppTango CLNT_TIMEOUT; PyTango 10.3.1 reports it for Database objects too (get_timeout_millis() == 3000)
CLNT_TIMEOUT_MS = 3000
RECONNECTION_DELAY = 1.0     # s; cppTango RECONNECTION_DELAY: one failed reconnection per second
_HIGHEST_IDL = 6
_IS_A, _NON_EXISTENT, _INFO = OPERATIONS["_is_a"], OPERATIONS["_non_existent"], OPERATIONS["info"]
_COMMAND_INOUT, _COMMAND_INOUT_2, _COMMAND_INOUT_4 = (OPERATIONS["command_inout"], OPERATIONS["command_inout_2"],
                                                      OPERATIONS["command_inout_4"])

# omniORB minor codes we produce ourselves for transport failures
_TRANSIENT_CONNECT = "TRANSIENT CORBA system exception: TRANSIENT_ConnectFailed"
_TRANSIENT_TIMEOUT = "TRANSIENT CORBA system exception: TRANSIENT_CallTimedout"
_COMM_FAILURE = "COMM_FAILURE CORBA system exception: COMM_FAILURE_WaitingForReply"

# cppTango's IMP_LIMIT minors for attribute-style operations (_get_name, _get_state ...)
_IMP_LIMIT_MEANING = {
    10: "the device is blocked: its monitor could not be taken in time",
    11: "the device raised a DevFailed while executing it",
    12: "the device raised an unexpected (non Tango) exception while executing it",
}


def system_exception_text(exc: SystemExceptionReply) -> str:
    """cppTango's ``print_CORBA_SystemException`` wording, plus the repository id and minor."""
    name = exc.name
    if name == "UNKNOWN":
        head = "UNKNOWN CORBA system exception"
    else:
        head = f"{name} CORBA system exception: Unknown minor code: {exc.minor:x}"
    completed = {0: "COMPLETED_YES", 1: "COMPLETED_NO", 2: "COMPLETED_MAYBE"}.get(exc.completed, str(exc.completed))
    return f"{head} ({exc.repo_id}, minor 0x{exc.minor:08x}, {completed})"


class Connection:
    """Base class of DeviceProxy and Database; see the module docstring for the contract."""

    _default_timeout_ms = CLNT_TIMEOUT_MS
    _default_access = AccessControlType.ACCESS_WRITE
    defaultCommandExtractAs = ExtractAs.Numpy  # noqa: N815 - PyTango's name (class attribute of Connection)

    def __init__(self, name: str | DeviceName, *, connect: bool = True) -> None:
        self._name = parse_device_name(name) if isinstance(name, str) else name
        self._given_name = name.strip() if isinstance(name, str) else self._name.name  # as the user wrote it
        self._dev_name = self._name.name
        self._tango_host: TangoHost | None = self._name.tango_host() if self._name.dbase else None
        self._from_env_var = self._name.dbase and not self._name.explicit_host
        self._ref: ObjectRef | None = None
        self._idl_version = 0
        self._import_info = None
        self._dev_info_1: DevInfo | None = None
        self._timeout_ms = self._default_timeout_ms
        self._source = DevSource.CACHE_DEV
        self._transparent_reconnection = True
        self._access = self._default_access
        self._conn_lock = threading.RLock()
        self._connecting: Future | None = None  # the connect in progress, which other callers wait for
        self._prev_failed_at: float | None = None
        self._cmd_info: dict[str, DevCmdInfo | DevCmdInfo_2] = {}
        if connect:
            self._initial_connect()

    # -- construction-time connect (overridable) -------------------------------------------------

    def _initial_connect(self) -> None:
        """cppTango's "stateless" construction: name errors, database errors and an undefined
        device (DevFailed [DB_DeviceNotDefined, ..., API_DeviceNotDefined]) raise, and so does a
        ``#dbase=no`` device its server does not have (OBJECT_NOT_EXIST: [..., API_DeviceNotDefined]);
        a device that is not exported or does not answer waits for the first call."""
        run_blocking(self._initial_connect_plan())

    def _initial_connect_plan(self) -> Plan:
        """:meth:`_initial_connect` as a call plan (an asyncio proxy is built with it)."""
        corba_name = None
        if self._name.dbase:
            try:
                corba_name = yield from self._import_ior_plan()
            except ConnectionFailed as exc:
                if exc.args and exc.args[0].reason == "API_DeviceNotExported":
                    return
                raise
        try:
            yield from self._do_connect_plan(corba_name)
        except DevFailed as exc:
            if (not self._name.dbase and isinstance(exc, ConnectionFailed) and len(exc.args) > 1
                    and exc.args[1].reason == "API_DeviceNotDefined"):
                raise  # the server answers, without this device: no later call could work
            # like cppTango this counts as a failed attempt: a call within 1 s is "delayed"
            self._prev_failed_at = time.monotonic()

    # -- how to find the object: overridden by Database and DeviceProxy -------------------------

    def _corba_name(self) -> str | None:
        """The corbaloc of a ``#dbase=no`` device; None for a database device (its IOR is
        imported from the database: :meth:`_import_ior_plan`)."""
        if not self._name.dbase:
            key = quote(self._name.key, safe="/-_.~")
            return f"corbaloc:iiop:{self._name.host}:{self._name.port}/{key}"
        return None

    def _import_ior_plan(self) -> Plan:
        """The IOR of a database device, from ``DbImportDevice`` (setting ``_import_info``).

        The subclass that names database devices provides it (DeviceProxy asks its Database):
        this layer is the base of Database and does not call it.  A plain Connection reaches
        ``#dbase=no`` devices only."""
        raise NonSupportedFeature(dev_error(
            "API_NotSupportedFeature", f"{type(self).__name__} cannot import the database device "
            f"{self._dev_name}: use DeviceProxy (or a #dbase=no name)", "Connection::connect()"))
        yield  # a plan

    def _connect_error(self, corba_name: str, exc: Exception) -> ConnectionFailed:
        """Map a failure while connecting to cppTango's Connection::connect errors."""
        first = self._corba_error(exc)
        reason = "API_CantConnectToDevice"
        desc = f"Failed to connect to device {self._dev_name}"
        if corba_name.lower().startswith("corbaloc:"):
            if isinstance(exc, SystemExceptionReply) and exc.name == "OBJECT_NOT_EXIST":
                reason = "API_DeviceNotDefined"
            elif isinstance(exc, ConnectFailed):
                reason = "API_ServerNotRunning"
        return ConnectionFailed(first, dev_error(reason, desc, "Connection::connect()"))

    # -- connecting ------------------------------------------------------------------------------

    def connect(self, corba_name: str | None = None) -> None:
        """(Re)connect now, to ``corba_name`` if given (PyTango ``Connection.connect``)."""
        with self._conn_lock:
            self._ref = None
            run_blocking(self._do_connect_plan(corba_name))

    def reconnect(self, db_used: bool = True) -> None:
        """Drop the object reference and connect again (honours the 1 s reconnection delay)."""
        with self._conn_lock:
            self._ref = None
        self._connect_if_needed()

    def is_connected(self) -> bool:
        return self._ref is not None

    def _connect_if_needed(self) -> ObjectRef:
        ref = self._ref
        if ref is not None:
            return ref
        return run_blocking(self._connect_plan())

    def _connect_plan(self) -> Plan:
        """The object reference, connecting first if needed.  One caller (thread, task or
        greenlet) connects; the others wait for it no longer than one call may take, then see
        its result (a failure within the last second is reported as "delayed", like cppTango)."""
        while True:
            ref = self._ref
            if ref is not None:
                return ref
            with self._conn_lock:
                ongoing = self._connecting
                mine = ongoing is None
                if mine:
                    ongoing = self._connecting = Future()
            if not mine:
                try:
                    yield Wait(ongoing, self._timeout_ms / 1000.0)
                except TimeoutError:
                    raise ConnectionFailed(dev_error(
                        "API_CantConnectToDevice",
                        f"Failed to connect to device {self._dev_name}: another connection "
                        f"attempt did not finish within {self._timeout_ms} mS", "Connection::connect()")) from None
                continue
            try:
                now = time.monotonic()
                if self._prev_failed_at is not None and now - self._prev_failed_at < RECONNECTION_DELAY:
                    raise DevFailed(dev_error(  # a plain DevFailed, as cppTango's Except::throw_exception
                        "API_CantConnectToDevice",
                        f"Failed to connect to device {self._dev_name}\nThe connection request was delayed.\n"
                        f"The last connection request was done less than {int(RECONNECTION_DELAY * 1000)} ms ago",
                        "Connection::reconnect()"))
                try:
                    yield from self._do_connect_plan(None)
                except DevFailed:
                    self._prev_failed_at = time.monotonic()
                    raise
                self._prev_failed_at = None
                return self._ref
            finally:
                with self._conn_lock:
                    self._connecting = None
                ongoing.set_result(None)

    def _do_connect_plan(self, corba_name: str | None) -> Plan:
        """Resolve, build the reference, learn the IDL version."""
        if not corba_name:
            corba_name = self._corba_name() or (yield from self._import_ior_plan())
        try:
            ref = ObjectRef.from_string(corba_name)
        except CodecError as exc:
            raise ConnectionFailed(dev_error("API_CorbaException", f"Bad object reference: {exc}",
                                        "Connection::connect()"),
                                   dev_error("API_CantConnectToDevice", f"Failed to connect to device {self._dev_name}",
                                        "Connection::connect()")) from None
        timeout = self._timeout_ms / 1000.0
        try:
            version = ref.idl_version_from_type_id()
            if version is None or ref.is_corbaloc:
                version = yield from self._probe_idl_version_plan(ref, timeout)
            if (yield from ref.invoke_plan(_NON_EXISTENT.name, None, _NON_EXISTENT.read_result, timeout)):
                raise SystemExceptionReply("IDL:omg.org/CORBA/OBJECT_NOT_EXIST:1.0", 0, 1)
            info = yield from ref.invoke_plan(_INFO.name, None, _INFO.read_result, timeout)
        except (TransportError, CodecError) as exc:
            raise self._connect_error(corba_name, exc) from None
        self._ref = ref
        self._idl_version = version
        self._dev_info_1 = info
        yield from self._after_connect_plan()

    def _probe_idl_version_plan(self, ref: ObjectRef, timeout: float) -> Plan:
        """corbaloc references carry no type: ask ``_is_a`` Device_6, 5, ... like cppTango's narrow."""
        for version in range(_HIGHEST_IDL, 0, -1):
            if (yield from ref.invoke_plan(_IS_A.name, _IS_A.args_writer(repository_ids(version)[0]),
                                           _IS_A.read_result, timeout)):
                return version
        raise SystemExceptionReply("IDL:omg.org/CORBA/INV_OBJREF:1.0", 0, 1)

    def _after_connect_plan(self) -> Plan:
        """Hook for subclasses (e.g. the Database learns its name); default: nothing."""
        return
        yield  # a plan without I/O

    def _mark_broken(self, ref: ObjectRef | None = None) -> None:
        """Forget the reference (``ref``: only if it is still the current one, so a late failure
        of the old reference does not undo another thread's reconnection)."""
        with self._conn_lock:
            if ref is None or self._ref is ref:
                self._ref = None

    # -- the one way to call the device ----------------------------------------------------------

    def _invoke(self, op: Operation, *args: Any, what: str | None = None, command: str | None = None,
                origin: str | None = None, timeout_ms: int | None = None):
        """Call ``op`` with ``args`` on the device; its result (see the module docstring)."""
        return run_blocking(self._invoke_encoded_plan(op, op.args_writer(*args), what=what, command=command,
                                                      origin=origin, timeout_ms=timeout_ms))

    def _invoke_plan(self, op: Operation, *args: Any, what: str | None = None, command: str | None = None,
                     origin: str | None = None, timeout_ms: int | None = None) -> Plan:
        """:meth:`_invoke` as a call plan."""
        return self._invoke_encoded_plan(op, op.args_writer(*args), what=what, command=command, origin=origin,
                                         timeout_ms=timeout_ms)

    def _invoke_encoded(self, op: Operation, write_args: Callable[[CDRWriter], None] | None, *,
                        what: str | None = None, command: str | None = None, origin: str | None = None,
                        timeout_ms: int | None = None):
        """:meth:`_invoke` with the in-parameters written by ``write_args`` (e.g. cached octets)."""
        return run_blocking(self._invoke_encoded_plan(op, write_args, what=what, command=command, origin=origin,
                                                      timeout_ms=timeout_ms))

    def _invoke_encoded_plan(self, op: Operation, write_args: Callable[[CDRWriter], None] | None, *,
                             what: str | None = None, command: str | None = None, origin: str | None = None,
                             timeout_ms: int | None = None, read_result: Callable[[CDRReader], Any] | None = None
                             ) -> Plan:
        """:meth:`_invoke_encoded` as a call plan: every driver runs this one.  ``read_result``
        decodes the result instead of ``op.read_result`` (into what the caller needs in the end)."""
        operation = op.name
        if read_result is None:
            read_result = op.read_result
        timeout_ms = self._timeout_ms if timeout_ms is None else timeout_ms
        for attempt in (1, 2):
            ref = self._ref
            if ref is None:
                ref = yield from self._connect_plan()
            try:
                return (yield from ref.invoke_plan(operation, write_args, read_result, timeout_ms / 1000.0))
            except UserExceptionReply as exc:
                what = what or operation
                raise self._user_exception(exc, what, command, origin or f"Connection::{what}()") from None
            except ConnectFailed as exc:
                # the server went away since we connected (restart, maybe on a new port)
                self._mark_broken(ref)
                if attempt == 1 and self._transparent_reconnection:
                    continue
                origin = origin or f"Connection::{what or operation}()"
                raise ConnectionFailed(self._corba_error(exc),
                                       dev_error("API_CantConnectToDevice",
                                            f"Failed to connect to device {self._dev_name}", origin)) from None
            except SystemExceptionReply as exc:
                if exc.name == "OBJECT_NOT_EXIST":
                    # a restarted DB-mode server has new object keys: re-import and try again
                    self._mark_broken(ref)
                    if attempt == 1 and self._transparent_reconnection:
                        continue
                what = what or operation
                raise self._system_exception(exc, what, command, origin or f"Connection::{what}()") from None
            except CallTimeout:
                origin = origin or f"Connection::{what or operation}()"
                desc = f"Timeout ({timeout_ms} mS) exceeded on device {self._dev_name}"
                if command:
                    desc += f", command {command}"
                raise CommunicationFailed(dev_error("API_CorbaException", _TRANSIENT_TIMEOUT, origin),
                                          dev_error("API_DeviceTimedOut", desc, origin)) from None
            except ConnectionLost as exc:
                self._mark_broken(ref)
                what = what or operation
                origin = origin or f"Connection::{what}()"
                raise CommunicationFailed(
                    dev_error("API_CorbaException", f"{_COMM_FAILURE} ({exc.reason})", origin),
                    dev_error("API_CommunicationFailed", self._failed_desc(what, command), origin)) from None
            except CodecError as exc:
                what = what or operation
                origin = origin or f"Connection::{what}()"
                raise CommunicationFailed(
                    dev_error("API_CorbaException", f"MARSHAL CORBA system exception: {exc}", origin),
                    dev_error("API_CommunicationFailed", self._failed_desc(what, command), origin)) from None
        raise AssertionError("unreachable")

    def _failed_desc(self, what: str, command: str | None) -> str:
        desc = f"Failed to execute {what} on device {self._dev_name}"
        return desc + (f", command {command}" if command else "")

    def _corba_error(self, exc: Exception) -> DevError:
        if isinstance(exc, ConnectFailed):
            text = _TRANSIENT_CONNECT  # exactly cppTango's text (the cause is in exc.reason only)
        elif isinstance(exc, CallTimeout):
            text = _TRANSIENT_TIMEOUT
        elif isinstance(exc, ConnectionLost):
            text = f"{_COMM_FAILURE} ({exc.reason})"
        elif isinstance(exc, SystemExceptionReply):
            text = system_exception_text(exc)
        else:
            text = f"MARSHAL CORBA system exception: {exc}"
        return dev_error("API_CorbaException", text, "Connection::connect()")

    def _user_exception(self, exc: UserExceptionReply, what: str, command: str | None, origin: str) -> DevFailed:
        try:
            return decode_user_exception(exc.repo_id, exc.body)
        except CodecError as err:
            return CommunicationFailed(
                dev_error("API_CorbaException", f"Undecodable user exception {exc.repo_id}: {err}", origin),
                dev_error("API_CommunicationFailed", self._failed_desc(what, command), origin))

    def _system_exception(self, exc: SystemExceptionReply, what: str, command: str | None,
                          origin: str) -> DevFailed:
        first = dev_error("API_CorbaException", system_exception_text(exc), origin)
        if exc.name == "IMP_LIMIT" and exc.minor in _IMP_LIMIT_MEANING:
            reason = "API_DeviceTimedOut" if exc.minor == 10 else "API_CommunicationFailed"
            desc = (f"Failed to execute {what} on device {self._dev_name}: "
                    f"{_IMP_LIMIT_MEANING[exc.minor]} (IMP_LIMIT minor {exc.minor})")
            return CommunicationFailed(first, dev_error(reason, desc, origin))
        if exc.name == "OBJECT_NOT_EXIST":
            return ConnectionFailed(first, dev_error("API_CantConnectToDevice",
                                                f"Failed to connect to device {self._dev_name}", origin))
        return CommunicationFailed(first, dev_error("API_CommunicationFailed", self._failed_desc(what, command), origin))

    # -- client identity ---------------------------------------------------------------------------

    def _client_ident(self) -> ClntIdent:
        """What a cppTango client sends: CPP_6 (PID, empty trace context) to IDL 6, CPP (PID) to
        IDL 4/5.  Built once per process id and IDL version (a forked child gets its own)."""
        pid, version = os.getpid(), self._idl_version
        cached = self.__dict__.get("_ident_cache")
        if cached is not None and cached[0] == pid and cached[1] == version:
            return cached[2]
        ident = ClntIdent.cpp_6(pid) if version >= 6 else ClntIdent.cpp(pid)
        self.__dict__["_ident_cache"] = (pid, version, ident)
        return ident

    # -- commands ------------------------------------------------------------------------------------

    def _command_info(self, name: str) -> DevCmdInfo | DevCmdInfo_2:
        return run_blocking(self._command_info_plan(name))

    def _command_info_plan(self, name: str) -> Plan:
        key = name.lower()
        info = self._cmd_info.get(key)
        if info is not None:
            return info
        if self._ref is None:
            yield from self._connect_plan()
        info = yield from self._invoke_plan(newest("command_query", self._idl_version), name, what="command_query",
                                            origin="Connection::command_query()")
        self._cmd_info[key] = info
        return info

    def _command_inout_raw(self, name: str, argin: Any = None,
                           in_type: CmdArgType | int | None = None) -> tuple[CmdArgType, Any]:
        """Run a command; return (out type, value as PyTango returns it)."""
        return run_blocking(self._command_inout_raw_plan(name, argin, in_type))

    def _command_inout_raw_plan(self, name: str, argin: Any = None, in_type: CmdArgType | int | None = None) -> Plan:
        """:meth:`_command_inout_raw` as a call plan."""
        origin = "Connection::command_inout()"
        try:
            if in_type is None:
                in_type = (yield from self._command_info_plan(name)).in_type
        except CommunicationFailed:
            raise
        except DevFailed as exc:
            raise self._command_failed(exc, name, origin) from None
        in_type = CmdArgType(in_type)
        try:
            checked = check_command_value(in_type, argin)  # validate before touching the network
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Invalid input argument for command {name}: {argin!r} cannot be converted "
                            f"to type {in_type.name}") from exc
        return (yield from self._send_command_plan(name, in_type, checked))

    def _send_command(self, name: str, in_type: CmdArgType | int, argin: Any) -> tuple[CmdArgType, Any]:
        return run_blocking(self._send_command_plan(name, in_type, argin))

    def _send_command_plan(self, name: str, in_type: CmdArgType | int, argin: Any) -> Plan:
        """``command_inout_4``/``_2``/IDL-1 ``command_inout`` by the device's IDL version, with an
        argin already checked for ``in_type``; (out type, value).  Server errors get cppTango's
        API_CommandFailed on top; timeouts and lost connections are raised as they are."""
        origin = "Connection::command_inout()"
        try:
            if self._ref is None:
                yield from self._connect_plan()
            version = self._idl_version
            value = (in_type, argin)
            if version >= 4:
                return (yield from self._invoke_encoded_plan(_COMMAND_INOUT_4, self._command_args_4(name, value),
                                                             what="command_inout", command=name, origin=origin))
            if version >= 2:
                op, args = _COMMAND_INOUT_2, (name, value, self._source)
            else:
                op, args = _COMMAND_INOUT, (name, value)
            return (yield from self._invoke_plan(op, *args, what="command_inout", command=name, origin=origin))
        except CommunicationFailed:
            raise
        except DevFailed as exc:
            raise self._command_failed(exc, name, origin) from None

    def _command_args_4(self, name: str, value: tuple) -> Callable[[CDRWriter], None]:
        """command_inout_4's in-parameters writer for the command ``name`` and its (type, argin)
        ``value``: what ``_COMMAND_INOUT_4.args_writer(name, value, source, identity)`` writes,
        with the name's octets and those of the source and client identity after the argin
        encoded once per command (all start 4-aligned and hold only 4-aligned items, so the
        octets are the same wherever they land); only the argin's ``any`` is encoded per call."""
        ident, source = self._client_ident(), self._source
        layouts = self.__dict__.get("_command_layouts")
        if layouts is None or len(layouts) > 256:
            layouts = self.__dict__["_command_layouts"] = {}
        layout = layouts.get(name)
        if layout is None or layout[0] is not ident or layout[1] != source:
            (_n, name_codec), (_v, any_codec), (_s, source_codec), (_i, ident_codec) = _COMMAND_INOUT_4.params
            try:
                w = CDRWriter()
                name_codec.write(w, name)
                head = bytes(w.buf)
                w = CDRWriter()
                source_codec.write(w, source)
                ident_codec.write(w, ident)
            except Exception:  # noqa: BLE001 - the general writer raises it where a call's encoding errors go
                return _COMMAND_INOUT_4.args_writer(name, value, source, ident)
            layout = layouts[name] = (ident, source, head, bytes(w.buf), any_codec.write)
        _ident, _source, head, tail, write_any = layout

        def write(w: CDRWriter) -> None:
            if not w.little_endian:  # (the octets above are little-endian, as every request we send)
                _COMMAND_INOUT_4.write_args(w, name, value, source, ident)
                return
            w.align(4)
            w.buf += head
            write_any(w, value)
            w.align(4)
            w.buf += tail
        return write

    def _command_failed(self, exc: DevFailed, name: str, origin: str) -> DevFailed:
        """cppTango's command_inout wrapping: the same class, plus API_CommandFailed."""
        desc = f"Failed to execute command_inout on device {self._dev_name}, command {name}"
        first = exc.args[0].reason if exc.args else ""
        cls = DeviceUnlocked if first == "API_DeviceUnlocked" else type(exc)
        return cls(*exc.args, dev_error("API_CommandFailed", desc, origin))

    def command_inout(self, name: str, argin: Any = None) -> Any:
        """Run command ``name`` with ``argin`` (its type learned from ``command_query``, cached)."""
        return self._command_inout_raw(name, argin)[1]

    # -- simple PyTango accessors ---------------------------------------------------------------

    @staticmethod
    def get_fqdn() -> str:
        """PyTango 10.3.1's ``Connection.get_fqdn()``: its binding hands cppTango's host-name helper an
        empty host name, so it always answers ``""``; so do we."""
        return ""

    def dev_name(self) -> str:
        return self._dev_name

    def get_timeout_millis(self) -> int:
        return self._timeout_ms

    def set_timeout_millis(self, millis: int) -> None:
        millis = int(millis)
        if millis <= 0:
            raise ValueError("timeout must be a positive number of milliseconds")
        self._timeout_ms = millis

    def get_idl_version(self) -> int:
        """The device's IDL version (connecting first if needed; 0 if it cannot be reached).
        A failure here is not a reconnection attempt: the next call still tries at once and
        reports the real error (as PyTango does for a not-exported device)."""
        if not self._idl_version:
            before = self._prev_failed_at
            try:
                self._connect_if_needed()
            except DevFailed:
                self._prev_failed_at = before
        return self._idl_version

    def get_source(self) -> DevSource:
        return self._source

    def set_source(self, source: DevSource | int) -> None:
        self._source = DevSource(source)

    def get_transparency_reconnection(self) -> bool:
        return self._transparent_reconnection

    def set_transparency_reconnection(self, value: bool) -> None:
        self._transparent_reconnection = bool(value)

    def get_access_control(self) -> AccessControlType:
        """The access right this client has (no Tango access-control service is consulted:
        ACCESS_WRITE for devices, as PyTango reports when none is configured)."""
        return self._access

    def set_access_control(self, access: AccessControlType | int) -> None:
        self._access = AccessControlType(access)

    get_access_right = get_access_control

    def is_dbase_used(self) -> bool:
        return self._name.dbase

    def get_from_env_var(self) -> bool:
        return self._from_env_var

    def get_db_host(self) -> str:
        return self._tango_host.host if self._tango_host is not None else "Unused"

    def get_db_port(self) -> str:
        return str(self._tango_host.port) if self._tango_host is not None else "Unused"

    def get_db_port_num(self) -> int:
        return self._tango_host.port if self._tango_host is not None else 0

    def get_dev_host(self) -> str:
        return self._name.host if not self._name.dbase else "IOR"

    def get_dev_port(self) -> str:
        return str(self._name.port) if not self._name.dbase else "IOR"
