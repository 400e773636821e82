"""One device-class source, two servers: PyTango's and tango_core's must look the same to clients.

``tests/servers/TestServer.py`` (written for PyTango) runs once on PyTango and once on
tango_core (the same file with ``tango`` mapped to ``tango_core``), both started for this module
alone: the session's shared servers carry set points written by other modules' tests.  Every check below runs the same client calls on both and compares what the
client sees -- values, types, dimensions, qualities, configurations, command lists, errors
(reason and description; origins name C++ functions on one side and Python on the other).
The client is PyTango's (the reference) and then tango_core's.
"""

from __future__ import annotations

import numpy as np
import pytest

from server_clients import assert_same as _same, pytango_proxy, struct_fields as _struct, tango_core_proxy

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def servers(peer_log_dir):
    """(PyTango's, tango_core's) TestServer, no database, fresh for this module."""
    import peers
    with peers.served_by_both("TestServer", ("diffref", "diffcore"), device_names=["test/nodb/1", "test/nodb/2"],
                              log_dir=peer_log_dir) as both:
        yield both


@pytest.fixture(params=["pytango", "tango_core"])
def pair(request, servers):
    """(reference proxy, tango_core-served proxy) to test/nodb/1, with the chosen client."""
    make = pytango_proxy if request.param == "pytango" else tango_core_proxy
    ref, ours = make(servers[0].devices[0]), make(servers[1].devices[0])
    ref.command_inout("Init")
    ours.command_inout("Init")
    return ref, ours


READ_ONLY = ["state_attr", "greeting_attr", "long_spectrum_ro", "bool_spectrum_ro", "double_image_ro",
             "string_image_ro", "failing_read", "invalid_quality", "expert_double", "counter", "State", "Status",
             "last_written"]
READ_WRITE = ["double_rw", "long_rw", "long64_rw", "ulong64_rw", "short_rw", "ushort_rw", "uchar_rw", "float_rw",
              "bool_rw", "string_rw", "mode", "encoded_rw", "double_spectrum_rw", "string_spectrum_rw",
              "ushort_image_rw", "write_only_double"]


def test_same_interface(pair):
    ref, ours = pair
    assert sorted(ours.get_attribute_list()) == sorted(ref.get_attribute_list())
    _same(ref, ours, lambda p: sorted((c.cmd_name, str(c.in_type), str(c.out_type), c.in_type_desc,
                                       c.out_type_desc, str(c.disp_level)) for c in p.command_list_query()))
    _same(ref, ours, lambda p: (p.state(), p.status(), p.description()))
    _same(ref, ours, lambda p: _struct(p.info()))


@pytest.mark.parametrize("attr", READ_ONLY + READ_WRITE)
def test_same_configuration(pair, attr):
    ref, ours = pair
    _same(ref, ours, lambda p: p.get_attribute_config_ex(attr)[0])


@pytest.mark.parametrize("attr", READ_ONLY + READ_WRITE)
def test_same_reading(pair, attr):
    ref, ours = pair
    _same(ref, ours, lambda p: p.read_attribute(attr))


WRITES = [
    ("double_rw", 12.5), ("double_rw", 2000.0), ("double_rw", -1000.0), ("long_rw", -2**31), ("long_rw", 2**31 - 1),
    ("long64_rw", 2**63 - 1), ("ulong64_rw", 2**64 - 1), ("short_rw", -2**15), ("ushort_rw", 65535),
    ("uchar_rw", 0), ("float_rw", 1.5), ("bool_rw", False), ("string_rw", "caf\xe9"), ("string_rw", ""),
    ("mode", 2), ("encoded_rw", ("fmt", b"\x00\xff")), ("double_spectrum_rw", [1.5, -2.5, 3.0]),
    ("double_spectrum_rw", []), ("string_spectrum_rw", ["a", "", "c"]),
    ("ushort_image_rw", np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint16)), ("write_only_double", 7.25),
    ("state_attr", 1), ("nope", 1.0),
]


@pytest.mark.parametrize("attr,value", WRITES, ids=[f"{a}={v!r}"[:40] for a, v in WRITES])
def test_same_write_then_read(pair, attr, value):
    ref, ours = pair
    _same(ref, ours, lambda p: p.write_attribute(attr, value))
    if attr != "nope":
        _same(ref, ours, lambda p: p.read_attribute(attr))
    _same(ref, ours, lambda p: p.read_attribute("last_written"))


COMMANDS = [
    ("EchoDouble", 1e300), ("EchoDouble", float("inf")), ("EchoString", "x" * 1000), ("EchoString", "\xe9\xff"),
    ("EchoBoolean", True), ("EchoLong64", -2**63), ("EchoULong64", 2**64 - 1), ("EchoStringArray", ["a", "b", ""]),
    ("EchoStringArray", []), ("EchoDoubleArray", [1.0, -0.5]), ("EchoDoubleArray", []),
    ("EchoLongString", [[1, -2], ["a", "b"]]), ("EchoDoubleString", [[1.5], ["z"]]),
    ("EchoEncoded", ("fmt", b"\x01\x02")), ("EchoState", 8), ("Fail", None), ("NoSuchCommand", None),
    ("Sleep", 0.01), ("On", None), ("Off", None), ("State", None), ("Status", None),
]


@pytest.mark.parametrize("cmd,arg", COMMANDS, ids=[f"{c}({a!r})"[:40] for c, a in COMMANDS])
def test_same_command(pair, cmd, arg):
    ref, ours = pair
    if arg is None:
        _same(ref, ours, lambda p: p.command_inout(cmd))
    else:
        _same(ref, ours, lambda p: p.command_inout(cmd, arg))


def test_same_read_attributes_with_failures(pair):
    ref, ours = pair
    names = ["double_rw", "failing_read", "nope", "invalid_quality", "State", "Status"]
    _same(ref, ours, lambda p: [(v.name, v.has_failed, str(v.quality), str(v.type), str(v.data_format))
                                for v in p.read_attributes(names)])


PYTHON_API_VERSION_KEYS = {"PyTango", "NumPy"}


@pytest.mark.parametrize("client", [pytango_proxy, tango_core_proxy], ids=["pytango", "tango_core"])
def test_version_info_reports_the_python_api_as_pytango_does(servers, client):
    """info().version_info: a device reports the PyTango API it is written against and the
    runtime's NumPy under the keys a PyTango 10 device uses, with the same values (tango_core
    implements PyTango 10.3.1's API and both run on this NumPy), and its admin device reports
    neither, as PyTango's (cppTango's DServer); ours names its own library, never a C++ one."""
    ref, ours = (client(s.devices[0]).info().version_info for s in servers)
    assert {k: ref[k] for k in PYTHON_API_VERSION_KEYS} == {k: ours[k] for k in PYTHON_API_VERSION_KEYS}
    assert ours["PyTango"] == "10.3.1" and ours["NumPy"] == np.__version__
    assert ours["tango_core"] and not any(k.startswith(("cppTango", "omniORB", "Build.")) for k in ours)
    ref_admin, ours_admin = (client(s.admin_device).info().version_info for s in servers)
    assert not PYTHON_API_VERSION_KEYS & (set(ref_admin) | set(ours_admin))
    assert ours_admin == {k: v for k, v in ours.items() if k not in PYTHON_API_VERSION_KEYS}


def test_same_admin_device(servers):
    ref, ours = pytango_proxy(servers[0].admin_device), pytango_proxy(servers[1].admin_device)
    for cmd in ("QueryClass", "QueryDevice", "QuerySubDevice", "State", "Status"):
        _same(ref, ours, lambda p: sorted(p.command_inout(cmd)) if cmd.startswith("Query")
              else p.command_inout(cmd))
    _same(ref, ours, lambda p: p.command_inout("DevLockStatus", "test/nodb/1"))
    _same(ref, ours, lambda p: p.command_inout("GetLoggingLevel", ["test/nodb/1"]))
    _same(ref, ours, lambda p: p.command_inout("NoSuchAdminCommand"))
    _same(ref, ours, lambda p: sorted((c.cmd_name, str(c.in_type), str(c.out_type), c.in_type_desc, c.out_type_desc)
                                      for c in p.command_list_query() if "Telemetry" not in c.cmd_name
                                      and c.cmd_name not in ("ZmqEventSubscriptionChange",
                                                             "EventConfirmSubscription", "EventSubscriptionChange")))
