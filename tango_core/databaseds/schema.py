"""The sqlite schema of the database server: our own tables, what a fresh file holds, and the
read-only views that ``DbMySqlSelect`` queries see.

Design (one file, WAL journal, every write command in one transaction):

* ``devices``: one row per device, with its server (``Exec/instance``), class, alias and the
  export record the server last sent (IOR, host, pid, version, start/stop dates).  Servers and
  classes have no table of their own: they are what the devices say.
* ``server_info``: what Starter/Astor store per server (host, mode, level); ``events``: the
  notifd-era event channel records; ``attribute_aliases``.
* ``properties``: every property of every kind in one table, one row per property holding its
  values as a JSON array of strings.  ``kind`` says whose property it is (free object, class,
  device, class attribute, device attribute, class pipe, device pipe); ``owner`` is the object,
  class or device name and ``member`` the attribute or pipe name ('' for the first three kinds).
  The primary key keeps a device's properties together on disk, so reading 20 of them is one
  index range.
* ``property_history``: one row per change of one property (JSON values, NULL when deleted),
  the newest ``history_depth`` kept per property.

Every name column compares and sorts without regard to ASCII case (``COLLATE NOCASE``), as Tango
names do.  The reference servers' MySQL tables (``device``, ``property_device`` with one row
per value ...) exist only as TEMP views on the connection that runs ``DbMySqlSelect``, so that
the SELECTs tools send keep working without those tables being our storage.
"""

from __future__ import annotations

import sqlite3

#: bump when the tables change; a file of another format is refused with a clear message
FORMAT = "tango_core.databaseds 1"

# property kinds (the ``kind`` column)
OBJECT, CLASS, DEVICE, CLASS_ATTRIBUTE, DEVICE_ATTRIBUTE, CLASS_PIPE, DEVICE_PIPE = range(7)

TABLES = """
CREATE TABLE schema_info (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE devices (
    name     TEXT PRIMARY KEY COLLATE NOCASE,
    domain   TEXT NOT NULL COLLATE NOCASE,
    family   TEXT NOT NULL COLLATE NOCASE,
    member   TEXT NOT NULL COLLATE NOCASE,
    server   TEXT NOT NULL COLLATE NOCASE,
    class    TEXT NOT NULL COLLATE NOCASE,
    alias    TEXT UNIQUE COLLATE NOCASE,
    exported INTEGER NOT NULL DEFAULT 0,
    ior      TEXT NOT NULL DEFAULT 'nada',
    version  TEXT NOT NULL DEFAULT '0',
    host     TEXT NOT NULL DEFAULT 'nada',
    pid      INTEGER NOT NULL DEFAULT 0,
    started  TEXT,
    stopped  TEXT
) WITHOUT ROWID;
CREATE INDEX devices_by_server ON devices (server, class);
CREATE INDEX devices_by_class ON devices (class);

CREATE TABLE server_info (
    name  TEXT PRIMARY KEY COLLATE NOCASE,
    host  TEXT NOT NULL,
    mode  INTEGER NOT NULL,
    level INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
    name     TEXT PRIMARY KEY COLLATE NOCASE,
    exported INTEGER NOT NULL,
    ior      TEXT NOT NULL,
    host     TEXT NOT NULL,
    pid      INTEGER NOT NULL,
    version  TEXT NOT NULL,
    started  TEXT,
    stopped  TEXT
) WITHOUT ROWID;

CREATE TABLE attribute_aliases (
    alias     TEXT PRIMARY KEY COLLATE NOCASE,
    device    TEXT NOT NULL COLLATE NOCASE,
    attribute TEXT NOT NULL COLLATE NOCASE,
    updated   TEXT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX attribute_aliases_by_attribute ON attribute_aliases (device, attribute);

CREATE TABLE properties (
    kind    INTEGER NOT NULL,
    owner   TEXT NOT NULL COLLATE NOCASE,
    member  TEXT NOT NULL COLLATE NOCASE,
    name    TEXT NOT NULL COLLATE NOCASE,
    vals    TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (kind, owner, member, name)
) WITHOUT ROWID;

CREATE TABLE property_history (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   INTEGER NOT NULL,
    owner  TEXT NOT NULL COLLATE NOCASE,
    member TEXT NOT NULL COLLATE NOCASE,
    name   TEXT NOT NULL COLLATE NOCASE,
    date   TEXT NOT NULL,
    vals   TEXT
);
CREATE INDEX property_history_by_property ON property_history (kind, owner, member, name, id);
"""

#: Access-control command lists a fresh Tango installation declares (class property
#: ``AllowedAccessCmd`` of these classes), as the C++ DataBaseds' installation script has them.
ALLOWED_ACCESS_COMMANDS = {
    "Database": [
        "DbGetServerInfo", "DbGetServerNameList", "DbGetInstanceNameList", "DbGetDeviceServerClassList",
        "DbGetDeviceList", "DbGetDeviceDomainList", "DbGetDeviceFamilyList", "DbGetDeviceMemberList",
        "DbGetClassList", "DbGetDeviceAliasList", "DbGetObjectList", "DbGetPropertyList", "DbGetProperty",
        "DbGetClassPropertyList", "DbGetClassProperty", "DbGetDevicePropertyList", "DbGetDeviceProperty",
        "DbGetClassAttributeList", "DbGetDeviceAttributeProperty", "DbGetDeviceAttributeProperty2",
        "DbGetLoggingLevel", "DbGetAliasDevice", "DbGetClassForDevice", "DbGetClassInheritanceForDevice",
        "DbGetDataForServerCache", "DbInfo", "DbGetClassAttributeProperty", "DbGetClassAttributeProperty2",
        "DbMysqlSelect", "DbGetDeviceInfo", "DbGetDeviceWideList", "DbImportEvent", "DbGetDeviceAlias",
        "DbGetCSDbServerList", "DbGetDeviceClassList", "DbGetDeviceExportedList", "DbGetHostServerList",
        "DbGetAttributeAlias2", "DbGetAliasAttribute", "DbGetClassPipeProperty", "DbGetDevicePipeProperty",
        "DbGetClassPipeList", "DbGetDevicePipeList", "DbGetAttributeAliasList",
        "DbGetForwardedAttributeListForDevice",
    ],
    "DServer": [
        "QueryClass", "QueryDevice", "EventSubscriptionChange", "DevPollStatus", "GetLoggingLevel",
        "GetLoggingTarget", "QueryWizardDevProperty", "QueryWizardClassProperty", "QuerySubDevice",
        "ZMQEventSubscriptionChange", "EventConfirmSubscription",
    ],
    "Starter": ["DevReadLog", "DevStart", "DevGetRunningServers", "DevGetStopServers", "UpdateServersInfo"],
    "TangoAccessControl": [
        "GetUsers", "GetAddressByUser", "GetDeviceByUser", "GetAccess", "GetAllowedCommands",
        "GetAllowedCommandClassList",
    ],
}

#: (server, device, class) registered in a fresh file besides the database server itself: the
#: test device every Tango installation has, and the (never started) access control service.
FRESH_DEVICES = [
    ("TangoTest/test", "sys/tg_test/1", "TangoTest"),
    ("TangoAccessControl/1", "sys/access_control/1", "TangoAccessControl"),
]
#: server_info rows of a fresh installation: (name, host, mode, level)
FRESH_SERVER_INFO = [("tangoaccesscontrol/1", "", 0, 0)]


# -- the reference servers' tables, as read-only views for DbMySqlSelect ------------------------

def _property_view(view: str, kind: int, owner_col: str, member_col: str | None) -> str:
    member = f"p.member AS {member_col}, " if member_col else ""
    return (f"CREATE TEMP VIEW {view} AS SELECT p.owner AS {owner_col}, {member}p.name AS name, "
            f"j.key + 1 AS count, j.value AS value, p.updated AS updated, p.updated AS accessed, "
            f"NULL AS comment FROM main.properties AS p, json_each(p.vals) AS j WHERE p.kind = {kind}")


def _history_view(view: str, kind: int, owner_col: str, member_col: str | None) -> str:
    member = f"h.member AS {member_col}, " if member_col else ""
    return (f"CREATE TEMP VIEW {view} AS "
            f"SELECT h.id AS id, h.date AS date, h.owner AS {owner_col}, {member}h.name AS name, "
            f"j.key + 1 AS count, j.value AS value "
            f"FROM main.property_history AS h, json_each(h.vals) AS j WHERE h.kind = {kind} "
            f"UNION ALL SELECT h.id, h.date, h.owner, {'h.member, ' if member_col else ''}h.name, 0, 'DELETED' "
            f"FROM main.property_history AS h WHERE h.kind = {kind} AND h.vals IS NULL")


COMPAT_VIEWS = [
    "CREATE TEMP VIEW device AS SELECT name, alias, domain, family, member, exported, ior, host, server, "
    "pid, class, version, started, stopped, NULL AS comment FROM main.devices",
    "CREATE TEMP VIEW server AS SELECT name, host, mode, level FROM main.server_info",
    "CREATE TEMP VIEW event AS SELECT name, exported, ior, host, name AS server, pid, version, started, "
    "stopped FROM main.events",
    "CREATE TEMP VIEW attribute_alias AS SELECT alias, device || '/' || attribute AS name, device, "
    "attribute, updated, updated AS accessed, NULL AS comment FROM main.attribute_aliases",
    _property_view("property", OBJECT, "object", None),
    _property_view("property_class", CLASS, "class", None),
    _property_view("property_device", DEVICE, "device", None),
    _property_view("property_attribute_class", CLASS_ATTRIBUTE, "class", "attribute"),
    _property_view("property_attribute_device", DEVICE_ATTRIBUTE, "device", "attribute"),
    _property_view("property_pipe_class", CLASS_PIPE, "class", "pipe"),
    _property_view("property_pipe_device", DEVICE_PIPE, "device", "pipe"),
    _history_view("property_hist", OBJECT, "object", None),
    _history_view("property_class_hist", CLASS, "class", None),
    _history_view("property_device_hist", DEVICE, "device", None),
    _history_view("property_attribute_class_hist", CLASS_ATTRIBUTE, "class", "attribute"),
    _history_view("property_attribute_device_hist", DEVICE_ATTRIBUTE, "device", "attribute"),
    _history_view("property_pipe_class_hist", CLASS_PIPE, "class", "pipe"),
    _history_view("property_pipe_device_hist", DEVICE_PIPE, "device", "pipe"),
]

#: names a DbMySqlSelect query may read: the views above and our own tables
READABLE = {"device", "server", "event", "attribute_alias", "property", "property_class", "property_device",
            "property_attribute_class", "property_attribute_device", "property_pipe_class",
            "property_pipe_device", "property_hist", "property_class_hist", "property_device_hist",
            "property_attribute_class_hist", "property_attribute_device_hist", "property_pipe_class_hist",
            "property_pipe_device_hist", "devices", "server_info", "events", "attribute_aliases",
            "properties", "property_history", "json_each"}


#: our tables (what DbMySqlSelect's cache tracks)
STORED_TABLES = {"devices", "server_info", "events", "attribute_aliases", "properties", "property_history"}


def create(conn: sqlite3.Connection) -> None:
    """Create the tables in an empty database (inside the caller's transaction)."""
    for statement in TABLES.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO schema_info (key, value) VALUES ('format', ?)", (FORMAT,))


def create_compat_views(conn: sqlite3.Connection) -> None:
    for statement in COMPAT_VIEWS:
        conn.execute(statement)
