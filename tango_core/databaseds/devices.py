"""Devices, servers, classes, aliases, export/import and the name lists (command handlers).

Handlers take the command's argument (``str`` or ``list[str]``) and return its reply; they run
inside the dispatcher's lock/transaction (commands.py) and use ``self.conn``.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import TYPE_CHECKING

from . import properties as props
from . import schema
from .arguments import count, name_ok, need
from .errors import (DB_ALIAS_NOT_DEFINED, DB_DEVICE_NOT_DEFINED, DB_INCORRECT_ARGUMENTS,
                     DB_INCORRECT_DEVICE_NAME, DB_INCORRECT_SERVER_NAME, DB_SQL_ERROR, DB_WRONG_ARG_NUMBER,
                     DB_WRONG_ARGUMENT, db_error)
from .names import device_name, like_pattern, server_name_ok
from .store import now

if TYPE_CHECKING:
    from .commands import DatabaseCommands

_DEVICE_NAME_SYNTAX = "syntax error (should be [tango:][//instance/]domain/family/member)"
_DEVICE_KINDS = (schema.DEVICE, schema.DEVICE_ATTRIBUTE, schema.DEVICE_PIPE)
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _column(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[str]:
    return [row[0] for row in conn.execute(sql, params)]


def _ordinal(day: int) -> str:
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{({1: 'st', 2: 'nd', 3: 'rd'}).get(day % 10, 'th')}"


def info_date(stored: str | None) -> str:
    """A stored date as DbGetDeviceInfo shows it: ``7th December 2026 at 01:30:07`` (the C++
    server's MySQL ``%D %M %Y at %H:%i:%s``), ``?`` when unset."""
    if not stored:
        return "?"
    try:
        d = datetime.strptime(stored, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return "?"
    return f"{_ordinal(d.day)} {_MONTHS[d.month - 1]} {d.year} at {d:%H:%M:%S}"


class DeviceCommands:
    conn: sqlite3.Connection

    # -- helpers -------------------------------------------------------------------------------

    def _insert_device(self: "DatabaseCommands", server: str, name: str, klass: str,
                       alias: str | None = None, *, replace: bool = True) -> None:
        domain, family, member = name.split("/")
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        try:
            self.conn.execute(f"{verb} INTO devices (name, domain, family, member, server, class, alias) "
                              f"VALUES (?, ?, ?, ?, ?, ?, ?)", (name, domain, family, member, server, klass, alias))
        except sqlite3.IntegrityError:
            db_error(DB_SQL_ERROR, f"alias {alias} already exists !", "DataBase::AddDevice()")

    def _ensure_admin_device(self: "DatabaseCommands", server: str) -> None:
        self._insert_device(server, f"dserver/{server}", "DServer", replace=False)

    def _device_host(self, name: str) -> str:
        """The host column of a device ("" when the device is unknown)."""
        row = self.conn.execute("SELECT host FROM devices WHERE name = ?", (name.lower(),)).fetchone()
        return (row[0] or "") if row is not None else ""

    def _check_server(self, server: str, origin: str) -> str:
        name_ok(server, "server name", origin)
        if not server_name_ok(server):
            db_error(DB_INCORRECT_SERVER_NAME, f"server name {server} incorrect (should be executable/instance)",
                     origin)
        return server

    def _check_device(self, name: str, origin: str) -> str:
        checked = device_name(name)
        if checked is None:
            db_error(DB_INCORRECT_DEVICE_NAME, f"device name ({name}) {_DEVICE_NAME_SYNTAX}", origin)
        return name_ok(checked, "device name", origin)

    def _delete_device(self, name: str) -> None:
        c = self.conn
        c.execute("DELETE FROM devices WHERE name = ?", (name,))
        props.delete_owner(c, _DEVICE_KINDS, name)
        c.execute("DELETE FROM attribute_aliases WHERE device = ?", (name,))

    # -- adding and removing -------------------------------------------------------------------

    def DbAddDevice(self: "DatabaseCommands", argin: list[str]) -> None:
        origin = "DataBase::AddDevice()"
        need(argin, 3, "incorrect no. of input arguments, needs at least 3 (server,device,class)", origin)
        server = self._check_server(argin[0], origin)
        name = self._check_device(argin[1], origin)
        klass = name_ok(argin[2], "class name", origin)
        alias = None
        if len(argin) > 3:
            alias = self._check_alias(argin[3], "DataBase::db_put_device_alias()")
        self._insert_device(server, name, klass, alias)
        self._ensure_admin_device(server)

    def DbAddServer(self: "DatabaseCommands", argin: list[str]) -> None:
        origin = "DataBase::AddServer()"
        need(argin, 3, "incorrect no. of input arguments, needs at least 3 (server,device,class)", origin)
        if len(argin) % 2 == 0:
            db_error(DB_INCORRECT_ARGUMENTS, "incorrect no. of input arguments: the server name must be "
                     "followed by (device, class) pairs", origin)
        server = self._check_server(argin[0], origin)
        for i in range(1, len(argin), 2):
            name = self._check_device(argin[i], origin)
            self._insert_device(server, name, name_ok(argin[i + 1], "class name", origin))
        self._ensure_admin_device(server)

    def DbDeleteDevice(self, argin: str) -> None:
        name = device_name(argin)
        if name is None:
            db_error(DB_INCORRECT_DEVICE_NAME, "failed to delete device, device name incorrect",
                     "DataBase::db_delete_device()")
        self._delete_device(name)

    def DbDeleteServer(self, argin: str) -> None:
        origin = "DataBase::db_delete_server()"
        if "*" in argin or "%" in argin or "/" not in argin:
            db_error(DB_INCORRECT_SERVER_NAME, "failed to delete server, server name incorrect", origin)
        if self.conn.execute("SELECT 1 FROM devices WHERE name = ?", (f"dserver/{argin}",)).fetchone() is None:
            db_error(DB_INCORRECT_SERVER_NAME, f"Server {argin} not defined in database !", origin)
        self.starters_to_update(self._device_host(f"dserver/{argin}"))
        for name in _column(self.conn, "SELECT name FROM devices WHERE server = ?", (argin,)):
            self._delete_device(name)

    def DbRenameServer(self, argin: list[str]) -> None:
        origin = "DataBase::db_rename_server()"
        if len(argin) != 2:
            db_error(DB_WRONG_ARG_NUMBER, "Wrong number of args (two required: old name and new name)", origin)
        old, new = argin
        if not server_name_ok(old) or not server_name_ok(new):
            db_error(DB_WRONG_ARGUMENT, "Wrong syntax in command args (ds_exec_name/inst_name)", origin)
        name_ok(new, "server name", origin)
        c = self.conn
        old_admin, new_admin = f"dserver/{old}", f"dserver/{new}"
        if c.execute("SELECT 1 FROM devices WHERE name = ?", (new_admin,)).fetchone() is not None:
            db_error(DB_WRONG_ARGUMENT, f"Device server process name {new} is already used", origin)
        if c.execute("SELECT 1 FROM devices WHERE name = ?", (old_admin,)).fetchone() is None:
            db_error(DB_INCORRECT_SERVER_NAME, f"Server {old} not defined in database !", origin)
        self.starters_to_update(self._device_host(old_admin))
        exec_name, instance = new.split("/")
        c.execute("UPDATE devices SET server = ? WHERE server = ?", (new, old))
        c.execute("UPDATE devices SET name = ?, family = ?, member = ? WHERE name = ?",
                  (new_admin, exec_name, instance, old_admin))
        for kind in _DEVICE_KINDS:
            c.execute("UPDATE properties SET owner = ? WHERE kind = ? AND owner = ?", (new_admin, kind, old_admin))
        c.execute("UPDATE server_info SET name = ? WHERE name = ?", (new.lower(), old))

    # -- export / import -----------------------------------------------------------------------

    def _export(self, argin: list[str], origin: str) -> None:
        name = argin[0].lower()
        ior, host, pid_text, version = argin[1], argin[2], argin[3], argin[4]
        pid = -1 if pid_text == "null" else count(pid_text, "pid", origin)
        c = self.conn
        row = c.execute("SELECT server FROM devices WHERE name = ?", (name,)).fetchone()
        if row is None:
            db_error(DB_DEVICE_NOT_DEFINED, f"device {name} not defined in the database !",
                     "DataBase::ExportDevice()")
        if name.startswith("dserver/") and name != f"dserver/{self.server_name.lower()}" \
                and not name.startswith("dserver/starter/"):
            # a device server (re)started: the Starters of its host, and of the host it ran on
            # before, update their lists of servers (a Starter's own start is not news to it)
            self.starters_to_update(host, self._device_host(name))
        c.execute("UPDATE devices SET exported = 1, ior = ?, host = ?, pid = ?, version = ?, started = ? "
                  "WHERE name = ?", (ior, host, pid, version, now(), name))
        c.execute("UPDATE server_info SET host = ? WHERE name = ?", (host, row[0]))

    def DbExportDevice(self, argin: list[str]) -> None:
        origin = "DataBase::DbExportDevice()"
        need(argin, 5, "Insufficient export info for device", origin)
        self._export(argin, origin)

    def DbExportServer(self, argin: list[str]) -> None:
        """Export several devices in one call: ``[name, IOR, host, pid, version] * n`` (what
        ``Database.export_server`` sends; the reference servers lack this command)."""
        origin = "DataBase::DbExportServer()"
        if not argin or len(argin) % 5:
            db_error(DB_INCORRECT_ARGUMENTS, "Insufficient export info: 5 strings (name, IOR, host, pid, "
                     "version) per device", origin)
        for i in range(0, len(argin), 5):
            self._export(argin[i:i + 5], origin)

    def DbUnExportDevice(self, argin: str) -> None:
        self.conn.execute("UPDATE devices SET exported = 0, stopped = ? WHERE name = ?", (now(), argin.lower()))

    def DbUnExportServer(self, argin: str) -> None:
        self.conn.execute("UPDATE devices SET exported = 0, stopped = ? WHERE server = ?", (now(), argin.lower()))

    def _lookup(self, name: str) -> tuple | None:
        c = self.conn
        cols = "exported, ior, version, pid, server, host, class, started, stopped"
        row = c.execute(f"SELECT {cols} FROM devices WHERE name = ?", (name,)).fetchone()
        if row is None:
            row = c.execute(f"SELECT {cols} FROM devices WHERE alias = ?", (name,)).fetchone()
        return row

    def DbImportDevice(self, argin: str) -> tuple[list[int], list[str]]:
        name = argin.lower()
        row = self._lookup(name)
        if row is None:
            db_error(DB_DEVICE_NOT_DEFINED, f"device {name} not defined in the database !",
                     "DataBase::ImportDevice()")
        exported, ior, version, pid, server, host, klass = row[:7]
        return [exported, pid], [name, ior, version, server, host, klass]

    def DbGetDeviceInfo(self, argin: str) -> tuple[list[int], list[str]]:
        name = argin.lower()
        row = self._lookup(name)
        if row is None:
            db_error(DB_DEVICE_NOT_DEFINED, f"device {name} not defined in the database !",
                     "DataBase::GetDeviceInfo()")
        exported, ior, version, pid, server, host, klass, started, stopped = row
        return [exported, pid], [name, ior, version, server, host, info_date(started), info_date(stopped), klass]

    # -- events (notifd era: a Tango 10 server still asks for its notifd factory) --------------

    def DbExportEvent(self, argin: list[str]) -> None:
        origin = "DataBase::db_export_event()"
        need(argin, 5, "insufficient export info for event", origin)
        name = name_ok(argin[0].lower(), "event name", origin)
        pid = -1 if argin[3] == "null" else count(argin[3], "pid", origin)
        self.conn.execute("INSERT OR REPLACE INTO events (name, exported, ior, host, pid, version, started) "
                          "VALUES (?, 1, ?, ?, ?, ?, ?)", (name, argin[1], argin[2], pid, argin[4], now()))

    def DbImportEvent(self, argin: str) -> tuple[list[int], list[str]]:
        name = argin.lower()
        row = self.conn.execute("SELECT exported, ior, version, pid, host FROM events WHERE name = ?",
                                (name,)).fetchone()
        if row is None:
            db_error(DB_DEVICE_NOT_DEFINED, f"event {name} not defined in the database !",
                     "DataBase::db_import_event()")
        exported, ior, version, pid, host = row
        return [exported, pid], [name, ior, version, host]

    def DbUnExportEvent(self, argin: str) -> None:
        self.conn.execute("UPDATE events SET exported = 0, stopped = ? WHERE name = ?", (now(), argin.lower()))

    # -- device aliases ------------------------------------------------------------------------

    def _check_alias(self, alias: str, origin: str) -> str:
        name_ok(alias, "alias", origin)
        if "/" in alias or " " in alias:
            db_error(DB_INCORRECT_ARGUMENTS, "Wrong alias info for device!. Characters '/',' ' forbidden in alias",
                     origin)
        return alias

    def DbPutDeviceAlias(self, argin: list[str]) -> None:
        origin = "DataBase::db_put_device_alias()"
        need(argin, 2, "insufficient alias info for device", origin)
        name, alias = argin[0], self._check_alias(argin[1], origin)
        c = self.conn
        if c.execute("SELECT 1 FROM devices WHERE alias = ? AND name <> ?", (alias, name)).fetchone():
            db_error(DB_SQL_ERROR, f"alias {alias} already exists !", origin)
        if c.execute("UPDATE devices SET alias = ? WHERE name = ?", (alias, name)).rowcount == 0:
            db_error(DB_DEVICE_NOT_DEFINED, f"device {name} not defined in the database !", origin)

    def DbDeleteDeviceAlias(self, argin: str) -> None:
        self.conn.execute("UPDATE devices SET alias = NULL WHERE alias = ?", (argin,))

    def DbGetAliasDevice(self, argin: str) -> str:
        row = self.conn.execute("SELECT name FROM devices WHERE alias LIKE ? ESCAPE '\\' ORDER BY alias LIMIT 1",
                                (like_pattern(argin),)).fetchone()
        if row is None:
            db_error(DB_DEVICE_NOT_DEFINED, f"No device found for alias '{argin}'", "DataBase::db_get_alias_device()")
        return row[0]

    def DbGetDeviceAlias(self, argin: str) -> str:
        origin = "DataBase::db_get_device_alias()"
        name = device_name(argin)
        if name is None:
            db_error(DB_INCORRECT_DEVICE_NAME, "failed to find alias, device name incorrect", origin)
        row = self.conn.execute("SELECT alias FROM devices WHERE name = ?", (name,)).fetchone()
        if row is None or row[0] is None:
            db_error(DB_ALIAS_NOT_DEFINED, f"No alias found for device '{name}'", origin)
        return row[0]

    def DbGetDeviceAliasList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT alias FROM devices WHERE alias LIKE ? ESCAPE '\\' ORDER BY alias",
                       (like_pattern(argin),))

    # -- attribute aliases ---------------------------------------------------------------------

    def DbPutAttributeAlias(self, argin: list[str]) -> None:
        origin = "DataBase::db_put_attribute_alias()"
        need(argin, 2, "insufficient alias info for attribute", origin)
        name, alias = argin[0], name_ok(argin[1], "alias", origin)
        if "/" in alias or " " in alias:
            db_error(DB_INCORRECT_ARGUMENTS, "Wrong alias for attribute!. Characters '/',' ' forbidden in alias",
                     origin)
        c = self.conn
        row = c.execute("SELECT device || '/' || attribute FROM attribute_aliases WHERE alias = ?", (alias,)).fetchone()
        if row is not None and row[0].lower() != name.lower():
            db_error(DB_SQL_ERROR, f"alias {alias} already exists !", origin)
        fields = name.split("/")
        if len(fields) != 4 or not all(fields):
            db_error(DB_SQL_ERROR, f"attribute name {name} has bad syntax, must have 3 / in it", origin)
        device, attribute = "/".join(fields[:3]), fields[3]
        name_ok(device, "device name", origin)
        name_ok(attribute, "attribute name", origin)
        c.execute("DELETE FROM attribute_aliases WHERE device = ? AND attribute = ?", (device, attribute))
        c.execute("INSERT OR REPLACE INTO attribute_aliases (alias, device, attribute, updated) VALUES (?, ?, ?, ?)",
                  (alias, device, attribute, now()))

    def _attribute_of_alias(self, alias: str, origin: str) -> str:
        row = self.conn.execute("SELECT device || '/' || attribute FROM attribute_aliases WHERE alias = ?",
                                (alias,)).fetchone()
        if row is None:
            db_error(DB_SQL_ERROR, f"No attribute found for alias  '{alias}'", origin)
        return row[0]

    def DbGetAttributeAlias(self, argin: str) -> str:
        return self._attribute_of_alias(argin, "DataBase::db_get_attribute_alias()")

    def DbGetAliasAttribute(self, argin: str) -> str:
        return self._attribute_of_alias(argin, "DataBase::db_get_alias_attribute()")

    def DbGetAttributeAlias2(self, argin: str) -> str:
        device, _, attribute = argin.rpartition("/")
        row = self.conn.execute("SELECT alias FROM attribute_aliases WHERE device = ? AND attribute = ?",
                                (device, attribute)).fetchone()
        if row is None:
            db_error(DB_SQL_ERROR, f"No alias found for attribute  '{argin}'", "DataBase::db_get_attribute_alias2()")
        return row[0]

    def DbGetAttributeAliasList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT alias FROM attribute_aliases WHERE alias LIKE ? ESCAPE '\\' "
                                  "ORDER BY attribute, alias", (like_pattern(argin),))

    def DbDeleteAttributeAlias(self, argin: str) -> None:
        self.conn.execute("DELETE FROM attribute_aliases WHERE alias = ?", (argin,))

    # -- classes -------------------------------------------------------------------------------

    def DbGetClassForDevice(self, argin: str) -> str:
        row = self.conn.execute("SELECT class FROM devices WHERE name = ?", (argin,)).fetchone()
        if row is None:
            db_error(DB_INCORRECT_ARGUMENTS, f"Class not found for {argin}", "DataBase::db_get_class_for_device()")
        return row[0]

    def DbGetClassInheritanceForDevice(self, argin: str) -> list[str]:
        klass = self.DbGetClassForDevice(argin)
        return [klass, *(props.get(self.conn, schema.CLASS, klass, "", "InheritedFrom") or [])]

    def DbGetClassList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT DISTINCT class FROM devices WHERE class LIKE ? ESCAPE '\\' ORDER BY class",
                       (like_pattern(argin),))

    def DbGetDeviceServerClassList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT DISTINCT class FROM devices WHERE server LIKE ? ESCAPE '\\' "
                                  "ORDER BY class", (like_pattern(argin),))

    def DbGetExportdDeviceListForClass(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT name FROM devices WHERE class LIKE ? ESCAPE '\\' AND exported = 1 "
                                  "ORDER BY name", (like_pattern(argin),))

    # -- device lists --------------------------------------------------------------------------

    def DbGetDeviceList(self, argin: list[str]) -> list[str]:
        need(argin, 2, "incorrect no. of input arguments, needs 2 (server,class)", "DataBase::GetDeviceList()",
             exact=True)
        return _column(self.conn, "SELECT name FROM devices WHERE server LIKE ? ESCAPE '\\' "
                                  "AND class LIKE ? ESCAPE '\\' ORDER BY name",
                       (like_pattern(argin[0]), like_pattern(argin[1])))

    def DbGetDeviceClassList(self, argin: str) -> list[str]:
        out: list[str] = []
        for name, klass in self.conn.execute("SELECT name, class FROM devices WHERE server = ? ORDER BY name",
                                             (argin,)):
            out += (name, klass)
        return out

    def DbGetDeviceWideList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT name FROM devices WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
                       (like_pattern(argin),))

    def DbGetDeviceExportedList(self, argin: str) -> list[str]:
        if argin == "*":
            return _column(self.conn, "SELECT name FROM devices WHERE exported = 1 ORDER BY name")
        pattern = like_pattern(argin)
        return _column(self.conn, "SELECT name FROM devices WHERE (name LIKE ? ESCAPE '\\' OR alias LIKE ? "
                                  "ESCAPE '\\') AND exported = 1 ORDER BY name", (pattern, pattern))

    def _name_part(self, part: str, wildcard: str) -> list[str]:
        pattern = like_pattern(wildcard)
        return _column(self.conn, f"SELECT DISTINCT {part} FROM devices WHERE name LIKE ? ESCAPE '\\' "
                                  f"OR alias LIKE ? ESCAPE '\\' ORDER BY {part}", (pattern, pattern))

    def DbGetDeviceDomainList(self, argin: str) -> list[str]:
        return self._name_part("domain", argin)

    def DbGetDeviceFamilyList(self, argin: str) -> list[str]:
        return self._name_part("family", argin)

    def DbGetDeviceMemberList(self, argin: str) -> list[str]:
        return self._name_part("member", argin)

    # -- servers and hosts ---------------------------------------------------------------------

    def DbGetServerList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT DISTINCT server FROM devices WHERE server LIKE ? ESCAPE '\\' "
                                  "ORDER BY server", (like_pattern(argin),))

    def DbGetServerNameList(self, argin: str) -> list[str]:
        seen: dict[str, str] = {}
        for server in self.DbGetServerList(argin):
            executable = server.split("/", 1)[0]
            seen.setdefault(executable.lower(), executable)
        return list(seen.values())

    def DbGetInstanceNameList(self, argin: str) -> list[str]:
        return [server.split("/", 1)[1] for server in self.DbGetServerList(argin + "/*")]

    def DbGetHostList(self, argin: str) -> list[str]:
        return _column(self.conn, "SELECT DISTINCT host FROM devices WHERE host LIKE ? ESCAPE '\\' ORDER BY host",
                       (like_pattern(argin),))

    def DbGetHostServerList(self, argin: str) -> list[str]:
        pattern = like_pattern(argin)
        return _column(self.conn, "SELECT DISTINCT server FROM devices WHERE (host LIKE ? ESCAPE '\\' OR "
                                  "host LIKE ? ESCAPE '\\') AND name LIKE 'dserver/%' ORDER BY server",
                       (pattern, pattern + ".%"))

    def DbGetHostServersInfo(self, argin: str) -> list[str]:
        out: list[str] = []
        for server in self.DbGetHostServerList(argin):
            info = self.DbGetServerInfo(server)
            out += (server, info[2], info[3])
        return out

    def DbGetServerInfo(self, argin: str) -> list[str]:
        row = self.conn.execute("SELECT host, mode, level FROM server_info WHERE name = ?", (argin,)).fetchone()
        if row is None:
            return [argin, " ", " ", " "]
        return [argin, row[0], str(row[1]), str(row[2])]

    def DbPutServerInfo(self, argin: list[str]) -> None:
        origin = "DataBase::db_put_server_info()"
        need(argin, 4, "insufficient server info", origin)
        server = name_ok(argin[0].lower(), "server name", origin)
        mode = count(argin[2], "mode", origin)
        level = count(argin[3], "level", origin)
        self.conn.execute("INSERT OR REPLACE INTO server_info (name, host, mode, level) VALUES (?, ?, ?, ?)",
                          (server, argin[1], mode, level))
        # the Starter of the host named, or without one of the host the server last ran on
        self.starters_to_update(argin[1] or self._device_host(f"dserver/{server}"))

    def DbDeleteServerInfo(self, argin: str) -> None:
        self.conn.execute("DELETE FROM server_info WHERE name = ?", (argin,))
