"""The database server's command layer in process (no network, no peers): storage, atomicity,
wildcards, the DbMySqlSelect sandbox, history, argument checks, concurrency."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tango_core.databaseds import queries
from tango_core.databaseds.commands import COMMANDS, DatabaseCommands
from tango_core.databaseds.store import StoreError
from tango_core.idl.errors import DevFailed
from thread_runs import run_in_threads


@pytest.fixture
def db(tmp_path: Path) -> DatabaseCommands:
    commands = DatabaseCommands(tmp_path / "tango.db")
    yield commands
    commands.close()


def reason(exc: pytest.ExceptionInfo) -> str:
    return exc.value.args[0].reason


def props(db: DatabaseCommands, device: str, *names: str) -> dict[str, list[str]]:
    reply = db.execute("DbGetDeviceProperty", [device, *names])
    out, i = {}, 2
    for _ in range(int(reply[1])):
        name, n = reply[i], int(reply[i + 1])
        out[name] = reply[i + 2:i + 2 + n]
        i += 2 + n + (1 if n == 0 else 0)
    return out


# -- the file ------------------------------------------------------------------------------------

def test_a_fresh_file_holds_a_fresh_tango_installation(db: DatabaseCommands) -> None:
    assert db.execute("DbGetServerList", "*") == ["DataBaseds/2", "TangoAccessControl/1", "TangoTest/test"]
    assert db.execute("DbGetDeviceClassList", "TangoTest/test") == [
        "dserver/TangoTest/test", "DServer", "sys/tg_test/1", "TangoTest"]
    assert db.execute("DbGetClassForDevice", "sys/database/2") == "DataBase"
    allowed = db.execute("DbGetClassProperty", ["Database", "AllowedAccessCmd"])
    assert allowed[2:4] == ["AllowedAccessCmd", "45"] and "DbImportDevice" not in allowed
    assert db.execute("DbGetProperty", ["CtrlSystem", "Services"]) == ["CtrlSystem", "1", "Services", "0", " "]


def test_data_survives_reopening_and_another_instance_name_adds_its_own_devices(tmp_path: Path) -> None:
    path = tmp_path / "tango.db"
    first = DatabaseCommands(path)
    first.execute("DbAddDevice", ["Srv/1", "a/b/c", "Klass"])
    first.execute("DbPutDeviceProperty", ["a/b/c", "1", "speed", "2", "1", "2"])
    first.close()
    second = DatabaseCommands(path, instance="3")
    assert not second.store.created
    assert props(second, "a/b/c", "speed") == {"speed": ["1", "2"]}
    assert "sys/database/3" in second.execute("DbGetDeviceWideList", "sys/database/*")
    assert second.execute("DbGetDeviceClassList", "DataBaseds/3") == [
        "dserver/DataBaseds/3", "DServer", "sys/database/3", "DataBase"]
    second.close()


def test_the_file_is_in_wal_mode_and_intact_after_use(db: DatabaseCommands) -> None:
    db.execute("DbPutProperty", ["obj", "1", "p", "1", "v"])
    conn = sqlite3.connect(db.store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_files_that_are_not_ours_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE device (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a tango_core database"):
        DatabaseCommands(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not sqlite at all " * 100)
    with pytest.raises(StoreError, match="not a usable database file"):
        DatabaseCommands(text)


# -- argument checks -----------------------------------------------------------------------------

@pytest.mark.parametrize("command, argin", [
    ("DbImportDevice", 5), ("DbImportDevice", ["a/b/c"]), ("DbImportDevice", None), ("DbImportDevice", b"a/b/c"),
    ("DbGetDeviceProperty", "a/b/c"), ("DbGetDeviceProperty", ["a/b/c", 3]), ("DbGetDeviceProperty", 7),
    ("DbInfo", "x"),
])
def test_an_argument_of_the_wrong_type_is_refused(db: DatabaseCommands, command: str, argin: object) -> None:
    with pytest.raises(DevFailed) as exc:
        db.execute(command, argin)
    assert reason(exc) == "API_IncompatibleCmdArgumentType"


def test_an_unknown_command_is_refused(db: DatabaseCommands) -> None:
    with pytest.raises(DevFailed) as exc:
        db.execute("DbDropEverything", "x")
    assert reason(exc) == "API_CommandNotFound"


def test_the_command_table_has_both_reference_command_sets() -> None:
    pytango = {
        "DbAddDevice", "DbAddServer", "DbDeleteAllDeviceAttributeProperty", "DbDeleteAttributeAlias",
        "DbDeleteClassAttribute", "DbDeleteClassAttributeProperty", "DbDeleteClassProperty", "DbDeleteDevice",
        "DbDeleteDeviceAlias", "DbDeleteDeviceAttribute", "DbDeleteDeviceAttributeProperty",
        "DbDeleteDeviceProperty", "DbDeleteProperty", "DbDeleteServer", "DbDeleteServerInfo", "DbExportDevice",
        "DbExportEvent", "DbGetAliasAttribute", "DbGetAliasDevice", "DbGetAttributeAlias", "DbGetAttributeAlias2",
        "DbGetAttributeAliasList", "DbGetCSDbServerList", "DbGetClassAttributeList", "DbGetClassAttributeProperty",
        "DbGetClassAttributeProperty2", "DbGetClassAttributePropertyHist", "DbGetClassForDevice",
        "DbGetClassInheritanceForDevice", "DbGetClassList", "DbGetClassPipeProperty", "DbGetClassProperty",
        "DbGetClassPropertyHist", "DbGetClassPropertyList", "DbGetDataForServerCache", "DbGetDeviceAlias",
        "DbGetDeviceAliasList", "DbGetDeviceAttributeList", "DbGetDeviceAttributeProperty",
        "DbGetDeviceAttributeProperty2", "DbGetDeviceAttributePropertyHist", "DbGetDeviceClassList",
        "DbGetDeviceDomainList", "DbGetDeviceExportedList", "DbGetDeviceFamilyList", "DbGetDeviceInfo",
        "DbGetDeviceList", "DbGetDeviceMemberList", "DbGetDevicePipeProperty", "DbGetDeviceProperty",
        "DbGetDevicePropertyHist", "DbGetDevicePropertyList", "DbGetDeviceServerClassList", "DbGetDeviceWideList",
        "DbGetExportdDeviceListForClass", "DbGetHostList", "DbGetHostServerList", "DbGetHostServersInfo",
        "DbGetInstanceNameList", "DbGetObjectList", "DbGetProperty", "DbGetPropertyHist", "DbGetPropertyList",
        "DbGetServerInfo", "DbGetServerList", "DbGetServerNameList", "DbImportDevice", "DbImportEvent", "DbInfo",
        "DbMySqlSelect", "DbPutAttributeAlias", "DbPutClassAttributeProperty", "DbPutClassAttributeProperty2",
        "DbPutClassProperty", "DbPutDeviceAlias", "DbPutDeviceAttributeProperty", "DbPutDeviceAttributeProperty2",
        "DbPutDeviceProperty", "DbPutProperty", "DbPutServerInfo", "DbRenameServer", "DbUnExportDevice",
        "DbUnExportEvent", "DbUnExportServer", "ResetTimingValues"}
    cpp_more = {
        "DbDeleteAllDevicePipeProperty", "DbDeleteClassPipe", "DbDeleteClassPipeProperty", "DbDeleteDevicePipe",
        "DbDeleteDevicePipeProperty", "DbGetClassPipeList", "DbGetClassPipePropertyHist", "DbGetDevicePipeList",
        "DbGetDevicePipePropertyHist", "DbGetForwardedAttributeListForDevice", "DbPutClassPipeProperty",
        "DbPutDevicePipeProperty"}
    assert set(COMMANDS) == pytango | cpp_more | {"DbExportServer"}  # + Init, State, Status from the device


# -- writes are atomic ---------------------------------------------------------------------------

def test_a_malformed_put_writes_nothing(db: DatabaseCommands) -> None:
    db.execute("DbAddDevice", ["Srv/1", "a/b/c", "Klass"])
    with pytest.raises(DevFailed) as exc:
        db.execute("DbPutDeviceProperty", ["a/b/c", "2", "first", "1", "v", "second", "3", "only one"])
    assert reason(exc) == "DB_IncorrectArguments"
    assert "second" in exc.value.args[0].desc
    assert db.execute("DbGetDevicePropertyList", ["a/b/c", "*"]) == []
    assert db.execute("DbGetDevicePropertyHist", ["a/b/c", "*"]) == []


def test_a_bad_device_in_an_add_server_adds_none_of_its_devices(db: DatabaseCommands) -> None:
    with pytest.raises(DevFailed):
        db.execute("DbAddServer", ["Srv/1", "a/b/1", "K", "not-a-device", "K"])
    assert db.execute("DbGetServerList", "Srv/*") == []


# -- wildcards: only '*' is special ----------------------------------------------------------------

LITERALS = ["a%c", "a_c", "a'c", 'a"c', "a\\c", "a;c"]


@pytest.mark.parametrize("literal", LITERALS)
def test_sql_wildcards_and_quotes_in_a_pattern_match_only_themselves(db: DatabaseCommands, literal: str) -> None:
    for member in ["a%c", "abc", "a_c", "a'c", 'a"c', "a\\c", "a;c", "aXc"]:
        db.execute("DbAddDevice", ["Srv/1", f"dom/fam/{member}", "Klass"])
    assert db.execute("DbGetDeviceWideList", f"dom/fam/{literal}") == [f"dom/fam/{literal}"]
    assert db.execute("DbGetDeviceMemberList", f"dom/fam/{literal}") == [literal]
    assert db.execute("DbGetDeviceWideList", f"dom/fam/{literal[0]}*{literal[2]}") == sorted(
        [f"dom/fam/{m}" for m in ["a%c", "abc", "a_c", "a'c", 'a"c', "a\\c", "a;c", "aXc"]], key=str.lower)


@pytest.mark.parametrize("command", [name for name, spec in COMMANDS.items()
                                     if spec.in_type.name == "DevString" and spec.out_type.name == "DevVarStringArray"
                                     and name not in {"DbGetDeviceClassList", "DbGetClassInheritanceForDevice",
                                                      "DbGetForwardedAttributeListForDevice", "DbGetServerInfo"}])
def test_every_wildcard_command_survives_sql_fragments(db: DatabaseCommands, command: str) -> None:
    before = db.execute("DbGetDeviceWideList", "*")
    for pattern in ["*' OR '1'='1", "%", "_", "x'; DROP TABLE devices; --", "\\", "", "*" * 500]:
        reply = db.execute(command, pattern)
        assert isinstance(reply, list)
        if pattern in ("%", "_", "\\", ""):
            assert reply == []
    assert db.execute("DbGetDeviceWideList", "*") == before


def test_sql_in_names_and_values_is_stored_as_text(db: DatabaseCommands) -> None:
    name = "x/y/z'); DELETE FROM devices; --"
    db.execute("DbAddDevice", ["Srv/1", name, "Klass"])
    db.execute("DbPutDeviceProperty", [name, "1", "p'); DROP TABLE properties; --", "1", "v'); --"])
    assert props(db, name, "p'); DROP TABLE properties; --") == {"p'); DROP TABLE properties; --": ["v'); --"]}
    assert name in db.execute("DbGetDeviceWideList", "*")


def test_names_are_case_insensitive_and_keep_their_spelling(db: DatabaseCommands) -> None:
    db.execute("DbAddDevice", ["MyServer/Inst", "Dom/Fam/Mem", "MyClass"])
    db.execute("DbPutDeviceProperty", ["dom/fam/mem", "1", "Speed", "1", "3"])
    assert db.execute("DbImportDevice", "DOM/FAM/MEM")[1][3] == "MyServer/Inst"
    assert props(db, "DOM/fam/MEM", "speed") == {"speed": ["3"]}
    assert db.execute("DbGetDevicePropertyList", ["dom/fam/mem", "*"]) == ["Speed"]
    assert db.execute("DbGetDeviceList", ["myserver/inst", "myclass"]) == ["Dom/Fam/Mem"]


def test_overlong_names_are_refused_but_long_values_are_kept(db: DatabaseCommands) -> None:
    with pytest.raises(DevFailed) as exc:
        db.execute("DbAddDevice", ["Srv/1", "a/b/" + "c" * 300, "Klass"])
    assert reason(exc) == "DB_IncorrectArguments"
    db.execute("DbAddDevice", ["Srv/1", "a/b/c", "Klass"])
    db.execute("DbPutDeviceProperty", ["a/b/c", "1", "big", "1", "v" * 1_000_000])
    assert props(db, "a/b/c", "big")["big"][0] == "v" * 1_000_000


# -- history ---------------------------------------------------------------------------------------

def test_history_keeps_the_newest_ten_changes_and_follows_the_history_depth_property(db: DatabaseCommands) -> None:
    for i in range(12):
        db.execute("DbPutDeviceProperty", ["a/b/c", "1", "p", "1", f"v{i}"])
    history = db.execute("DbGetDevicePropertyHist", ["a/b/c", "p"])
    assert history[3::4] == [f"v{i}" for i in range(2, 12)]
    db.execute("DbPutDeviceProperty", ["sys/database/2", "1", "historyDepth", "1", "3"])
    db.init()
    db.execute("DbPutDeviceProperty", ["a/b/c", "1", "p", "1", "last"])
    assert db.execute("DbGetDevicePropertyHist", ["a/b/c", "p"])[3::4] == ["v10", "v11", "last"]


def test_each_property_of_a_put_has_its_own_history(db: DatabaseCommands) -> None:
    db.execute("DbPutClassProperty", ["K", "2", "a", "2", "1", "2", "b", "1", "3"])
    db.execute("DbDeleteClassProperty", ["K", "a"])
    history = db.execute("DbGetClassPropertyHist", ["K", "a"])
    assert [history[0], *history[2:6], history[7]] == ["a", "2", "1", "2", "a", "0"] and len(history) == 8
    assert db.execute("DbGetClassPropertyHist", ["K", "b"])[2:] == ["1", "3"]


def test_memorized_attribute_values_stay_out_of_the_history(db: DatabaseCommands) -> None:
    db.execute("DbPutDeviceAttributeProperty2", ["a/b/c", "1", "att", "1", "__value", "1", "42"])
    db.execute("DbPutDeviceAttributeProperty2", ["a/b/c", "1", "att", "1", "unit", "1", "mm"])
    assert db.execute("DbGetDeviceAttributeProperty2", ["a/b/c", "att"]) == [
        "a/b/c", "1", "att", "2", "__value", "1", "42", "unit", "1", "mm"]
    assert db.execute("DbGetDeviceAttributePropertyHist", ["a/b/c", "att", "*"])[1] == "unit"
    assert len(db.execute("DbGetDeviceAttributePropertyHist", ["a/b/c", "att", "*"])) == 5


# -- DbMySqlSelect -------------------------------------------------------------------------------

def test_the_inventory_select_gives_every_device_in_one_reply(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/1", "K", "a/b/2", "K"])
    db.execute("DbPutDeviceAlias", ["a/b/2", "two"])
    flags, cells = db.execute("DbMySqlSelect", "SELECT name, alias, server, class, exported FROM device ORDER BY name")
    rows, fields = flags[-2:]
    assert fields == 5 and rows == len(cells) // 5 == 9
    table = [cells[i:i + 5] for i in range(0, len(cells), 5)]
    assert table[0] == ["a/b/1", "", "Srv/1", "K", "0"] and table[1][1] == "two"
    assert flags[1] == 0 and flags[6] == 1  # a NULL alias is flagged 0, a set one 1


@pytest.mark.parametrize("sql", [
    "DELETE FROM devices", "UPDATE devices SET class = 'x'", "INSERT INTO devices (name) SELECT 'a'",
    "SELECT * FROM sqlite_master", "SELECT load_extension('x')", "SELECT randomblob(100000000)",
    "PRAGMA writable_schema = 1", "SELECT 1; DROP TABLE devices", "ATTACH DATABASE '/tmp/x' AS x",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
])
def test_select_refuses_anything_but_reading(db: DatabaseCommands, sql: str) -> None:
    before = db.execute("DbGetDeviceWideList", "*")
    with pytest.raises(DevFailed) as exc:
        db.execute("DbMySqlSelect", sql)
    assert reason(exc) in ("DB_SQLError", "DB_IncorrectArguments")
    assert db.execute("DbGetDeviceWideList", "*") == before


def test_a_runaway_select_is_stopped(db: DatabaseCommands, monkeypatch: pytest.MonkeyPatch) -> None:
    db.execute("DbPutDeviceProperty", ["a/b/c", "1", "many", str(2000), *map(str, range(2000))])
    monkeypatch.setattr(queries, "SELECT_TIME_LIMIT", 0.2)
    with pytest.raises(DevFailed) as exc:
        db.execute("DbMySqlSelect", "SELECT count(*) FROM property_device a, property_device b, property_device c")
    assert "longer than" in exc.value.args[0].desc


def test_select_works_on_an_in_memory_database() -> None:
    db = DatabaseCommands()
    flags, cells = db.execute("DbMySqlSelect", "SELECT COUNT(*) FROM device")
    assert cells == ["6"] and flags == [1, 1, 1]
    db.close()


# -- start-up cache ----------------------------------------------------------------------------------

def test_server_cache_has_the_layout_cpptango_parses(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/1", "KlassA", "a/b/2", "KlassB"])
    db.execute("DbExportDevice", ["dserver/Srv/1", "IOR:01", "host", "12", "6"])
    db.execute("DbPutClassProperty", ["KlassA", "1", "cp", "2", "x", "y"])
    db.execute("DbPutDeviceProperty", ["a/b/1", "1", "dp", "1", "z"])
    db.execute("DbPutDeviceAttributeProperty2", ["a/b/2", "1", "att", "1", "unit", "1", "mm"])
    cache = db.execute("DbGetDataForServerCache", ["Srv/1", "host"])
    assert cache[:8] == ["dserver/Srv/1", "IOR:01", "6", "Srv/1", "host", "1", "12", "DServer"]
    assert cache[8:12] == ["notifd/factory/host", "Not Found", "dserver/Srv/1", "Not Found"]
    i = cache.index("Srv/1", 8)
    assert cache[i + 1] == "2"  # two classes besides DServer
    assert cache[i + 2:i + 8] == ["KlassA", "1", "cp", "2", "x", "y"]
    assert cache[i + 8:i + 10] == ["KlassA", "0"]  # class attribute properties
    assert cache[i + 10:i + 13] == ["KlassA", "1", "a/b/1"]
    assert cache[i + 13:i + 18] == ["a/b/1", "1", "dp", "1", "z"]
    assert cache[-2:] == ["CtrlSystem", "0"]
    assert ["a/b/2", "1", "att", "1", "unit", "1", "mm"] == cache[cache.index("att") - 2:cache.index("att") + 5]


# -- the rest --------------------------------------------------------------------------------------

def test_export_server_exports_several_devices_at_once(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/1", "K", "a/b/2", "K"])
    db.execute("DbExportServer", ["a/b/1", "IOR:1", "h", "5", "6", "a/b/2", "IOR:2", "h", "5", "6"])
    assert db.execute("DbGetDeviceExportedList", "a/*") == ["a/b/1", "a/b/2"]
    with pytest.raises(DevFailed):
        db.execute("DbExportServer", ["a/b/1", "IOR:1", "h"])


def test_rename_server_moves_its_admin_device_and_properties(db: DatabaseCommands) -> None:
    db.execute("DbAddDevice", ["Srv/1", "a/b/1", "K"])
    db.execute("DbPutDeviceProperty", ["dserver/Srv/1", "1", "logging_level", "1", "5"])
    db.execute("DbRenameServer", ["Srv/1", "Srv/2"])
    assert db.execute("DbGetDeviceClassList", "Srv/2") == ["a/b/1", "K", "dserver/Srv/2", "DServer"]
    assert props(db, "dserver/Srv/2", "logging_level") == {"logging_level": ["5"]}


def test_csdb_server_list_reads_the_address_in_the_database_ior(db: DatabaseCommands) -> None:
    from tango_core.wire.ior import IOR

    ior = IOR.for_iiop("IDL:Tango/Device_6:1.0", "10.1.2.3", 10000, b"database").to_string()
    db.execute("DbExportDevice", ["sys/database/2", ior, "h", "1", "6"])
    assert db.execute("DbGetCSDbServerList") == ["10.1.2.3:10000"]


def test_timing_statistics_count_calls_and_reset(db: DatabaseCommands) -> None:
    for _ in range(3):
        db.execute("DbImportDevice", "sys/tg_test/1")
    columns = db.timing_columns()
    assert columns["calls"][columns["index"].index("DbImportDevice")] == 3.0
    line = next(x for x in db.timing_info("h") if x.startswith("DbImportDevice\t"))
    assert line.endswith("\t3")
    db.execute("ResetTimingValues")
    assert sum(db.timing_columns()["calls"]) == 0


def test_concurrent_writers_lose_nothing(db: DatabaseCommands) -> None:
    def writer(n: int) -> None:
        for i in range(40):
            db.execute("DbPutDeviceProperty", [f"w/r/{n}", "1", f"p{i}", "1", str(i)])
            db.execute("DbGetDeviceProperty", [f"w/r/{n}", f"p{i}"])

    errors = run_in_threads(writer, 8, timeout=60)
    assert not errors
    for n in range(8):
        assert len(db.execute("DbGetDevicePropertyList", [f"w/r/{n}", "*"])) == 40


# -- the reply cache -------------------------------------------------------------------------------

def _table_digests(db: DatabaseCommands) -> dict[str, int]:
    from tango_core.databaseds.commands import TABLES

    return {t: hash(tuple(db.conn.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def test_every_write_command_declares_the_tables_it_changes(tmp_path: Path) -> None:
    """Run the whole differential sequence and check, around each write, that only the tables
    listed in TABLES_WRITTEN changed (the cache of list replies relies on it)."""
    import differential
    from tango_core.databaseds.commands import TABLES_WRITTEN

    db = DatabaseCommands(tmp_path / "tango.db")
    exercised = set()
    for _, command, argin in differential.SETUP + differential.STEPS:
        value = argin.value if isinstance(argin, differential.Typed) else argin
        if command not in TABLES_WRITTEN:
            continue
        before = _table_digests(db)
        try:
            db.execute(command, value)
        except DevFailed:
            pass
        changed = {t for t, digest in _table_digests(db).items() if digest != before[t]}
        assert changed <= TABLES_WRITTEN[command], (command, argin, changed)
        exercised.add(command)
    assert len(exercised) >= 30
    db.close()


def test_cached_lists_follow_the_writes(db: DatabaseCommands) -> None:
    inventory = "SELECT name, exported FROM device WHERE name LIKE 'a/%' ORDER BY name"
    assert db.execute("DbGetDeviceExportedList", "a/*") == []
    assert db.execute("DbMySqlSelect", inventory)[1] == []
    db.execute("DbAddDevice", ["Srv/1", "a/b/c", "K"])
    assert db.execute("DbMySqlSelect", inventory)[1] == ["a/b/c", "0"]
    db.execute("DbExportDevice", ["a/b/c", "IOR:1", "h", "1", "6"])
    assert db.execute("DbGetDeviceExportedList", "a/*") == ["a/b/c"]
    assert db.execute("DbMySqlSelect", inventory)[1] == ["a/b/c", "1"]
    reply = db.execute("DbGetDeviceExportedList", "a/*")
    reply.append("mutated by the caller")
    assert db.execute("DbGetDeviceExportedList", "a/*") == ["a/b/c"]
    db.execute("DbUnExportServer", "Srv/1")
    assert db.execute("DbGetDeviceExportedList", "a/*") == []
    assert db.execute("DbMySqlSelect", inventory)[1] == ["a/b/c", "0"]


# -- which Starters are told that the servers of their host changed ------------------------------

def _told(db: DatabaseCommands) -> list[list[str]]:
    told: list[list[str]] = []
    db.notify_starters = told.append
    return told


def _export(db: DatabaseCommands, name: str, host: str) -> None:
    db.execute("DbExportDevice", [name, "IOR:00", host, "1234", "6"])


def test_a_server_exported_tells_the_starter_of_its_host_and_of_the_host_it_left(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/c", "Klass"])
    told = _told(db)
    _export(db, "a/b/c", "here")               # a device, not the server's admin device: no news
    _export(db, "dserver/Srv/1", "here.example.org")
    assert told == [["here"]]                   # the Starter's device is named after the short name
    _export(db, "dserver/Srv/1", "there")
    assert told[1:] == [["there", "here"]]
    _export(db, "dserver/Srv/1", "there")
    assert told[2:] == [["there"]]


def test_the_database_and_the_starters_own_exports_tell_no_starter(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Starter/here", "tango/admin/here", "Starter"])
    told = _told(db)
    _export(db, "dserver/DataBaseds/2", "here")
    _export(db, "dserver/Starter/here", "here")
    assert told == []


def test_server_info_delete_and_rename_tell_the_starter_of_the_host_concerned(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/c", "Klass"])
    _export(db, "dserver/Srv/1", "ran-here")
    told = _told(db)
    db.execute("DbPutServerInfo", ["Srv/1", "put-here", "1", "1"])
    db.execute("DbPutServerInfo", ["Srv/1", "", "1", "1"])   # no host: the one it ran on
    db.execute("DbRenameServer", ["Srv/1", "Srv/2"])
    db.execute("DbDeleteServer", "Srv/2")
    assert told == [["put-here"], ["ran-here"], ["ran-here"], ["ran-here"]]


def test_a_failed_command_or_a_server_never_run_tells_no_starter(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/c", "Klass"])
    told = _told(db)
    with pytest.raises(DevFailed):
        db.execute("DbDeleteServer", "Nothing/1")
    db.execute("DbDeleteServer", "Srv/1")       # never exported: its host is "nada"
    assert told == []


def test_free_property_fire_to_starter_false_turns_the_notification_off(db: DatabaseCommands) -> None:
    db.execute("DbAddServer", ["Srv/1", "a/b/c", "Klass"])
    told = _told(db)
    db.execute("DbPutProperty", ["Default", "1", "FireToStarter", "1", "False"])
    db.init()                                   # read at start-up and on Init, as the C++ server
    _export(db, "dserver/Srv/1", "here")
    db.execute("DbPutServerInfo", ["Srv/1", "here", "1", "1"])
    assert told == []
    db.execute("DbDeleteProperty", ["Default", "FireToStarter"])
    db.init()
    _export(db, "dserver/Srv/1", "here")
    assert told == [["here"]]
