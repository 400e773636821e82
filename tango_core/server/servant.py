"""GIOP requests -> device operations: the object adapter and one servant per device.

:class:`ObjectAdapter` is the :class:`~tango_core.transport.server.RequestHandler` of a device
server: it finds the servant by object key (the lower-case device name, or a fixed key such as
``database``), decodes the arguments with the one operations table
(:data:`tango_core.idl.operations.OPERATIONS`), runs the operation and encodes the result or
the exception -- DevFailed/MultiDevFailed as user exceptions, and the CORBA system exceptions
omniORB would send: OBJECT_NOT_EXIST (unknown key), BAD_OPERATION (unknown operation), MARSHAL
(undecodable arguments), IMP_LIMIT (a failure in a CORBA attribute getter), UNKNOWN (anything
else).

:class:`DeviceServant` implements every Device_6 operation on a
:class:`~.device.DeviceImpl`: the IDL-version families (``command_inout``/_2/_4,
``read_attributes``/_2/_3/_4/_5, ...) share one implementation and differ only in the structs
they return.  It also keeps the device's black box, identifies the client of the current call
(``get_client_ident``) and refuses writes and commands on a device locked by another client.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from ..idl.enums import AttrDataFormat, AttrQuality, CmdArgType, DevSource, GreenMode, LockerLanguage
from ..idl.errors import DevError, DevFailed, ErrSeverity, MultiDevFailed, NamedDevError
from ..idl.operations import OPERATIONS, Operation, repository_ids
from ..idl.types import (
    AttributeDim, AttributeValue, AttributeValue_3, AttributeValue_4, AttributeValue_5, AttrValUnion,
    ClntIdent, CorbaAny, DevInfo, DevInfo_3, DevInfo_6, DevInfoVersion,
)
from ..transport import calls_to_self
from ..transport.server import Peer, Response, system_exception
from ..wire.cdr import CDRWriter
from ..wire.errors import CodecError
from ..wire.giop import CompletionStatus, ReplyStatus, Request
from .device import ClientAddr, DeviceImpl, python_error, wire_errors, wire_text
from .green import greenlet_call
from .sub_devices import associate, dissociate

if TYPE_CHECKING:
    from .runtime import ServerRuntime

__all__ = ["ObjectAdapter", "DeviceServant", "CallContext", "BlackBox", "current_call", "after_reply"]

OMG_MINOR_1 = 0x4F4D0001
BAD_OPERATION_MINOR = 0x41540026
MARSHAL_MINOR = 0x4154000A
INTF_REPOS_MINOR = 0x41540027
IMP_LIMIT_DEVFAILED = 11
IMP_LIMIT_OTHER = 12
DEFAULT_BLACK_BOX_DEPTH = 50

_REPO_IDS = frozenset(repository_ids(6))


class _CallLocal(threading.local):
    """The call a thread serves, and what runs after its reply (``after_reply``)."""

    call: "CallContext | None" = None
    request_id = 0
    after_send: Callable[[], None] | None = None


_local = _CallLocal()
_time = time.time


def current_call() -> "CallContext | None":
    """The call being served by this thread (or greenlet, in a gevent server; None outside a
    client call)."""
    call = _local.call
    return call if call is not None else greenlet_call()


def waiting_caller() -> int | None:
    """The thread of this process waiting for the reply to the request this thread serves
    (device code calling its own device), else None."""
    call = _local.call
    peer = None if call is None else call.peer
    if peer is None:
        return None
    return calls_to_self.waiting_thread(peer.host, peer.port, _local.request_id)


def after_reply(fn: Callable[[], None]) -> None:
    """Run ``fn`` once the reply to the current call is written (the admin's Kill command)."""
    _local.after_send = fn


def _host_name(host: str) -> str:
    return "localhost" if host.startswith("127.") or host in ("::1", "localhost") else host


class CallContext:
    """Who called and how: the peer address and the ClntIdent of IDL-4+ operations."""

    __slots__ = ("peer", "ident", "operation")

    def __init__(self, peer: Peer | None, ident: ClntIdent | None, operation: str) -> None:
        self.peer = peer
        self.ident = ident
        self.operation = operation

    def collocated(self) -> bool:
        """A client in this very process (omniORB's "collocated" calls)."""
        ident = self.ident
        if self.peer is None:
            return True
        if ident is None or not _host_name(self.peer.host) == "localhost":
            return False
        pid = ident.value if ident.kind is LockerLanguage.CPP else getattr(ident.value, "cpp_clnt", None)
        return pid == os.getpid()

    def client_addr(self) -> ClientAddr:
        ident = self.ident
        ip = "collocated client (c++ to c++ call)" if self.collocated() else self.peer.giop_address()
        if ident is None:
            return ClientAddr(ip)
        kind = ident.kind
        if kind in (LockerLanguage.CPP, LockerLanguage.CPP_6):
            pid = ident.value if kind is LockerLanguage.CPP else ident.value.cpp_clnt
            return ClientAddr(ip, client_ident=True, client_lang=kind, client_pid=int(pid))
        java = ident.value if kind is LockerLanguage.JAVA else ident.value.java_clnt
        return ClientAddr(ip, client_ident=True, client_lang=kind, java_main_class=java.MainClass,
                          java_ident=tuple(java.uuid))

    def locker_key(self) -> tuple | None:
        """What identifies a lock owner: language family, process, host (None: unidentified)."""
        addr = self.client_addr()
        if not addr.client_ident:
            return None
        host = self.peer.host if self.peer is not None else "local"
        if addr.client_lang in (LockerLanguage.CPP, LockerLanguage.CPP_6):
            return ("cpp", addr.client_pid, host)
        return ("java", addr.java_main_class, addr.java_ident, host)

    def describe(self) -> str:
        """The black box's "(CPP/Python client with PID n)" part."""
        ident = self.ident
        if ident is None:
            return ""
        addr = self.client_addr()
        if addr.client_lang in (LockerLanguage.CPP, LockerLanguage.CPP_6):
            return f" (CPP/Python client with PID {addr.client_pid})"
        return f" (Java client with main class {addr.java_main_class})"


class BlackBox:
    """The last operations requested from a device, in cppTango's wording (newest first).

    Entries are kept raw (time, caller, operation, what it named) and worded only when the
    black box is read: recording costs a request almost nothing."""

    def __init__(self, depth: int = DEFAULT_BLACK_BOX_DEPTH) -> None:
        self._entries: deque[tuple] = deque(maxlen=depth)   # append is atomic: no lock

    def add(self, text: str) -> None:
        self._entries.append((time.time(), text))

    def add_call(self, ctx: CallContext, op: Operation, names: Any, source: Any) -> None:
        self._entries.append((_time(), ctx, op, names, source))

    def read(self, n: int) -> list[str]:
        if n <= 0:
            raise DevFailed(DevError("API_BlackBoxArgument", "Argument to read black box out of range",
                                     "BlackBox::read", ErrSeverity.ERR))
        entries = list(self._entries)[-n:]
        if not entries:
            raise DevFailed(DevError("API_BlackBoxEmpty", "Nothing stored yet in black-box", "BlackBox::read",
                                     ErrSeverity.ERR))
        out = []
        for entry in reversed(entries):
            t = entry[0]
            text = entry[1] if len(entry) == 2 else _call_words(*entry[1:])
            lt = time.localtime(t)
            out.append(time.strftime("%d/%m/%Y %H:%M:%S", lt) + f":{int((t % 1) * 100):02d} : {text}")
        return out


def _call_words(ctx: CallContext, op: Operation, names: Any, source: Any) -> str:
    host = "a collocated client" if ctx.collocated() else _host_name(ctx.peer.host)
    name = op.name
    if name.startswith("_get_"):
        return f"Attribute {name[5:]} requested from {host}"
    detail = ""
    if names is not None:
        detail = f" (cmd = {names})" if op.family == "command_inout" else f" ({', '.join(names)})"
    where = f" from {_SOURCE_WORDS.get(source, 'device')}" if source is not None else ""
    return f"Operation {name}{detail}{where} requested from {host}{ctx.describe()}"


_SOURCE_WORDS = {DevSource.DEV: "device", DevSource.CACHE: "cache", DevSource.CACHE_DEV: "cache_device"}


def _black_box_fields(op: Operation) -> tuple[bool, int | None, int | None, bool]:
    """How a request of ``op`` goes into the black box: (recorded, position of the names or
    command name among the arguments, position of the DevSource, names of written values)."""
    name = op.name
    if name == "black_box" or (name.startswith("_") and not name.startswith("_get_")):
        return False, None, None, False
    family = op.family
    if family in ("command_inout", "read_attributes"):
        params = [codec for _n, codec in op.params]
        source = next((i for i, codec in enumerate(params) if codec.idl == "DevSource"), None)
        return True, 0, source, False
    if family in ("write_attributes", "write_read_attributes"):
        return True, 0, None, True
    return True, None, None, False


#: operation name -> (Operation, servant method name, black box fields); "_not_existent" is the
#: old spelling of "_non_existent" some ORBs still send
_DISPATCH = {name: (op, "op" + name if name.startswith("_") else "op_" + name, _black_box_fields(op))
             for name, op in OPERATIONS.items()}
_DISPATCH["_not_existent"] = _DISPATCH["_non_existent"]


class Encoded:
    """A handler's result already in CDR: ``write(w)`` appends it to the reply body (instead of
    the operation's result codec).  For replies served from cached octets (attribute and command
    configurations, which PyTango clients ask for before every write and command)."""

    __slots__ = ("write",)

    def __init__(self, write: Callable[[CDRWriter], None]) -> None:
        self.write = write


def _put_octets(w: CDRWriter, data: bytes) -> None:
    """Octets encoded from a 4-aligned offset, at the next 4-aligned offset of ``w``."""
    if (len(w.buf) - w.origin) & 3:
        w.align(4)
    w.buf += data


class DeviceServant:
    """Serves the Device_6 operations of one device."""

    def __init__(self, device: DeviceImpl, runtime: "ServerRuntime") -> None:
        self.device = device
        self.runtime = runtime
        self.black_box = BlackBox()
        #: operation name -> (Operation, bound handler, black box fields): one lookup per request
        self.dispatch: dict[str, tuple[Operation, Callable[..., Any], tuple]] = {}
        for name, (op, method, fields) in _DISPATCH.items():
            handler = getattr(self, method, None)
            if handler is not None:
                self.dispatch[name] = (op, handler, fields)

    # -- bookkeeping -------------------------------------------------------------------------
    def record(self, ctx: CallContext, op: Operation, args: tuple) -> None:
        """Add the request to the black box (worded as cppTango does when it is read)."""
        recorded, names_at, source_at, written = _black_box_fields(op)
        if recorded:
            self._record(ctx, op, args, names_at, source_at, written)

    def _record(self, ctx: CallContext, op: Operation, args: tuple, names_at: int | None, source_at: int | None,
                written: bool) -> None:
        names = None if names_at is None else args[names_at]
        if written:
            names = [v.name for v in names]
        self.black_box.add_call(ctx, op, names, None if source_at is None else args[source_at])

    def check_lock(self, ctx: CallContext, what: str, command: str | None = None) -> None:
        """Refuse ``what`` on a device locked by another client (State/Status stay allowed)."""
        locker = self.device._dev_locker
        if locker is None:
            return
        if not locker.is_valid():
            self.device._dev_locker = None
            return
        if command is not None and command.lower() in ("state", "status"):
            return
        if ctx.locker_key() != locker.key:
            raise DevFailed(DevError("API_DeviceLocked", f"Device {self.device.get_name()} is locked by another "
                                     "client", f"Device_Impl::{what}", ErrSeverity.ERR))

    # -- CORBA::Object -------------------------------------------------------------------------
    def op_is_a(self, repo_id: str) -> bool:
        return repo_id in _REPO_IDS

    def op_non_existent(self) -> bool:
        return False

    # -- CORBA attributes ----------------------------------------------------------------------
    def op_get_name(self) -> str:
        return self.device.get_name()

    def op_get_description(self) -> str:
        return self.device.get_description()

    def op_get_adm_name(self) -> str:
        return self.runtime.admin_device_name

    def op_get_state(self) -> Any:
        dev = self.device
        with dev._monitor():
            dev._resolve(dev.always_executed_hook())
            return dev._resolve(dev.dev_state())

    def op_get_status(self) -> str:
        dev = self.device
        with dev._monitor():
            dev._resolve(dev.always_executed_hook())
            from .device import _wire_status
            return _wire_status(dev._resolve(dev.dev_status()))

    # -- misc ------------------------------------------------------------------------------
    def op_ping(self) -> None:
        return None

    def op_black_box(self, n: int) -> list[str]:
        return self.black_box.read(n)

    def _info_fields(self) -> tuple:
        dev = self.device
        return (dev.get_device_class().get_name(), self.runtime.server_name, self.runtime.short_host_name,
                6, f"Doc URL = {dev.get_device_class().get_doc_url()}")

    def op_info(self) -> DevInfo:
        return DevInfo(*self._info_fields())

    def op_info_3(self) -> DevInfo_3:
        return DevInfo_3(*self._info_fields(), self.device.get_device_class().get_type())

    def op_info_6(self) -> DevInfo_6:
        versions = [DevInfoVersion(k, v) for k, v in sorted(self.device.get_version_info().items())]
        return DevInfo_6(*self._info_fields(), self.device.get_device_class().get_type(), versions)

    # -- commands ----------------------------------------------------------------------------
    def op_command_list_query(self) -> list:
        return [c.info() for c in self.device.command_list()]

    def op_command_list_query_2(self) -> list:
        return [c.info_2() for c in self.device.command_list()]

    def op_command_query(self, name: str) -> Any:
        cmd = self.device.command_query(name)
        return Encoded(lambda w: _put_octets(w, cmd.info_octets(1, w.little_endian)))

    def op_command_query_2(self, name: str) -> Any:
        cmd = self.device.command_query(name)
        return Encoded(lambda w: _put_octets(w, cmd.info_octets(2, w.little_endian)))

    def _command(self, name: str, argin: tuple, ctx: CallContext) -> tuple:
        if self.device._dev_locker is not None:
            self.check_lock(ctx, ctx.operation.replace("command_inout_4", "command_inout4"), name)
        argtype, value = argin
        return self.device.command_inout(name, argtype, value)

    def op_command_inout(self, name: str, argin: tuple) -> tuple:
        return self._command(name, argin, current_call())

    def op_command_inout_2(self, name: str, argin: tuple, source: DevSource) -> tuple:
        return self._command_with_source(name, argin, source)

    def op_command_inout_4(self, name: str, argin: tuple, source: DevSource, ident: ClntIdent) -> tuple:
        return self._command_with_source(name, argin, source)

    def _command_with_source(self, name: str, argin: tuple, source: DevSource) -> tuple:
        ctx = current_call()
        if source != DevSource.DEV:
            cached = self.runtime.polling_read_command(self.device, name, source)
            if cached is not None:
                return cached
        return self._command(name, argin, ctx)

    # -- attribute reading ------------------------------------------------------------------------
    def _read_5(self, names: list[str], source: DevSource = DevSource.DEV) -> list[AttributeValue_5]:
        if source != DevSource.DEV:
            cached = self.runtime.polling_read_attributes(self.device, names, source)
            if cached is not None:
                return cached
        return self.device.read_attributes(names)

    def op_read_attributes_5(self, names: list[str], source: DevSource, ident: ClntIdent) -> list:
        return self._read_5(names, source)

    def op_read_attributes_4(self, names: list[str], source: DevSource, ident: ClntIdent) -> list:
        return [_to_4(v) for v in self._read_5(names, source)]

    def op_read_attributes_3(self, names: list[str], source: DevSource) -> list:
        return [_to_3(v) for v in self._read_5(names, source)]

    def op_read_attributes_2(self, names: list[str], source: DevSource) -> list:
        return [_to_1(v) for v in self._read_5_strict(names, source)]

    def op_read_attributes(self, names: list[str]) -> list:
        return [_to_1(v) for v in self._read_5_strict(names)]

    def _read_5_strict(self, names: list[str], source: DevSource = DevSource.DEV) -> list[AttributeValue_5]:
        """IDL 1/2 reads have no per-attribute errors: the first failure fails the call."""
        values = self._read_5(names, source)
        for v in values:
            if v.err_list:
                raise DevFailed(*v.err_list)
        return values

    # -- attribute writing ------------------------------------------------------------------------
    def _write(self, values: list[AttributeValue_4], what: str) -> None:
        if self.device._dev_locker is not None:
            self.check_lock(current_call(), what)
        self.device.write_attributes(values)

    def op_write_attributes_4(self, values: list[AttributeValue_4], ident: ClntIdent) -> None:
        self._write(values, "write_attributes_4")

    def op_write_attributes_3(self, values: list[AttributeValue]) -> None:
        self._write([_from_1(v) for v in values], "write_attributes_3")

    def op_write_attributes(self, values: list[AttributeValue]) -> None:
        try:
            self._write([_from_1(v) for v in values], "write_attributes")
        except MultiDevFailed as exc:
            raise DevFailed(*exc.errors[0].err_list) from None

    def op_write_read_attributes_4(self, values: list[AttributeValue_4], ident: ClntIdent) -> list:
        self.check_lock(current_call(), "write_read_attributes_4")
        return [_to_4(v) for v in self.device.write_read_attributes(values)]

    def op_write_read_attributes_5(self, values: list[AttributeValue_4], read_names: list[str],
                                   ident: ClntIdent) -> list:
        self.check_lock(current_call(), "write_read_attributes_5")
        return self.device.write_read_attributes(values, read_names)

    # -- attribute configuration --------------------------------------------------------------
    def _configs(self, names: list[str], idl: int) -> "Encoded":
        attrs = self.device._config_targets(names)     # DevFailed for an unknown name, before replying

        def write(w: CDRWriter) -> None:
            w.write_ulong(len(attrs))
            for attr in attrs:
                data = attr.config_octets(idl, w.little_endian)
                if data is None:
                    attr.config_struct(idl).write(w)
                else:
                    _put_octets(w, data)
        return Encoded(write)

    def op_get_attribute_config(self, names: list[str]) -> Any:
        return self._configs(names, 1)

    def op_get_attribute_config_2(self, names: list[str]) -> Any:
        return self._configs(names, 2)

    def op_get_attribute_config_3(self, names: list[str]) -> Any:
        return self._configs(names, 3)

    def op_get_attribute_config_5(self, names: list[str]) -> Any:
        return self._configs(names, 5)

    def _set_config(self, confs: list, what: str) -> None:
        self.check_lock(current_call(), what)
        self.device.set_attribute_configs(confs)

    def op_set_attribute_config(self, confs: list) -> None:
        self._set_config(confs, "set_attribute_config")

    def op_set_attribute_config_3(self, confs: list) -> None:
        self._set_config(confs, "set_attribute_config_3")

    def op_set_attribute_config_4(self, confs: list, ident: ClntIdent) -> None:
        self._set_config(confs, "set_attribute_config_4")

    def op_set_attribute_config_5(self, confs: list, ident: ClntIdent) -> None:
        self._set_config(confs, "set_attribute_config_5")

    # -- polling history (served by the polling engine) --------------------------------------
    def op_read_attribute_history_5(self, name: str, n: int) -> Any:
        return self.runtime.polling_history(self.device, "attribute", name, n, 5)

    def op_read_attribute_history_4(self, name: str, n: int) -> Any:
        return self.runtime.polling_history(self.device, "attribute", name, n, 4)

    def op_read_attribute_history_3(self, name: str, n: int) -> Any:
        return self.runtime.polling_history(self.device, "attribute", name, n, 3)

    def op_read_attribute_history_2(self, name: str, n: int) -> Any:
        return self.runtime.polling_history(self.device, "attribute", name, n, 2)

    def op_command_inout_history_4(self, name: str, n: int) -> Any:
        return self.runtime.polling_history(self.device, "command", name, n, 4)

    def op_command_inout_history_2(self, name: str, n: int) -> Any:
        return self.runtime.polling_history(self.device, "command", name, n, 2)

    # -- pipes (deprecated in Tango 10: this server has none) ----------------------------------
    def op_get_pipe_config_5(self, names: list[str]) -> list:
        if names:
            raise _no_pipe(names[0])
        return []

    def op_read_pipe_5(self, name: str, ident: ClntIdent) -> Any:
        raise _no_pipe(name)

    def op_write_pipe_5(self, value: Any, ident: ClntIdent) -> None:
        raise _no_pipe(value.name)

    def op_write_read_pipe_5(self, value: Any, ident: ClntIdent) -> Any:
        raise _no_pipe(value.name)

    def op_set_pipe_config_5(self, confs: list, ident: ClntIdent) -> None:
        if confs:
            raise _no_pipe(confs[0].name)


def _no_pipe(name: str) -> DevFailed:
    return DevFailed(DevError("API_PipeNotFound", f"{name} pipe not found", "DeviceImpl::get_pipe_by_name",
                              ErrSeverity.ERR))


# -- older IDL structs from AttributeValue_5 ------------------------------------------------------

def _to_4(v: AttributeValue_5) -> AttributeValue_4:
    return AttributeValue_4(v.value, v.quality, v.data_format, v.time, v.name, v.r_dim, v.w_dim, v.err_list)


def _to_3(v: AttributeValue_5) -> AttributeValue_3:
    return AttributeValue_3(CorbaAny.from_union(v.value), v.quality, v.time, v.name, v.r_dim, v.w_dim, v.err_list)


def _to_1(v: AttributeValue_5) -> AttributeValue:
    return AttributeValue(CorbaAny.from_union(v.value), v.quality, v.time, v.name, v.r_dim.dim_x, v.r_dim.dim_y)


def _from_1(v: AttributeValue) -> AttributeValue_4:
    try:
        union = v.value.to_union()
    except CodecError as exc:
        raise DevFailed(DevError("API_IncompatibleAttrDataType", f"Attribute {v.name}: {exc}",
                                 "Device_3Impl::write_attributes", ErrSeverity.ERR)) from None
    return AttributeValue_4(union, v.quality, AttrDataFormat.FMT_UNKNOWN, v.time, v.name, AttributeDim(0, 0),
                            AttributeDim(v.dim_x, v.dim_y), [])


# -- the object adapter ---------------------------------------------------------------------------

#: operations served without the device's lock nor device code (cached configurations, command
#: infos, liveness): the transport need not watch the connection while they run.  PyTango's
#: client asks get_attribute_config_5 before every write and command_query_2 before every command.
QUICK_OPERATIONS = frozenset({
    "get_attribute_config", "get_attribute_config_2", "get_attribute_config_3", "get_attribute_config_5",
    "command_query", "command_query_2", "ping", "_is_a", "_non_existent", "_not_existent", "_get_name",
    "_get_adm_name",
})


class ObjectAdapter:
    """Object key -> servant; answers every GIOP request of the server (thread-safe)."""

    def __init__(self) -> None:
        self._servants: dict[bytes, DeviceServant] = {}
        self._lock = threading.Lock()
        #: see RequestHandler.quick_operations; none in a gevent server (everything waits for the hub)
        self.quick_operations: frozenset[str] = QUICK_OPERATIONS

    def register(self, key: bytes, servant: DeviceServant) -> None:
        with self._lock:
            self._servants[key] = servant

    def unregister(self, key: bytes) -> None:
        with self._lock:
            self._servants.pop(key, None)

    def servant(self, key: bytes) -> DeviceServant | None:
        return self._servants.get(key)

    def has_object(self, object_key: bytes) -> bool:
        return object_key in self._servants

    def handle_request(self, request: Request, peer: Peer) -> Response | None:
        le = request.little_endian
        servant = self._servants.get(request.object_key)
        if servant is None:
            return system_exception("OBJECT_NOT_EXIST", OMG_MINOR_1, CompletionStatus.COMPLETED_NO, le)
        entry = servant.dispatch.get(request.operation)
        if entry is None:
            if request.operation in ("_interface", "_get_interface"):
                return system_exception("INTF_REPOS", INTF_REPOS_MINOR, CompletionStatus.COMPLETED_NO, le)
            return system_exception("BAD_OPERATION", BAD_OPERATION_MINOR, CompletionStatus.COMPLETED_NO, le)
        op, handler, (recorded, names_at, source_at, written) = entry
        try:
            args = op.read_args(request.body)
        except (CodecError, ValueError, TypeError, IndexError, OverflowError):
            return system_exception("MARSHAL", MARSHAL_MINOR, CompletionStatus.COMPLETED_NO, le)
        ident_at = op.ident_index
        ctx = CallContext(peer, None if ident_at is None else args[ident_at], op.name)
        local = _local
        local.call = ctx
        local.request_id = request.request_id
        working_for = associate(servant.device.get_name())  # proxies made now are its sub-devices
        try:
            if recorded:
                servant._record(ctx, op, args, names_at, source_at, written)
            try:
                hub = servant.runtime.hub
                if hub is None or servant.device._dev_green_mode != GreenMode.Gevent:
                    result = handler(*args)
                else:  # a gevent device: its code runs in the server's hub
                    result = hub.call(handler, args, ctx)
            except DevFailed as exc:
                return _exception_response(op, exc, le)
            except BaseException as exc:  # noqa: BLE001 - device code must never kill the connection
                if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
                    raise
                return _exception_response(op, python_error(exc), le)
            w = CDRWriter(le)
            try:
                if result.__class__ is Encoded:
                    result.write(w)
                else:
                    op.write_result(w, result)
            except (TypeError, ValueError, OverflowError, CodecError):
                return system_exception("UNKNOWN", OMG_MINOR_1, CompletionStatus.COMPLETED_MAYBE, le)
            return Response(ReplyStatus.NO_EXCEPTION, w.buf, local.after_send)
        finally:
            dissociate(working_for)
            local.call = None
            local.after_send = None


def _exception_response(op: Operation, exc: DevFailed, little_endian: bool) -> Response:
    if not op.raises:  # CORBA attributes: cppTango answers IMP_LIMIT
        return system_exception("IMP_LIMIT", IMP_LIMIT_DEVFAILED, CompletionStatus.COMPLETED_NO, little_endian)
    if isinstance(exc, MultiDevFailed):
        if op.may_raise(exc):
            exc = MultiDevFailed([NamedDevError(wire_text(e.name), e.index_in_call, wire_errors(e.err_list))
                                  for e in exc.errors])
        else:
            exc = DevFailed(*wire_errors(e for item in exc.errors for e in item.err_list))
    else:
        exc = DevFailed(*wire_errors(exc.args))
    w = CDRWriter(little_endian)
    op.write_exception(w, exc)
    return Response(ReplyStatus.USER_EXCEPTION, w.getvalue())


_ = (AttrQuality, AttrValUnion, CmdArgType, socket)
