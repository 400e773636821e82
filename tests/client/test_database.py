"""Database API against both real database servers: PyTango's DataBaseds (sqlite) and the C++
DataBaseds on MariaDB.  Return types and printed forms follow PyTango; results are compared with
what PyTango itself (the test peer) reads from the same database where that is meaningful."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from tango_core.client.database import Database, get_database
from tango_core.client.db_types import DbDatum, DbDevFullInfo, DbDevImportInfo, DbDevInfo, DeviceInventoryEntry
from tango_core.client.names import set_default_tango_host
from tango_core.idl.errors import DevFailed


@pytest.fixture(params=["pytango-db", "cpp-db"])
def db_host(request) -> str:
    fixture = "tango_host" if request.param == "pytango-db" else "cpp_tango_host"
    return request.getfixturevalue(fixture)


@pytest.fixture
def db(db_host) -> Database:
    host, port = db_host.rsplit(":", 1)
    return Database(host, port)


@pytest.fixture
def pytango_db(db_host):
    import tango  # the test peer, as an oracle
    host, port = db_host.rsplit(":", 1)
    return tango.Database(host, int(port))


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def test_constructors_and_location(db_host):
    host, port = db_host.rsplit(":", 1)
    for db in (Database(host, port), Database(host, int(port)), Database(f"tango://{db_host}"),
               Database(db_host)):
        assert db.get_db_host() == host and db.get_db_port() == port and db.get_db_port_num() == int(port)
        assert repr(db) == str(db) == f"Database({host}, {port})"
        assert db.dev_name() == "sys/database/2"
        assert db.get_timeout_millis() == 3000


def test_default_database_follows_tango_host_and_switch(tango_host, cpp_tango_host):
    assert Database().get_db_port() == tango_host.rsplit(":", 1)[1]
    set_default_tango_host(cpp_tango_host)
    try:
        assert Database().get_db_port() == cpp_tango_host.rsplit(":", 1)[1]
        assert get_database().get_db_port() == cpp_tango_host.rsplit(":", 1)[1]
    finally:
        set_default_tango_host(None)
    assert Database().get_db_port() == tango_host.rsplit(":", 1)[1]


def test_dynamic_attributes_allowed(db):
    db._db_cache = {"x": 1}  # ITango stores its cache on the Database object
    assert db._db_cache == {"x": 1}


def test_get_info(db, pytango_db):
    info = db.get_info()
    assert info == pytango_db.get_info()
    assert isinstance(info, str)
    assert info.startswith("TANGO Database")
    assert "Running since" in info and "Devices defined" in info


def test_device_lists(db, pytango_db):
    exported = db.get_device_exported("*")
    assert isinstance(exported, DbDatum) and exported.name == "*"
    assert "sys/tg_test/1" in exported.value_string and "sys/database/2" in exported.value_string
    assert list(exported) == list(pytango_db.get_device_exported("*"))
    assert list(db.get_device_name("TangoTest/test", "TangoTest")) == ["sys/tg_test/1"]
    assert "sys" in db.get_device_domain("*")
    assert "tg_test" in db.get_device_family("sys/*")
    assert list(db.get_device_member("sys/tg_test/*")) == ["1"]
    servers = db.get_server_list()
    assert servers.name == "server" and "TangoTest/test" in servers
    assert list(servers) == list(pytango_db.get_server_list())
    classes = db.get_class_list("*")
    assert "TangoTest" in classes and "DServer" in classes
    pairs = list(db.get_device_class_list("TangoTest/test"))
    assert dict(zip(pairs[0::2], pairs[1::2]))["sys/tg_test/1"] == "TangoTest"
    assert list(db.get_server_class_list("TangoTest/test")) == ["TangoTest"]
    assert db.get_class_for_device("sys/tg_test/1") == "TangoTest"
    assert "TangoTest" in db.get_server_name_list()
    assert list(db.get_instance_name_list("TangoTest")) == ["test"]


def test_import_device_and_device_info(db, pytango_db):
    info = db.import_device("sys/tg_test/1")
    assert isinstance(info, DbDevImportInfo)
    assert info.exported == 1 and info.ior.startswith("IOR:") and info.name == "sys/tg_test/1"
    ref = pytango_db.import_device("sys/tg_test/1")
    assert (info.ior, info.version) == (ref.ior, ref.version)
    assert repr(info).startswith("DbDevImportInfo(exported = 1, ior = 'IOR:")
    full = db.get_device_info("sys/tg_test/1")
    assert isinstance(full, DbDevFullInfo)
    assert (full.class_name, full.ds_full_name, full.exported) == ("TangoTest", "TangoTest/test", 1)
    assert full.pid > 0 and full.ior == info.ior
    assert repr(full) == repr(pytango_db.get_device_info("sys/tg_test/1"))
    assert repr(info) == repr(pytango_db.import_device("sys/tg_test/1"))
    ours = db.get_server_info("TangoTest/test")
    try:
        reference = repr(pytango_db.get_server_info("TangoTest/test"))
    except Exception:  # PyTango cannot parse the C++ DataBaseds' " " mode/level; we read 0 there
        reference = "DbServerInfo(host = ' ', level = 0, mode = 0, name = 'TangoTest/test')"
    assert repr(ours) == reference
    assert str(full).startswith("DbDevFullInfo[\n    class_name = \"TangoTest\"")


def test_unknown_device_keeps_the_database_error_stack(db):
    with pytest.raises(DevFailed) as ei:
        db.import_device("no/such/device")
    first = ei.value.args[0]
    assert first.reason == "DB_DeviceNotDefined"
    assert "no/such/device" in first.desc and "not defined in the database" in first.desc
    last = ei.value.args[-1]
    assert last.reason == "API_CommandFailed"
    assert last.desc == "Failed to execute command_inout on device sys/database/2, command DbImportDevice"


def test_add_and_delete_device(db, pytango_db):
    # leaves the shared session database as it found it (other suites list its servers/domains)
    name, server = f"clienta/{unique('f')}/1", f"ClientAServer/{unique('i')}"
    db.add_device(DbDevInfo(name, _class="TangoTest", server=server))
    try:
        assert pytango_db.get_device_info(name).class_name == "TangoTest"
        assert name in db.get_device_name(server, "TangoTest")
        full = db.get_device_info(name)
        assert full.exported == 0 and full.ds_full_name == server
        assert db.import_device(name).exported == 0
    finally:
        db.delete_device(name)
    with pytest.raises(DevFailed) as ei:
        db.import_device(name)
    assert ei.value.args[0].reason == "DB_DeviceNotDefined"
    db.delete_server(server)
    assert server not in db.get_server_list("ClientAServer/*")
    assert "clienta" not in db.get_device_domain("*")


def test_db_dev_info_struct():
    info = DbDevInfo()
    info.name, info._class, info.server = "a/b/c", "K", "S/i"
    assert info.klass == "K"
    assert repr(info) == "DbDevInfo(klass = 'K', name = 'a/b/c', server = 'S/i')"
    assert str(info) == 'DbDevInfo[\n    klass = "K"\n    name = "a/b/c"\n    server = "S/i"\n]'
    d = DbDatum("x")
    assert repr(d) == "DbDatum(name = 'x', value_string = [])"


def test_device_properties_round_trip(db, pytango_db):
    dev = "sys/tg_test/1"
    p1, p2 = unique("p"), unique("q")
    db.put_device_property(dev, {p1: 3.5, p2: ["x", "y z"]})
    try:
        assert db.get_device_property(dev, [p1, p2, "nope_never"]) == {p1: ["3.5"], p2: ["x", "y z"],
                                                                       "nope_never": []}
        assert db.get_device_property(dev, p1) == {p1: ["3.5"]}
        assert db.get_device_property(dev, DbDatum(p2)) == {p2: ["x", "y z"]}
        assert pytango_db.get_device_property(dev, [p1, p2]) == {p1: ["3.5"], p2: ["x", "y z"]}
        assert p1 in db.get_device_property_list(dev, "*")
        db.put_device_property(dev, {p1: np.array([1, 2, 3])})
        assert db.get_device_property(dev, p1) == {p1: ["1", "2", "3"]}
    finally:
        db.delete_device_property(dev, [p1, p2])
    assert db.get_device_property(dev, [p1, p2]) == {p1: [], p2: []}


def test_class_and_free_properties_round_trip(db, pytango_db):
    cp, op, obj = unique("cp"), unique("op"), unique("Obj")
    db.put_class_property("TangoTest", {cp: ["a", "b"]})
    db.put_property(obj, {op: "hello"})
    try:
        assert db.get_class_property("TangoTest", cp) == {cp: ["a", "b"]}
        assert pytango_db.get_class_property("TangoTest", cp) == {cp: ["a", "b"]}
        assert db.get_property(obj, [op, "missing"]) == {op: ["hello"], "missing": []}
        assert pytango_db.get_property(obj, op) == {op: ["hello"]}
        assert obj in db.get_object_list("*")
        assert op in db.get_object_property_list(obj, "*")
        assert cp in db.get_class_property_list("TangoTest")
    finally:
        db.delete_class_property("TangoTest", cp)
        db.delete_property(obj, op)
    assert db.get_class_property("TangoTest", cp) == {cp: []}
    assert db.get_property(obj, op) == {op: []}


def test_device_attribute_properties_round_trip(db, pytango_db):
    dev, prop = "sys/tg_test/1", unique("__p")
    db.put_device_attribute_property(dev, {"double_scalar": {prop: ["1", "2"], "description": "dd"}})
    try:
        got = db.get_device_attribute_property(dev, ["double_scalar", "long_scalar"])
        assert got["double_scalar"][prop] == ["1", "2"]
        assert got["double_scalar"]["description"] == ["dd"]
        # only the attribute named gets them (other tests of the session may have given
        # long_scalar event properties of its own: not these)
        assert prop not in got["long_scalar"]
        assert got["long_scalar"] == pytango_db.get_device_attribute_property(dev, "long_scalar")["long_scalar"]
        assert pytango_db.get_device_attribute_property(dev, "double_scalar")["double_scalar"][prop] == ["1", "2"]
    finally:
        db.delete_device_attribute_property(dev, {"double_scalar": [prop, "description"]})
    assert prop not in db.get_device_attribute_property(dev, "double_scalar")["double_scalar"]


def test_device_and_attribute_aliases(db, pytango_db):
    alias, attr_alias = unique("tgalias"), unique("dsalias")
    db.put_device_alias("sys/tg_test/1", alias)
    db.put_attribute_alias("sys/tg_test/1/double_scalar", attr_alias)
    try:
        assert alias in db.get_device_alias_list("*")
        assert db.get_device_from_alias(alias) == "sys/tg_test/1"
        assert db.get_device_alias(alias) == "sys/tg_test/1"  # PyTango's older name
        assert db.get_alias_from_device("sys/tg_test/1") == alias
        assert pytango_db.get_device_from_alias(alias) == "sys/tg_test/1"
        assert attr_alias in db.get_attribute_alias_list("*")
        assert db.get_attribute_from_alias(attr_alias).lower() == "sys/tg_test/1/double_scalar"
        assert db.get_attribute_alias_inventory()[attr_alias].lower() == "sys/tg_test/1/double_scalar"
        inventory = {e.name: e for e in db.get_device_inventory()}
        assert inventory["sys/tg_test/1"].alias == alias
    finally:
        db.delete_device_alias(alias)
        db.delete_attribute_alias(attr_alias)
    with pytest.raises(DevFailed) as ei:
        db.get_device_from_alias(alias)
    assert ei.value.args[0].reason == "DB_DeviceNotDefined"


def test_device_inventory_fast_path_and_fallback_agree(db):
    fast = db.get_device_inventory()
    assert fast == db._inventory_by_sql()  # both servers implement DbMySqlSelect: one round trip
    slow = db._inventory_by_commands()
    assert all(isinstance(e, DeviceInventoryEntry) for e in fast)
    by_name = {e.name.lower(): e.as_tuple()[1:] for e in fast}
    assert by_name == {e.name.lower(): e.as_tuple()[1:] for e in slow}
    tg = by_name["sys/tg_test/1"]
    assert tg[1:] == ("TangoTest/test", "TangoTest", True)
    assert by_name["sys/database/2"][2] == "DataBase"
    assert by_name["sys/access_control/1"][3] is False


def test_raw_command_inout_guesses_argin_types(db):
    assert "sys/tg_test/1" in db.command_inout("DbGetDeviceExportedList", "*")
    lvalue, svalue = db.command_inout("DbImportDevice", "sys/tg_test/1")
    assert lvalue.dtype == np.int32 and svalue[0] == "sys/tg_test/1"
    reply = db.command_inout("DbGetDeviceProperty", ["sys/tg_test/1", "nothing_here"])
    assert reply[:3] == ["sys/tg_test/1", "1", "nothing_here"]


def test_command_list_and_query(db):
    names = db.get_command_list()
    assert "DbImportDevice" in names and "DbMySqlSelect" in names
    info = db.command_query("DbImportDevice")
    assert info.cmd_name == "DbImportDevice"
    assert int(info.in_type) == 8 and int(info.out_type) == 17


def test_non_ascii_property_values_are_utf8_like_pytango(db, pytango_db, request):
    prop = unique("utf")
    db.put_device_property("sys/tg_test/1", {prop: ["é€", "plain"]})
    try:
        assert pytango_db.get_device_property("sys/tg_test/1", prop) == {prop: ["é€", "plain"]}
        assert db.get_device_property("sys/tg_test/1", prop) == {prop: ["é€", "plain"]}
        if request.node.callspec.params["db_host"] == "pytango-db":
            # (the C++ DataBaseds on its latin1 MariaDB tables rejects this write from PyTango itself)
            pytango_db.put_device_property("sys/tg_test/1", {prop: "ñandú"})
            assert db.get_device_property("sys/tg_test/1", prop) == {prop: ["ñandú"]}
    finally:
        db.delete_device_property("sys/tg_test/1", prop)


def test_add_and_delete_server(db):
    server = f"ClientAServer/{unique('i')}"
    infos = [DbDevInfo(f"clienta/{unique('s')}/{i}", "ClientAClass", server) for i in range(3)]
    db.add_server(server, infos, with_dserver=True)
    try:
        assert server in db.get_server_list("ClientAServer/*")
        pairs = list(db.get_device_class_list(server))
        devices = dict(zip(pairs[0::2], pairs[1::2]))
        assert devices[f"dserver/{server}"] == "DServer"
        assert all(devices[i.name] == "ClientAClass" for i in infos)
        assert list(db.get_server_class_list(server)) == ["ClientAClass"]
    finally:
        db.delete_server(server)
    assert server not in db.get_server_list("ClientAServer/*")
    assert "clienta" not in db.get_device_domain("*")


def test_remaining_listing_methods_match_pytango(db, pytango_db):
    assert list(db.get_device_exported_for_class("TangoTest")) == \
        list(pytango_db.get_device_exported_for_class("TangoTest"))
    assert list(db.get_host_list("*")) == list(pytango_db.get_host_list("*"))
    host = db.get_device_info("sys/tg_test/1").host
    assert "TangoTest/test" in db.get_host_server_list(host)
    assert list(db.get_host_server_list(host)) == list(pytango_db.get_host_server_list(host))
    assert "sys/tg_test/1" in db.get_device_wide_list("*")
    assert list(db.get_class_inheritance_for_device("sys/tg_test/1")) == \
        list(pytango_db.get_class_inheritance_for_device("sys/tg_test/1"))
    assert list(db.get_class_list("Tango*")) == list(pytango_db.get_class_list("Tango*"))
    assert list(db.get_device_alias_list("*")) == list(pytango_db.get_device_alias_list("*"))


def test_class_attribute_properties_round_trip(db, pytango_db):
    prop = unique("cap")
    db.put_class_attribute_property("TangoTest", {"double_scalar": {prop: ["3", "4"]}})
    try:
        assert db.get_class_attribute_property("TangoTest", "double_scalar")["double_scalar"][prop] == ["3", "4"]
        ref = pytango_db.get_class_attribute_property("TangoTest", "double_scalar")
        assert ref["double_scalar"][prop] == ["3", "4"]
        assert "double_scalar" in db.get_class_attribute_list("TangoTest", "*")
    finally:
        db.delete_class_attribute_property("TangoTest", {"double_scalar": [prop]})
    assert prop not in db.get_class_attribute_property("TangoTest", "double_scalar")["double_scalar"]


def test_export_and_unexport_device(db, pytango_db):
    from tango_core.client.db_types import DbDevExportInfo
    name, server = f"clienta/{unique('e')}/1", f"ClientAServer/{unique('x')}"
    db.add_device(DbDevInfo(name, "ClientAClass", server))
    try:
        ior = db.import_device("sys/tg_test/1").ior
        db.export_device(DbDevExportInfo(name, ior, "somehost", "6", 4242))
        info = db.import_device(name)
        assert (info.exported, info.ior, info.version) == (1, ior, "6")
        ref = pytango_db.get_device_info(name)
        assert (ref.exported, ref.pid, ref.host) == (1, 4242, "somehost")
        assert name in db.get_device_exported("clienta/*")
        db.unexport_device(name)
        # (PyTango's sqlite DataBaseds leaves the flag set on DbUnExportDevice; we report what it says)
        assert db.import_device(name).exported == pytango_db.import_device(name).exported
        db.export_device(DbDevExportInfo(name, ior, "somehost", "6", 4242))
        db.unexport_server(server)
        assert db.import_device(name).exported == pytango_db.import_device(name).exported == 0
    finally:
        db.delete_server(server)
    assert "clienta" not in db.get_device_domain("*")


def test_server_info_round_trip(db, pytango_db):
    from tango_core.client.db_types import DbServerInfo
    server = f"ClientAServer/{unique('si')}"
    db.add_server(server, [DbDevInfo(f"clienta/{unique('si')}/1", "ClientAClass", server)])
    try:
        db.put_server_info(DbServerInfo(server, "somehost", 1, 3))
        info = db.get_server_info(server)
        assert (info.name, info.host, info.mode, info.level) == (server, "somehost", 1, 3)
        ref = pytango_db.get_server_info(server)
        assert (ref.host, ref.mode, ref.level) == ("somehost", 1, 3)
        db.delete_server_info(server)
    finally:
        db.delete_server(server)


def test_database_pickles_as_its_location(db):
    import pickle
    clone = pickle.loads(pickle.dumps(db))
    assert isinstance(clone, Database) and repr(clone) == repr(db)
    assert clone.get_db_port() == db.get_db_port()
    assert "sys/tg_test/1" in clone.get_device_exported("sys/*")


def test_services_register_list_unregister(db, pytango_db):
    inst = unique("i")
    db.register_service("ClientAService", inst, "sys/tg_test/1")
    try:
        key = f"ClientAService/{inst}"
        assert db.get_service_list("ClientAService.*") == {key: "sys/tg_test/1"}
        assert pytango_db.get_service_list("ClientAService.*") == {key: "sys/tg_test/1"}
        assert list(db.get_device_service_list("sys/tg_test/1")) == ["ClientAService", inst]
        assert list(db.get_services("ClientAService", inst)) == ["sys/tg_test/1"]
    finally:
        db.unregister_service("ClientAService", inst)
    assert db.get_service_list("ClientAService.*") == {}


def test_raw_command_returns_device_data(db):
    data = db.command_inout_raw("DbGetDeviceExportedList", "sys/*")
    assert int(data.get_type()) == 16 and "sys/tg_test/1" in data.extract()


def test_never_started_device_dates_and_class_attribute_list_names(db, pytango_db):
    name, server = f"clienta/{unique('n')}/1", f"ClientAServer/{unique('n')}"
    db.add_device(DbDevInfo(name, "ClientAClass", server))
    try:
        ours = db.get_device_info(name)
        assert (ours.started_date, ours.stopped_date) == ("", "")
        assert repr(ours) == repr(pytango_db.get_device_info(name))
    finally:
        db.delete_server(server)
    assert repr(db.get_class_attribute_list("TangoTest", "*")) == \
        repr(pytango_db.get_class_attribute_list("TangoTest", "*"))


def test_device_proxy_with_the_database_down_reads_like_pytango():
    from tango_core.client.device_proxy import DeviceProxy
    from tango_core.client.names import set_default_tango_host
    from tango_core.idl.errors import ConnectionFailed
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    set_default_tango_host(f"127.0.0.1:{port}")
    try:
        with pytest.raises(ConnectionFailed) as ei:
            DeviceProxy("sys/tg_test/1")
    finally:
        set_default_tango_host(None)
    assert [(e.reason, e.desc) for e in ei.value.args] == [
        ("API_CorbaException", "TRANSIENT CORBA system exception: TRANSIENT_ConnectFailed"),
        ("API_CantConnectToDatabase", f"Failed to connect to database on host 127.0.0.1 with port {port}")]


def test_device_attribute_list_fills_the_given_list(db, pytango_db):
    dev = "sys/tg_test/1"
    db.put_device_attribute_property(dev, {"double_scalar": {"unit": "mm"}})
    try:
        ours, ref = [], tango_string_vector(pytango_db)
        assert db.get_device_attribute_list(dev, ours) is None
        pytango_db.get_device_attribute_list(dev, ref)
        assert ours == list(ref) and "double_scalar" in ours
        assert "double_scalar" in db.get_device_attribute_list(dev, "double*")
    finally:
        db.delete_device_attribute_property(dev, {"double_scalar": ["unit"]})


def tango_string_vector(_db):
    import tango
    return tango.StdStringVector()


def test_property_history_like_pytango(db, pytango_db):
    dev, prop = "sys/tg_test/1", unique("hist")
    db.put_device_property(dev, {prop: ["a", "b"]})
    db.put_device_property(dev, {prop: "c"})
    db.delete_device_property(dev, prop)
    ours = db.get_device_property_history(dev, prop)
    ref = pytango_db.get_device_property_history(dev, prop)
    assert [(h.get_name(), h.get_date(), list(h.get_value()), h.is_deleted()) for h in ours] == \
           [(h.get_name(), h.get_date(), list(h.get_value()), h.is_deleted()) for h in ref]
    assert [list(h.get_value()) for h in ours][:2] == [["a", "b"], ["c"]]
    attr_prop = unique("ahist")
    db.put_device_attribute_property(dev, {"double_scalar": {attr_prop: "1"}})
    db.delete_device_attribute_property(dev, {"double_scalar": [attr_prop]})
    ours = db.get_device_attribute_property_history(dev, "double_scalar", attr_prop)
    ref = pytango_db.get_device_attribute_property_history(dev, "double_scalar", attr_prop)
    assert [(h.get_attribute_name(), h.get_name(), list(h.get_value())) for h in ours] == \
           [(h.get_attribute_name(), h.get_name(), list(h.get_value())) for h in ref]
    assert ours and ours[0].get_attribute_name() == "double_scalar"


def test_access_control_answers_like_pytango_without_a_service(db, pytango_db):
    assert db.get_access_control() == pytango_db.get_access_control()
    assert db.get_access_right() == pytango_db.get_access_right()
    assert db.check_access_control("sys/tg_test/1") == pytango_db.check_access_control("sys/tg_test/1")
    assert db.is_control_access_checked() == pytango_db.is_control_access_checked()
    assert db.get_access_except_errors() == ()


def test_asynchronous_database_commands(db):
    req = db.command_inout_asynch("DbGetDeviceExportedList", "sys/tg_test/*")
    assert db.command_inout_reply(req, 3000) == ["sys/tg_test/1"]
    got = []
    db.command_inout_asynch("DbGetDeviceExportedList", "sys/tg_test/*", lambda ev: got.append(ev.argout))
    db.get_asynch_replies(3000)
    assert got == [["sys/tg_test/1"]]


def test_file_database_calls_on_a_database_server(db, pytango_db):
    """What only a database file can do: refused with PyTango's reason and text, except
    write_filedatabase, which does nothing, as PyTango's."""
    from tango_core.idl.errors import NonSupportedFeature

    for call in (db.get_file_name, db.reread_filedatabase):
        with pytest.raises(NonSupportedFeature) as info:
            call()
        assert (info.value.args[0].reason, info.value.args[0].desc) == \
            ("API_NotSupportedFeature", "The database is not a file-based database")
    with pytest.raises(Exception) as theirs:
        pytango_db.get_file_name()
    assert theirs.value.args[0].desc == "The database is not a file-based database"
    assert db.write_filedatabase() is None and pytango_db.write_filedatabase() is None
