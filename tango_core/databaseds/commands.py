"""The database server's command set as plain Python: ``argin -> argout``, DevFailed on error.

:class:`DatabaseCommands` is the whole server minus the network: ``execute(name, argin)`` checks
the argument type, runs the handler under the store's lock (write commands in one transaction),
keeps the per-command timing statistics the ``Timing_*`` attributes show, and returns the reply
(``list[str]``, ``str``, ``None``, or ``(list[int], list[str])`` for DevVarLongStringArray).
:data:`COMMANDS` lists every command with its Tango argument types and descriptions; the device
(device.py) is generated from it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..idl.enums import CmdArgType
from . import properties as props
from . import schema
from .devices import DeviceCommands
from .errors import API_COMMAND_NOT_FOUND, API_INCOMPATIBLE_ARGUMENT, db_error
from .property_commands import PropertyCommands
from .queries import QueryCommands, SelectRunner
from .store import MEMORY, Store, now

_V, _S, _SA, _LSA = (CmdArgType.DevVoid, CmdArgType.DevString, CmdArgType.DevVarStringArray,
                     CmdArgType.DevVarLongStringArray)

DEFAULT_HISTORY_DEPTH = 10


@dataclass(frozen=True)
class CommandSpec:
    name: str
    in_type: CmdArgType
    out_type: CmdArgType
    in_desc: str
    out_desc: str
    writes: bool


def _spec(name: str, in_type: CmdArgType, out_type: CmdArgType, in_desc: str = "", out_desc: str = "",
          writes: bool = False) -> CommandSpec:
    return CommandSpec(name, in_type, out_type, in_desc or ("none" if in_type == _V else ""),
                       out_desc or ("none" if out_type == _V else ""), writes)


_DEV_PROPS_OUT = "device name, property count, then per property: name, value count, values"
_MEMBER_PROPS_IN = "owner name, attribute count, then per attribute: name, property count, then per property: " \
                   "name, value count, values"
_MEMBER_PROPS_IN_1 = "owner name, attribute count, then per attribute: name, property count, then per property: " \
                     "name, value"
_FLAT_PROPS_IN = "owner name, property count, then per property: name, value count, values"
_HIST_OUT = "per change: property name, date, value count (0: deleted), values"
_MEMBER_HIST_OUT = "per change: attribute/pipe name, property name, date, value count (0: deleted), values"

#: every command the server offers, in alphabetical order (command_list_query shows this order)
COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in sorted([
    _spec("DbAddDevice", _SA, _V, "server (exec/instance), device name, class [, alias]", writes=True),
    _spec("DbAddServer", _SA, _V, "server (exec/instance), then device name, class pairs", writes=True),
    _spec("DbDeleteAllDeviceAttributeProperty", _SA, _V, "device name, attribute names", writes=True),
    _spec("DbDeleteAllDevicePipeProperty", _SA, _V, "device name, pipe names", writes=True),
    _spec("DbDeleteAttributeAlias", _S, _V, "attribute alias", writes=True),
    _spec("DbDeleteClassAttribute", _SA, _V, "class name, attribute name", writes=True),
    _spec("DbDeleteClassAttributeProperty", _SA, _V, "class name, attribute name, property names", writes=True),
    _spec("DbDeleteClassPipe", _SA, _V, "class name, pipe name", writes=True),
    _spec("DbDeleteClassPipeProperty", _SA, _V, "class name, pipe name, property names", writes=True),
    _spec("DbDeleteClassProperty", _SA, _V, "class name, property names (wildcards * allowed)", writes=True),
    _spec("DbDeleteDevice", _S, _V, "device name", writes=True),
    _spec("DbDeleteDeviceAlias", _S, _V, "device alias", writes=True),
    _spec("DbDeleteDeviceAttribute", _SA, _V, "device name, attribute name", writes=True),
    _spec("DbDeleteDeviceAttributeProperty", _SA, _V, "device name, attribute name, property names", writes=True),
    _spec("DbDeleteDevicePipe", _SA, _V, "device name, pipe name", writes=True),
    _spec("DbDeleteDevicePipeProperty", _SA, _V, "device name, pipe name, property names", writes=True),
    _spec("DbDeleteDeviceProperty", _SA, _V, "device name, property names (wildcards * allowed)", writes=True),
    _spec("DbDeleteProperty", _SA, _V, "object name, property names (wildcards * allowed)", writes=True),
    _spec("DbDeleteServer", _S, _V, "server (exec/instance)", writes=True),
    _spec("DbDeleteServerInfo", _S, _V, "server (exec/instance)", writes=True),
    _spec("DbExportDevice", _SA, _V, "device name, IOR, host, pid (or null), version", writes=True),
    _spec("DbExportEvent", _SA, _V, "event channel or factory name, IOR, host, pid, version", writes=True),
    _spec("DbExportServer", _SA, _V, "per device: name, IOR, host, pid (or null), version", writes=True),
    _spec("DbGetAliasAttribute", _S, _S, "attribute alias", "attribute name (device/attribute)"),
    _spec("DbGetAliasDevice", _S, _S, "device alias (wildcard * allowed)", "device name"),
    _spec("DbGetAttributeAlias", _S, _S, "attribute alias", "attribute name (device/attribute)"),
    _spec("DbGetAttributeAlias2", _S, _S, "attribute name (device/attribute)", "attribute alias"),
    _spec("DbGetAttributeAliasList", _S, _SA, "alias wildcard", "attribute aliases"),
    _spec("DbGetCSDbServerList", _V, _SA, "", "host:port of every database server"),
    _spec("DbGetClassAttributeList", _SA, _SA, "class name, attribute wildcard", "attribute names"),
    _spec("DbGetClassAttributeProperty", _SA, _SA, "class name, attribute names",
          "class name, attribute count, then per attribute: name, value count, then name, value pairs"),
    _spec("DbGetClassAttributeProperty2", _SA, _SA, "class name, attribute names",
          "class name, attribute count, then per attribute: name, property count, then per property: "
          "name, value count, values"),
    _spec("DbGetClassAttributePropertyHist", _SA, _SA, "class name, attribute wildcard, property wildcard",
          _MEMBER_HIST_OUT),
    _spec("DbGetClassForDevice", _S, _S, "device name", "class name"),
    _spec("DbGetClassInheritanceForDevice", _S, _SA, "device name", "class name, then the classes it inherits"),
    _spec("DbGetClassList", _S, _SA, "class wildcard", "class names"),
    _spec("DbGetClassPipeList", _SA, _SA, "class name, pipe wildcard", "pipe names"),
    _spec("DbGetClassPipeProperty", _SA, _SA, "class name, pipe names",
          "class name, pipe count, then per pipe: name, property count, then per property: name, value count, "
          "values"),
    _spec("DbGetClassPipePropertyHist", _SA, _SA, "class name, pipe wildcard, property wildcard", _MEMBER_HIST_OUT),
    _spec("DbGetClassProperty", _SA, _SA, "class name, property names",
          "class name, property count, then per property: name, value count, values"),
    _spec("DbGetClassPropertyHist", _SA, _SA, "class name, property wildcard", _HIST_OUT),
    _spec("DbGetClassPropertyList", _S, _SA, "class name (wildcard * allowed)", "property names"),
    _spec("DbGetDataForServerCache", _SA, _SA, "server (exec/instance), host",
          "everything the server reads at start-up"),
    _spec("DbGetDeviceAlias", _S, _S, "device name", "device alias"),
    _spec("DbGetDeviceAliasList", _S, _SA, "alias wildcard", "device aliases"),
    _spec("DbGetDeviceAttributeList", _SA, _SA, "device name, attribute wildcard", "attribute names"),
    _spec("DbGetDeviceAttributeProperty", _SA, _SA, "device name, attribute names",
          "device name, attribute count, then per attribute: name, value count, then name, value pairs"),
    _spec("DbGetDeviceAttributeProperty2", _SA, _SA, "device name, attribute names",
          "device name, attribute count, then per attribute: name, property count, then per property: "
          "name, value count, values"),
    _spec("DbGetDeviceAttributePropertyHist", _SA, _SA, "device name, attribute wildcard, property wildcard",
          _MEMBER_HIST_OUT),
    _spec("DbGetDeviceClassList", _S, _SA, "server (exec/instance)", "device name, class pairs"),
    _spec("DbGetDeviceDomainList", _S, _SA, "device name wildcard", "domains"),
    _spec("DbGetDeviceExportedList", _S, _SA, "device name or alias wildcard", "exported device names"),
    _spec("DbGetDeviceFamilyList", _S, _SA, "device name wildcard", "families"),
    _spec("DbGetDeviceInfo", _S, _LSA, "device name or alias",
          "strings: name, IOR, version, server, host, started, stopped, class; longs: exported, pid"),
    _spec("DbGetDeviceList", _SA, _SA, "server wildcard, class wildcard", "device names"),
    _spec("DbGetDeviceMemberList", _S, _SA, "device name wildcard", "members"),
    _spec("DbGetDevicePipeList", _SA, _SA, "device name, pipe wildcard", "pipe names"),
    _spec("DbGetDevicePipeProperty", _SA, _SA, "device name, pipe names",
          "device name, pipe count, then per pipe: name, property count, then per property: name, value count, "
          "values"),
    _spec("DbGetDevicePipePropertyHist", _SA, _SA, "device name, pipe wildcard, property wildcard",
          _MEMBER_HIST_OUT),
    _spec("DbGetDeviceProperty", _SA, _SA, "device name, property names", _DEV_PROPS_OUT),
    _spec("DbGetDevicePropertyHist", _SA, _SA, "device name, property wildcard", _HIST_OUT),
    _spec("DbGetDevicePropertyList", _SA, _SA, "device name, property wildcard", "property names"),
    _spec("DbGetDeviceServerClassList", _S, _SA, "server wildcard", "class names"),
    _spec("DbGetDeviceWideList", _S, _SA, "device name wildcard", "device names"),
    _spec("DbGetExportdDeviceListForClass", _S, _SA, "class wildcard", "exported device names"),
    _spec("DbGetForwardedAttributeListForDevice", _S, _SA, "device name",
          "per forwarded attribute: device, attribute, root attribute"),
    _spec("DbGetHostList", _S, _SA, "host wildcard", "host names"),
    _spec("DbGetHostServerList", _S, _SA, "host wildcard", "servers (exec/instance)"),
    _spec("DbGetHostServersInfo", _S, _SA, "host wildcard", "per server: name, controlled (mode), start-up level"),
    _spec("DbGetInstanceNameList", _S, _SA, "server executable name", "instance names"),
    _spec("DbGetObjectList", _S, _SA, "object wildcard", "free object names"),
    _spec("DbGetProperty", _SA, _SA, "object name, property names",
          "object name, property count, then per property: name, value count, values"),
    _spec("DbGetPropertyHist", _SA, _SA, "object name, property wildcard", _HIST_OUT),
    _spec("DbGetPropertyList", _SA, _SA, "object name, property wildcard", "property names"),
    _spec("DbGetServerInfo", _S, _SA, "server (exec/instance)", "server, host, mode, level"),
    _spec("DbGetServerList", _S, _SA, "server wildcard", "servers (exec/instance)"),
    _spec("DbGetServerNameList", _S, _SA, "server wildcard", "server executable names"),
    _spec("DbImportDevice", _S, _LSA, "device name or alias",
          "strings: name, IOR, version, server, host, class; longs: exported, pid"),
    _spec("DbImportEvent", _S, _LSA, "event channel or factory name",
          "strings: name, IOR, version, host; longs: exported, pid"),
    _spec("DbInfo", _V, _SA, "", "lines describing the database contents"),
    _spec("DbMySqlSelect", _S, _LSA, "SELECT statement on the Tango tables",
          "strings: the values, row by row; longs: 1 per non-null value (0 if null), then rows, fields"),
    _spec("DbPutAttributeAlias", _SA, _V, "attribute name (device/attribute), alias", writes=True),
    _spec("DbPutClassAttributeProperty", _SA, _V, _MEMBER_PROPS_IN_1, writes=True),
    _spec("DbPutClassAttributeProperty2", _SA, _V, _MEMBER_PROPS_IN, writes=True),
    _spec("DbPutClassPipeProperty", _SA, _V, _MEMBER_PROPS_IN, writes=True),
    _spec("DbPutClassProperty", _SA, _V, _FLAT_PROPS_IN, writes=True),
    _spec("DbPutDeviceAlias", _SA, _V, "device name, alias", writes=True),
    _spec("DbPutDeviceAttributeProperty", _SA, _V, _MEMBER_PROPS_IN_1, writes=True),
    _spec("DbPutDeviceAttributeProperty2", _SA, _V, _MEMBER_PROPS_IN, writes=True),
    _spec("DbPutDevicePipeProperty", _SA, _V, _MEMBER_PROPS_IN, writes=True),
    _spec("DbPutDeviceProperty", _SA, _V, _FLAT_PROPS_IN, writes=True),
    _spec("DbPutProperty", _SA, _V, _FLAT_PROPS_IN, writes=True),
    _spec("DbPutServerInfo", _SA, _V, "server, host, mode, level", writes=True),
    _spec("DbRenameServer", _SA, _V, "old server name, new server name (exec/instance)", writes=True),
    _spec("DbUnExportDevice", _S, _V, "device name", writes=True),
    _spec("DbUnExportEvent", _S, _V, "event channel or factory name", writes=True),
    _spec("DbUnExportServer", _S, _V, "server (exec/instance)", writes=True),
    _spec("ResetTimingValues", _V, _V),
], key=lambda s: s.name)}

#: the commands every device has (served by the device framework, not by this table)
STANDARD_COMMANDS = ("Init", "State", "Status")

# -- which tables each command writes, and the reads worth caching ---------------------------------
_DEV, _SRV, _EVT, _ALIAS, _PROP, _HIST = ("devices", "server_info", "events", "attribute_aliases", "properties",
                                          "property_history")
TABLES = (_DEV, _SRV, _EVT, _ALIAS, _PROP, _HIST)
_PROPS = frozenset({_PROP, _HIST})

#: tables each write command may change (a test checks this against what really changes)
TABLES_WRITTEN: dict[str, frozenset[str]] = {
    **{name: _PROPS for name, spec in COMMANDS.items()
       if spec.writes and ("Propert" in name or "Pipe" in name or name in ("DbDeleteClassAttribute",
                                                                            "DbDeleteDeviceAttribute"))},
    "DbAddDevice": frozenset({_DEV}), "DbAddServer": frozenset({_DEV}),
    "DbDeleteDevice": frozenset({_DEV, _PROP, _ALIAS}), "DbDeleteServer": frozenset({_DEV, _PROP, _ALIAS}),
    "DbRenameServer": frozenset({_DEV, _PROP, _SRV}),
    "DbExportDevice": frozenset({_DEV, _SRV}), "DbExportServer": frozenset({_DEV, _SRV}),
    "DbUnExportDevice": frozenset({_DEV}), "DbUnExportServer": frozenset({_DEV}),
    "DbPutDeviceAlias": frozenset({_DEV}), "DbDeleteDeviceAlias": frozenset({_DEV}),
    "DbPutServerInfo": frozenset({_SRV}), "DbDeleteServerInfo": frozenset({_SRV}),
    "DbExportEvent": frozenset({_EVT}), "DbUnExportEvent": frozenset({_EVT}),
    "DbPutAttributeAlias": frozenset({_ALIAS}), "DbDeleteAttributeAlias": frozenset({_ALIAS}),
}

#: read commands whose replies are kept until one of these tables changes: the lists that grow
#: with the size of the system, which tools and shells ask for again and again
CACHED_READS: dict[str, frozenset[str]] = {
    **{name: frozenset({_DEV}) for name in (
        "DbGetDeviceExportedList", "DbGetDeviceWideList", "DbGetDeviceDomainList", "DbGetDeviceFamilyList",
        "DbGetDeviceMemberList", "DbGetServerList", "DbGetServerNameList", "DbGetInstanceNameList",
        "DbGetClassList", "DbGetDeviceList", "DbGetExportdDeviceListForClass", "DbGetHostList",
        "DbGetHostServerList", "DbGetDeviceAliasList", "DbGetDeviceServerClassList")},
    "DbGetAttributeAliasList": frozenset({_ALIAS}),
    "DbGetObjectList": frozenset({_PROP}),
}
_CACHE_SIZE = 64


class Timing:
    """Per-command call statistics (ms), what the Timing_* attributes show."""

    __slots__ = ("calls", "total", "minimum", "maximum")

    def __init__(self) -> None:
        self.calls = 0
        self.total = self.minimum = self.maximum = 0.0

    @property
    def average(self) -> float:
        return self.total / self.calls if self.calls else 0.0

    def add(self, ms: float) -> None:
        self.calls += 1
        self.total += ms
        if ms > self.maximum:
            self.maximum = ms
        if ms < self.minimum or self.calls == 1:
            self.minimum = ms


def _check_argin(spec: CommandSpec, argin: Any) -> Any:
    """The argument as the handler wants it, or DevFailed API_IncompatibleCmdArgumentType."""
    t = spec.in_type
    if t == _V:
        if argin is not None:
            _incompatible(spec)
        return None
    if t == _S:
        if not isinstance(argin, str):
            _incompatible(spec)
        return argin
    if isinstance(argin, (str, bytes)) or not hasattr(argin, "__iter__"):
        _incompatible(spec)
    values = list(argin)
    if not all(isinstance(v, str) for v in values):
        _incompatible(spec)
    return values


def _incompatible(spec: CommandSpec) -> None:
    db_error(API_INCOMPATIBLE_ARGUMENT, f"Incompatible command argument type, expected type is : "
             f"Tango::{spec.in_type.name}", f"DataBase::{spec.name}")


class DatabaseCommands(DeviceCommands, PropertyCommands, QueryCommands):
    """The Tango database server's commands over one sqlite file (``":memory:"`` for tests).

    ``instance`` names this server's own devices: ``sys/database/<instance>`` (class DataBase)
    in server ``DataBaseds/<instance>``.  A new file is filled with what a fresh Tango
    installation holds (schema.FRESH_DEVICES, the access-control class properties).
    """

    def __init__(self, path: str | Path = MEMORY, *, instance: str = "2") -> None:
        self.store = Store(path)
        self.conn = self.store.conn
        self.instance = instance
        self.device_name = f"sys/database/{instance}"
        self.server_name = f"DataBaseds/{instance}"
        self.history_depth = DEFAULT_HISTORY_DEPTH
        self.timing = {name: Timing() for name in COMMANDS if name.startswith("Db")}
        self._timing_lock = threading.Lock()
        self._select_runner: SelectRunner | None = None
        #: bumped when a write command that may change the table ends (committed or not)
        self._generation = dict.fromkeys(TABLES, 0)
        self._cache: OrderedDict[tuple, tuple[tuple[int, ...], Any]] = OrderedDict()
        self._cache_lock = threading.Lock()
        #: free property Default/FireToStarter ("false" turns it off): tell the Starter of a host
        #: when the servers of that host change (see :meth:`starters_to_update`)
        self.fire_to_starter = True
        #: called after a write command committed, with the short names of the hosts whose
        #: Starter (``tango/admin/<host>``) should read its list of servers again; the server
        #: sets it (starters.py), the command layer itself makes no network call
        self.notify_starters: Callable[[list[str]], None] | None = None
        self._starter_hosts: list[str] = []
        with self.store.transaction():
            if self.store.created:
                self._fill_fresh_database()
            self._register_self()
        self.init()

    # -- set-up --------------------------------------------------------------------------------

    def _fill_fresh_database(self) -> None:
        for server, device, klass in schema.FRESH_DEVICES:
            self._insert_device(server, device, klass)
            self._ensure_admin_device(server)
            # the installation scripts of both reference servers leave "nada" as their version
            self.conn.execute("UPDATE devices SET version = 'nada' WHERE server = ?", (server,))
        date = now()
        for klass, commands in schema.ALLOWED_ACCESS_COMMANDS.items():
            props.put(self.conn, schema.CLASS, klass, "", "AllowedAccessCmd", commands, date, self.history_depth,
                      history=False)
        for row in schema.FRESH_SERVER_INFO:
            self.conn.execute("INSERT OR IGNORE INTO server_info (name, host, mode, level) VALUES (?, ?, ?, ?)", row)

    def _register_self(self) -> None:
        """This server's own devices exist in every file it serves (a file made for instance 2
        can be served as instance 3)."""
        self._insert_device(self.server_name, self.device_name, "DataBase", replace=False)
        self._ensure_admin_device(self.server_name)

    def init(self) -> None:
        """(Re)read this server's settings: device property ``historyDepth`` (default 10)."""
        with self.store.reading():
            values = props.get(self.conn, schema.DEVICE, self.device_name, "", "historyDepth") or []
        try:
            depth = int(values[0]) if values else DEFAULT_HISTORY_DEPTH
        except ValueError:
            depth = DEFAULT_HISTORY_DEPTH
        self.history_depth = depth if depth > 0 else DEFAULT_HISTORY_DEPTH
        with self.store.reading():
            fire = props.get(self.conn, schema.OBJECT, "Default", "", "FireToStarter") or []
        self.fire_to_starter = not (fire and fire[0].strip().lower() == "false")

    def starters_to_update(self, *hosts: str) -> None:
        """Called by write handlers (inside their transaction): the Starters of these hosts are
        told once the command has committed.  A host is named by its short name (the Starter's
        device is ``tango/admin/<short host name>``); blank hosts and "nada" are skipped."""
        if not self.fire_to_starter:
            return
        for host in hosts:
            short = host.strip().split(".")[0]
            if short and short != "nada" and short not in self._starter_hosts:
                self._starter_hosts.append(short)

    def select_runner(self) -> SelectRunner:
        """The sandboxed connection for DbMySqlSelect, opened on first use.  An in-memory
        database shares its cache between connections, so its selects also take the store's lock."""
        if self._select_runner is None:
            lock = self.store.lock if self.store.path == MEMORY else None
            self._select_runner = SelectRunner(self.store.read_only_uri, lock)
        return self._select_runner

    def close(self) -> None:
        if self._select_runner is not None:
            self._select_runner.close()
        self.store.close()

    # -- dispatch ------------------------------------------------------------------------------

    def handler(self, name: str) -> Callable[[Any], Any]:
        spec = COMMANDS.get(name)
        if spec is None:
            db_error(API_COMMAND_NOT_FOUND, f"Command {name} not found", "DataBase::command_inout()")
        return getattr(self, name)

    def execute(self, name: str, argin: Any = None) -> Any:
        """Run one command: ``argin`` as the wire decoded it (``str``, ``list[str]`` or None)."""
        spec = COMMANDS.get(name)
        if spec is None:
            db_error(API_COMMAND_NOT_FOUND, f"Command {name} not found", "DataBase::command_inout()")
        argin = _check_argin(spec, argin)
        handler = getattr(self, name)
        start = time.perf_counter()
        try:
            if spec.writes:
                try:
                    with self.store.transaction():
                        self._starter_hosts = []
                        result = handler(argin) if spec.in_type != _V else handler()
                        starter_hosts, self._starter_hosts = self._starter_hosts, []
                finally:  # after the commit: a cached read made meanwhile is thrown away
                    with self.store.lock:
                        for table in TABLES_WRITTEN[name]:
                            self._generation[table] += 1
                if starter_hosts and self.notify_starters is not None:
                    self.notify_starters(starter_hosts)
            elif name == "DbMySqlSelect":
                result = self._cached_select(argin)
            elif name in CACHED_READS:
                result = self._cached_read(name, handler, argin)
            else:
                with self.store.reading():
                    result = handler(argin) if spec.in_type != _V else handler()
        finally:
            timing = self.timing.get(name)
            if timing is not None:
                with self._timing_lock:
                    timing.add((time.perf_counter() - start) * 1000.0)
        return result

    def _remember(self, key: tuple, stamp: tuple[int, ...], result: Any) -> None:
        with self._cache_lock:
            self._cache[key] = (stamp, result)
            self._cache.move_to_end(key)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)

    def _recall(self, key: tuple) -> Any:
        with self._cache_lock:
            return self._cache.get(key)

    def _cached_read(self, name: str, handler: Callable[[Any], Any], argin: Any) -> Any:
        key = (name, argin if isinstance(argin, str) else tuple(argin))
        with self.store.reading():
            stamp = tuple(self._generation[t] for t in CACHED_READS[name])
            hit = self._recall(key)
            if hit is None or hit[0] != stamp:
                hit = (stamp, handler(argin))
                self._remember(key, *hit)
        return list(hit[1])

    def _cached_select(self, sql: str) -> tuple[list[int], list[str]]:
        """DbMySqlSelect, its reply kept until a table it read changes (the shell's inventory
        query is asked by every shell that starts)."""
        key = ("DbMySqlSelect", sql)
        hit = self._recall(key)
        if hit is not None:
            tables, stamp, result = hit[1]
            if tuple(self._generation[t] for t in tables) == stamp:
                return list(result[0]), list(result[1])
        before = dict(self._generation)
        result, tables = self.DbMySqlSelect(sql)
        tables = tuple(sorted(tables))
        self._remember(key, (), (tables, tuple(before[t] for t in tables), result))
        return list(result[0]), list(result[1])

    # -- commands that are about the server itself ---------------------------------------------

    def ResetTimingValues(self) -> None:
        with self._timing_lock:
            for name in self.timing:
                self.timing[name] = Timing()

    def timing_info(self, host: str) -> list[str]:
        """The Timing_info attribute's lines (the C++ server's layout)."""
        with self._timing_lock:
            lines = [f"TANGO Database Timing info on host {host}", " ", "command\taverage\tminimum\tmaximum\tcalls",
                     " "]
            for name in sorted(self.timing):
                t = self.timing[name]
                lines.append(f"{name}\t{t.average:6.3f}\t{t.minimum:6.3f}\t{t.maximum:6.3f}\t{t.calls}")
        return lines

    def timing_columns(self) -> dict[str, list]:
        """The Timing_index/_average/_minimum/_maximum/_calls spectra, in command order."""
        with self._timing_lock:
            names = sorted(self.timing)
            items = [self.timing[n] for n in names]
            return {"index": names, "average": [t.average for t in items], "minimum": [t.minimum for t in items],
                    "maximum": [t.maximum for t in items], "calls": [float(t.calls) for t in items]}
