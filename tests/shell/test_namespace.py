"""What ``%load_ext itango`` puts in the user namespace, against the real PyTango DB + TangoTest."""

from __future__ import annotations


import tango_core
from shells import make_shell


def test_tango_names_are_tango_core_objects(itango_shell):
    ns = itango_shell.user_ns
    assert ns["DeviceProxy"] is tango_core.DeviceProxy
    assert ns["Device"] is tango_core.DeviceProxy
    assert ns["AttributeProxy"] is tango_core.AttributeProxy
    assert ns["Attribute"] is tango_core.AttributeProxy
    assert ns["Database"] is tango_core.Database
    assert ns["DevState"] is tango_core.DevState
    assert ns["DevFailed"] is tango_core.DevFailed
    assert ns["tango_core"] is tango_core


def test_db_is_the_current_database(itango_shell, run, tango_host):
    result, out = run(itango_shell, "print(db.get_info())")
    assert result.success, out
    assert "Running since" in out and "Devices defined" in out
    db = itango_shell.user_ns["db"]
    assert isinstance(db, tango_core.Database)
    assert f"{db.get_db_host()}:{db.get_db_port()}" == tango_host


def test_device_and_deviceproxy_reach_tangotest(itango_shell, run):
    for ctor in ("DeviceProxy", "Device"):
        result, out = run(itango_shell, f"{ctor}('sys/tg_test/1').State()")
        assert result.success, out
        assert result.result == tango_core.DevState.RUNNING


def test_class_constructor_returns_a_device_proxy(itango_shell, run):
    result, out = run(itango_shell, "d = TangoTest('sys/tg_test/1'); d.Status()")
    assert result.success, out
    assert result.result == "The device is in RUNNING state."
    assert isinstance(itango_shell.user_ns["d"], tango_core.DeviceProxy)
    assert itango_shell.user_ns["TangoTest"].devices() == ["sys/tg_test/1"]


def test_every_user_class_has_a_constructor_but_not_dserver(itango_shell):
    ns = itango_shell.user_ns
    for klass in ("TangoTest", "DataBase", "TangoAccessControl"):
        assert callable(ns[klass]), klass
    assert "DServer" not in ns


def test_user_names_are_not_overwritten(tango_host):
    shell = make_shell()
    shell.user_ns["TangoTest"] = "mine"
    shell.user_ns["db"] = "my db"
    shell.extension_manager.load_extension("itango")
    try:
        from itango.session import get_session

        assert get_session(shell).wait_ready(30)
        assert shell.user_ns["TangoTest"] == "mine"
        assert shell.user_ns["db"] == "my db"
        assert callable(shell.user_ns["DataBase"])
    finally:
        shell.extension_manager.unload_extension("itango")


def test_refreshdb_adds_and_removes_devices_and_class_constructors(itango_shell, run, tango_host):
    db = tango_core.Database()
    info = tango_core.DbDevInfo()
    info.name, info._class, info.server = "test/shellcore/1", "ShellCoreProbe", "ShellCoreProbe/x"
    db.add_device(info)
    try:
        _, before = run(itango_shell, "%lsdev")
        assert "test/shellcore/1" not in before
        assert "ShellCoreProbe" not in itango_shell.user_ns
        result, out = run(itango_shell, "%refreshdb")
        assert result.success, out
        assert f"{tango_host}:" in out and "devices" in out
        _, after = run(itango_shell, "%lsdev")
        assert "test/shellcore/1" in after
        assert itango_shell.user_ns["ShellCoreProbe"].devices() == ["test/shellcore/1"]
    finally:
        db.delete_server("ShellCoreProbe/x")
    run(itango_shell, "%refreshdb")
    assert "ShellCoreProbe" not in itango_shell.user_ns
    _, out = run(itango_shell, "%lsdev")
    assert "test/shellcore/1" not in out
