"""Calls to a server on this host go through its unix-domain socket, as omniORB clients' do.

omniORB servers (Debian's cppTango TangoTest, PyTango's servers) name a unix-domain socket in
their IORs (TAG_OMNIORB_UNIX_TRANS: their host name and the socket file).  PyTango's client
connects there when the host name is its own; so do we, with TCP as the fall-back when the
socket cannot be reached, and ``TANGO_CORE_UNIX_SOCKETS=0`` to stay on TCP.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

import tango  # test peer only: its Database tells what the server published
from tango_core import DeviceProxy
from tango_core.client.orb import ObjectRef
from tango_core.transport import sync
from tango_core.transport.addresses import UNIX_PORT, address_text
from tango_core.transport.errors import ConnectFailed
from tango_core.wire.cdr import CDRWriter
from tango_core.wire.ior import TAG_OMNIORB_UNIX_TRANS, IOR, IIOPProfile, TaggedComponent, TaggedProfile, parse_ior

DEV = "sys/tg_test/1"


def _ior_of(name: str) -> str:
    return tango.Database().command_inout("DbImportDevice", name)[1][1]


def _with_unix_socket(ior: IOR, host: str, path: str) -> IOR:
    """The same IOR, its unix-socket component replaced by (host, path)."""
    (profile,) = ior.iiop_profiles()
    comp = TaggedComponent(TAG_OMNIORB_UNIX_TRANS,
                           CDRWriter.encapsulate(lambda w: (w.write_string(host), w.write_string(path))))
    others = tuple(c for c in profile.components if c.tag != TAG_OMNIORB_UNIX_TRANS)
    new = IIOPProfile(profile.version, profile.host, profile.port, profile.object_key, others + (comp,))
    return IOR(ior.type_id, (TaggedProfile(0, new.encode()),))


def test_tangotest_publishes_its_unix_socket_with_this_host_name(tango_host, tangotest):
    (profile,) = parse_ior(_ior_of(DEV)).iiop_profiles()
    ((host, path),) = profile.unix_sockets()
    assert host == socket.gethostname()
    assert path.startswith("/") and socket.socket(socket.AF_UNIX).connect_ex(path) == 0


def test_a_device_on_this_host_is_called_through_its_unix_socket(tango_host, tangotest):
    ref = ObjectRef.from_string(_ior_of(DEV))
    unix, tcp = ref.targets
    assert unix.port == UNIX_PORT and unix.host == parse_ior(ref.source).iiop_profiles()[0].unix_sockets()[0][1]
    assert tcp.port != UNIX_PORT and unix.object_key == tcp.object_key
    dev = DeviceProxy(DEV)
    assert dev.read_attribute("double_scalar").value is not None
    endpoint = sync._pool[(unix.host.lower(), UNIX_PORT)]
    connects = endpoint.connects
    assert dev.command_inout("DevString", "é" * 70_000) == "é" * 70_000
    big = dev.read_attribute("double_image_ro").value
    assert big.shape == (251, 251)
    assert endpoint.connected and endpoint.connects == connects  # one connection, kept
    assert dev._ref.primary == unix


def test_pytango_agrees_on_the_values_read_through_the_unix_socket(tango_host, tangotest):
    ours, theirs = DeviceProxy(DEV), tango.DeviceProxy(DEV)
    for name in ("DevVarDoubleArray", "DevVarStringArray"):
        value = [1.5, 2.5] if "Double" in name else ["a", "bé"]
        assert list(ours.command_inout(name, value)) == list(theirs.command_inout(name, value))
    ours.write_attribute("long_scalar_w", 1234)
    assert theirs.read_attribute("long_scalar_w").w_value == 1234


def test_a_stale_unix_socket_falls_back_to_tcp_and_tcp_is_kept(tango_host, tangotest, tmp_path):
    ior = _with_unix_socket(parse_ior(_ior_of(DEV)), socket.gethostname(), str(tmp_path / "gone"))
    ref = ObjectRef.from_ior(ior)
    unix, tcp = ref.targets
    assert unix.host == str(tmp_path / "gone")
    from tango_core.idl.operations import OPERATIONS
    state = OPERATIONS["_get_state"]
    assert ref.invoke(state.name, None, state.read_result, 3.0) is not None
    assert ref.targets[0] == tcp  # the address that worked is tried first from now on
    with pytest.raises(ConnectFailed, match="no such socket file"):
        sync.get_endpoint(unix.host, UNIX_PORT).invoke(unix.object_key, state.name, None, state.read_result, 1.0)


def test_another_hosts_unix_socket_or_the_switch_keep_tcp(tango_host, tangotest, monkeypatch):
    ior = parse_ior(_ior_of(DEV))
    (path,) = [p for _h, p in ior.iiop_profiles()[0].unix_sockets()]
    elsewhere = ObjectRef.from_ior(_with_unix_socket(ior, "another-host.example", path))
    assert [t.port != UNIX_PORT for t in elsewhere.targets] == [True]
    monkeypatch.setenv("TANGO_CORE_UNIX_SOCKETS", "0")
    assert [t.port != UNIX_PORT for t in ObjectRef.from_ior(ior).targets] == [True]


def test_errors_name_the_unix_socket():
    assert address_text("/tmp/omni-x/1", UNIX_PORT) == "unix socket /tmp/omni-x/1"
    assert address_text("127.0.0.1", 10000) == "127.0.0.1:10000"
    err = ConnectFailed("/tmp/omni-x/1", UNIX_PORT, "connection refused")
    assert str(err) == "cannot connect to unix socket /tmp/omni-x/1: connection refused"


def test_asyncio_and_gevent_proxies_use_the_unix_socket_too(tango_host, tangotest):
    import tango_core.asyncio
    import tango_core.gevent
    from tango_core.transport import asyncio as async_driver
    from tango_core.transport import gevent as gevent_driver

    unix = ObjectRef.from_string(_ior_of(DEV)).targets[0]

    async def main():
        dev = await tango_core.asyncio.DeviceProxy(DEV)
        values = await asyncio.gather(*[dev.command_inout("DevLong", i) for i in range(20)])
        endpoint = async_driver.get_endpoint(unix.host, UNIX_PORT)
        return values, endpoint.connects

    values, connects = asyncio.run(main())
    assert values == list(range(20)) and connects == 1  # a new loop: its own endpoints
    green = tango_core.gevent.DeviceProxy(DEV)
    assert green.command_inout("DevLong", 7) == 7
    assert gevent_driver.get_endpoint(unix.host, UNIX_PORT).connected
