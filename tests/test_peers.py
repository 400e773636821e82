"""The peer fixtures work, checked with PyTango's own client (this proves the peers, not our code)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from event_channel import wait_until_events_arrive

tango = pytest.importorskip("tango")

_SEEN: dict[str, int | None] = {}  # carries a value from one test to the next (pairs below)


def test_tango_host_is_pytango_database_with_preregistered_devices(tango_host: str) -> None:
    assert os.environ["TANGO_HOST"] == tango_host
    host, port = tango_host.split(":")
    db = tango.Database(host, int(port))
    assert "Devices defined = " in db.get_info()  # the Python DB's spelling (C++: two spaces)
    assert db.get_device_info("sys/tg_test/1").ds_full_name == "TangoTest/test"
    assert db.get_device_info("sys/access_control/1").exported == 0


def test_tangotest_answers_with_debian_cpptango(tangotest, tango_host: str) -> None:
    dev = tango.DeviceProxy(f"tango://{tango_host}/sys/tg_test/1")
    assert dev.state() == tango.DevState.RUNNING
    assert dev.info().dev_class == "TangoTest"
    assert dev.command_inout("DevDouble", 2.5) == 2.5
    assert dev.get_idl_version() == 5  # cppTango 9.3


def test_tangotest_restart_keeps_port_and_clients_reconnect(peer_factory) -> None:
    db, tangotest = peer_factory.tango_system()  # private: restarts must not disturb other tests
    dev = tango.DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    dev.ping()
    old_pid, old_port = tangotest.pid, tangotest.port
    tangotest.restart()
    assert tangotest.pid != old_pid and tangotest.port == old_port
    assert dev.state() == tango.DevState.RUNNING  # the same proxy reconnects
    assert "start #2" in tangotest.log_text()


def test_tangotest_restart_on_new_port_is_reexported(peer_factory) -> None:
    db, tangotest = peer_factory.tango_system()
    old_port = tangotest.port
    tangotest.restart(new_port=True)
    assert tangotest.port != old_port
    dev = tango.DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1")
    assert dev.state() == tango.DevState.RUNNING
    exported = tango.Database(*db.tango_host.split(":")).get_device_info("sys/tg_test/1")
    assert exported.pid == tangotest.pid


def test_session_peer_moved_to_new_port_is_moved_back(tangotest) -> None:
    """Half of a pair: the next test checks the autouse restore moved it back."""
    _SEEN["tangotest_port"] = tangotest.port
    tangotest.restart(new_port=True)
    assert tangotest.port != _SEEN["tangotest_port"]


def test_session_peer_is_back_on_its_port(tangotest) -> None:
    assert tangotest.port == _SEEN["tangotest_port"]
    assert tango.DeviceProxy(tangotest.device).state() == tango.DevState.RUNNING


def test_stopped_session_peer_is_revived_for_the_next_test(tangotest) -> None:
    tangotest.stop()
    assert not tangotest.is_running() and tangotest.pid is None


def test_previous_test_stop_was_undone(tangotest, tango_host: str) -> None:
    assert tangotest.is_running()
    assert tango.DeviceProxy(f"tango://{tango_host}/sys/tg_test/1").state() == tango.DevState.RUNNING


def test_nodb_server_serves_testdevice_without_database(nodb_server) -> None:
    assert nodb_server.device.endswith("/test/nodb/1#dbase=no")
    dev = tango.DeviceProxy(nodb_server.device)
    assert dev.state() == tango.DevState.ON
    dev.command_inout("Init")  # session servers are shared: Init restores TestDevice's initial values
    assert dev.read_attribute("encoded_rw").value == ("json", b'{"answer": 42}')
    assert dev.read_attribute("mode").value == 1
    dev.write_attribute("encoded_rw", ("raw", b"\x00\xff"))
    assert dev.read_attribute("encoded_rw").value == ("raw", b"\x00\xff")
    np.testing.assert_array_equal(dev.read_attribute("double_image_ro").value,
                                  np.arange(12).reshape(3, 4) / 2.0)
    with pytest.raises(tango.DevFailed) as info:
        dev.read_attribute("failing_read").value  # noqa: B018 - the read itself raises
    assert info.value.args[0].reason == "TestDevice_ReadFailed"
    with pytest.raises(tango.DevFailed) as info:
        dev.command_inout("Fail")
    assert info.value.args[0].reason == "TestDevice_CommandFailed"
    assert tango.DeviceProxy(nodb_server.admin_device).state() == tango.DevState.ON
    assert tango.DeviceProxy(nodb_server.devices[1]).ping() > 0


def test_db_server_is_registered_and_exported(db_server, tango_host: str) -> None:
    db = tango.Database(*tango_host.split(":"))
    flat = list(db.get_device_class_list("TestServer/test"))  # [name, class, name, class, ...]
    assert sorted(zip(flat[::2], flat[1::2])) == [
        ("dserver/TestServer/test", "DServer"), ("test/dev/1", "TestDevice"), ("test/dev/2", "TestDevice")]
    for name in db_server.devices:
        dev = tango.DeviceProxy(name)
        assert dev.info().dev_class == "TestDevice"
        dev.write_attribute("double_rw", 12.5)
        assert dev.read_attribute("double_rw").value == 12.5
    assert db.get_device_info("test/dev/1").pid == db_server.pid


def test_db_server_pushes_change_events(db_server) -> None:
    dev = tango.DeviceProxy(db_server.devices[0])
    received: list[int] = []
    event_id = dev.subscribe_event("counter", tango.EventType.CHANGE_EVENT,
                                   lambda ev: received.append(None if ev.err else ev.attr_value.value))
    try:
        # PyTango's client connects its SUB socket asynchronously (ZMQ's slow joiner)
        wait_until_events_arrive(dev, tango.EventType, "last_written")
        value = dev.command_inout("PushCounterEvent")
        _poll(lambda: value in received)
    finally:
        dev.unsubscribe_event(event_id)


@pytest.mark.slow
def test_cpp_tango_host_is_cpp_databaseds_on_mariadb(cpp_tango_host: str, tango_host: str) -> None:
    assert os.environ["TANGO_HOST"] == tango_host != cpp_tango_host
    db = tango.Database(*cpp_tango_host.split(":"))
    assert "Devices defined  = " in db.get_info()  # the C++ DB's spelling
    dev = tango.DeviceProxy(f"tango://{cpp_tango_host}/sys/tg_test/1")
    assert dev.state() == tango.DevState.RUNNING


def test_peer_factory_gives_private_system_and_stops_it(peer_factory) -> None:
    db, tt = peer_factory.tango_system()
    assert tango.DeviceProxy(f"tango://{db.tango_host}/sys/tg_test/1").state() == tango.DevState.RUNNING
    server = peer_factory.pytango_server("TestServer", "private", tango_host=db.tango_host)
    assert tango.DeviceProxy(server.devices[0]).read_attribute("greeting_attr").value == "hello"
    pids = [db.pid, tt.pid, server.pid]
    peer_factory.stop_all()
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)


@pytest.mark.slow
def test_peer_factory_discards_cpp_database_with_its_mariadb(peer_factory) -> None:
    db = peer_factory.cpp_database()
    assert "Devices defined  = " in tango.Database(*db.tango_host.split(":")).get_info()
    pids = [db.pid, db.companions[0].pid]
    peer_factory.discard_all()  # what the fixture's teardown does
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def _poll(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_testdevice_ramp_is_polled_and_pushes_change_events(nodb_server) -> None:
    dev = tango.DeviceProxy(nodb_server.device)
    assert dev.get_attribute_poll_period("ramp") == 100
    received: list[float] = []
    event_id = dev.subscribe_event("ramp", tango.EventType.CHANGE_EVENT,
                                   lambda ev: ev.err or received.append(ev.attr_value.value))
    try:
        _poll(lambda: len(received) >= 3)
    finally:
        dev.unsubscribe_event(event_id)
    assert received == sorted(received)


def test_enable_polling_and_change_events_on_tangotest(tangotest) -> None:
    from peers import enable_polling_and_change_events

    enable_polling_and_change_events(tangotest.device, "long_scalar", period_ms=200, abs_change="1")
    dev = tango.DeviceProxy(tangotest.device)
    assert dev.get_attribute_poll_period("long_scalar") == 200
    received: list[int] = []
    event_id = dev.subscribe_event("long_scalar", tango.EventType.CHANGE_EVENT,
                                   lambda ev: ev.err or received.append(ev.attr_value.value))
    try:
        _poll(lambda: len(received) >= 1)  # the first event arrives at subscription
    finally:
        dev.unsubscribe_event(event_id)
