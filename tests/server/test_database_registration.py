"""tango_core servers registered in a Tango database: PyTango's (sqlite) and the C++ DataBaseds.

The servers are the PyTango-API files of tests/servers/ run on tango_core (``on_tango_core``);
where a behaviour can be compared, the same file also runs on PyTango in the same database and
the two are compared.  Covered: export (IOR, host, PID, admin device), clients by name through
the database, cppTango's ``tango_admin`` pinging and listing, attribute configuration and
memorized values persisted in the database across a restart, polling periods from the code,
refusing a second instance and an unregistered one, unexport on SIGTERM, device locking.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import peers
from server_clients import DEVFAILED, pytango_proxy, tango_core_proxy

pytestmark = [pytest.mark.peers, pytest.mark.slow]


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """A private PyTango database with TestServer served by PyTango (py) and by tango_core (core)."""
    logs = tmp_path_factory.mktemp("db-registration")
    try:
        db = peers.start_pytango_database(log_dir=logs)
        core = peers.start_pytango_server("TestServer", "core", tango_host=db.tango_host,
                                          device_names=["test/core/1"], log_dir=logs, on_tango_core=True)
        ref = peers.start_pytango_server("TestServer", "ref", tango_host=db.tango_host,
                                         device_names=["test/ref/1"], log_dir=logs)
    except peers.PeerStartError as exc:
        peers.peer_unavailable(str(exc))
    yield db, core, ref
    for peer in (ref, core, db):
        peer.stop()


def _env(tango_host: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TANGO_HOST"] = tango_host
    return env


@pytest.mark.parametrize("make", [pytango_proxy, tango_core_proxy], ids=["pytango", "tango_core"])
def test_clients_reach_the_registered_device_through_the_database(system, make):
    db, core, _ = system
    p = make(core.devices[0])
    assert str(p.state()) == "ON"
    assert p.double_rw == 1.5
    assert p.info().server_id == "TestServer/core"
    assert p.adm_name().lower().endswith("dserver/testserver/core")
    admin = make(p.adm_name())
    assert list(admin.command_inout("QueryDevice")) == ["TestDevice::test/core/1"]


def test_export_records_what_cpptango_records(system):
    db, core, ref = system
    database = pytango_proxy(f"tango://{db.tango_host}/sys/database/2")
    for peer, name in ((core, "test/core/1"), (ref, "test/ref/1")):
        lv, sv = database.command_inout("DbImportDevice", name)
        assert list(lv) == [1, peer.pid], name
        assert sv[1].startswith("IOR:") and sv[2] == "6" and sv[4] == os.uname().nodename, name
    lv, _ = database.command_inout("DbImportDevice", "dserver/TestServer/core")
    assert list(lv) == [1, core.pid]


def test_tango_admin_pings_our_device_and_lists_our_server(system):
    db, core, _ = system
    tango_admin = shutil.which("tango_admin")
    if tango_admin is None:
        peers.peer_unavailable("tango_admin not found (Debian package libtango-tools)")
    env = _env(db.tango_host)
    ping = subprocess.run([tango_admin, "--ping-device", "test/core/1"], env=env, capture_output=True, timeout=60)
    assert ping.returncode == 0, ping.stderr
    ping_admin = subprocess.run([tango_admin, "--ping-device", "dserver/TestServer/core"], env=env,
                                capture_output=True, timeout=60)
    assert ping_admin.returncode == 0
    servers = subprocess.run([tango_admin, "--server-list"], env=env, capture_output=True, text=True, timeout=60)
    assert "TestServer" in servers.stdout.split()
    instances = subprocess.run([tango_admin, "--server-instance-list", "TestServer"], env=env, capture_output=True,
                               text=True, timeout=60)
    assert "core" in instances.stdout.split()
    check = subprocess.run([tango_admin, "--check-server", "TestServer/core"], env=env, capture_output=True,
                           timeout=60)
    assert check.returncode == 0


def test_attribute_configuration_persists_across_a_restart(system):
    db, core, _ = system
    p = pytango_proxy(core.devices[0])
    cfg = p.get_attribute_config_ex("float_rw")[0]
    cfg.label, cfg.unit, cfg.format = "Relabelled", "V", "%4.1f"
    cfg.alarms.max_alarm = "8"
    cfg.events.ch_event.abs_change = "0.5"
    p.set_attribute_config(cfg)
    database = pytango_proxy(f"tango://{db.tango_host}/sys/database/2")
    stored = database.command_inout("DbGetDeviceAttributeProperty2", ["test/core/1", "float_rw"])
    assert "Relabelled" in stored and "abs_change" in stored and "max_alarm" in stored
    core.restart()
    p = pytango_proxy(core.devices[0])
    cfg = p.get_attribute_config_ex("float_rw")[0]
    assert (cfg.label, cfg.unit, cfg.format, cfg.alarms.max_alarm, cfg.events.ch_event.abs_change) == \
        ("Relabelled", "V", "%4.1f", "8", "0.5")
    cfg.label, cfg.alarms.max_alarm = "NaN", "NaN"  # back to the defaults: gone from the database
    p.set_attribute_config(cfg)
    stored = database.command_inout("DbGetDeviceAttributeProperty2", ["test/core/1", "float_rw"])
    assert "Relabelled" not in stored and "max_alarm" not in stored
    assert p.get_attribute_config("float_rw").label == "float_rw"


def test_memorized_values_are_restored_at_start_up(system, tmp_path):
    db, _, _ = system
    peers.register_server(db.tango_host, "MemorizedServer/core", "MemorizedDevice", ["test/mem/1"])
    server = peers.start_pytango_server("MemorizedServer", "core", tango_host=db.tango_host,
                                        device_names=["test/mem/1"], device_class="MemorizedDevice",
                                        register=False, log_dir=tmp_path, on_tango_core=True)
    try:
        p = pytango_proxy(server.devices[0])
        p.hw_memorized = 2.5
        p.soft_memorized = 7
        server.restart()
        p = pytango_proxy(server.devices[0])
        assert p.read_attribute("hw_memorized").w_value == 2.5
        assert p.hw_memorized == 2.5          # hw_memorized: the write method was called at start-up
        assert p.writes_seen == 1
        assert p.read_attribute("soft_memorized").w_value == 7
        assert p.soft_memorized == 0          # memorized only: the set point, not the hardware
        assert p.is_attribute_polled("polled_in_code")
        assert p.get_attribute_poll_period("polled_in_code") == 500
    finally:
        server.stop()


def test_a_second_instance_is_refused(system):
    db, core, _ = system
    argv = [a for a in core.argv]
    port_index = argv.index("-ORBendPoint") + 1
    argv[port_index] = f"giop:tcp:127.0.0.1:{peers.free_port()}"
    second = subprocess.run(argv, env=core.env, capture_output=True, text=True, timeout=60)
    assert "already running" in second.stdout + second.stderr
    assert str(pytango_proxy(core.devices[0]).state()) == "ON"


def test_an_unregistered_instance_exits_as_cpptango(system):
    db, core, ref = system
    outcomes = []
    for peer in (ref, core):
        argv = list(peer.argv)
        argv[argv.index("-ORBendPoint") - 1] = "unregistered"   # the instance name
        argv[argv.index("-ORBendPoint") + 1] = f"giop:tcp:127.0.0.1:{peers.free_port()}"
        done = subprocess.run(argv, env=peer.env, capture_output=True, text=True, timeout=60)
        outcomes.append((done.returncode, done.stderr.strip().splitlines()[-1]))
    assert outcomes[1] == outcomes[0] == (255, "The device server TestServer/unregistered is not defined in "
                                               "database. Exiting!")


LOCK_CHECK = r'''
import sys, tango
p = tango.DeviceProxy(sys.argv[1])
for f in (lambda: p.EchoDouble(1.0), lambda: p.double_rw, lambda: p.write_attribute("double_rw", 1.0),
          lambda: p.State(), lambda: p.unlock(), lambda: p.lock(),
          lambda: p.set_attribute_config(p.get_attribute_config("double_rw"))):
    try:
        f()
        print("ok")
    except tango.DevFailed as e:
        print(e.args[0].reason, "|", e.args[0].desc.replace(sys.argv[2], "DEV"))
'''


def test_locking_as_pytango_servers_do(system):
    db, core, ref = system
    seen = []
    for peer, name in ((ref, "test/ref/1"), (core, "test/core/1")):
        p = pytango_proxy(peer.devices[0])
        p.lock(20)
        try:
            assert p.is_locked() and p.is_locked_by_me()
            status = pytango_proxy(p.adm_name()).DevLockStatus(name)
            assert list(status[0])[:2] == [1, os.getpid()]
            assert status[1][0].startswith(f"Device {name} is locked by CPP or Python client with PID {os.getpid()}")
            other = subprocess.run([sys.executable, "-c", LOCK_CHECK, peer.devices[0], name],
                                   capture_output=True, text=True, timeout=60, env=_env(db.tango_host))
            seen.append(other.stdout)
        finally:
            p.unlock()
        assert not p.is_locked()
    assert seen[1] == seen[0]
    assert seen[0].splitlines()[0] == "API_DeviceLocked | Device DEV is locked by another client"


def test_sigterm_unexports_the_server(system, tmp_path):
    db, _, _ = system
    peers.register_server(db.tango_host, "TestServer/stopme", "TestDevice", ["test/stopme/1"])
    server = peers.start_pytango_server("TestServer", "stopme", tango_host=db.tango_host,
                                        device_names=["test/stopme/1"], register=False, log_dir=tmp_path,
                                        on_tango_core=True)
    database = pytango_proxy(f"tango://{db.tango_host}/sys/database/2")
    assert list(database.command_inout("DbImportDevice", "test/stopme/1")[0])[0] == 1
    server.stop()  # SIGTERM
    for name in ("test/stopme/1", "dserver/TestServer/stopme"):
        assert list(database.command_inout("DbImportDevice", name)[0])[0] == 0, name


def test_registered_in_the_cpp_database(tmp_path):
    """The C++ DataBaseds (MariaDB) stores the same things for a tango_core server."""
    try:
        db = peers.start_cpp_database(log_dir=tmp_path)
    except peers.PeerStartError as exc:
        peers.peer_unavailable(str(exc))
    try:
        server = peers.start_pytango_server("TestServer", "cppdb", tango_host=db.tango_host,
                                            device_names=["test/cppdb/1"], log_dir=tmp_path, on_tango_core=True)
        p = pytango_proxy(server.devices[0])
        assert p.double_rw == 1.5
        assert tango_core_proxy(server.devices[0]).EchoString("x") == "x"
        cfg = p.get_attribute_config("double_rw")
        cfg.label = "In MariaDB"
        p.set_attribute_config(cfg)
        server.restart()
        assert pytango_proxy(server.devices[0]).get_attribute_config("double_rw").label == "In MariaDB"
        tango_admin = shutil.which("tango_admin")
        if tango_admin is not None:
            ping = subprocess.run([tango_admin, "--ping-device", "test/cppdb/1"], env=_env(db.tango_host),
                                  capture_output=True, timeout=60)
            assert ping.returncode == 0
        server.stop()
        database = pytango_proxy(f"tango://{db.tango_host}/sys/database/2")
        assert list(database.command_inout("DbImportDevice", "test/cppdb/1")[0])[0] == 0
    finally:
        db.kill(companions=True)


_ = (DEVFAILED, Path)
