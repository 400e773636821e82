"""DeviceProxy: the PyTango-compatible client of one Tango device.

Built on :class:`tango_core.client.connection.Connection`, which owns name resolution, the IOR,
the IDL version, timeouts, reconnection and the mapping of transport failures to DevFailed.
This module adds the Tango operations and PyTango's user-level semantics:

* which IDL operation to call for the device's IDL version (``read_attributes_5`` for IDL >= 5,
  ``command_inout_4`` for IDL >= 4 ...), as a cppTango 10 client does;
* argument checking *before* sending (commands from their ``in_type``, writes from the attribute
  configuration), both cached per proxy;
* PyTango's error stacks (``API_AttributeFailed``/``API_CommandFailed`` appended client-side);
* the dynamic interface: ``dev.attr``, ``dev.attr = v``, ``dev.Command(arg)``, ``dev["attr"]``,
  ``dir(dev)`` for TAB completion;
* properties through the Database, as cppTango does;
* events as thin delegations into ``tango_core.events`` (imported lazily: no zmq at import).

Polling, locking and logging (through the admin device) come from ``device_admin.AdminServices``,
the asynchronous calls from ``asynch.AsynchMethods``, the polling history from ``history``.
"""

from __future__ import annotations

import collections.abc
import functools
import os
import weakref
import time
from typing import Any, Iterable, Sequence

import numpy as np

from tango_core.client.api_util import device_proxy_made
from tango_core.client.warn_once import warn_once
from tango_core.client.asynch import AsynchMethods
from tango_core.client.connection import Connection
from tango_core.client.device_admin import AdminServices
from tango_core.client.device_attribute import (
    DeviceAttribute,
    attribute_failed,
    encode_write_value,
    from_attribute_value,
    read_attribute_reply_5,
    read_attributes_reply_5,
    scalar_write_octets,
)
from tango_core.client.db_types import DbDatum
from tango_core.client.device_data import DeviceData, command_result, convert_argin, latin1_for_wire
from tango_core.client.info import (
    AttributeInfo,
    AttributeInfoEx,
    AttributeInfoList,
    AttributeInfoListEx,
    CommandInfo,
    CommandInfoList,
    StdStringVector,
    DeviceInfo,
    attribute_config_5_from_info,
    attribute_info_ex_from_idl,
    attribute_info_from_ex,
    command_info_from_idl,
    device_info_from_idl,
)
from tango_core.idl.enums import (
    AttrDataFormat,
    AttrQuality,
    CmdArgType,
    DevState,
    ExtractAs,
    GreenMode,
)
from tango_core.idl.errors import ConnectionFailed, DevFailed, MultiDevFailed, NonDbDevice, dev_error
from tango_core.idl import types as T
from tango_core.idl.operations import OPERATIONS, newest
from tango_core.client.green import event_delivery, get_green_mode, green_function, green_method, set_green_mode
from tango_core.transport.calls import Blocking, Plan, run_blocking
from tango_core.wire.giop import EncodedArgs

__all__ = ["DeviceProxy", "get_device_proxy", "get_green_mode", "set_green_mode"]

_CMD_TYPES = CmdArgType.values
_ALL_ATTRIBUTES_3 = "All attributes_3"
_NO_ARG = object()  # command_inout(name) without an argument (None is an argument, refused for typed commands)
_COMPLETION_TIMEOUT_MS = 500  # TAB completion must not hang on a dead or blocked device
_COMPLETION_CACHE_S = 5.0     # how long completion reuses the lists it fetched


def _check_green(kwargs: dict) -> None:
    """PyTango's green-mode keywords on a method that is synchronous in every mode (as in PyTango:
    ``wait=True`` is accepted, ``wait=False`` or a ``timeout`` are ValueError)."""
    if not kwargs:
        return
    wait = kwargs.pop("wait", True)
    timeout = kwargs.pop("timeout", None)
    kwargs.pop("green_mode", None)
    if kwargs:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(kwargs)}")
    if not wait or timeout is not None:
        raise ValueError("Not supported in synchronous mode")


_OP = OPERATIONS
#: proxies holding encoded read requests: they carry the client identity (this process's id, which
#: cppTango's locking checks), so a forked child forgets them and encodes its own
_with_read_requests: "weakref.WeakSet[DeviceProxy]" = weakref.WeakSet()


def _forget_read_requests_after_fork() -> None:
    for proxy in list(_with_read_requests):
        proxy.__dict__["_read_requests"] = {}


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_read_requests_after_fork)
_GET_STATE, _GET_STATUS = _OP["_get_state"], _OP["_get_status"]
_READ_5, _READ_4 = _OP["read_attributes_5"], _OP["read_attributes_4"]
_NUMPY = ExtractAs.Numpy
_WRITE_4 = _OP["write_attributes_4"]


def _non_str_seq(value) -> bool:
    """A sequence that is no str (PyTango's is_non_str_seq: bytes, bytearray and numpy arrays too,
    not 0-d arrays here: they are one number)."""
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    return isinstance(value, (collections.abc.Sequence, bytearray)) and not isinstance(value, str)


def _attribute_reply_4(r):
    """The DeviceAttribute (ExtractAs.Numpy) of a one-attribute read_attributes_4 reply body."""
    return from_attribute_value(_READ_4.read_result(r)[0])


def _attributes_reply_4(r):
    """The DeviceAttributes (ExtractAs.Numpy) of a read_attributes_4 reply body."""
    return [from_attribute_value(av) for av in _READ_4.read_result(r)]


class _CommandFunction:
    """``dev.Command`` as a callable with PyTango's docstring."""

    def __init__(self, proxy: "DeviceProxy", info: CommandInfo) -> None:
        self._proxy = proxy
        self._name = info.cmd_name
        tin = getattr(info.in_type, "name", info.in_type)
        tout = getattr(info.out_type, "name", info.out_type)
        self.__doc__ = (f"{info.cmd_name}({tin}) -> {tout}\n\n"
                        f" -  in ({tin}): {info.in_type_desc}\n"
                        f" - out ({tout}): {info.out_type_desc}\n")

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True  # ``dev.Cmd(x)`` relays to command_inout: show the user's line
        return self._proxy.command_inout(self._name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<command {self._name} of {self._proxy.dev_name()}>"


#: PyTango's words for what set_attribute_config takes
_SET_ATTRIBUTE_CONFIG_TYPES = ("Value must be a AttributeInfo, AttributeInfoEx, sequence<AttributeInfo> or "
                               "sequence<AttributeInfoEx")


class DeviceProxy(AdminServices, AsynchMethods, Connection):
    """Proxy to one Tango device (PyTango ``DeviceProxy``)."""

    # ------------------------------------------------------------------ construction / identity
    def __init__(self, *args, **kwargs) -> None:
        """Build and connect, in the calling thread (the class itself is synchronous, as PyTango's:
        ``get_device_proxy`` and ``tango_core.asyncio.DeviceProxy`` build in a green mode)."""
        self._setup(*args, **kwargs)
        run_blocking(self._connect_new_plan())

    def _setup(self, *args, **kwargs) -> None:
        """Everything construction does without I/O."""
        green_mode = kwargs.pop("green_mode", None)
        for k in ("executor", "threadpool", "asyncio_executor"):
            kwargs.pop(k, None)
        d = self.__dict__
        d["_green_mode"] = green_mode
        d["_cmd_query_cache"] = {}  # lower name -> CommandInfo
        d["_attr_cfg"] = {}        # lower name -> AttributeInfoEx
        d["_read_requests"] = {}   # (names, source, idl) -> writer of the encoded read_attributes arguments
        d["_scalar_writes"] = {}   # (name, data type) -> (client identity, octets before and after the value)
        d["_cmd_names"] = None     # lower -> name, from command_list_query
        d["_attr_names"] = None    # lower -> name, from attribute_list_query_ex
        d["_info_cache"] = None
        d["_adm_proxy"] = None
        d["_dynamic_interface_frozen"] = True  # PyTango's attribute name
        Connection.__init__(self, *args, connect=False, **kwargs)

    def _connect_new_plan(self) -> Plan:
        """Construction's I/O: import and connect (errors as cppTango's), the canonical name."""
        yield from self._initial_connect_plan()
        yield from self._canonical_name_plan()
        self.__dict__["_initialized"] = True
        device_proxy_made(self._given_name)  # a sub-device of the device a server here serves

    @classmethod
    def _build_plan(cls, *args, **kwargs) -> Plan:
        """A new, connected proxy, as a call plan (the green factories run it)."""
        proxy = cls.__new__(cls)
        proxy._setup(*args, **kwargs)
        yield from proxy._connect_new_plan()
        return proxy

    def _canonical_name_plan(self) -> Plan:
        """PyTango shows device names lower-cased, and the real name behind an alias."""
        if self._name.is_alias and self._name.dbase:
            try:
                self._dev_name = yield from self._database()._device_from_alias_plan(self._name.name)
            except DevFailed:
                pass
        else:
            self._dev_name = self._dev_name.lower()

    def __str__(self) -> str:
        return self.__repr__()

    def __repr__(self) -> str:
        d = self.__dict__
        if not d.get("_initialized"):  # construction failed (pytest prints the frames' locals)
            return "DeviceProxy<Unknown Device>(<object was not fully initialized>)"
        info = d.get("_info_cache")
        if info is None:
            try:
                info = self.info()
            except Exception:
                return f"Device({self.dev_name()})"
        return f"{info.dev_class}({self.dev_name()})"

    def get_green_mode(self):
        """This proxy's green mode (the process-wide one if it has none of its own)."""
        mode = self._green_mode
        return mode if mode is not None else get_green_mode()

    def set_green_mode(self, green_mode=None) -> None:
        """Set this proxy's green mode; None: follow the process-wide mode."""
        self.__dict__["_green_mode"] = green_mode

    def freeze_dynamic_interface(self) -> None:
        """Setting an attribute this proxy does not have raises AttributeError (the default):
        a typo in ``dev.attr = value`` is not silently kept as a Python attribute."""
        self.__dict__["_dynamic_interface_frozen"] = True

    def unfreeze_dynamic_interface(self) -> None:
        """Let unknown attributes be set on this proxy instance, with PyTango's warning."""
        import warnings
        from tango_core.client.constants import PyTangoUserWarning
        warnings.warn(f"Dynamic interface unfrozen on DeviceProxy instance {self} id=0x{id(self):x} - "
                      "arbitrary Python attributes can be set without raising an exception.",
                      category=PyTangoUserWarning, stacklevel=2)
        self.__dict__["_dynamic_interface_frozen"] = False

    def is_dynamic_interface_frozen(self) -> bool:
        return self._dynamic_interface_frozen

    # ------------------------------------------------------------------ CORBA attributes / misc
    def _state_plan(self) -> Plan:
        """The device state (``_get_state``)."""
        return self._invoke_encoded_plan(_GET_STATE, None)  # the plan itself: one generator less

    state = green_method(_state_plan, name="state")

    def _status_plan(self) -> Plan:
        """The device status (``_get_status``).  Servers keep it as a C++ ``std::string`` and
        PyTango's ``status()`` decodes it as UTF-8 (a PyTango or tango_core server sends "é" as
        c3 a9); octets that are not UTF-8 stay as Latin-1 text."""
        status = yield from self._invoke_encoded_plan(_GET_STATUS, None)
        if isinstance(status, str) and not status.isascii():
            try:
                status = status.encode("latin-1").decode("utf-8")
            except UnicodeError:
                pass
        return status

    status = green_method(_status_plan, name="status")

    def name(self) -> str:
        """The device name as the device itself reports it."""
        return self._invoke(_OP["_get_name"])

    def description(self) -> str:
        return self._invoke(_OP["_get_description"])

    def adm_name(self) -> str:
        """Name of the admin device; a full TRL (``tango://h:p/...#dbase=no``) for no-DB devices."""
        adm = self._invoke(_OP["_get_adm_name"])
        return self._qualified_name(adm)

    def _ping_plan(self) -> Plan:
        """Round-trip time of the IDL ``ping`` in microseconds."""
        t0 = time.perf_counter()
        yield from self._invoke_encoded_plan(_OP["ping"], None)
        return int((time.perf_counter() - t0) * 1e6)

    ping = green_method(_ping_plan, name="ping")

    def black_box(self, n: int) -> list[str]:
        return StdStringVector(self._invoke(_OP["black_box"], n))

    def info(self) -> DeviceInfo:
        info = device_info_from_idl(self._invoke(newest("info", self._idl())))
        self.__dict__["_info_cache"] = info
        return info

    def import_info(self):
        """DbDevImportInfo of the last DbImportDevice (NonDbDevice for a no-DB device, as PyTango)."""
        if not self.is_dbase_used():
            raise self._non_database_device("DeviceProxy::import_info()")
        self.get_idl_version()
        return self._import_info

    def _non_database_device(self, origin: str) -> NonDbDevice:
        return NonDbDevice(dev_error("API_NonDatabaseDevice", f"Method not available for device {self.dev_name()} "
                                     "which is a non database device", origin))

    def _qualified_name(self, name: str) -> str:
        """A device name as this proxy's users must write it to reach it (admin device names)."""
        dn = self._name
        if not dn.dbase:
            return f"tango://{dn.host}:{dn.port}/{name}#dbase=no"
        if dn.explicit_host:
            return f"tango://{dn.host}:{dn.port}/{name}"
        return name

    def _database(self):
        from tango_core.client.database import get_database
        return get_database(self._tango_host)

    def _import_ior_plan(self) -> Plan:
        """DbImportDevice through the device's database; the IOR, or ConnectionFailed
        API_DeviceNotExported (DevFailed [..., API_DeviceNotDefined] for an unknown name)."""
        try:
            info = yield from self._database()._import_device_plan(self._dev_name)
        except DevFailed as exc:
            if exc.args and exc.args[0].reason == "DB_DeviceNotDefined":
                raise DevFailed(*exc.args, dev_error("API_DeviceNotDefined",
                                                     f"Can't connect to device {self._dev_name}",
                                                     "DeviceProxy::DeviceProxy()")) from None
            raise
        self._import_info = info
        if not info.exported:
            raise ConnectionFailed(dev_error("API_DeviceNotExported", f"Device {self._dev_name} is not exported "
                                             "(hint: try starting the device server)", "DeviceProxy::get_corba_name()"))
        return info.ior

    def alias(self) -> str:
        """The device alias from the Database (DevFailed DB_AliasNotDefined-like if none)."""
        db = self._database_or_raise()
        return db.get_alias_from_device(self.dev_name())

    def get_device_db(self):
        return self._database_or_raise() if self.is_dbase_used() else None

    def get_tango_lib_version(self) -> int:
        """An estimate from the IDL version (cppTango asks the admin device; not needed here)."""
        return {6: 1000, 5: 902, 4: 800, 3: 600}.get(self.get_idl_version(), 0)

    # ------------------------------------------------------------------ commands
    def command_query(self, command: str) -> CommandInfo:
        """CommandInfo of one command (cached; ``command_query_2``)."""
        info = self._cmd_query_cache.get(command.lower())
        return info if info is not None else run_blocking(self._command_query_plan(command))

    def _command_query_plan(self, command: str) -> Plan:
        key = command.lower()
        info = self._cmd_query_cache.get(key)
        if info is None:
            idl = yield from self._idl_plan()
            info = command_info_from_idl((yield from self._invoke_plan(newest("command_query", idl), command)))
            self._cmd_query_cache[key] = info
        return info

    def command_list_query(self, _timeout_ms: int | None = None) -> list[CommandInfo]:
        return run_blocking(self._command_list_query_plan(_timeout_ms))

    def _command_list_query_plan(self, _timeout_ms: int | None = None) -> Plan:
        idl = yield from self._idl_plan()
        raws = yield from self._invoke_plan(newest("command_list_query", idl), timeout_ms=_timeout_ms)
        infos = CommandInfoList(command_info_from_idl(x) for x in raws)
        cache = self._cmd_query_cache
        for i in infos:
            cache[i.cmd_name.lower()] = i
        self.__dict__["_cmd_names"] = {i.cmd_name.lower(): i.cmd_name for i in infos}
        self.__dict__["_cmd_names_at"] = time.monotonic()
        return infos

    def get_command_list(self) -> list[str]:
        return StdStringVector(i.cmd_name for i in self.command_list_query())

    def _get_command_config_plan(self, value=None) -> Plan:
        """CommandInfo of one command, a list of them, or of every command (None / ("All commands",))."""
        commands = value
        if commands is None or commands == ("All commands",):
            return (yield from self._command_list_query_plan())
        if isinstance(commands, str):
            return (yield from self._command_query_plan(commands))
        infos = CommandInfoList()
        for c in commands:
            infos.append((yield from self._command_query_plan(c)))
        return infos

    get_command_config = green_method(_get_command_config_plan, name="get_command_config")

    def _command_raw_plan(self, command: str, argin_type: int, argin: Any) -> Plan:
        """Send one command (strings as Latin-1 octets, as PyTango); the decoded (type, value) of
        the result.  The argin is checked once more by the operation's writer, before sending."""
        if not self._idl_version:
            yield from self._idl_plan()  # a connection error is raised as it is, without API_CommandFailed
        return (yield from self._send_command_plan(command, argin_type, latin1_for_wire(argin_type, argin)))

    def _command_raw(self, command: str, argin_type: int, argin: Any):
        return run_blocking(self._command_raw_plan(command, argin_type, argin))

    def _command_inout_plan(self, name: str, cmd_param: Any = _NO_ARG) -> Plan:
        """Run a command: the argument is checked/converted from its ``in_type`` first."""
        if not isinstance(name, str):
            raise TypeError(f"command_inout(): the command name must be a str, not {type(name).__name__}")
        args = () if cmd_param is _NO_ARG else (cmd_param,)
        arg = args[0] if args else None
        if isinstance(arg, DeviceData):
            info = yield from self._command_query_plan(name)
            _t, value = yield from self._command_raw_plan(info.cmd_name, arg.get_type(), arg._value)
            return command_result(info.out_type, value)
        try:
            info = self._cmd_query_cache.get(name.lower())
            if info is None:
                info = yield from self._command_query_plan(name)
        except DevFailed as exc:
            if args:  # PyTango: with an argument, the command_query error as it is
                raise
            # without one PyTango sends the command at once: the server's error + API_CommandFailed
            raise type(exc)(*exc.args, dev_error(
                "API_CommandFailed", f"Failed to execute command_inout on device {self.dev_name()}, command {name}",
                "Connection::command_inout()")) from None
        if arg is None and info.in_type != CmdArgType.DevVoid:  # PyTango sends it; the server refuses
            tname = getattr(info.in_type, "name", info.in_type)
            wording = "argument" if (yield from self._idl_plan()) >= 6 else "command argument"  # cppTango 10 / 9
            raise DevFailed(
                dev_error("API_IncompatibleCmdArgumentType",
                          f"Incompatible {wording} type, expected type is : Tango::{tname}", "Command::extract()"),
                dev_error("API_CommandFailed",
                          f"Failed to execute command_inout on device {self.dev_name()}, command {info.cmd_name}",
                          "Connection::command_inout()"))
        argin = convert_argin(info.cmd_name, info.in_type, arg)
        _t, value = yield from self._command_raw_plan(info.cmd_name, info.in_type, argin)
        return command_result(info.out_type, value)

    command_inout = green_method(_command_inout_plan, name="command_inout")

    def _command_inout_checked_raw(self, name: str, arg=None, given: bool = True) -> DeviceData:
        """command_inout's checks and errors, the result kept as a DeviceData (asynch replies)."""
        info = self.command_query(name)
        value = run_blocking(self._command_inout_plan(name, arg) if given else self._command_inout_plan(name))
        dd = DeviceData.__new__(DeviceData)
        dd._type, dd._value = CmdArgType.values.get(info.out_type, info.out_type), value
        return dd

    def command_inout_raw(self, cmd_name: str, cmd_param=None) -> DeviceData:
        name, arg = cmd_name, cmd_param
        info = self.command_query(name)
        argin = arg._value if isinstance(arg, DeviceData) else convert_argin(info.cmd_name, info.in_type, arg)
        t, value = self._command_raw(info.cmd_name, info.in_type, argin)
        return DeviceData._wrap(info.out_type if t is None else t, value)

    # ------------------------------------------------------------------ attribute configuration
    def _read_configs(self, names: Sequence[str], timeout_ms: int | None = None) -> list[AttributeInfoEx]:
        return run_blocking(self._read_configs_plan(names, timeout_ms))

    def _read_configs_plan(self, names: Sequence[str], timeout_ms: int | None = None) -> Plan:
        idl = yield from self._idl_plan()
        # devices below IDL 3 are asked get_attribute_config_2 (AttributeConfig_2 has the display level)
        raws = yield from self._invoke_plan(newest("get_attribute_config", max(idl, 2)), list(names),
                                            timeout_ms=timeout_ms)
        infos = [attribute_info_ex_from_idl(x) for x in raws]
        cache = self._attr_cfg
        for i in infos:
            cache[i.name.lower()] = i
        return infos

    def _attribute_config(self, name: str) -> AttributeInfoEx:
        """Cached configuration of one attribute (needed for writes)."""
        return run_blocking(self._attribute_config_plan(name))

    def _attribute_config_plan(self, name: str) -> Plan:
        cfg = self._attr_cfg.get(name.lower()) if self.__dict__.get("_attr_cfg_cache_on", True) else None
        if cfg is None:
            cfg = (yield from self._read_configs_plan([name]))[0]
        return cfg

    def attribute_query(self, name: str) -> AttributeInfoEx:
        return self._read_configs([name])[0]

    def attribute_list_query_ex(self, _timeout_ms: int | None = None) -> list[AttributeInfoEx]:
        return run_blocking(self._attribute_list_query_ex_plan(_timeout_ms))

    def _attribute_list_query_ex_plan(self, _timeout_ms: int | None = None) -> Plan:
        infos = AttributeInfoListEx((yield from self._read_configs_plan([_ALL_ATTRIBUTES_3], _timeout_ms)))
        self.__dict__["_attr_names"] = {i.name.lower(): i.name for i in infos}
        self.__dict__["_attr_names_at"] = time.monotonic()
        return infos

    def attribute_list_query(self) -> list[AttributeInfo]:
        return AttributeInfoList(attribute_info_from_ex(i) for i in self.attribute_list_query_ex())

    def get_attribute_list(self) -> list[str]:
        return StdStringVector(run_blocking(self._attribute_names_plan()))

    def _attribute_names_plan(self) -> Plan:
        """The attribute names alone: from an IDL 5+ device they are read out of the
        configurations without decoding the rest (AttributeConfig_5.read_names); older devices
        go through attribute_list_query_ex."""
        idl = yield from self._idl_plan()
        if idl < 5:
            return [i.name for i in (yield from self._attribute_list_query_ex_plan())]
        op = newest("get_attribute_config", idl)
        names = yield from self._invoke_encoded_plan(op, op.args_writer([_ALL_ATTRIBUTES_3]),
                                                     read_result=T.AttributeConfig_5.read_names)
        self.__dict__["_attr_names"] = {n.lower(): n for n in names}
        self.__dict__["_attr_names_at"] = time.monotonic()
        return names

    def _get_attribute_config_plan(self, names) -> Plan:
        """One name -> AttributeInfoEx; a list of names -> list of AttributeInfo (PyTango)."""
        value = names
        if isinstance(value, str):
            return (yield from self._read_configs_plan([value]))[0]
        return AttributeInfoList(attribute_info_from_ex(i) for i in (yield from self._read_configs_plan(list(value))))

    get_attribute_config = green_method(_get_attribute_config_plan, name="get_attribute_config")

    def _get_attribute_config_ex_plan(self, names) -> Plan:
        """AttributeInfoEx of one name or of a list of names, as a list."""
        value = names
        if isinstance(value, str):
            value = [value]
        return AttributeInfoListEx((yield from self._read_configs_plan(list(value))))

    get_attribute_config_ex = green_method(_get_attribute_config_ex_plan, name="get_attribute_config_ex")

    def _set_attribute_config_plan(self, value) -> Plan:
        """Change attribute configuration(s) from AttributeInfoEx/AttributeInfo object(s).
        Anything else is a TypeError saying what is accepted, as in PyTango (a string would
        otherwise be taken as a sequence of one-letter configurations); an empty sequence
        changes nothing."""
        if isinstance(value, AttributeInfo):
            infos = [value]
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
            infos = list(value)
        else:
            infos = [None]
        if not all(isinstance(i, AttributeInfo) for i in infos):
            raise TypeError(_SET_ATTRIBUTE_CONFIG_TYPES)
        if not infos:
            return
        if not any(isinstance(i, AttributeInfoEx) for i in infos):
            # plain AttributeInfo carries no alarm/event part: the IDL-1 operation leaves those as
            # they are on the server (as PyTango does), where _5 would reset them
            yield from self._invoke_plan(_OP["set_attribute_config"], [_config_1_from_info(i) for i in infos])
            for i in infos:
                self._attr_cfg.pop(i.name.lower(), None)
            return
        confs = [attribute_config_5_from_info(i) for i in infos]
        idl = yield from self._idl_plan()
        if idl >= 5:
            yield from self._invoke_plan(_OP["set_attribute_config_5"], confs, self._client_ident())
        elif idl >= 4:
            yield from self._invoke_plan(_OP["set_attribute_config_4"], [_config_3_from_5(c) for c in confs],
                                         self._client_ident())
        else:
            yield from self._invoke_plan(_OP["set_attribute_config_3"], [_config_3_from_5(c) for c in confs])
        for i in infos:
            self._attr_cfg.pop(i.name.lower(), None)

    set_attribute_config = green_method(_set_attribute_config_plan, name="set_attribute_config")

    # ------------------------------------------------------------------ reading attributes
    def _read_values(self, names: Sequence[str]) -> list:
        return run_blocking(self._read_values_plan(names))

    def _read_values_plan(self, names: Sequence[str], one_attribute: bool = False,
                          every_attribute: bool = False) -> Plan:
        """read_attributes_5 (IDL >= 5) or _4; the request's writer is cached per name list.
        The plan's result: the AttributeValue_5/_4 list, or with ``one_attribute`` (one name)
        the DeviceAttribute of its value (ExtractAs.Numpy), decoded straight from the reply, or
        with ``every_attribute`` the list of the DeviceAttributes of all (ExtractAs.Numpy).

        The arguments (names, source, client identity) only contain 4-byte aligned CDR items, so
        bytes encoded once at a 4-aligned offset are valid at any 4-aligned offset of a request.
        (A plain function returning the plan: the common, cached case costs no generator of its own.)
        """
        idl = self._idl_version
        write = self._read_requests.get((tuple(names), self._source, idl))
        if write is None:
            return self._encode_read_plan(names, one_attribute, every_attribute)
        if idl >= 5:
            return self._invoke_encoded_plan(
                _READ_5, write, read_result=read_attribute_reply_5 if one_attribute
                else read_attributes_reply_5 if every_attribute else None)
        return self._invoke_encoded_plan(_READ_4, write, read_result=_attribute_reply_4 if one_attribute
                                         else _attributes_reply_4 if every_attribute else None)

    def _encode_read_plan(self, names: Sequence[str], one_attribute: bool = False,
                          every_attribute: bool = False) -> Plan:
        """The first read of a name list: connect if needed, encode and cache the request, read."""
        idl = yield from self._idl_plan()
        if idl < 4:
            raise DevFailed(dev_error("API_NotSupported", f"Device {self.dev_name()} has IDL version {idl}; "
                                      "attribute reads need IDL >= 4", "DeviceProxy::read_attributes()"))
        op = _READ_5 if idl >= 5 else _READ_4
        if len(self._read_requests) > 256:
            self._read_requests.clear()
        raw = op.encode_args(list(names), self._source, self._client_ident())

        def write(wr, _raw=raw):
            wr.align(4)
            wr.write_raw(_raw)
        self._read_requests[(tuple(names), self._source, idl)] = EncodedArgs(raw, write)
        _with_read_requests.add(self)
        return (yield from self._read_values_plan(names, one_attribute, every_attribute))

    def _read_attribute_plan(self, attr_name: str, extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """Read one attribute; raises DevFailed if its read failed."""
        if not isinstance(attr_name, str):
            raise TypeError(f"read_attribute(): the attribute name must be a str, not {type(attr_name).__name__}")
        try:
            if extract_as == _NUMPY:  # the reply decoded straight into the DeviceAttribute
                da = yield from self._read_values_plan((attr_name,), True)
            else:
                da = from_attribute_value((yield from self._read_values_plan((attr_name,)))[0], extract_as)
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "read_attribute", f"attribute {attr_name}") from None
        if da.has_failed:
            raise attribute_failed(da._errors, self.dev_name(), "read_attribute", f"attribute {da.name}")
        return da

    read_attribute = green_method(_read_attribute_plan, name="read_attribute")

    def _read_attributes_plan(self, attr_names: Sequence[str], extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """Read several attributes in one call; failures are flagged per entry (``has_failed``)."""
        if isinstance(attr_names, str):
            attr_names = [attr_names]
        names = list(attr_names)
        try:
            if extract_as == _NUMPY:  # the reply decoded straight into the DeviceAttributes
                result = yield from self._read_values_plan(names, every_attribute=True)
            else:
                result = [from_attribute_value(av, extract_as) for av in (yield from self._read_values_plan(names))]
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "read_attributes",
                                   f"attributes {', '.join(names)}") from None
        for da in result:
            if da.has_failed:  # the entry keeps its errors, with PyTango's API_AttributeFailed on top
                da._errors = attribute_failed(da._errors, self.dev_name(), "read_attributes",
                                              f"attribute {da.name}").args
        return result

    read_attributes = green_method(_read_attributes_plan, name="read_attributes")

    # ------------------------------------------------------------------ writing attributes
    def _write_entry(self, cfg: AttributeInfo, value):
        """The AttributeValue_4 that writes ``value`` to the attribute configured as ``cfg``."""
        union, wx, wy = encode_write_value(cfg, value)
        av = T.AttributeValue_4(value=union, quality=AttrQuality.ATTR_VALID,
                                data_format=AttrDataFormat.FMT_UNKNOWN, time=T.TimeVal(0, 0, 0),
                                name=cfg.name, r_dim=T.AttributeDim(wx, wy), w_dim=T.AttributeDim(wx, wy),
                                err_list=[])
        return av

    def _scalar_write_args(self, cfg: AttributeInfo, value) -> EncodedArgs | None:
        """The write_attributes_4 arguments that write ``value`` to a numeric scalar attribute
        (None for other attributes): the request body of ``_write_entry``'s value, in which only
        the value's octets change from call to call -- the octets around them are encoded once
        per attribute (and client identity), at an 8-aligned offset, as a GIOP 1.2 body starts."""
        octets = scalar_write_octets(cfg, value)  # checks the value first, as _write_entry
        if octets is None:
            return None
        ident = self._client_ident()
        key = (cfg.name, cfg.data_type)
        layout = self._scalar_writes.get(key)
        if layout is None or layout[0] is not ident:
            raw = _WRITE_4.encode_args([self._write_entry(cfg, value)], ident)
            start = 12 + (-12 % len(octets))  # list count, union discriminator, value count, padding
            if raw[start:start + len(octets)] != octets:  # (cannot happen: then no layout, the general way)
                return None
            layout = self._scalar_writes[key] = (ident, raw[:start], raw[start + len(octets):])
        return EncodedArgs(layout[1] + octets + layout[2],
                           lambda w: _WRITE_4.write_args(w, [self._write_entry(cfg, value)], ident))

    def _write_values_plan(self, avs: list) -> Plan:
        idl = yield from self._idl_plan()
        if idl >= 4:
            yield from self._invoke_plan(_OP["write_attributes_4"], avs, self._client_ident())
        else:
            raise DevFailed(dev_error("API_NotSupported", f"Device {self.dev_name()} has IDL version {idl}; "
                                      "attribute writes need IDL >= 4", "DeviceProxy::write_attributes()"))

    def _attr_cfg_or_fail(self, attr, operation: str):
        return run_blocking(self._attr_cfg_or_fail_plan(attr, operation))

    def _attr_cfg_or_fail_plan(self, attr, operation: str) -> Plan:
        try:
            return attr if isinstance(attr, AttributeInfo) else (yield from self._attribute_config_plan(attr))
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), operation, f"attribute {attr}") from None

    def _write_attribute_plan(self, attr, value) -> Plan:
        """Write one attribute (name or AttributeInfo(Ex)); the value is checked against its type first."""
        attr_name = attr
        if isinstance(attr_name, DeviceAttribute):
            attr_name, value = attr_name.name, attr_name.value
        cfg = yield from self._attr_cfg_or_fail_plan(attr_name, "write_attribute")
        args = self._scalar_write_args(cfg, value) if self._idl_version >= 4 else None
        if args is None:
            av = self._write_entry(cfg, value)
        try:
            if args is not None:
                yield from self._invoke_encoded_plan(_WRITE_4, args)
            else:
                yield from self._write_values_plan([av])
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "write_attribute", f"attribute {cfg.name}") from None

    write_attribute = green_method(_write_attribute_plan, name="write_attribute")

    def _write_attributes_plan(self, attr_values: Iterable) -> Plan:
        """Write several attributes in one call: ``[(name, value), ...]``."""
        name_val = attr_values
        pairs = [(x.name, x.value) if isinstance(x, DeviceAttribute) else x for x in name_val]
        avs = []
        for n, v in pairs:  # a config error (unknown name) comes out as the server sent it
            avs.append(self._write_entry(n if isinstance(n, AttributeInfo) else (yield from self._attribute_config_plan(n)),
                                         v))
        try:
            yield from self._write_values_plan(avs)
        except MultiDevFailed as exc:
            names = ", ".join(e.name for e in exc.errors)
            raise DevFailed(dev_error(
                "API_AttributeFailed",
                f"Failed to execute DeviceProxy::write_attributes on device {self.dev_name()}, object(s) {names}",
                "DeviceProxy::write_attributes")) from None

    write_attributes = green_method(_write_attributes_plan, name="write_attributes")

    def _write_read_plan(self, avs: list, read_names: list[str]) -> Plan:
        idl = yield from self._idl_plan()
        if idl >= 5:
            return (yield from self._invoke_plan(_OP["write_read_attributes_5"], avs, read_names, self._client_ident()))
        if idl >= 4:
            return (yield from self._invoke_plan(_OP["write_read_attributes_4"], avs, self._client_ident()))
        raise DevFailed(dev_error("API_NotSupported", f"Device {self.dev_name()} has IDL version {idl}; "
                                  "write_read needs IDL >= 4", "DeviceProxy::write_read_attribute()"))

    def _write_read_attribute_plan(self, attr, value, extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """Write then read back one attribute in a single network call."""
        attr_name = attr
        cfg = yield from self._attr_cfg_or_fail_plan(attr_name, "write_read_attribute")
        av = self._write_entry(cfg, value)
        try:
            res = yield from self._write_read_plan([av], [cfg.name])
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "write_read_attribute", f"attribute {cfg.name}") from None
        da = from_attribute_value(res[0], extract_as)
        if da.has_failed:
            raise attribute_failed(da._errors, self.dev_name(), "write_read_attribute", f"attribute {da.name}")
        return da

    write_read_attribute = green_method(_write_read_attribute_plan, name="write_read_attribute")

    def _write_read_attributes_plan(self, attr_values: Iterable, attr_read_names: Sequence[str],
                                    extract_as: ExtractAs = ExtractAs.Numpy) -> Plan:
        """Write several attributes, then read several, in a single network call."""
        name_val = attr_values
        avs = []
        for n, v in name_val:
            avs.append(self._write_entry((yield from self._attr_cfg_or_fail_plan(n, "write_read_attributes")), v))
        try:
            res = yield from self._write_read_plan(avs, list(attr_read_names))
        except MultiDevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "write_read_attributes") from None
        return [from_attribute_value(av, extract_as) for av in res]

    write_read_attributes = green_method(_write_read_attributes_plan, name="write_read_attributes")

    # ------------------------------------------------------------------ polling history (client.history)
    def attribute_history(self, attr_name: str, depth: int, extract_as: ExtractAs = ExtractAs.Numpy, **kw):
        """The last ``depth`` polled readings (DeviceAttributeHistory, oldest first)."""
        if kw:
            _check_green(kw)
        from tango_core.client.history import attribute_history
        return attribute_history(self, attr_name, depth, extract_as)

    def command_history(self, cmd_name: str, depth: int, **kw):
        """The last ``depth`` polled results (DeviceDataHistory, oldest first)."""
        if kw:
            _check_green(kw)
        from tango_core.client.history import command_history
        return command_history(self, cmd_name, depth)

    # ------------------------------------------------------------------ attribute configuration cache
    def is_attribute_config_cache_enabled(self) -> bool:
        return self.__dict__.get("_attr_cfg_cache_on", True)

    def set_attribute_config_cache(self, enabled: bool) -> None:
        """Writes need each attribute's type: cached (default) or asked for at every write."""
        self.__dict__["_attr_cfg_cache_on"] = bool(enabled)
        if not enabled:
            self._attr_cfg.clear()

    def invalidate_attribute_config_cache(self, attr_name: str | None = None) -> None:
        """Forget cached attribute configurations (all, or one), e.g. after another client changed them."""
        if attr_name is None:
            self._attr_cfg.clear()
        else:
            self._attr_cfg.pop(attr_name.lower(), None)

    # ------------------------------------------------------------------ properties (through the Database)
    def _database_or_raise(self):
        if not self.is_dbase_used():
            raise self._non_database_device("DeviceProxy::get_property()")
        return self._database()

    def _get_property_plan(self, propname, value=None) -> Plan:
        """Device properties from the Database: ``{name: [values...]}``; a DbData given as
        ``value`` also receives one DbDatum per property (PyTango's second argument).  No name
        (an empty dict, list or tuple) is no property, asked of nobody."""
        if isinstance(propname, (dict, list, tuple)) and not propname:
            return {}
        props = yield from self._database_or_raise()._get_device_property_plan(self.dev_name(), propname)
        if value is not None:
            value.extend(DbDatum(name, list(values)) for name, values in props.items())
        return props

    get_property = green_method(_get_property_plan, name="get_property")

    def _put_property_plan(self, value) -> Plan:
        """Store device properties in the Database (a dict, DbDatum(s) or DbData)."""
        yield from self._database_or_raise()._put_device_property_plan(self.dev_name(), value)

    put_property = green_method(_put_property_plan, name="put_property")

    def _delete_property_plan(self, value) -> Plan:
        """Delete device properties from the Database (nothing to do for no name)."""
        if isinstance(value, (dict, list, tuple)) and not value:
            return
        yield from self._database_or_raise()._delete_device_property_plan(self.dev_name(), value)

    delete_property = green_method(_delete_property_plan, name="delete_property")

    def _get_property_list_plan(self, filter: str = "*", array=None) -> Plan:  # noqa: A002 - PyTango name
        """Names of the device's properties matching ``filter``."""
        if array is not None and not isinstance(array, Sequence):
            raise TypeError("array must be a mutable sequence<string>")  # PyTango's check and text
        return (yield from self._database_or_raise()._get_device_property_list_plan(self.dev_name(), filter, array))

    get_property_list = green_method(_get_property_list_plan, name="get_property_list")

    # ------------------------------------------------------------------ events (tango_core.events)
    def _subscribe_event_plan(self, *args, **kwargs) -> Plan:
        """Subscribe to an event (every PyTango signature, see ``tango_core.events.api``); its id.

        The subscription is set up by blocking code (run off the loop in asyncio mode, off the hub
        in gevent mode); callbacks are then called where the mode wants them: on the subscriber's
        event loop in asyncio mode (``async def`` callbacks are awaited there), in the hub in
        gevent mode, in the event thread otherwise."""
        from tango_core.events import api
        deliver = event_delivery(kwargs.get("green_mode") or self.get_green_mode())
        return (yield Blocking(functools.partial(api.subscribe_event, event_client(), self, *args, deliver=deliver,
                                                 **kwargs)))

    subscribe_event = green_method(_subscribe_event_plan, name="subscribe_event", consume_green_mode=False)

    def _unsubscribe_event_plan(self, event_id: int) -> Plan:
        """Stop a subscription this proxy owns (KeyError otherwise)."""
        from tango_core.events import api
        yield Blocking(functools.partial(api.unsubscribe_event, self, event_id))

    unsubscribe_event = green_method(_unsubscribe_event_plan, name="unsubscribe_event")

    def get_events(self, event_id: int, callback=None, extract_as=ExtractAs.Numpy):
        from tango_core.events import api
        return api.get_events(self, event_id, callback, extract_as)

    def event_queue_size(self, event_id: int) -> int:
        from tango_core.events import api
        return api.event_queue_size(self, event_id)

    def get_last_event_date(self, event_id: int):
        from tango_core.events import api
        return api.get_last_event_date(self, event_id)

    def is_event_queue_empty(self, event_id: int) -> bool:
        from tango_core.events import api
        return api.is_event_queue_empty(self, event_id)

    # ------------------------------------------------------------------ dynamic interface
    def _command_names(self, refresh: bool = False) -> dict:
        names = self.__dict__.get("_cmd_names")
        if names is None or refresh:
            self.command_list_query()
            names = self.__dict__["_cmd_names"]
        return names

    def _attribute_names(self, refresh: bool = False) -> dict:
        names = self.__dict__.get("_attr_names")
        if names is None or refresh:
            self.attribute_list_query_ex()
            names = self.__dict__["_attr_names"]
        return names

    def _lookup(self, name: str, fresh: bool = False):
        """('cmd'|'attr', real name) for a dynamic name, refreshing the caches once on a miss (at
        once with ``fresh``); else (None, the first DevFailed met): as PyTango's cause, the first
        one says why (the attempts after a failed connection only say "The connection request
        was delayed")."""
        key = name.lower()
        first_exc = None
        for refresh in ((True,) if fresh else (False, True)):
            try:
                cmds = self._command_names(refresh)
                if key in cmds:
                    return "cmd", cmds[key]
            except DevFailed as exc:
                first_exc = first_exc or exc
            try:
                attrs = self._attribute_names(refresh)
                if key in attrs:
                    return "attr", attrs[key]
            except DevFailed as exc:
                first_exc = first_exc or exc
                if refresh:
                    break
        return None, first_exc

    def __getattr__(self, name: str):
        __tracebackhide__ = True  # ``dev.attr`` relays to a read or a command: show the user's line
        if name.startswith("_") or name == "trait_names" or "_name" not in self.__dict__:
            raise AttributeError(name)
        self._check_initialized()
        kind, real = self._lookup(name)
        if kind == "attr":
            try:
                return self._read_dynamic(real)
            except DevFailed as exc:
                # the device may have removed the attribute since the names were cached: look again
                if not exc.args or exc.args[0].reason != "API_AttrNotFound":
                    raise
                kind, real = self._lookup(name, fresh=True)
                if kind is None:
                    raise AttributeError(name) from exc
        if kind == "cmd":
            return _CommandFunction(self, self.command_query(real))
        if kind == "attr":
            return self._read_dynamic(real)
        raise AttributeError(name) from real

    def _read_dynamic_plan(self, name: str) -> Plan:
        """``dev.attr``: the value read; enumerated and state attributes give enum members (an
        IntEnum made from the labels, DevState), their spectra tuples of them and their images
        tuples of tuples, as PyTango's dynamic interface does."""
        da = yield from self._read_attribute_plan(name)
        if da.value is None or da.type not in (CmdArgType.DevEnum, CmdArgType.DevState):
            return da.value
        if da.type == CmdArgType.DevState:
            members = DevState
        else:
            cfg = yield from self._attribute_config_plan(name)
            if not cfg.enum_labels:
                return da.value
            import enum
            labels = [lbl if lbl.isidentifier() else f"_{lbl}" for lbl in cfg.enum_labels]
            try:
                members = enum.IntEnum(name, [(lbl, i) for i, lbl in enumerate(labels)])
            except (ValueError, TypeError):
                return da.value
        try:
            if da.data_format == AttrDataFormat.SCALAR:
                return members(da.value)
            if da.data_format == AttrDataFormat.IMAGE:
                return tuple(tuple(members(int(v)) for v in row) for row in da.value)
            return tuple(members(int(v)) for v in da.value)
        except (ValueError, TypeError):
            return da.value

    _read_dynamic = green_method(_read_dynamic_plan, name="_read_dynamic")

    def __setattr__(self, name: str, value) -> None:
        __tracebackhide__ = True  # ``dev.attr = v`` relays to write_attribute: show the user's line
        d = self.__dict__
        if name.startswith("_") or name in d or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        self._check_initialized()
        kind, real = self._lookup(name)
        if kind == "attr":
            try:
                self.write_attribute(real, self._enum_labels_to_values(real, name, value))
            except (AttributeError, TypeError):
                # PyTango 10: the cached configuration may be stale (the device re-created the
                # attribute with another type): fetch it again and, if it changed, try once more
                if not self._attribute_config_changed(real):
                    raise
                self.write_attribute(real, self._enum_labels_to_values(real, name, value))
            return
        if kind == "cmd":
            raise TypeError("Cannot set the value of a command")
        if not d.get("_dynamic_interface_frozen", True):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(  # from why the names could not be read (a device down), as PyTango
            f"Tried to set non-existent attr {name!r} to {value!r}.\nThe DeviceProxy object interface is frozen "
            "and cannot be modified - see tango.DeviceProxy.freeze_dynamic_interface for details.") from real

    def _attribute_config_changed(self, attr: str) -> bool:
        """Forget ``attr``'s cached configuration and fetch it again: did it change?"""
        if not self.is_attribute_config_cache_enabled():
            return False
        old = self._attr_cfg.get(attr.lower())
        self.invalidate_attribute_config_cache(attr)
        try:
            new = self._attribute_config(attr)
        except DevFailed:
            return False
        return old is None or (new.data_type, new.data_format, new.writable, list(new.enum_labels)) != (
            old.data_type, old.data_format, old.writable, list(old.enum_labels))

    def _enum_labels_to_values(self, attr: str, typed: str, value):
        """``dev.mode = "ON"``: a DevEnum attribute takes its labels, as PyTango's dynamic
        interface does: a label, or the labels in a sequence (or in the rows of one), become their
        numbers; an unknown label is an AttributeError.  As in PyTango, a sequence becomes a list
        of its elements on the way; a numeric numpy array stays as it is (PyTango refuses it)."""
        if not isinstance(value, str) and not _non_str_seq(value):
            return value
        if isinstance(value, np.ndarray) and value.dtype.kind not in "USO":
            return value  # numbers only: cast as write_attribute casts arrays (PyTango: TypeError)
        cfg = self._attribute_config(attr)
        if CmdArgType.values.get(cfg.data_type, cfg.data_type) != CmdArgType.DevEnum:
            return value
        labels = list(cfg.enum_labels)

        def number(v):
            if not isinstance(v, str):
                return v
            if v not in labels:
                raise AttributeError(f"Invalid enum value {v} for attribute {typed}. Valid values: {labels}")
            return labels.index(v)
        if isinstance(value, str):
            return number(value)
        return [[number(x) for x in v] if _non_str_seq(v) else number(v) for v in value]

    def _check_initialized(self) -> None:
        """A proxy whose construction failed (kept alive by a traceback) refuses to be used, as PyTango's."""
        if not self.__dict__.get("_initialized"):
            raise RuntimeError("DeviceProxy object was not fully initialized.")

    def __getitem__(self, key: str) -> DeviceAttribute:
        self._check_initialized()
        return self.read_attribute(key)

    def __setitem__(self, key: str, value) -> None:
        self._check_initialized()
        self.write_attribute(key, value)

    def __contains__(self, key: str) -> bool:
        self._check_initialized()
        return key.lower() in self._attribute_names()

    def _completion_names(self, kind: str) -> list[str]:
        """Command or attribute names for TAB completion: fresh enough from the cache, else fetched
        with a short timeout; never an error (a dead device completes to nothing)."""
        d = self.__dict__
        names, at = d.get(f"_{kind}_names"), d.get(f"_{kind}_names_at", 0.0)
        if names is None or time.monotonic() - at > _COMPLETION_CACHE_S:
            try:
                if kind == "cmd":
                    self.command_list_query(_COMPLETION_TIMEOUT_MS)
                else:
                    self.attribute_list_query_ex(_COMPLETION_TIMEOUT_MS)
                names = d.get(f"_{kind}_names")
            except Exception:  # noqa: BLE001 - completion must never fail
                pass
        return list(names.values()) if names else []

    def __dir__(self):
        self._check_initialized()
        found = self._completion_names("cmd") + self._completion_names("attr")
        names = set(super().__dir__())  # after the look-ups: includes what they cached in __dict__
        names.update(found)
        names.update(n.lower() for n in found)
        return sorted(names)

    def _ipython_key_completions_(self) -> list[str]:
        return self._completion_names("attr")

    def __reduce__(self):
        return (DeviceProxy, (self.dev_name(),))

    # ------------------------------------------------------------------ helpers
    def _idl(self) -> int:
        """The device's IDL version, connecting first: a connection error is raised as it is
        (get_idl_version() returns 0 instead, as PyTango's does)."""
        version = self._idl_version
        if not version:
            self._connect_if_needed()
            version = self._idl_version
        return version

    def _idl_plan(self) -> Plan:
        """:meth:`_idl` as a call plan."""
        if not self._idl_version:
            yield from self._connect_plan()
        return self._idl_version


def _config_1_from_info(i: AttributeInfo):
    return T.AttributeConfig(
        name=i.name, writable=int(i.writable), data_format=int(i.data_format), data_type=int(i.data_type),
        max_dim_x=int(i.max_dim_x), max_dim_y=int(i.max_dim_y), description=str(i.description), label=str(i.label),
        unit=str(i.unit), standard_unit=str(i.standard_unit), display_unit=str(i.display_unit), format=str(i.format),
        min_value=str(i.min_value), max_value=str(i.max_value), min_alarm=str(i.min_alarm),
        max_alarm=str(i.max_alarm), writable_attr_name=str(i.writable_attr_name),
        extensions=[str(x) for x in i.extensions])


def _config_3_from_5(c):
    return T.AttributeConfig_3(
        name=c.name, writable=c.writable, data_format=c.data_format, data_type=c.data_type,
        max_dim_x=c.max_dim_x, max_dim_y=c.max_dim_y, description=c.description, label=c.label, unit=c.unit,
        standard_unit=c.standard_unit, display_unit=c.display_unit, format=c.format, min_value=c.min_value,
        max_value=c.max_value, writable_attr_name=c.writable_attr_name, level=c.level, att_alarm=c.att_alarm,
        event_prop=c.event_prop, extensions=c.extensions, sys_extensions=c.sys_extensions)




_event_client = None


def event_client():
    """What this layer hands the event consumer (which imports nothing from the client): how to
    make device proxies (admin devices) and turn decoded payloads into the user-facing objects."""
    global _event_client
    if _event_client is None:
        from tango_core.events.client_interface import ClientInterface
        # the consumer's threads block: its proxies (admin devices) are synchronous whatever the green mode
        _event_client = ClientInterface(device_proxy=functools.partial(DeviceProxy, green_mode=GreenMode.Synchronous),
                                        device_attribute=from_attribute_value,
                                        attribute_info=attribute_info_ex_from_idl,
                                        command_info=command_info_from_idl, warn_once=warn_once)
    return _event_client


def _get_device_proxy_plan(*args, green_mode=None, executor=None, threadpool=None, asyncio_executor=None) -> Plan:
    """A new DeviceProxy in ``green_mode``, built as a call plan."""
    return (yield from DeviceProxy._build_plan(*args, green_mode=green_mode))


#: PyTango's factory: ``get_device_proxy(name, green_mode=None, wait=True, timeout=None)``; in a
#: green mode building the proxy is itself green (``await tango_core.asyncio.DeviceProxy(name)``).
get_device_proxy = green_function(_get_device_proxy_plan, name="get_device_proxy")
