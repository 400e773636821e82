"""tango_core's servers listen on a unix-domain socket as well as TCP, as omniORB servers do.

Its IORs name the socket (TAG_OMNIORB_UNIX_TRANS, with this host's name), so PyTango's clients
on the same host and ours call through it; the file goes when the server stops.  The same
PyTango-API server file runs on PyTango too, to see that both servers answer alike.
"""

from __future__ import annotations

import os
import socket

import pytest

import peers
from server_clients import pytango_proxy, tango_core_proxy
from tango_core.wire.ior import parse_ior

pytestmark = [pytest.mark.peers, pytest.mark.slow]


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    """A private PyTango database with CallerAddressServer served by tango_core and by PyTango."""
    logs = tmp_path_factory.mktemp("unix-sockets")
    started = []
    try:
        db = peers.start_pytango_database(log_dir=logs)
        started.append(db)
        core = peers.start_pytango_server("CallerAddressServer", "core", tango_host=db.tango_host,
                                          device_class="CallerAddressDevice", server_name="CallerAddressDevice", device_names=["test/unix/core"],
                                          log_dir=logs, on_tango_core=True)
        started.append(core)
        ref = peers.start_pytango_server("CallerAddressServer", "ref", tango_host=db.tango_host,
                                         device_class="CallerAddressDevice", server_name="CallerAddressDevice", device_names=["test/unix/ref"],
                                         log_dir=logs)
        started.append(ref)
    except peers.PeerStartError as exc:
        for peer in reversed(started):
            peer.stop()
        peers.peer_unavailable(str(exc))
    yield db, core, ref
    for peer in (ref, core, db):
        peer.stop()


def _unix_socket_of(db, device: str) -> tuple[str, str]:
    """(host, socket file) named in the IOR the database holds for ``device``."""
    proxy = pytango_proxy(f"tango://{db.tango_host}/sys/database/2")
    ior = proxy.command_inout("DbImportDevice", device.split("/", 3)[-1])[1][1]
    ((host, path),) = parse_ior(ior).iiop_profiles()[0].unix_sockets()
    return host, path


def test_the_exported_ior_names_the_servers_unix_socket_like_pytangos(system):
    db, core, ref = system
    host, path = _unix_socket_of(db, core.devices[0])
    ref_host, _ref_path = _unix_socket_of(db, ref.devices[0])
    assert host == ref_host == socket.gethostname()
    assert os.path.basename(os.path.dirname(path)).startswith("tango_core-")
    probe = socket.socket(socket.AF_UNIX)
    try:
        assert probe.connect_ex(path) == 0
    finally:
        probe.close()


@pytest.mark.parametrize("make", [pytango_proxy, tango_core_proxy], ids=["pytango", "tango_core"])
def test_clients_on_this_host_call_through_the_unix_socket(system, make):
    db, core, ref = system
    _host, path = _unix_socket_of(db, core.devices[0])
    assert make(core.devices[0]).command_inout("CallerAddress") == f"giop:unix:{path}"
    # PyTango's own server, for comparison: its clients come through its (omniORB's) socket too
    assert make(ref.devices[0]).command_inout("CallerAddress").startswith("giop:unix:")


def test_the_socket_file_goes_with_the_server(system, tmp_path):
    db, _core, _ref = system
    server = peers.start_pytango_server("CallerAddressServer", "short", tango_host=db.tango_host,
                                        device_class="CallerAddressDevice", server_name="CallerAddressDevice", device_names=["test/unix/short"],
                                        log_dir=tmp_path, on_tango_core=True)
    try:
        _host, path = _unix_socket_of(db, server.devices[0])
        assert os.path.exists(path)
    finally:
        server.stop()
    assert not os.path.exists(path)


def test_a_socket_folder_others_may_write_in_is_not_used(tmp_path):
    """Another local user must not be able to put a socket of theirs where clients look for ours:
    then the server serves TCP only (and names no unix socket in its IORs)."""
    from tango_core.transport.server import GIOPServer

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    server = GIOPServer(handler=None, host="127.0.0.1", unix_socket=str(shared / "s"))
    try:
        assert server.unix_socket == "" and server.port > 0
    finally:
        server.close()
    own = tmp_path / "own"
    server = GIOPServer(handler=None, host="127.0.0.1", unix_socket=str(own / "s"))
    try:
        assert server.unix_socket == str(own / "s") and (own / "s").is_socket()
        assert not own.stat().st_mode & 0o022  # nobody else may write in it
    finally:
        server.close()
    assert not (own / "s").exists()
