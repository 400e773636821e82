"""Our database server as a process: its command line, real servers and tools using it
(Debian's cppTango 9.3 TangoTest, a PyTango 10.3.1 device server, our own TangoTest, cppTango's
tango_admin), PyTango's Database API on it, and what survives a kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import peers
from peers import PeerStartError, peer_unavailable

TANGO_ADMIN = shutil.which("tango_admin") or "/usr/bin/tango_admin"
ROOT = Path(__file__).resolve().parents[2]


def _start(**kwargs) -> peers.Peer:
    try:
        return peers.start_our_database(**kwargs)
    except PeerStartError as exc:
        peer_unavailable(str(exc))
        raise


@pytest.fixture
def our_db(tmp_path: Path):
    peer = _start(log_dir=tmp_path / "logs")
    yield peer
    peer.kill(companions=True)


def _env(tango_host: str) -> dict[str, str]:
    env = dict(os.environ)
    env["TANGO_HOST"] = tango_host
    return env


# -- the command line ------------------------------------------------------------------------------

def _spawn(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tango_core.databaseds", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_line(proc: subprocess.Popen, timeout: float = 30) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines and lines[0], f"no line from the server: {proc.poll()=} {proc.stderr.read() if proc.poll() is not None else ''}"
    return lines[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_pytango_command_line_prints_where_it_listens_and_stops_cleanly(tmp_path: Path, signum: int) -> None:
    import tango

    port = peers.free_port()
    env = {k: v for k, v in os.environ.items() if k != "TANGO_HOST"}
    env["PYTANGO_DATABASE_NAME"] = str(tmp_path / "pytango-style.db")
    # PyTango's spelling, with the option after the instance (which PyTango itself ignores)
    proc = _spawn(["2", "--port", str(port), "--host", "127.0.0.1"], tmp_path, env)
    try:
        line = _first_line(proc)
        assert f"127.0.0.1:{port}" in line and "sys/database/2" in line and "pytango-style.db" in line
        db = tango.Database("127.0.0.1", port)
        assert db.import_device("sys/database/2").exported
        proc.send_signal(signum)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    conn = sqlite3.connect(tmp_path / "pytango-style.db")
    assert conn.execute("SELECT exported FROM devices WHERE name = 'sys/database/2'").fetchone() == (0,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_a_file_that_is_not_a_tango_database_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("not sqlite " * 200)
    proc = _spawn(["2", "--port", "0", "--db-file", str(bad)], tmp_path)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "not a usable database file" in err and "Traceback" not in err


def test_a_busy_port_is_reported(tmp_path: Path, our_db: peers.Peer) -> None:
    proc = _spawn(["2", "--host", "127.0.0.1", "--port", str(our_db.port), "--db-file", str(tmp_path / "x.db")],
                  tmp_path)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "cannot serve" in err


# -- real servers and tools ------------------------------------------------------------------------

@pytest.mark.parametrize("operation, version", [("command_inout", (1, 0)), ("command_inout_2", (1, 2))])
def test_older_command_operations_and_giop_versions_are_answered(our_db: peers.Peer, operation: str,
                                                                  version: tuple[int, int]) -> None:
    """IDL-1 command_inout in GIOP 1.0 (what cppTango's Database client sends at start-up) and
    IDL-2 command_inout_2, to corbaloc:iiop:host:port/database, on a plain socket."""
    import socket

    from tango_core.idl.command_any import decode_command_any, encode_command_any
    from tango_core.idl.enums import CmdArgType
    from tango_core.wire.giop import MessageReader, Reply, ReplyStatus, build_request

    def body(w) -> None:
        w.write_string("DbImportDevice")
        encode_command_any(w, CmdArgType.DevString, "sys/database/2")
        if operation == "command_inout_2":
            w.write_ulong(0)  # DevSource.DEV

    host, port = our_db.tango_host.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(build_request(7, b"database", operation, body, version=version))
        reader = MessageReader()
        while (reply := reader.next_message()) is None:
            chunk = sock.recv(65536)
            assert chunk, "the database closed the connection without replying"
            reader.feed(chunk)
    assert isinstance(reply, Reply) and reply.version == version and reply.status == ReplyStatus.NO_EXCEPTION
    argtype, (numbers, strings) = decode_command_any(reply.body)
    assert argtype == CmdArgType.DevVarLongStringArray
    assert strings[0] == "sys/database/2" and strings[1].startswith("IOR:") and numbers[0] == 1


def test_cpptango_tangotest_starts_runs_and_stops_against_it(our_db: peers.Peer, tmp_path: Path) -> None:
    import tango

    tangotest = peers.start_tangotest(our_db.tango_host, log_dir=tmp_path / "logs")
    try:
        dev = tango.DeviceProxy(tangotest.device)
        assert dev.state() == tango.DevState.RUNNING
        assert dev.command_inout("DevString", "hello") == "hello"
        db = tango.Database(*our_db.tango_host.split(":"))
        info = db.get_device_info("sys/tg_test/1")
        assert info.exported and info.pid == tangotest.pid and info.class_name == "TangoTest"
        # it read its start-up data in one DbGetDataForServerCache, and wrote its class properties
        timing = tango.DeviceProxy(f"tango://{our_db.tango_host}/sys/database/2").read_attribute("Timing_info").value
        cache = next(line for line in timing if line.startswith("DbGetDataForServerCache\t"))
        assert not cache.endswith("\t0")
        assert db.get_class_property("TangoTest", ["InheritedFrom"])["InheritedFrom"] == ["TANGO_BASE_CLASS"]
    finally:
        tangotest.stop()
    assert not tango.Database(*our_db.tango_host.split(":")).get_device_info("sys/tg_test/1").exported


def test_pytango_device_server_registers_and_serves(our_db: peers.Peer, tmp_path: Path) -> None:
    import tango

    server = peers.start_pytango_server("TestServer", "ourdb", tango_host=our_db.tango_host,
                                        device_names=["test/ourdb/1", "test/ourdb/2"], log_dir=tmp_path / "logs")
    try:
        dev = tango.DeviceProxy(server.devices[1])
        dev.ping()
        db = tango.Database(*our_db.tango_host.split(":"))
        assert sorted(db.get_device_exported("test/ourdb/*")) == ["test/ourdb/1", "test/ourdb/2"]
        assert db.get_device_class_list("TestServer/ourdb")[2:] == ["test/ourdb/1", "TestDevice",
                                                                      "test/ourdb/2", "TestDevice"]
        # a property put through the database reaches the device at its next Init
        db.put_device_property("test/ourdb/1", {"greeting": ["bonjour"]})
        dev1 = tango.DeviceProxy(server.devices[0])
        dev1.Init()
        assert dev1.read_attribute("greeting_attr").value == "bonjour"
    finally:
        server.stop()


def test_our_tangotest_runs_against_it(our_db: peers.Peer, tmp_path: Path) -> None:
    import tango

    log = (tmp_path / "tangotest.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "tango_core.tangotest", "test"], env=_env(our_db.tango_host),
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                dev = tango.DeviceProxy(f"tango://{our_db.tango_host}/sys/tg_test/1")
                assert dev.state() == tango.DevState.RUNNING
                break
            except tango.DevFailed:
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "tangotest.log").read_text()
                time.sleep(0.1)
        assert dev.command_inout("DevDouble", 2.5) == 2.5
        assert dev.read_attribute("double_spectrum_ro").dim_x == 256
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
        log.close()
    assert not tango.Database(*our_db.tango_host.split(":")).get_device_info("sys/tg_test/1").exported


def _admin(tango_host: str, *args: str) -> subprocess.CompletedProcess:
    if not os.access(TANGO_ADMIN, os.X_OK):
        peer_unavailable("tango_admin not found (install the Debian package libtango-tools)")
    return subprocess.run([TANGO_ADMIN, *args], env=_env(tango_host), capture_output=True, text=True, timeout=60)


def test_tango_admin_adds_and_lists_servers_and_properties(our_db: peers.Peer) -> None:
    import tango

    th = our_db.tango_host
    assert _admin(th, "--ping-database", "5").returncode == 0
    assert _admin(th, "--add-server", "AdminTest/one", "AdminClass", "admin/test/1,admin/test/2").returncode == 0
    assert _admin(th, "--check-server", "AdminTest/one").returncode == 0
    assert _admin(th, "--check-server", "AdminTest/none").returncode != 0
    assert _admin(th, "--check-device", "admin/test/2").returncode == 0
    assert "AdminTest" in _admin(th, "--server-list").stdout.split()
    assert _admin(th, "--server-instance-list", "AdminTest").stdout.split() == ["one"]
    assert _admin(th, "--add-property", "admin/test/1", "speed", "1,2,3").returncode == 0
    db = tango.Database(*th.split(":"))
    assert list(db.get_device_property("admin/test/1", "speed")["speed"]) == ["1", "2", "3"]
    assert _admin(th, "--delete-property", "admin/test/1", "speed").returncode == 0
    assert list(db.get_device_property("admin/test/1", "speed")["speed"]) == []
    assert _admin(th, "--delete-server", "AdminTest/one").returncode == 0
    assert _admin(th, "--check-server", "AdminTest/one").returncode != 0


# -- durability ------------------------------------------------------------------------------------

def test_kill_9_during_50_writers_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """50 client threads (PyTango's client) put properties as fast as they can; the server is
    killed with SIGKILL in the middle.  After a restart on the same file, every put that had
    been acknowledged is there and the file passes sqlite's integrity check."""
    import tango

    peer = _start(log_dir=tmp_path / "logs", db_file=tmp_path / "durable.db")
    acknowledged: dict[int, list[int]] = {c: [] for c in range(50)}
    stop = threading.Event()

    proxies = []
    for _ in range(50):
        proxy = tango.DeviceProxy(f"tango://{peer.tango_host}/sys/database/2")
        proxy.set_timeout_millis(3000)
        proxies.append(proxy)

    def writer(client: int) -> None:
        proxy = proxies[client]
        seq = 0
        while not stop.is_set():
            try:
                proxy.command_inout("DbPutDeviceProperty", [f"dur/client/{client}", "1", f"w{seq}", "1", str(seq)])
            except tango.DevFailed:
                return  # the server is gone: this put may or may not have been stored
            acknowledged[client].append(seq)
            seq += 1

    threads = [threading.Thread(target=writer, args=(c,), daemon=True) for c in range(50)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        while sum(map(len, acknowledged.values())) < 2000 and time.monotonic() < deadline:
            time.sleep(0.05)
        peer.kill()
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    total = sum(map(len, acknowledged.values()))
    assert total >= 2000, f"only {total} puts acknowledged before the kill"
    conn = sqlite3.connect(tmp_path / "durable.db")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    peer.start()
    try:
        db = tango.Database(*peer.tango_host.split(":"))
        for client, seqs in acknowledged.items():
            if not seqs:
                continue
            stored = set(db.get_device_property_list(f"dur/client/{client}", "*"))
            missing = [s for s in seqs if f"w{s}" not in stored]
            assert not missing, f"client {client}: acknowledged puts lost: {missing[:10]}"
            assert list(db.get_device_property(f"dur/client/{client}", f"w{seqs[-1]}")[f"w{seqs[-1]}"]) == \
                [str(seqs[-1])]
    finally:
        peer.kill()
