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

import time
from typing import Any, Iterable, Sequence

from tango_core.client.asynch import AsynchMethods
from tango_core.client.connection import Connection
from tango_core.client.device_admin import AdminServices
from tango_core.client.device_attribute import (
    DeviceAttribute,
    attribute_failed,
    encode_write_value,
    from_attribute_value,
)
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
)
from tango_core.idl.errors import ConnectionFailed, DevFailed, MultiDevFailed, NonDbDevice, dev_error
from tango_core.idl import types as T
from tango_core.idl.operations import OPERATIONS, newest

__all__ = ["DeviceProxy", "get_device_proxy", "get_green_mode", "set_green_mode"]

_CMD_TYPES = CmdArgType.values
_ALL_ATTRIBUTES_3 = "All attributes_3"
_NO_ARG = object()  # command_inout(name) without an argument (None is an argument, refused for typed commands)
_COMPLETION_TIMEOUT_MS = 500  # TAB completion must not hang on a dead or blocked device
_COMPLETION_CACHE_S = 5.0     # how long completion reuses the lists it fetched


def _check_green(kwargs: dict) -> None:
    """Accept PyTango's green-mode keywords; only synchronous calls exist here."""
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
        return self._proxy.command_inout(self._name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<command {self._name} of {self._proxy.dev_name()}>"


class DeviceProxy(AdminServices, AsynchMethods, Connection):
    """Proxy to one Tango device (PyTango ``DeviceProxy``)."""

    # ------------------------------------------------------------------ construction / identity
    def __init__(self, *args, **kwargs) -> None:
        green_mode = kwargs.pop("green_mode", None)
        for k in ("executor", "threadpool", "asyncio_executor"):
            kwargs.pop(k, None)
        d = self.__dict__
        d["_green_mode"] = green_mode
        d["_cmd_query_cache"] = {}  # lower name -> CommandInfo
        d["_attr_cfg"] = {}        # lower name -> AttributeInfoEx
        d["_read_requests"] = {}   # (names, source, idl) -> encoded read_attributes arguments
        d["_cmd_names"] = None     # lower -> name, from command_list_query
        d["_attr_names"] = None    # lower -> name, from attribute_list_query_ex
        d["_info_cache"] = None
        d["_adm_proxy"] = None
        d["_dynamic_frozen"] = True
        Connection.__init__(self, *args, **kwargs)
        self._canonical_name()

    def _canonical_name(self) -> None:
        """PyTango shows device names lower-cased, and the real name behind an alias."""
        if self._name.is_alias and self._name.dbase:
            try:
                self._dev_name = self._database().get_device_from_alias(self._name.name)
            except DevFailed:
                pass
        else:
            self._dev_name = self._dev_name.lower()

    def __str__(self) -> str:
        return self.__repr__()

    def __repr__(self) -> str:
        d = self.__dict__
        if "_attr_cfg" not in d or "_name" not in d:
            return "DeviceProxy<Unknown Device>(<object was not fully initialized>)"
        info = d.get("_info_cache")
        if info is None:
            try:
                info = self.info()
            except Exception:
                return f"Device({self.dev_name()})"
        return f"{info.dev_class}({self.dev_name()})"

    def get_green_mode(self):
        """This proxy's green mode; only synchronous calls exist here, so None means Synchronous."""
        from tango_core.idl.enums import GreenMode
        return self._green_mode if self._green_mode is not None else GreenMode.Synchronous

    def set_green_mode(self, green_mode=None) -> None:
        self.__dict__["_green_mode"] = green_mode

    def freeze_dynamic_interface(self) -> None:
        self.__dict__["_dynamic_frozen"] = True

    def unfreeze_dynamic_interface(self) -> None:
        self.__dict__["_dynamic_frozen"] = False

    def is_dynamic_interface_frozen(self) -> bool:
        return self._dynamic_frozen

    # ------------------------------------------------------------------ CORBA attributes / misc
    def state(self, **kw) -> DevState:
        """The device state (``_get_state``)."""
        if kw:
            _check_green(kw)
        return self._invoke(_OP["_get_state"])

    def status(self, **kw) -> str:
        if kw:
            _check_green(kw)
        return self._invoke(_OP["_get_status"])

    def name(self) -> str:
        """The device name as the device itself reports it."""
        return self._invoke(_OP["_get_name"])

    def description(self) -> str:
        return self._invoke(_OP["_get_description"])

    def adm_name(self) -> str:
        """Name of the admin device; a full TRL (``tango://h:p/...#dbase=no``) for no-DB devices."""
        adm = self._invoke(_OP["_get_adm_name"])
        return self._qualified_name(adm)

    def ping(self, **kw) -> int:
        """Round-trip time of the IDL ``ping`` in microseconds."""
        if kw:
            _check_green(kw)
        t0 = time.perf_counter()
        self._invoke(_OP["ping"])
        return int((time.perf_counter() - t0) * 1e6)

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

    def _import_ior(self) -> str:
        """DbImportDevice through the device's database; the IOR, or ConnectionFailed
        API_DeviceNotExported (DevFailed [..., API_DeviceNotDefined] for an unknown name)."""
        try:
            info = self._database().import_device(self._dev_name)
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
        key = command.lower()
        info = self._cmd_query_cache.get(key)
        if info is None:
            info = command_info_from_idl(self._invoke(newest("command_query", self._idl()), command))
            self._cmd_query_cache[key] = info
        return info

    def command_list_query(self, _timeout_ms: int | None = None) -> list[CommandInfo]:
        raws = self._invoke(newest("command_list_query", self._idl()), timeout_ms=_timeout_ms)
        infos = CommandInfoList(command_info_from_idl(x) for x in raws)
        cache = self._cmd_query_cache
        for i in infos:
            cache[i.cmd_name.lower()] = i
        self.__dict__["_cmd_names"] = {i.cmd_name.lower(): i.cmd_name for i in infos}
        self.__dict__["_cmd_names_at"] = time.monotonic()
        return infos

    def get_command_list(self) -> list[str]:
        return StdStringVector(i.cmd_name for i in self.command_list_query())

    def get_command_config(self, value=None, **kw):
        if kw:
            _check_green(kw)
        commands = value
        if commands is None or commands == ("All commands",):
            return self.command_list_query()
        if isinstance(commands, str):
            return self.command_query(commands)
        return CommandInfoList(self.command_query(c) for c in commands)

    def _command_raw(self, command: str, argin_type: int, argin: Any):
        """Send one command (strings as Latin-1 octets, as PyTango); the decoded (type, value) of
        the result.  The argin is checked once more by the operation's writer, before sending."""
        self._idl()  # a connection error is raised as it is, without API_CommandFailed
        return self._send_command(command, argin_type, latin1_for_wire(argin_type, argin))

    def command_inout(self, name: str, cmd_param: Any = _NO_ARG, **kwargs) -> Any:
        """Run a command: the argument is checked/converted from its ``in_type`` first."""
        if kwargs:
            _check_green(kwargs)
        if not isinstance(name, str):
            raise TypeError(f"command_inout(): the command name must be a str, not {type(name).__name__}")
        args = () if cmd_param is _NO_ARG else (cmd_param,)
        arg = args[0] if args else None
        if isinstance(arg, DeviceData):
            info = self.command_query(name)
            _t, value = self._command_raw(info.cmd_name, arg.get_type(), arg._value)
            return command_result(info.out_type, value)
        try:
            info = self.command_query(name)
        except DevFailed as exc:
            if args:  # PyTango: with an argument, the command_query error as it is
                raise
            # without one PyTango sends the command at once: the server's error + API_CommandFailed
            raise type(exc)(*exc.args, dev_error(
                "API_CommandFailed", f"Failed to execute command_inout on device {self.dev_name()}, command {name}",
                "Connection::command_inout()")) from None
        if arg is None and info.in_type != CmdArgType.DevVoid:  # PyTango sends it; the server refuses
            tname = getattr(info.in_type, "name", info.in_type)
            wording = "argument" if self._idl() >= 6 else "command argument"  # cppTango 10 / 9 servers
            raise DevFailed(
                dev_error("API_IncompatibleCmdArgumentType",
                          f"Incompatible {wording} type, expected type is : Tango::{tname}", "Command::extract()"),
                dev_error("API_CommandFailed",
                          f"Failed to execute command_inout on device {self.dev_name()}, command {info.cmd_name}",
                          "Connection::command_inout()"))
        argin = convert_argin(info.cmd_name, info.in_type, arg)
        _t, value = self._command_raw(info.cmd_name, info.in_type, argin)
        return command_result(info.out_type, value)

    def _command_inout_checked_raw(self, name: str, arg=None, given: bool = True) -> DeviceData:
        """command_inout's checks and errors, the result kept as a DeviceData (asynch replies)."""
        info = self.command_query(name)
        value = self.command_inout(name, arg) if given else self.command_inout(name)
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
        idl = self._idl()
        # devices below IDL 3 are asked get_attribute_config_2 (AttributeConfig_2 has the display level)
        raws = self._invoke(newest("get_attribute_config", max(idl, 2)), list(names), timeout_ms=timeout_ms)
        infos = [attribute_info_ex_from_idl(x) for x in raws]
        cache = self._attr_cfg
        for i in infos:
            cache[i.name.lower()] = i
        return infos

    def _attribute_config(self, name: str) -> AttributeInfoEx:
        """Cached configuration of one attribute (needed for writes)."""
        cfg = self._attr_cfg.get(name.lower()) if self.__dict__.get("_attr_cfg_cache_on", True) else None
        if cfg is None:
            cfg = self._read_configs([name])[0]
        return cfg

    def attribute_query(self, name: str) -> AttributeInfoEx:
        return self._read_configs([name])[0]

    def attribute_list_query_ex(self, _timeout_ms: int | None = None) -> list[AttributeInfoEx]:
        infos = AttributeInfoListEx(self._read_configs([_ALL_ATTRIBUTES_3], _timeout_ms))
        self.__dict__["_attr_names"] = {i.name.lower(): i.name for i in infos}
        self.__dict__["_attr_names_at"] = time.monotonic()
        return infos

    def attribute_list_query(self) -> list[AttributeInfo]:
        return AttributeInfoList(attribute_info_from_ex(i) for i in self.attribute_list_query_ex())

    def get_attribute_list(self) -> list[str]:
        return StdStringVector(i.name for i in self.attribute_list_query_ex())

    def get_attribute_config(self, names, **kw):
        """One name -> AttributeInfoEx; a list of names -> list of AttributeInfo (PyTango)."""
        if kw:
            _check_green(kw)
        value = names
        if isinstance(value, str):
            return self._read_configs([value])[0]
        return AttributeInfoList(attribute_info_from_ex(i) for i in self._read_configs(list(value)))

    def get_attribute_config_ex(self, names, **kw):
        if kw:
            _check_green(kw)
        value = names
        if isinstance(value, str):
            value = [value]
        return AttributeInfoListEx(self._read_configs(list(value)))

    def set_attribute_config(self, value, **kw) -> None:
        """Change attribute configuration(s) from AttributeInfoEx/AttributeInfo object(s)."""
        if kw:
            _check_green(kw)
        infos = [value] if isinstance(value, AttributeInfo) else list(value)
        if not any(isinstance(i, AttributeInfoEx) for i in infos):
            # plain AttributeInfo carries no alarm/event part: the IDL-1 operation leaves those as
            # they are on the server (as PyTango does), where _5 would reset them
            self._invoke(_OP["set_attribute_config"], [_config_1_from_info(i) for i in infos])
            for i in infos:
                self._attr_cfg.pop(i.name.lower(), None)
            return
        confs = [attribute_config_5_from_info(i) for i in infos]
        idl = self._idl()
        if idl >= 5:
            self._invoke(_OP["set_attribute_config_5"], confs, self._client_ident())
        elif idl >= 4:
            self._invoke(_OP["set_attribute_config_4"], [_config_3_from_5(c) for c in confs], self._client_ident())
        else:
            self._invoke(_OP["set_attribute_config_3"], [_config_3_from_5(c) for c in confs])
        for i in infos:
            self._attr_cfg.pop(i.name.lower(), None)

    # ------------------------------------------------------------------ reading attributes
    def _read_values(self, names: Sequence[str]) -> list:
        """read_attributes_5 (IDL >= 5) or _4; the encoded request is cached per name list.

        The arguments (names, source, client identity) only contain 4-byte aligned CDR items, so
        bytes encoded once at a 4-aligned offset are valid at any 4-aligned offset of a request.
        """
        key = (tuple(names), self._source, self._idl_version)
        raw = self._read_requests.get(key)
        if raw is None:
            idl = self._idl()
            if idl < 4:
                raise DevFailed(dev_error("API_NotSupported", f"Device {self.dev_name()} has IDL version {idl}; "
                                          "attribute reads need IDL >= 4", "DeviceProxy::read_attributes()"))
            op = _OP["read_attributes_5"] if idl >= 5 else _OP["read_attributes_4"]
            raw = op.encode_args(list(names), self._source, self._client_ident())
            key = (tuple(names), self._source, idl)
            if len(self._read_requests) > 256:
                self._read_requests.clear()
            self._read_requests[key] = raw

        def write(wr, _raw=raw):
            wr.align(4)
            wr.write_raw(_raw)
        return self._invoke_encoded(_OP["read_attributes_5"] if key[2] >= 5 else _OP["read_attributes_4"], write)

    def read_attribute(self, attr_name: str, extract_as: ExtractAs = ExtractAs.Numpy, **kw) -> DeviceAttribute:
        """Read one attribute; raises DevFailed if its read failed."""
        if kw:
            _check_green(kw)
        if not isinstance(attr_name, str):
            raise TypeError(f"read_attribute(): the attribute name must be a str, not {type(attr_name).__name__}")
        try:
            avs = self._read_values((attr_name,))
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "read_attribute", f"attribute {attr_name}") from None
        da = from_attribute_value(avs[0], extract_as)
        if da.has_failed:
            raise attribute_failed(da._errors, self.dev_name(), "read_attribute", f"attribute {da.name}")
        return da

    def read_attributes(self, attr_names: Sequence[str], extract_as: ExtractAs = ExtractAs.Numpy,
                        **kw) -> list[DeviceAttribute]:
        """Read several attributes in one call; failures are flagged per entry (``has_failed``)."""
        if kw:
            _check_green(kw)
        if isinstance(attr_names, str):
            attr_names = [attr_names]
        names = list(attr_names)
        try:
            avs = self._read_values(names)
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "read_attributes",
                                   f"attributes {', '.join(names)}") from None
        result = [from_attribute_value(av, extract_as) for av in avs]
        for da in result:
            if da.has_failed:  # the entry keeps its errors, with PyTango's API_AttributeFailed on top
                da._errors = attribute_failed(da._errors, self.dev_name(), "read_attributes",
                                              f"attribute {da.name}").args
        return result

    # ------------------------------------------------------------------ writing attributes
    def _write_entry(self, attr, value):
        cfg = attr if isinstance(attr, AttributeInfo) else self._attribute_config(attr)
        union, wx, wy = encode_write_value(cfg, value)
        av = T.AttributeValue_4(value=union, quality=AttrQuality.ATTR_VALID,
                                data_format=AttrDataFormat.FMT_UNKNOWN, time=T.TimeVal(0, 0, 0),
                                name=cfg.name, r_dim=T.AttributeDim(wx, wy), w_dim=T.AttributeDim(wx, wy),
                                err_list=[])
        return av

    def _write_values(self, avs: list) -> None:
        idl = self._idl()
        if idl >= 4:
            self._invoke(_OP["write_attributes_4"], avs, self._client_ident())
        else:
            raise DevFailed(dev_error("API_NotSupported", f"Device {self.dev_name()} has IDL version {idl}; "
                                      "attribute writes need IDL >= 4", "DeviceProxy::write_attributes()"))

    def _attr_cfg_or_fail(self, attr, operation: str):
        try:
            return attr if isinstance(attr, AttributeInfo) else self._attribute_config(attr)
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), operation, f"attribute {attr}") from None

    def write_attribute(self, attr, value, **kw) -> None:
        """Write one attribute (name or AttributeInfo(Ex)); the value is checked against its type first."""
        if kw:
            _check_green(kw)
        attr_name = attr
        if isinstance(attr_name, DeviceAttribute):
            attr_name, value = attr_name.name, attr_name.value
        cfg = self._attr_cfg_or_fail(attr_name, "write_attribute")
        av = self._write_entry(cfg, value)
        try:
            self._write_values([av])
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "write_attribute", f"attribute {cfg.name}") from None

    def write_attributes(self, attr_values: Iterable, **kw) -> None:
        """Write several attributes in one call: ``[(name, value), ...]``."""
        if kw:
            _check_green(kw)
        name_val = attr_values
        pairs = [(x.name, x.value) if isinstance(x, DeviceAttribute) else x for x in name_val]
        avs = [self._write_entry(n if isinstance(n, AttributeInfo) else self._attribute_config(n), v)
               for n, v in pairs]  # a config error (unknown name) comes out as the server sent it
        try:
            self._write_values(avs)
        except MultiDevFailed as exc:
            names = ", ".join(e.name for e in exc.errors)
            raise DevFailed(dev_error(
                "API_AttributeFailed",
                f"Failed to execute DeviceProxy::write_attributes on device {self.dev_name()}, object(s) {names}",
                "DeviceProxy::write_attributes")) from None

    def _write_read(self, avs: list, read_names: list[str]) -> list:
        idl = self._idl()
        if idl >= 5:
            return self._invoke(_OP["write_read_attributes_5"], avs, read_names, self._client_ident())
        if idl >= 4:
            return self._invoke(_OP["write_read_attributes_4"], avs, self._client_ident())
        raise DevFailed(dev_error("API_NotSupported", f"Device {self.dev_name()} has IDL version {idl}; "
                                  "write_read needs IDL >= 4", "DeviceProxy::write_read_attribute()"))

    def write_read_attribute(self, attr, value, extract_as: ExtractAs = ExtractAs.Numpy,
                             **kw) -> DeviceAttribute:
        """Write then read back one attribute in a single network call."""
        if kw:
            _check_green(kw)
        attr_name = attr
        cfg = self._attr_cfg_or_fail(attr_name, "write_read_attribute")
        av = self._write_entry(cfg, value)
        try:
            res = self._write_read([av], [cfg.name])
        except DevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "write_read_attribute", f"attribute {cfg.name}") from None
        da = from_attribute_value(res[0], extract_as)
        if da.has_failed:
            raise attribute_failed(da._errors, self.dev_name(), "write_read_attribute", f"attribute {da.name}")
        return da

    def write_read_attributes(self, attr_values: Iterable, attr_read_names: Sequence[str],
                              extract_as: ExtractAs = ExtractAs.Numpy, **kw) -> list[DeviceAttribute]:
        if kw:
            _check_green(kw)
        name_val = attr_values
        avs = [self._write_entry(self._attr_cfg_or_fail(n, "write_read_attributes"), v) for n, v in name_val]
        try:
            res = self._write_read(avs, list(attr_read_names))
        except MultiDevFailed as exc:
            raise attribute_failed(exc, self.dev_name(), "write_read_attributes") from None
        return [from_attribute_value(av, extract_as) for av in res]

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
    defaultCommandExtractAs = ExtractAs.Numpy  # noqa: N815 - PyTango's name

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

    def get_property(self, propname, value=None, **kw) -> dict:
        if kw:
            _check_green(kw)
        return self._database_or_raise().get_device_property(self.dev_name(), propname)

    def put_property(self, value, **kw) -> None:
        if kw:
            _check_green(kw)
        self._database_or_raise().put_device_property(self.dev_name(), value)

    def delete_property(self, value, **kw) -> None:
        if kw:
            _check_green(kw)
        self._database_or_raise().delete_device_property(self.dev_name(), value)

    def get_property_list(self, filter: str = "*", array=None, **kw):  # noqa: A002 - PyTango name
        if kw:
            _check_green(kw)
        if array is not None and not isinstance(array, Sequence):
            raise TypeError("array must be a mutable sequence<string>")  # PyTango's check and text
        return self._database_or_raise().get_device_property_list(self.dev_name(), filter, array)

    # ------------------------------------------------------------------ events (tango_core.events)
    def subscribe_event(self, *args, **kwargs) -> int:
        from tango_core.events import api
        return api.subscribe_event(event_client(), self, *args, **kwargs)

    def unsubscribe_event(self, event_id: int, **kw) -> None:
        from tango_core.events import api
        if kw:
            _check_green(kw)
        api.unsubscribe_event(self, event_id)

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

    def _lookup(self, name: str):
        """('cmd'|'attr', real name) for a dynamic name, refreshing the caches once on a miss."""
        key = name.lower()
        last_exc = None
        for refresh in (False, True):
            try:
                cmds = self._command_names(refresh)
                if key in cmds:
                    return "cmd", cmds[key]
            except DevFailed as exc:
                last_exc = exc
            try:
                attrs = self._attribute_names(refresh)
                if key in attrs:
                    return "attr", attrs[key]
            except DevFailed as exc:
                last_exc = exc
                if refresh:
                    break
        return None, last_exc

    def __getattr__(self, name: str):
        if name.startswith("_") or name == "trait_names" or "_name" not in self.__dict__:
            raise AttributeError(name)
        kind, real = self._lookup(name)
        if kind == "cmd":
            return _CommandFunction(self, self.command_query(real))
        if kind == "attr":
            return self._read_dynamic(real)
        raise AttributeError(name) from real

    def _read_dynamic(self, name: str):
        da = self.read_attribute(name)
        if da.type == CmdArgType.DevEnum and da.data_format == AttrDataFormat.SCALAR and da.value is not None:
            cfg = self._attribute_config(name)
            if cfg.enum_labels:
                import enum
                labels = [lbl if lbl.isidentifier() else f"_{lbl}" for lbl in cfg.enum_labels]
                try:
                    cls = enum.IntEnum(name, [(lbl, i) for i, lbl in enumerate(labels)])
                    return cls(da.value)
                except (ValueError, TypeError):
                    return da.value
        return da.value

    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if name.startswith("_") or name in d or "_name" not in d or hasattr(type(self), name):
            object.__setattr__(self, name, value)
            return
        kind, real = self._lookup(name)
        if kind == "attr":
            self.write_attribute(real, value)
            return
        if kind == "cmd":
            raise TypeError("Cannot set the value of a command")
        if not d.get("_dynamic_frozen", True):
            object.__setattr__(self, name, value)
            return
        raise AttributeError(
            f"Tried to set non-existent attr {name!r} to {value!r}.\nThe DeviceProxy object interface is frozen "
            "and cannot be modified - see tango.DeviceProxy.freeze_dynamic_interface for details.")

    def __getitem__(self, key: str) -> DeviceAttribute:
        return self.read_attribute(key)

    def __setitem__(self, key: str, value) -> None:
        self.write_attribute(key, value)

    def __contains__(self, key: str) -> bool:
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
        _event_client = ClientInterface(device_proxy=DeviceProxy, device_attribute=from_attribute_value,
                                        attribute_info=attribute_info_ex_from_idl,
                                        command_info=command_info_from_idl)
    return _event_client


def get_green_mode():
    """The process-wide green mode: tango_core's calls are synchronous (GreenMode.Synchronous)."""
    from tango_core.idl.enums import GreenMode
    return GreenMode.Synchronous


def set_green_mode(green_mode=None) -> None:
    """Only the synchronous mode exists here; asking for another one is an error, not a silent no-op."""
    from tango_core.idl.enums import GreenMode
    if green_mode is not None and green_mode != GreenMode.Synchronous:
        raise ValueError(f"tango_core only supports GreenMode.Synchronous, not {green_mode!r}")


def get_device_proxy(*args, **kwargs) -> DeviceProxy:
    """PyTango's factory: ``get_device_proxy(name, green_mode=None, wait=True, timeout=None)``."""
    kwargs.pop("wait", None)
    kwargs.pop("timeout", None)
    return DeviceProxy(*args, **kwargs)
