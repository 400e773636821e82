"""Database: the client of the Tango Database device (``sys/database/N``), PyTango's API.

Reached through a corbaloc (``corbaloc:iiop:host:port/database``, GIOP 1.0 as cppTango
does; ``iiop:1.2@h1:p1,iiop:1.2@h2:p2`` for replicated databases), so it works with
both database servers in use: PyTango's Python DataBaseds (sqlite) and the C++
DataBaseds (MariaDB).  Method names, arguments and return types follow PyTango 10.3.1
(``DbDatum`` for lists, ``dict[str, list[str]]`` for properties, ``DbDevImportInfo`` ...).
Server errors keep the database's error stack (e.g. ``DB_DeviceNotDefined``) with
cppTango's ``API_CommandFailed`` entry on top.

:func:`get_database` returns the process-wide Database of a TANGO_HOST (what device
proxies use to import their IOR); ``Database(...)`` always makes a new object that
shares the same TCP connection.

:meth:`Database.get_device_inventory` is the one call the shell's completion cache
needs: every device with alias, server, class and exported flag, in one round trip
(``DbMySqlSelect``) where the server supports it, else from standard commands.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Mapping, Sequence

from ..idl.enums import AccessControlType, CmdArgType, ErrSeverity
from ..idl.errors import ConnectionFailed, DevError, DevFailed, NonSupportedFeature
from ..idl.operations import OPERATIONS, newest
from ..transport.calls import Plan, run_blocking
from .connection import Connection
from .db_types import (DbData, DbDatum, DbDevExportInfo, DbDevFullInfo, DbDevImportInfo,
                       DbDevInfo, DbHistory, DbHistoryList, DbServerInfo, DeviceInventoryEntry, to_value_strings)
from .names import DeviceName, TangoHost, get_default_tango_host, parse_tango_host

__all__ = ["Database", "get_database"]

T = CmdArgType
_VOID, _STR, _STRS = T.DevVoid, T.DevString, T.DevVarStringArray

_db_cache: dict[tuple, "Database"] = {}
_db_cache_lock = threading.Lock()


def get_database(tango_host: TangoHost | str | None = None) -> "Database":
    """The shared Database object of ``tango_host`` (default: the current default database)."""
    if tango_host is None:
        th = get_default_tango_host()
    elif isinstance(tango_host, str):
        th = parse_tango_host(tango_host)
    else:
        th = tango_host
    with _db_cache_lock:
        db = _db_cache.get(th.key)
    if db is None:
        new = Database._for_tango_host(th)
        with _db_cache_lock:
            db = _db_cache.setdefault(th.key, new)
    return db


def _tango_host_from_args(args: tuple) -> TangoHost:
    if not args:
        return get_default_tango_host()
    if len(args) == 2:
        host, port = args
        return parse_tango_host(f"{host}:{int(port)}")
    if len(args) == 1:
        arg = args[0]
        if isinstance(arg, Database):
            return arg._tango_host
        if isinstance(arg, TangoHost):
            return arg
        if isinstance(arg, str):
            text = arg.strip()
            low = text.lower()
            if low.startswith("tango://"):
                text = text[len("tango://"):]
            elif low.startswith("//"):
                text = text[2:]
            text = text.split("/", 1)[0].split("#", 1)[0]
            if ":" in text or "://" in arg:
                return parse_tango_host(text)
            raise NonSupportedFeature(DevError(
                "API_NotSupportedFeature",
                f"{arg!r} is neither host:port nor a database file",
                "Database::Database()", ErrSeverity.ERR))
    raise TypeError("Database() takes (), (host, port), ('tango://host:port') or (Database)")


class Database(Connection):
    """PyTango's ``tango.Database`` (see the module docstring)."""

    _default_access = AccessControlType.ACCESS_READ  # what PyTango's Database reports for itself

    def __new__(cls, *args):
        if len(args) == 1 and isinstance(args[0], (str, os.PathLike)) and not isinstance(args[0], Database):
            from .file_database import FileDatabase, is_file_database_name
            if is_file_database_name(os.fspath(args[0])):
                return FileDatabase(args[0])  # a file of properties, no server: see file_database
        return super().__new__(cls)

    def __init__(self, *args) -> None:
        th = _tango_host_from_args(args)
        self._init_for(th)
        with _db_cache_lock:
            shared = _db_cache.get(th.key)
        if shared is not None and shared._ref is not None:
            # same database already connected in this process: reuse what connecting learned
            # (references are immutable and thread-safe; the TCP connection is pooled anyway)
            self._adopt(shared)
            return
        self._connect_if_needed()
        if shared is None:  # give proxies a shared Database of their own (not this object, whose
            shared = Database._for_tango_host(th)  # timeout the user may change)
            shared._adopt(self)
            with _db_cache_lock:
                _db_cache.setdefault(th.key, shared)

    def _adopt(self, other: "Database") -> None:
        self._ref, self._idl_version = other._ref, other._idl_version
        self._dev_info_1, self._dev_name = other._dev_info_1, other._dev_name
        self._db_name_known = other._db_name_known

    @classmethod
    def _for_tango_host(cls, th: TangoHost) -> "Database":
        db = cls.__new__(cls)
        db._init_for(th)
        return db  # connects on first call

    def _init_for(self, th: TangoHost) -> None:
        Connection.__init__(self, DeviceName("sys/database/2", th.host, th.port), connect=False)
        self._tango_host = th
        self._from_env_var = False
        self._db_name_known = False

    # -- Connection hooks ----------------------------------------------------------------------

    def _corba_name(self) -> str:
        replicas = self._tango_host.replicas
        if len(replicas) == 1:
            host, port = replicas[0]
            return f"corbaloc:iiop:{host}:{port}/database"
        return "corbaloc:" + ",".join(f"iiop:1.2@{h}:{p}" for h, p in replicas) + "/database"

    def _connect_error(self, corba_name: str, exc: Exception) -> ConnectionFailed:
        th = self._tango_host
        return ConnectionFailed(self._corba_error(exc),
                                DevError("API_CantConnectToDatabase",
                                         f"Failed to connect to database on host {th.host} with port {th.port}",
                                         "Connection::connect()", ErrSeverity.ERR))

    def _after_connect_plan(self) -> Plan:
        if not self._db_name_known:
            try:
                op = OPERATIONS["_get_name"]
                self._dev_name = yield from self._ref.invoke_plan(op.name, None, op.read_result,
                                                                  self._timeout_ms / 1000.0)
                self._db_name_known = True
            except Exception:  # the name is cosmetic; the connection itself is fine
                pass

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, command: str, argin: Any = None, in_type: CmdArgType = _VOID) -> Any:
        """One Database command with UTF-8 strings both ways, as PyTango's Database API does
        (its C++ std::string conversions are UTF-8; only raw ``command_inout`` is Latin-1)."""
        return run_blocking(self._call_plan(command, argin, in_type))

    def _call_plan(self, command: str, argin: Any = None, in_type: CmdArgType = _VOID) -> Plan:
        """:meth:`_call` as a call plan (what proxies of every green mode import and read
        properties with)."""
        if self._ref is None:  # like cppTango: a database that cannot be reached is reported
            # as such ([API_CorbaException, API_CantConnectToDatabase]), without API_CommandFailed
            yield from self._connect_plan()
        return _from_utf8((yield from self._command_inout_raw_plan(command, _to_utf8(argin), in_type))[1])

    # asynchronous commands: the same machinery (and PyTango semantics) as DeviceProxy's
    from .asynch import AsynchMethods as _AM
    _asynch = _AM._asynch
    _is_callback = staticmethod(_AM._is_callback)
    command_inout_asynch = _AM.command_inout_asynch
    command_inout_reply = _AM.command_inout_reply
    command_inout_reply_raw = getattr(_AM, "command_inout_reply_raw", None) or _AM.command_inout_reply
    get_asynch_replies = _AM.get_asynch_replies
    cancel_asynch_request = _AM.cancel_asynch_request
    cancel_all_polling_asynch_request = _AM.cancel_all_polling_asynch_request
    del _AM

    def _command_inout_checked_raw(self, name: str, arg: Any = None, given: bool = True):
        """What AsynchMethods runs in its worker: the command, its result kept as a DeviceData."""
        return self.command_inout_raw(name, arg if given else None)

    def command_inout_raw(self, cmd_name: str, cmd_param: Any = None):
        """Raw command returning a DeviceData (argin type guessed as in :meth:`command_inout`)."""
        from .device_data import DeviceData
        out_type, value = self._command_inout_raw(cmd_name, cmd_param, _guess_argin_type(cmd_param))
        return DeviceData._wrap(out_type, value)

    def command_inout(self, name: str, cmd_param: Any = None) -> Any:
        """Raw Database command.  Like PyTango, the argin type is guessed: None -> DevVoid,
        str -> DevString, a sequence of str -> DevVarStringArray; other types go through
        ``command_query``."""
        return self._command_inout_raw(name, cmd_param, _guess_argin_type(cmd_param))[1]

    def command_query(self, name: str):
        """CommandInfo of one Database command (not in PyTango's Database; handy to probe
        whether the server has e.g. ``DbMySqlSelect``)."""
        from .info import command_info_from_idl
        return command_info_from_idl(self._command_info(name))

    def command_list_query(self) -> list:
        """CommandInfo of every Database command."""
        from .info import command_info_from_idl
        self._connect_if_needed()
        raws = self._invoke(newest("command_list_query", self._idl_version), what="command_list_query")
        for raw in raws:
            self._cmd_info[raw.cmd_name.lower()] = raw
        return [command_info_from_idl(raw) for raw in raws]

    def build_connection(self) -> None:
        """Connect to the database server now (ConnectionFailed if it does not answer)."""
        self._connect_if_needed()

    def get_command_list(self) -> list[str]:
        return [info.cmd_name for info in self.command_list_query()]

    def __reduce__(self):
        """Pickles as its location (ITango's ``%store`` of favourite objects), not its sockets/locks."""
        th = self._tango_host
        if len(th.replicas) == 1:
            return (Database, (th.host, str(th.port)))
        return (Database, (str(th),))

    def __repr__(self) -> str:
        return f"Database({self._tango_host.host}, {self._tango_host.port})"

    __str__ = __repr__

    def get_db_host(self) -> str:
        return self._tango_host.host

    def get_db_port(self) -> str:
        return str(self._tango_host.port)

    def get_db_port_num(self) -> int:
        return self._tango_host.port

    @staticmethod
    def check_tango_host(tango_host: str) -> None:
        """Raise (ConnectionFailed API_TangoHostNotSet) unless ``tango_host`` is ``host:port[,...]``."""
        parse_tango_host(tango_host)

    def get_tango_host(self) -> TangoHost:
        return self._tango_host

    def is_multi_tango_host(self) -> bool:
        return len(self._tango_host.replicas) > 1

    def get_file_name(self) -> str:
        raise NonSupportedFeature(DevError("API_NotSupportedFeature", "The database is not a file-based database",
                                           "Database::get_file_name()", ErrSeverity.ERR))

    def reread_filedatabase(self) -> None:
        """Refused: there is no file to read (PyTango's fails trying to open an empty path)."""
        raise NonSupportedFeature(DevError("API_NotSupportedFeature", "The database is not a file-based database",
                                           "Database::reread_filedatabase()", ErrSeverity.ERR))

    def write_filedatabase(self) -> None:
        """Nothing to write: every change already went to the database server (PyTango's does
        nothing either)."""

    # -- general -------------------------------------------------------------------------------

    def get_info(self) -> str:
        """Human-readable database summary (``DbInfo`` lines joined with newlines)."""
        return "\n".join(self._call("DbInfo")) + "\n"

    def get_server_release(self) -> int:
        return 400

    # -- devices -------------------------------------------------------------------------------

    def import_device(self, dev_name: str) -> DbDevImportInfo:
        return run_blocking(self._import_device_plan(dev_name))

    def _import_device_plan(self, dev_name: str) -> Plan:
        lv, sv = yield from self._call_plan("DbImportDevice", dev_name, _STR)
        return DbDevImportInfo(sv[0], int(lv[0]), sv[1], sv[2])

    def get_device_info(self, dev_name: str) -> DbDevFullInfo:
        lv, sv = self._call("DbGetDeviceInfo", dev_name, _STR)
        sv = list(sv) + [""] * (8 - len(sv))
        started, stopped = ("" if d == "?" else d for d in (sv[5], sv[6]))  # "?" = never (as PyTango)
        return DbDevFullInfo(sv[0], int(lv[0]), sv[1], sv[2], class_name=sv[7], ds_full_name=sv[3],
                             host=sv[4], pid=int(lv[1]) if len(lv) > 1 else 0, started_date=started,
                             stopped_date=stopped)

    def export_device(self, dev_export: DbDevExportInfo) -> None:
        self._call("DbExportDevice", [dev_export.name, dev_export.ior, dev_export.host, str(dev_export.pid),
                                      str(dev_export.version)], _STRS)

    def unexport_device(self, dev_name: str) -> None:
        self._call("DbUnExportDevice", dev_name, _STR)

    def add_device(self, dev_info: DbDevInfo) -> None:
        if not isinstance(dev_info, DbDevInfo):  # PyTango's binding refuses anything else
            raise TypeError(f"add_device(): dev_info must be a DbDevInfo, not {type(dev_info).__name__}")
        self._call("DbAddDevice", [dev_info.server, dev_info.name, dev_info.klass], _STRS)

    def delete_device(self, dev_name: str) -> None:
        self._call("DbDeleteDevice", dev_name, _STR)

    def get_device_name(self, serv_name: str, class_name: str) -> DbDatum:
        return DbDatum(serv_name, self._call("DbGetDeviceList", [serv_name, class_name], _STRS))

    def get_device_exported(self, filter: str = "*") -> DbDatum:
        return DbDatum(filter, self._call("DbGetDeviceExportedList", filter, _STR))

    def get_device_exported_for_class(self, class_name: str) -> DbDatum:
        return DbDatum("device", self._call("DbGetExportdDeviceListForClass", class_name, _STR))

    def get_device_domain(self, wildcard: str = "*") -> DbDatum:
        return DbDatum(wildcard, self._call("DbGetDeviceDomainList", wildcard, _STR))

    def get_device_family(self, wildcard: str = "*") -> DbDatum:
        return DbDatum(wildcard, self._call("DbGetDeviceFamilyList", wildcard, _STR))

    def get_device_member(self, wildcard: str = "*") -> DbDatum:
        return DbDatum(wildcard, self._call("DbGetDeviceMemberList", wildcard, _STR))

    def get_device_wide_list(self, filter: str = "*") -> DbDatum:
        return DbDatum(filter, self._call("DbGetDeviceWideList", filter, _STR))

    def get_class_for_device(self, dev_name: str) -> str:
        return self._call("DbGetClassforDevice", dev_name, _STR)

    def get_class_inheritance_for_device(self, dev_name: str) -> DbDatum:
        return DbDatum("class", self._call("DbGetClassInheritanceForDevice", dev_name, _STR))

    # -- servers / classes / hosts ---------------------------------------------------------------

    def get_server_list(self, filter: str = "*") -> DbDatum:
        return DbDatum("server", self._call("DbGetServerList", filter, _STR))

    def get_server_name_list(self) -> DbDatum:
        return DbDatum("server", self._call("DbGetServerNameList", "*", _STR))

    def get_instance_name_list(self, serv_name: str) -> DbDatum:
        return DbDatum(serv_name, self._call("DbGetInstanceNameList", serv_name, _STR))

    def get_server_class_list(self, server: str) -> DbDatum:
        classes = self._call("DbGetDeviceServerClassList", server, _STR)
        return DbDatum(server, [c for c in classes if c != "DServer"])  # as cppTango does

    def get_device_class_list(self, server: str) -> DbDatum:
        return DbDatum("server", self._call("DbGetDeviceClassList", server, _STR))

    def get_class_list(self, filter: str = "*") -> DbDatum:
        return DbDatum("class", self._call("DbGetClassList", filter, _STR))

    def get_host_list(self, filter: str = "*") -> DbDatum:
        return DbDatum("host", self._call("DbGetHostList", filter, _STR))

    def get_host_server_list(self, host_name: str) -> DbDatum:
        return DbDatum("server", self._call("DbGetHostServerList", host_name, _STR))

    def get_server_info(self, server: str) -> DbServerInfo:
        sv = list(self._call("DbGetServerInfo", server, _STR)) + ["", "", "0", "0"]
        return DbServerInfo(sv[0], sv[1], _int_or_zero(sv[2]), _int_or_zero(sv[3]))

    def put_server_info(self, info: DbServerInfo) -> None:
        self._call("DbPutServerInfo", [info.name, info.host, str(info.mode), str(info.level)], _STRS)

    def delete_server_info(self, server: str) -> None:
        self._call("DbDeleteServerInfo", server, _STR)

    def add_server(self, servname: str, dev_info: DbDevInfo | Sequence[DbDevInfo], with_dserver: bool = False) -> None:
        infos = [dev_info] if isinstance(dev_info, DbDevInfo) else list(dev_info)
        if with_dserver:  # PyTango also registers the admin device
            infos = [DbDevInfo(f"dserver/{servname}", "DServer", servname)] + infos
        argin = [servname]
        for info in infos:
            argin += [info.name, info.klass]
        self._call("DbAddServer", argin, _STRS)

    def delete_server(self, server: str) -> None:
        self._call("DbDeleteServer", server, _STR)

    def unexport_server(self, server: str) -> None:
        self._call("DbUnExportServer", server, _STR)

    def rename_server(self, old_ds_name: str, new_ds_name: str) -> None:
        self._call("DbRenameServer", [old_ds_name, new_ds_name], _STRS)

    # -- aliases -------------------------------------------------------------------------------

    def get_device_alias_list(self, filter: str = "*") -> DbDatum:
        return DbDatum(filter, self._call("DbGetDeviceAliasList", filter, _STR))

    def get_device_from_alias(self, alias: str) -> str:
        return run_blocking(self._device_from_alias_plan(alias))

    def _device_from_alias_plan(self, alias: str) -> Plan:
        return (yield from self._call_plan("DbGetAliasDevice", alias, _STR))

    def _attribute_from_alias_plan(self, alias: str) -> Plan:
        return (yield from self._call_plan("DbGetAttributeAlias", alias, _STR))

    def get_alias_from_device(self, dev_name: str) -> str:
        return self._call("DbGetDeviceAlias", dev_name, _STR)

    get_device_alias = get_device_from_alias   # PyTango's older (confusing) names
    get_alias = get_alias_from_device

    def put_device_alias(self, dev_name: str, alias: str) -> None:
        self._call("DbPutDeviceAlias", [dev_name, alias], _STRS)

    def delete_device_alias(self, alias: str) -> None:
        self._call("DbDeleteDeviceAlias", alias, _STR)

    def get_attribute_alias_list(self, filter: str = "*") -> DbDatum:
        return DbDatum(filter, self._call("DbGetAttributeAliasList", filter, _STR))

    def get_attribute_from_alias(self, alias: str) -> str:
        return run_blocking(self._attribute_from_alias_plan(alias))

    get_attribute_alias = get_attribute_from_alias

    def get_alias_from_attribute(self, attr_name: str) -> str:
        return self._call("DbGetAttributeAlias2", attr_name, _STR)

    def put_attribute_alias(self, attr_name: str, alias: str) -> None:
        self._call("DbPutAttributeAlias", [attr_name, alias], _STRS)

    def delete_attribute_alias(self, alias: str) -> None:
        self._call("DbDeleteAttributeAlias", alias, _STR)

    # -- properties ----------------------------------------------------------------------------

    # (device properties and device attribute properties also exist as call plans: a proxy of
    # any green mode reads and writes its properties through them)

    def get_device_property(self, dev_name: str, value) -> dict[str, list[str]]:
        return run_blocking(self._get_device_property_plan(dev_name, value))

    def _get_device_property_plan(self, dev_name: str, value) -> Plan:
        return (yield from self._get_props_plan("DbGetDeviceProperty", dev_name, value))

    def put_device_property(self, dev_name: str, value) -> None:
        run_blocking(self._put_device_property_plan(dev_name, value))

    def _put_device_property_plan(self, dev_name: str, value) -> Plan:
        yield from self._put_props_plan("DbPutDeviceProperty", dev_name, value)

    def delete_device_property(self, dev_name: str, value) -> None:
        run_blocking(self._delete_device_property_plan(dev_name, value))

    def _delete_device_property_plan(self, dev_name: str, value) -> Plan:
        yield from self._call_plan("DbDeleteDeviceProperty", [dev_name] + _names_of(value), _STRS)

    def get_device_property_list(self, dev_name: str, wildcard: str = "*", array=None) -> DbDatum:
        return run_blocking(self._get_device_property_list_plan(dev_name, wildcard, array))

    def _get_device_property_list_plan(self, dev_name: str, wildcard: str = "*", array=None) -> Plan:
        names = yield from self._call_plan("DbGetDevicePropertyList", [dev_name, wildcard], _STRS)
        if array is not None:
            array.extend(names)
            return array
        return DbDatum(dev_name, names)

    def get_class_property(self, class_name: str, value) -> dict[str, list[str]]:
        return self._get_props("DbGetClassProperty", class_name, value)

    def put_class_property(self, class_name: str, value) -> None:
        self._put_props("DbPutClassProperty", class_name, value)

    def delete_class_property(self, class_name: str, value) -> None:
        self._call("DbDeleteClassProperty", [class_name] + _names_of(value), _STRS)

    def get_class_property_list(self, class_name: str) -> DbDatum:
        return DbDatum("class", self._call("DbGetClassPropertyList", class_name, _STR))

    def get_property(self, obj_name: str, value) -> dict[str, list[str]]:
        return self._get_props("DbGetProperty", obj_name, value)

    def put_property(self, obj_name: str, value) -> None:
        self._put_props("DbPutProperty", obj_name, value)

    def delete_property(self, obj_name: str, value) -> None:
        self._call("DbDeleteProperty", [obj_name] + _names_of(value), _STRS)

    def get_object_list(self, wildcard: str = "*") -> DbDatum:
        return DbDatum("object", self._call("DbGetObjectList", wildcard, _STR))

    def get_object_property_list(self, obj_name: str, wildcard: str = "*") -> DbDatum:
        return DbDatum("object", self._call("DbGetPropertyList", [obj_name, wildcard], _STRS))

    def get_device_attribute_property(self, dev_name: str, value) -> dict[str, dict[str, list[str]]]:
        return run_blocking(self._get_device_attribute_property_plan(dev_name, value))

    def _get_device_attribute_property_plan(self, dev_name: str, value) -> Plan:
        return (yield from self._get_attr_props_plan("DbGetDeviceAttributeProperty2", dev_name, value))

    def put_device_attribute_property(self, dev_name: str, value) -> None:
        run_blocking(self._put_device_attribute_property_plan(dev_name, value))

    def _put_device_attribute_property_plan(self, dev_name: str, value) -> Plan:
        yield from self._put_attr_props_plan("DbPutDeviceAttributeProperty2", dev_name, value)

    def delete_device_attribute_property(self, dev_name: str, value) -> None:
        run_blocking(self._delete_device_attribute_property_plan(dev_name, value))

    def _delete_device_attribute_property_plan(self, dev_name: str, value) -> Plan:
        for attr, props in _attr_prop_names(value):
            yield from self._call_plan("DbDeleteDeviceAttributeProperty", [dev_name, attr] + props, _STRS)

    def get_class_attribute_property(self, class_name: str, value) -> dict[str, dict[str, list[str]]]:
        return self._get_attr_props("DbGetClassAttributeProperty2", class_name, value)

    def put_class_attribute_property(self, class_name: str, value) -> None:
        self._put_attr_props("DbPutClassAttributeProperty2", class_name, value)

    def delete_class_attribute_property(self, class_name: str, value) -> None:
        for attr, props in _attr_prop_names(value):
            self._call("DbDeleteClassAttributeProperty", [class_name, attr] + props, _STRS)

    def get_device_attribute_list(self, dev_name: str, att_list=None):
        """PyTango's form fills the list given as ``att_list`` (and returns None); a wildcard str
        (default "*") returns a DbDatum instead."""
        if att_list is None or isinstance(att_list, str):
            return DbDatum(dev_name, self._call("DbGetDeviceAttributeList", [dev_name, att_list or "*"], _STRS))
        att_list.extend(self._call("DbGetDeviceAttributeList", [dev_name, "*"], _STRS))
        return None

    def get_class_attribute_list(self, class_name: str, wildcard: str = "*") -> DbDatum:
        return DbDatum("class", self._call("DbGetClassAttributeList", [class_name, wildcard], _STRS))

    def get_services(self, serv_name: str, inst_name: str = "*") -> DbDatum:
        services = self.get_property("CtrlSystem", "Services")["Services"]
        want = f"{serv_name}/{inst_name}".lower()
        out = []
        for line in services:
            key, _, dev = line.partition(":")
            if _wildcard_match(want, key.lower()):
                out.append(dev)
        return DbDatum(serv_name, out)

    def get_service_list(self, filter: str = ".*") -> dict[str, str]:
        """``{"service/instance": device}`` of the services registered in ``CtrlSystem/Services``
        whose name matches the regular expression ``filter`` (PyTango's semantics)."""
        import re
        pattern = re.compile(filter, re.IGNORECASE)
        out = {}
        for line in self.get_property("CtrlSystem", "Services")["Services"]:
            key, sep, dev = line.partition(":")
            if sep and pattern.match(key):
                out[key] = dev
        return out

    def get_device_service_list(self, dev_name: str) -> DbDatum:
        """Flat ``[service, instance, ...]`` of the services ``dev_name`` provides."""
        out = []
        for key, dev in self.get_service_list().items():
            if dev.lower() == dev_name.lower():
                out.extend(key.split("/", 1) if "/" in key else [key, ""])
        return DbDatum(dev_name, out)

    def register_service(self, serv_name: str, inst_name: str, dev_name: str) -> None:
        key = f"{serv_name}/{inst_name}"
        services = [line for line in self.get_property("CtrlSystem", "Services")["Services"]
                    if line.partition(":")[0].lower() != key.lower()]
        self.put_property("CtrlSystem", {"Services": services + [f"{key}:{dev_name}"]})

    def unregister_service(self, serv_name: str, inst_name: str) -> None:
        key = f"{serv_name}/{inst_name}".lower()
        services = self.get_property("CtrlSystem", "Services")["Services"]
        kept = [line for line in services if line.partition(":")[0].lower() != key]
        if len(kept) != len(services):
            if kept:
                self.put_property("CtrlSystem", {"Services": kept})
            else:
                self.delete_property("CtrlSystem", "Services")

    def check_access_control(self, dev_name: str) -> AccessControlType:
        """Access right to ``dev_name``.  tango_core does not query a TangoAccessControl service:
        ACCESS_WRITE, which is what PyTango answers when none is configured."""
        return AccessControlType.ACCESS_WRITE

    def is_control_access_checked(self) -> bool:
        return self.__dict__.get("_access_checked", False)

    def set_access_checked(self, checked: bool) -> None:
        self.__dict__["_access_checked"] = bool(checked)

    def get_access_except_errors(self) -> tuple:
        return ()

    def get_property_forced(self, obj_name: str, value) -> dict[str, list[str]]:
        """Same as :meth:`get_property` (there is no client-side property cache to bypass)."""
        return self.get_property(obj_name, value)

    def export_server(self, dev_info: DbDevExportInfo | Sequence[DbDevExportInfo]) -> None:
        argin: list[str] = []
        for e in [dev_info] if isinstance(dev_info, DbDevExportInfo) else dev_info:
            argin += [e.name, e.ior, e.host, str(e.pid), str(e.version)]
        self._call("DbExportServer", argin, _STRS)

    def export_event(self, event_data: Sequence[str]) -> None:
        self._call("DbExportEvent", list(event_data), _STRS)

    def unexport_event(self, event: str) -> None:
        self._call("DbUnExportEvent", event, _STR)

    @staticmethod
    def get_fqdn() -> str:
        import socket
        return socket.getfqdn()

    # -- property history ---------------------------------------------------------------------

    def get_device_property_history(self, dev_name: str, prop_name: str) -> DbHistoryList:
        return _history(self._call("DbGetDevicePropertyHist", [dev_name, prop_name], _STRS))

    def get_class_property_history(self, class_name: str, prop_name: str) -> DbHistoryList:
        return _history(self._call("DbGetClassPropertyHist", [class_name, prop_name], _STRS))

    def get_property_history(self, obj_name: str, prop_name: str) -> DbHistoryList:
        return _history(self._call("DbGetPropertyHist", [obj_name, prop_name], _STRS))

    def get_device_attribute_property_history(self, dev_name: str, attr_name: str,
                                              prop_name: str) -> DbHistoryList:
        return _history(self._call("DbGetDeviceAttributePropertyHist", [dev_name, attr_name, prop_name], _STRS),
                        with_attribute=True)

    def get_class_attribute_property_history(self, class_name: str, attr_name: str,
                                             prop_name: str) -> DbHistoryList:
        return _history(self._call("DbGetClassAttributePropertyHist", [class_name, attr_name, prop_name], _STRS),
                        with_attribute=True)

    # property plumbing: argins [obj, n, {name, n_values, values...}]; replies the same, where a
    # missing property is (name, "0") possibly followed by a " " placeholder (PyTango DataBaseds)

    def _get_props(self, command: str, obj: str, value) -> dict[str, list[str]]:
        return run_blocking(self._get_props_plan(command, obj, value))

    def _get_props_plan(self, command: str, obj: str, value) -> Plan:
        names = _names_of(value)
        reply = list((yield from self._call_plan(command, [obj] + names, _STRS)))
        result = _parse_props(reply, 2, int(reply[1]) if len(reply) > 1 else 0)[0]
        out: dict[str, list[str]] = {}
        for n in names:  # keep the caller's order and spelling; wildcard replies added after
            out[n] = result.pop(n, None) or result.pop(_find_caseless(result, n), [])
        for n, v in result.items():
            if "*" not in n:
                out[n] = v
        return out

    def _put_props(self, command: str, obj: str, value) -> None:
        run_blocking(self._put_props_plan(command, obj, value))

    def _put_props_plan(self, command: str, obj: str, value) -> Plan:
        props = _props_of(value)
        argin = [obj, str(len(props))]
        for name, values in props.items():
            argin += [name, str(len(values))] + values
        yield from self._call_plan(command, argin, _STRS)

    def _get_attr_props(self, command: str, obj: str, value) -> dict[str, dict[str, list[str]]]:
        return run_blocking(self._get_attr_props_plan(command, obj, value))

    def _get_attr_props_plan(self, command: str, obj: str, value) -> Plan:
        attrs = _names_of(value)
        reply = list((yield from self._call_plan(command, [obj] + attrs, _STRS)))
        out: dict[str, dict[str, list[str]]] = {}
        i, n_attrs = 2, int(reply[1]) if len(reply) > 1 else 0
        for _ in range(n_attrs):
            attr = reply[i]
            n_props = int(reply[i + 1])
            props, i = _parse_props(reply, i + 2, n_props)
            out[attr] = props
        for a in attrs:
            out.setdefault(a, {})
        return out

    def _put_attr_props(self, command: str, obj: str, value) -> None:
        run_blocking(self._put_attr_props_plan(command, obj, value))

    def _put_attr_props_plan(self, command: str, obj: str, value) -> Plan:
        if not isinstance(value, Mapping):
            raise TypeError("value must be a dict {attr_name: {prop_name: value}}")
        argin = [obj, str(len(value))]
        for attr, props in value.items():
            props = _props_of(props)
            argin += [attr, str(len(props))]
            for name, values in props.items():
                argin += [name, str(len(values))] + values
        yield from self._call_plan(command, argin, _STRS)

    # -- the shell's completion cache --------------------------------------------------------------

    def get_device_inventory(self) -> list[DeviceInventoryEntry]:
        """Every device defined in the database, sorted by name, with its alias ("" if none),
        server (``Exec/instance``), class and exported flag.

        One ``DbMySqlSelect`` round trip on servers that implement it (C++ DataBaseds on
        MariaDB, PyTango's sqlite DataBaseds); otherwise standard commands:
        ``DbGetServerList`` + ``DbGetDeviceClassList`` per server, ``DbGetDeviceExportedList``
        and ``DbGetDeviceAliasList`` + ``DbGetAliasDevice`` per alias.
        """
        try:
            return self._inventory_by_sql()
        except (DevFailed, ValueError, IndexError):
            return self._inventory_by_commands()

    def _inventory_by_sql(self) -> list[DeviceInventoryEntry]:
        lv, sv = self._call("DbMySqlSelect", "SELECT name, alias, server, class, exported FROM device "
                                              "ORDER BY name", _STR)
        rows, cols = int(lv[-2]), int(lv[-1])
        if cols != 5 or len(sv) != rows * cols:
            raise ValueError("unexpected DbMySqlSelect reply shape")
        out = []
        for r in range(rows):
            name, alias, server, klass, exported = sv[r * 5:(r + 1) * 5]
            out.append(DeviceInventoryEntry(name, alias or "", server or "", klass or "",
                                            str(exported).strip() not in ("", "0", "None")))
        return out

    def _inventory_by_commands(self) -> list[DeviceInventoryEntry]:
        entries: dict[str, DeviceInventoryEntry] = {}
        for server in self._call("DbGetServerList", "*", _STR):
            pairs = list(self._call("DbGetDeviceClassList", server, _STR))
            for dev, klass in zip(pairs[0::2], pairs[1::2]):
                entries[dev.lower()] = DeviceInventoryEntry(dev, "", server, klass, False)
        for dev in self._call("DbGetDeviceExportedList", "*", _STR):
            entry = entries.get(dev.lower())
            if entry is not None:
                entry.exported = True
        for alias in self._call("DbGetDeviceAliasList", "*", _STR):
            try:
                dev = self._call("DbGetAliasDevice", alias, _STR)
            except DevFailed:
                continue
            entry = entries.get(dev.lower())
            if entry is not None:
                entry.alias = alias
        return sorted(entries.values(), key=lambda e: e.name.lower())

    def get_attribute_alias_inventory(self) -> dict[str, str]:
        """``{alias: "dev/name/attr"}`` for every attribute alias (one round trip where possible)."""
        try:
            lv, sv = self._call("DbMySqlSelect", "SELECT alias, name FROM attribute_alias ORDER BY alias", _STR)
            rows, cols = int(lv[-2]), int(lv[-1])
            if cols == 2 and len(sv) == rows * 2:
                return dict(zip(sv[0::2], sv[1::2]))
        except (DevFailed, ValueError, IndexError):
            pass
        out = {}
        for alias in self._call("DbGetAttributeAliasList", "*", _STR):
            try:
                out[alias] = self._call("DbGetAttributeAlias", alias, _STR)
            except DevFailed:
                continue
        return out


# -- helpers ----------------------------------------------------------------------------------------

def _history(reply: Sequence[str], with_attribute: bool = False) -> DbHistoryList:
    """Records ``[attr,] name, date, n, value*`` -> DbHistoryList."""
    out = DbHistoryList()
    i, step = 0, 4 if with_attribute else 3
    while i + step <= len(reply):
        attr = reply[i] if with_attribute else ""
        name, date, count = reply[i + step - 3], reply[i + step - 2], int(reply[i + step - 1])
        i += step
        out.append(DbHistory(name, date, reply[i:i + count], attr))
        i += count
    return out


def _guess_argin_type(argin: Any) -> CmdArgType | None:
    """PyTango's Database argin guess: None -> DevVoid, str -> DevString, sequence of str ->
    DevVarStringArray; None (ask command_query) otherwise."""
    if argin is None:
        return _VOID
    if isinstance(argin, str):
        return _STR
    if isinstance(argin, (list, tuple)) and all(isinstance(a, str) for a in argin):
        return _STRS
    return None


def _to_utf8(argin: Any) -> Any:
    """str -> UTF-8 octets (command_any sends bytes unchanged); lists element-wise."""
    if isinstance(argin, str):
        return argin if argin.isascii() else argin.encode("utf-8")
    if isinstance(argin, list):
        return [a if not isinstance(a, str) or a.isascii() else a.encode("utf-8") for a in argin]
    return argin


def _int_or_zero(text: str) -> int:
    """Starter mode/level fields: the C++ DataBaseds answers " " for a server never configured."""
    try:
        return int(text)
    except ValueError:
        return 0


def _fix(s: str) -> str:
    if s.isascii():
        return s
    try:
        return s.encode("latin-1").decode("utf-8")
    except UnicodeError:  # not UTF-8 (written by a Latin-1 client): keep the octets as Latin-1
        return s


def _from_utf8(value: Any) -> Any:
    """The CDR layer decodes strings as Latin-1; re-decode them as UTF-8 where they are."""
    if isinstance(value, str):
        return _fix(value)
    if isinstance(value, list):
        if len(value) == 2 and not isinstance(value[0], str) and isinstance(value[1], list):
            return [value[0], [_fix(v) for v in value[1]]]  # DevVarLongStringArray
        return [_fix(v) if isinstance(v, str) else v for v in value]
    return value


def _names_of(value) -> list[str]:
    """Property/attribute names from PyTango's accepted forms: str, DbDatum, sequence, dict."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, DbDatum):
        return [value.name]
    if isinstance(value, Mapping):  # a DbDatum value names the property (as PyTango)
        return [v.name if isinstance(v, DbDatum) else str(k) for k, v in value.items()]
    out = []
    for item in value:
        out.append(item.name if isinstance(item, DbDatum) else str(item))
    return out


def _props_of(value) -> dict[str, list[str]]:
    """``{name: [str, ...]}`` from a dict, a DbDatum or a DbData."""
    if isinstance(value, DbDatum):
        return {value.name: list(value.value_string)}
    if isinstance(value, Mapping):  # a DbDatum value keeps its own name (as PyTango)
        return {(v.name if isinstance(v, DbDatum) else str(k)): (list(v.value_string) if isinstance(v, DbDatum)
                                                                 else to_value_strings(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple, DbData)) and all(isinstance(d, DbDatum) for d in value):
        return {d.name: list(d.value_string) for d in value}
    raise TypeError("value must be a dict {prop_name: value}, a DbDatum or a DbData")


def _attr_prop_names(value) -> list[tuple[str, list[str]]]:
    if isinstance(value, Mapping):
        return [(str(a), _names_of(p)) for a, p in value.items()]
    raise TypeError("value must be a dict {attr_name: [prop_name, ...]}")


def _parse_props(reply: list[str], i: int, n_props: int) -> tuple[dict[str, list[str]], int]:
    props: dict[str, list[str]] = {}
    for _ in range(n_props):
        name = reply[i]
        count = int(reply[i + 1])
        i += 2
        props[name] = list(reply[i:i + count])
        i += count
        if count == 0 and i < len(reply) and reply[i] == " ":
            i += 1  # PyTango DataBaseds' placeholder after an empty property
    return props, i


def _find_caseless(d: Mapping[str, Any], name: str) -> str:
    low = name.lower()
    for k in d:
        if k.lower() == low:
            return k
    return name


def _wildcard_match(pattern: str, text: str) -> bool:
    import fnmatch
    return fnmatch.fnmatchcase(text, pattern)
