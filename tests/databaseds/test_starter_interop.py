"""The Astor/Starter workflow on tango_core's database server, with Debian's real Starter.

A Starter (cppTango 9.3, ``/usr/lib/tango/Starter``) runs for this host (server
``Starter/<short host name>``, device ``tango/admin/<short host name>``) against a private
database.  It starts a tango_core device server from the directory of its ``StartDsPath``
property (it runs ``<dir>/<executable> <instance>``), reports it running, stops it and reports
it stopped.  The database tells the Starter when the servers of its host change (the command
``UpdateServersInfo``, sent when a server is exported, its server info put, deleted or renamed):
without that, a Starter never learns of a server started on its host for the first time.

Everything is done through tango_core's client.  The same sequence runs against PyTango's
database server (``python -m tango.databaseds.database``), and what the Starter reports is
compared between the two.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import peers as _peers
from peers import PeerStartError, peer_unavailable

import tango_core

pytestmark = pytest.mark.timeout(120)

_peers.PEER_FIXTURES.update({"starter_system"})

ROOT = Path(__file__).resolve().parents[2]
HOST = socket.gethostname().split(".")[0]
STARTER = f"tango/admin/{HOST}"
EXECUTABLE = "StartedByStarter"
SERVER = f"{EXECUTABLE}/1"
DEVICE = "test/startedbystarter/1"
DEADLINE = 30.0

#: the device server the Starter starts: a tango_core server, run by this venv's python (the
#: Starter recognises a python server from the interpreter's name, ``python``, and the script's)
SERVER_SCRIPT = textwrap.dedent(f'''\
    #!{sys.executable}
    import sys
    sys.path.insert(0, {str(ROOT)!r})
    from tango_core import DevState
    from tango_core.server import Device, attribute, run


    class StartedDevice(Device):
        def init_device(self):
            super().init_device()
            self.set_state(DevState.ON)

        @attribute(dtype=float)
        def value(self):
            return 1.5


    if __name__ == "__main__":
        run((StartedDevice,))
    ''')


class StarterSystem:
    """A database (ours or PyTango's), a Starter for this host on it, the server's directory."""

    def __init__(self, kind: str, database: _peers.Peer, ds_dir: Path) -> None:
        self.kind = kind
        self.database = database
        self.tango_host = database.tango_host
        self.ds_dir = ds_dir
        host, port = self.tango_host.rsplit(":", 1)
        self.db = tango_core.Database(host, int(port))
        self.starter_peer: _peers.Peer | None = None

    def proxy(self, name: str) -> tango_core.DeviceProxy:
        proxy = tango_core.DeviceProxy(f"tango://{self.tango_host}/{name}")
        proxy.set_timeout_millis(5000)
        return proxy

    @property
    def starter(self) -> tango_core.DeviceProxy:
        return self.proxy(STARTER)

    def read(self, attribute: str) -> list[str]:
        return list(self.starter.read_attribute(attribute).value or ())

    def server_pid(self, server: str = SERVER) -> int:
        return self.db.get_device_info(f"dserver/{server}").pid


def _wait_for(what: str, check: Callable[[], object], deadline: float = DEADLINE) -> object:
    """Poll ``check`` until it returns something true; fail with ``what`` and the last value."""
    end = time.monotonic() + deadline
    last: object = None
    while time.monotonic() < end:
        try:
            last = check()
        except tango_core.DevFailed as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.2)
    pytest.fail(f"{what}: not seen after {deadline:.0f} s (last: {last!r})")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _logged(starter: tango_core.DeviceProxy, text: str) -> bool:
    """``text`` in the Starter's log, one string (DevReadLog fails until its first line is written)."""
    return text in starter.DevReadLog("Starter")


def _servers_entry(system: StarterSystem, server: str = SERVER) -> list[str] | None:
    """The Starter's ``Servers`` line of ``server``, split on its tabs."""
    for line in system.read("Servers"):
        fields = line.split("\t")
        if fields[0] == server:
            return fields
    return None


def _start_database(kind: str, logs: Path) -> _peers.Peer:
    if kind == "tango_core":
        return _peers.start_our_database(log_dir=logs)
    return _peers.start_pytango_database(log_dir=logs)


@pytest.fixture(scope="module", params=["tango_core", "pytango"])
def starter_system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StarterSystem]:
    """A fresh database of each kind with a Starter for this host running on it."""
    kind = request.param
    logs = tmp_path_factory.mktemp(f"starter-{kind}")
    ds_dir = logs / "ds"
    ds_dir.mkdir()
    script = ds_dir / EXECUTABLE
    script.write_text(SERVER_SCRIPT)
    script.chmod(0o755)
    started: list[_peers.Peer] = []
    system: StarterSystem | None = None
    try:
        database = _start_database(kind, logs)
        started.append(database)
        system = StarterSystem(kind, database, ds_dir)
        info = tango_core.DbDevInfo()
        info.name, info._class, info.server = STARTER, "Starter", f"Starter/{HOST}"
        system.db.add_server(info.server, [info])
        # LogFileHome: the Starter's log and its servers' output go there, not to /var/tmp
        system.db.put_device_property(STARTER, {"StartDsPath": [str(ds_dir)], "LogFileHome": [str(logs)]})
        info = tango_core.DbDevInfo()
        info.name, info._class, info.server = DEVICE, "StartedDevice", SERVER
        system.db.add_server(SERVER, [info])
        system.starter_peer = _peers.start_starter(database.tango_host, HOST, log_dir=logs)
        started.append(system.starter_peer)
    except PeerStartError as exc:
        for peer in reversed(started):
            peer.kill()
        peer_unavailable(str(exc))
    assert system is not None
    yield system
    try:  # a server the Starter started runs on without it: stop it by its PID
        pid = system.server_pid()
        if pid > 0 and _alive(pid) and EXECUTABLE in Path(f"/proc/{pid}/cmdline").read_text(errors="replace"):
            os.kill(pid, 9)
    except (tango_core.DevFailed, OSError):
        pass
    for peer in reversed(started):
        peer.kill()


def _server_info(server: str, mode: int, level: int) -> tango_core.DbServerInfo:
    info = tango_core.DbServerInfo()
    info.name, info.host, info.mode, info.level = server, HOST, mode, level
    return info


#: what each test saw, per database kind, for the comparison at the end
SEEN: dict[str, dict[str, object]] = {}


def test_the_starter_answers_with_no_server_yet(starter_system: StarterSystem) -> None:
    starter = starter_system.starter
    assert starter.state() in (tango_core.DevState.ON, tango_core.DevState.MOVING)
    assert starter_system.read("RunningServers") == []
    assert starter_system.read("StoppedServers") == []
    assert list(starter.DevGetRunningServers(True)) == []
    # the database's own server is on this host too, but not controlled (no server info)
    SEEN.setdefault(starter_system.kind, {})["initial servers"] = sorted(
        line.split("\t")[0] for line in starter_system.read("Servers"))


def test_devstart_starts_the_server_and_the_starter_learns_of_it_from_the_database(
        starter_system: StarterSystem) -> None:
    """The server never ran on this host: the Starter knows it only once the database, on the
    server's export, sends it UpdateServersInfo (nobody else calls that command here)."""
    starter_system.db.put_server_info(_server_info(SERVER, 1, 1))
    starter = starter_system.starter
    starter.DevStart(SERVER)
    running = _wait_for("the server in RunningServers",
                        lambda: SERVER in starter_system.read("RunningServers"))
    assert running
    device = starter_system.proxy(DEVICE)
    assert _wait_for("the started device answering", lambda: device.read_attribute("value").value) == 1.5
    entry = _servers_entry(starter_system)
    assert entry is not None and entry[:4] == [SERVER, "ON", "1", "1"]
    assert list(starter.DevGetRunningServers(True)) == [SERVER]
    assert list(starter.DevGetRunningServers(False)) == [SERVER]
    assert list(starter.DevGetStopServers(True)) == []
    assert starter_system.read("StoppedServers") == []
    _wait_for("'started' in the Starter's log", lambda: _logged(starter, f"{SERVER} started"))
    assert _alive(starter_system.server_pid())
    SEEN.setdefault(starter_system.kind, {})["running entry"] = entry[:4]


def test_server_info_put_reaches_the_starter(starter_system: StarterSystem) -> None:
    """Not controlled any more (mode 0) at level 2, then back: the Starter shows each change
    without being asked to update (the database told it)."""
    starter = starter_system.starter
    starter_system.db.put_server_info(_server_info(SERVER, 0, 2))
    entry = _wait_for("controlled 0 at level 2 in Servers",
                      lambda: (e := _servers_entry(starter_system)) and e[2:4] == ["0", "2"] and e)
    # DevGetRunningServers(False): the controlled servers only; (True): all of them
    assert list(starter.DevGetRunningServers(False)) == []
    assert list(starter.DevGetRunningServers(True)) == [SERVER]
    SEEN.setdefault(starter_system.kind, {})["entry after put"] = entry[:4]
    starter_system.db.put_server_info(_server_info(SERVER, 1, 1))
    _wait_for("controlled 1 at level 1 again",
              lambda: (_servers_entry(starter_system) or [""] * 4)[2:4] == ["1", "1"])
    assert list(starter.DevGetRunningServers(False)) == [SERVER]


def test_devstop_stops_the_server_and_the_starter_reports_it_stopped(starter_system: StarterSystem) -> None:
    starter = starter_system.starter
    pid = starter_system.server_pid()
    starter.DevStop(SERVER)
    _wait_for("the server in StoppedServers", lambda: SERVER in starter_system.read("StoppedServers"))
    _wait_for("the server's process gone", lambda: not _alive(pid))
    assert SERVER not in starter_system.read("RunningServers")
    assert list(starter.DevGetStopServers(True)) == [SERVER]
    assert list(starter.DevGetRunningServers(True)) == []
    entry = _wait_for("FAULT in Servers", lambda: (e := _servers_entry(starter_system)) and e[1] == "FAULT" and e)
    _wait_for("'stopped' in the Starter's log", lambda: _logged(starter, f"{SERVER} stopped"))
    assert starter_system.db.get_device_info(f"dserver/{SERVER}").exported == 0
    SEEN.setdefault(starter_system.kind, {})["stopped entry"] = entry[:4]


def test_devstart_of_an_unknown_executable_is_refused(starter_system: StarterSystem) -> None:
    with pytest.raises(tango_core.DevFailed) as info:
        starter_system.starter.DevStart("NoSuchExecutable/1")
    assert info.value.args[0].reason == "CANNOT_RUN_FILE"
    assert str(starter_system.ds_dir) in info.value.args[0].desc


# (on tango_core's database only: the admin device's Kill is the server's, whatever the database)
@pytest.mark.parametrize("starter_system", ["tango_core"], indirect=True)
def test_restart_then_kill_through_the_admin_device(starter_system: StarterSystem) -> None:
    """Started again by the Starter, stopped by the server's own admin Kill command."""
    starter = starter_system.starter
    starter.DevStart(SERVER)
    _wait_for("the server running again", lambda: SERVER in starter_system.read("RunningServers"))
    device = starter_system.proxy(DEVICE)
    _wait_for("the device answering again", lambda: device.read_attribute("value").value)
    pid = starter_system.server_pid()
    starter_system.proxy(f"dserver/{SERVER}").command_inout("Kill")
    _wait_for("the server in StoppedServers after Kill", lambda: SERVER in starter_system.read("StoppedServers"))
    _wait_for("the server's process gone after Kill", lambda: not _alive(pid))


def test_renamed_then_deleted_server_reaches_the_starter(starter_system: StarterSystem) -> None:
    renamed = f"{EXECUTABLE}/renamed"
    starter_system.db.rename_server(SERVER, renamed)
    _wait_for("the renamed server in Servers", lambda: _servers_entry(starter_system, renamed))
    assert _servers_entry(starter_system, SERVER) is None
    starter_system.db.delete_server(renamed)
    _wait_for("the deleted server gone from Servers", lambda: _servers_entry(starter_system, renamed) is None)
    SEEN.setdefault(starter_system.kind, {})["servers after delete"] = sorted(
        line.split("\t")[0] for line in starter_system.read("Servers"))
    # the second database of the module: the Starter reported the same on both
    if set(SEEN) == {"tango_core", "pytango"}:
        assert SEEN["tango_core"] == SEEN["pytango"]


# (on tango_core's database only: PyTango's tells the Starter within the database call)
@pytest.mark.parametrize("starter_system", ["tango_core"], indirect=True)
def test_a_starter_absent_or_hung_never_slows_a_database_call(starter_system: StarterSystem) -> None:
    """The database tells the Starters from a background thread, each call with a timeout: a host
    without a Starter, or a Starter that no longer answers (stopped with SIGSTOP: its port
    accepts the connection, nothing replies), costs the database call nothing."""
    assert starter_system.starter_peer is not None and starter_system.starter_peer.pid is not None
    db = starter_system.db
    start = time.monotonic()
    info = _server_info("Elsewhere/1", 1, 1)
    info.host = "host-without-starter"
    db.put_server_info(info)
    assert time.monotonic() - start < 1.0
    os.kill(starter_system.starter_peer.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        for level in range(1, 6):  # the first waits in the notifier for its timeout, the rest queue
            db.put_server_info(_server_info(SERVER, 1, level))
            assert db.get_server_info(SERVER).level == level
        assert time.monotonic() - start < 2.0
    finally:
        starter_system.starter_peer.kill()
