"""Whole-database queries: DbInfo, DbMySqlSelect, DbGetDataForServerCache, DbGetCSDbServerList.

``DbMySqlSelect`` runs the caller's SELECT on a second, read-only connection that sees the
reference servers' table names as views (schema.COMPAT_VIEWS) and nothing else: an authorizer
allows reads of those views and of our tables and a list of harmless functions, and refuses
everything else (writes, PRAGMA, ATTACH, sqlite_master ...); a progress handler stops a query
after ``SELECT_TIME_LIMIT`` seconds and the reply is bounded to ``SELECT_CELL_LIMIT`` cells.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import TYPE_CHECKING

from . import properties as props
from . import schema
from .arguments import need
from .errors import DB_INCORRECT_ARGUMENTS, DB_SQL_ERROR, DB_WRONG_IOR, db_error

if TYPE_CHECKING:
    from .commands import DatabaseCommands

SELECT_TIME_LIMIT = 5.0
SELECT_CELL_LIMIT = 4_000_000

_ALLOWED_FUNCTIONS = {
    "count", "min", "max", "sum", "total", "avg", "group_concat", "lower", "upper", "length", "substr",
    "substring", "instr", "replace", "trim", "ltrim", "rtrim", "coalesce", "ifnull", "nullif", "iif", "abs",
    "round", "like", "glob", "date", "time", "datetime", "strftime", "julianday", "printf", "format", "concat",
    "concat_ws", "cast", "typeof", "json_each", "json_array_length", "unicode", "char", "hex",
}


class SelectRunner:
    """The sandboxed connection behind DbMySqlSelect (one per database file)."""

    def __init__(self, uri: str, lock: threading.Lock | threading.RLock | None = None) -> None:
        self.lock = lock or threading.Lock()
        # no statement cache: every query is prepared again, so the authorizer sees (and records)
        # the tables it reads each time.  Python 3.10's sqlite3 still caches statements with 0
        # (3.11 made 0 mean none): a query found in its cache is not prepared again and the
        # authorizer is not called (``_prepared`` stays False), so ``run`` then names every stored
        # table as read (the reply cache is then dropped at the next write to any table).
        self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=10.0,
                                    cached_statements=0)
        self._read: set[str] = set()
        self._prepared = False
        schema.create_compat_views(self.conn)
        self.conn.execute("PRAGMA query_only=ON")
        self.conn.set_authorizer(self._authorize)
        self._deadline = 0.0
        self.conn.set_progress_handler(self._over_time, 20_000)

    def _authorize(self, action: int, arg1: str | None, arg2: str | None, dbname: str | None,
                   source: str | None) -> int:
        self._prepared = True
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            table = (arg1 or "").lower()
            if table in schema.READABLE or (source or "").lower() in schema.READABLE:
                if table in schema.STORED_TABLES:
                    self._read.add(table)
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_OK if (arg2 or "").lower() in _ALLOWED_FUNCTIONS else sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_DENY

    def _over_time(self) -> int:
        return 1 if time.monotonic() > self._deadline else 0

    def run(self, sql: str) -> tuple[tuple[list[int], list[str]], set[str]]:
        """The reply (flags, values) and the names of our tables the query read."""
        with self.lock:
            self._deadline = time.monotonic() + SELECT_TIME_LIMIT
            self._read = set()
            self._prepared = False
            try:
                cursor = self.conn.execute(sql)
                read = self._read if self._prepared else set(schema.STORED_TABLES)
                n_fields = len(cursor.description or ())
                flags: list[int] = []
                cells: list[str] = []
                n_rows = 0
                while True:
                    rows = cursor.fetchmany(4096)
                    if not rows:
                        break
                    values = [v for row in rows for v in row]
                    flags += [0 if v is None else 1 for v in values]
                    cells += ["" if v is None else v if type(v) is str else str(v) for v in values]
                    n_rows += len(rows)
                    if len(cells) > SELECT_CELL_LIMIT:
                        cursor.close()
                        db_error(DB_SQL_ERROR, f"SELECT result too large (more than {SELECT_CELL_LIMIT} values)",
                                 "DataBase::db_my_sql_select()")
            except sqlite3.Error as exc:
                text = "query took longer than %.0f s" % SELECT_TIME_LIMIT if "interrupted" in str(exc) else str(exc)
                db_error(DB_SQL_ERROR, f"Failed to query TANGO database (error={text})\nThe query was: {sql}",
                         "DataBase::db_my_sql_select()")
        flags += (n_rows, n_fields)
        return (flags, cells), read

    def close(self) -> None:
        self.conn.close()


class QueryCommands:
    conn: sqlite3.Connection

    def DbMySqlSelect(self: "DatabaseCommands", argin: str) -> tuple[tuple[list[int], list[str]], set[str]]:
        """The reply and the tables it read (the dispatcher caches it until one of them changes)."""
        sql = argin
        lowered = argin.lower()
        if "select" not in lowered:
            sql = "SELECT " + sql
        semicolon = lowered.find(";")
        if semicolon >= 0 and lowered[semicolon + 1:].strip():
            db_error(DB_INCORRECT_ARGUMENTS, f"SQL command not valid: '{argin}'", "DataBase::db_my_sql_select()")
        if semicolon >= 0:
            sql = sql[:sql.find(";")]
        return self.select_runner().run(sql)

    def DbInfo(self: "DatabaseCommands", argin: None = None) -> list[str]:
        c = self.conn

        def one(sql: str, *params: object) -> int:
            return c.execute(sql, params).fetchone()[0] or 0

        def values(kind: int) -> tuple[int, int]:
            defined = one("SELECT SUM(json_array_length(vals)) FROM properties WHERE kind = ?", kind)
            history = one("SELECT SUM(CASE WHEN vals IS NULL THEN 1 ELSE json_array_length(vals) END) "
                          "FROM property_history WHERE kind = ?", kind)
            return defined, history

        started = c.execute("SELECT started FROM devices WHERE name = ?", (self.device_name,)).fetchone()
        lines = [f"TANGO Database {self.device_name}", " ",
                 f"Running since {started[0] if started and started[0] else '...'}", " ",
                 f"Devices defined  = {one('SELECT COUNT(*) FROM devices')}",
                 f"Devices exported  = {one('SELECT COUNT(*) FROM devices WHERE exported = 1')}",
                 f"Device servers defined  = {one('SELECT COUNT(*) FROM devices WHERE class = ?', 'DServer')}",
                 "Device servers exported  = "
                 f"{one('SELECT COUNT(*) FROM devices WHERE class = ? AND exported = 1', 'DServer')}",
                 " "]
        for label, kind in (("Device properties", schema.DEVICE), ("Class properties", schema.CLASS),
                            ("Device attribute properties", schema.DEVICE_ATTRIBUTE),
                            ("Class attribute properties", schema.CLASS_ATTRIBUTE),
                            ("Object properties", schema.OBJECT)):
            defined, history = values(kind)
            lines.append(f"{label} defined  = {defined} [History lgth = {history}]")
        return lines

    def DbGetCSDbServerList(self, argin: None = None) -> list[str]:
        from ..wire.errors import MarshalError
        from ..wire.ior import parse_ior

        out: list[str] = []
        for (ior,) in self.conn.execute("SELECT ior FROM devices WHERE exported = 1 AND domain = 'sys' "
                                        "AND family = 'database' ORDER BY name"):
            try:
                profile = parse_ior(ior).iiop_profiles()[0]
            except (MarshalError, ValueError, IndexError):
                db_error(DB_WRONG_IOR, "Wrong IOR in database for at least one of the database server(s)",
                         "DataBase::db_get_csdb_server_list()")
            out.append(f"{profile.host}:{profile.port}")
        return out

    # -- DbGetDataForServerCache -----------------------------------------------------------------

    def DbGetDataForServerCache(self, argin: list[str]) -> list[str]:
        """Everything a device server reads at start-up, in one reply (the layout of the C++
        server's ``ds_start`` stored procedure, which cppTango's DbServerCache parses):
        admin device import, notifd event imports, DServer/Default class properties, admin
        device properties, then per class of the server its properties, attribute properties and
        devices with their properties and attribute properties, then CtrlSystem properties."""
        need(argin, 2, "Incorrect no. of input arguments, needs 2 (ds_name,host_name)",
             "DataBase::DbGetDataForServerCache()", exact=True)
        server, host = argin
        c = self.conn
        admin = f"dserver/{server}"
        out: list[str] = []
        row = c.execute("SELECT ior, version, server, host, exported, pid, class FROM devices WHERE name = ?",
                        (admin,)).fetchone()
        out.append(admin)
        if row is None:
            out.append("Not Found")
            return out
        out += [str(v) for v in row]
        for event in (f"notifd/factory/{host}", admin):
            out += self._cache_event(event)
        for klass in ("DServer", "Default"):
            out += self._cache_flat(schema.CLASS, klass)
        out += self._cache_flat(schema.DEVICE, admin)
        out.append(server)
        classes = [k for (k,) in c.execute("SELECT DISTINCT class FROM devices WHERE server = ? ORDER BY class",
                                           (server,)) if k.lower() != "dserver"]
        out.append(str(len(classes)))
        for klass in classes:
            out += self._cache_flat(schema.CLASS, klass)
            out += self._cache_members(schema.CLASS_ATTRIBUTE, klass)
            devices = [d for (d,) in c.execute("SELECT name FROM devices WHERE server = ? AND class = ? "
                                               "ORDER BY name", (server, klass))]
            out += [klass, str(len(devices)), *devices]
            for device in devices:
                out += self._cache_flat(schema.DEVICE, device)
                out += self._cache_members(schema.DEVICE_ATTRIBUTE, device)
        control = props.of_member(c, schema.OBJECT, "CtrlSystem", "")
        out += self._flat_layout("CtrlSystem", control)
        for name, values in control:
            if name.lower() == "services":
                for value in values:
                    if value.startswith("AccessControl/tango:"):
                        device = value[len("AccessControl/tango:"):]
                        if device.startswith("//"):
                            device = "/".join(device.split("/")[-3:])
                        out += self._cache_import(device)
        return out

    def _cache_import(self, name: str) -> list[str]:
        row = self.conn.execute("SELECT ior, version, server, host, exported, pid, class FROM devices "
                                "WHERE name = ?", (name,)).fetchone()
        return [name, "Not Found"] if row is None else [name, *(str(v) for v in row)]

    def _cache_event(self, name: str) -> list[str]:
        c = self.conn
        query = "SELECT ior, version, host, exported, pid FROM events WHERE name = ?"
        row = c.execute(query, (name,)).fetchone()
        if row is None and "." in name:
            row = c.execute(query, (name.split(".", 1)[0],)).fetchone()
        return [name, "Not Found"] if row is None else [name, *(str(v) for v in row)]

    @staticmethod
    def _flat_layout(owner: str, found: list[tuple[str, list[str]]]) -> list[str]:
        out = [owner, str(len(found))]
        for name, values in found:
            out += (name, str(len(values)), *values)
        return out

    def _cache_flat(self, kind: int, owner: str) -> list[str]:
        return self._flat_layout(owner, props.of_member(self.conn, kind, owner, ""))

    def _cache_members(self, kind: int, owner: str) -> list[str]:
        members = props.of_owner(self.conn, kind, owner)
        out = [owner, str(len(members))]
        for member, found in members.items():
            out += (member, str(len(found)))
            for name, values in found:
                out += (name, str(len(values)), *values)
        return out
