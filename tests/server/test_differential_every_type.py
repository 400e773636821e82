"""Every data type, format and access, every command type: a tango_core server answers as PyTango's.

``tests/servers/EveryTypeServer.py`` (written for PyTango) runs once on PyTango 10.3.1 and once on
tango_core, without a database.  For every attribute (14 data types x scalar/spectrum/image x
READ/WRITE/READ_WRITE) and every command argument type, the same client calls go to both
servers and must give the same outcome: configuration, value read, edge values written then
read back (value and set point) with what device code was handed (Python type, numpy dtype,
repr), command results and what commands were handed.  Each check runs with PyTango's client
(the reference) and with tango_core's.
"""

from __future__ import annotations

import runpy
from types import SimpleNamespace

import numpy as np
import pytest

import peers
from server_clients import DEVFAILED, assert_same, normalise, pytango_proxy, tango_core_proxy

pytestmark = pytest.mark.peers

#: the server file's tables (ATTRIBUTES, COMMAND_TYPES), read without running it as a server
EveryType = SimpleNamespace(**runpy.run_path(str(peers.SERVERS_DIR / "EveryTypeServer.py")))


@pytest.fixture(scope="module")
def servers(peer_log_dir):
    """(PyTango's, tango_core's) EveryTypeServer, no database, fresh for this module."""
    with peers.served_by_both("EveryTypeServer", ("ref", "core"), device_names=["test/everytype/1"],
                              device_class="EveryTypeDevice", log_dir=peer_log_dir) as both:
        yield both


@pytest.fixture(params=["pytango", "tango_core"])
def pair(request, servers):
    """(proxy to PyTango's server, proxy to tango_core's), both of the chosen client."""
    make = pytango_proxy if request.param == "pytango" else tango_core_proxy
    return make(servers[0].devices[0]), make(servers[1].devices[0])


def _read(proxy, name: str):
    """A DeviceAttribute as comparable data.  PyTango's client fills the set point of a WRITE
    spectrum or image from memory past the values it received (it differs from one read to the
    next whoever the server is): left out there."""
    da = proxy.read_attribute(name)
    seen = normalise(da)
    if name.endswith("_wo") and "_scalar_" not in name and type(proxy).__module__.startswith("tango."):
        seen = seen[:3] + seen[4:]
    return seen


ATTRIBUTES = sorted(EveryType.ATTRIBUTES)
WRITABLE = [name for name in ATTRIBUTES if not name.endswith("_ro")]

#: per data type, two written values at the edges of its range
EDGES = {
    "boolean": (False, True), "uchar": (0, 255), "short": (-(2**15), 2**15 - 1), "ushort": (0, 2**16 - 1),
    "long": (-(2**31), 2**31 - 1), "ulong": (0, 2**32 - 1), "long64": (-(2**63), 2**63 - 1),
    "ulong64": (0, 2**64 - 1), "float": (-3.0e38, float("nan")), "double": (-1.0e308, float("inf")),
    "string": ("", "\xe9t\xe9 \x00x"), "state": (0, 13), "enum": (0, 2), "encoded": (("", b""), ("utf8", b"\xff" * 3)),
}


def _written(name: str):
    kind, fmt, _access = EveryType.ATTRIBUTES[name]
    low, high = EDGES[kind]
    if fmt == "scalar":
        return [low, high]
    if fmt == "spectrum":
        return [[low, high, low], []]
    return [[[low, high], [high, low], [low, low]]]


WRITES = [(name, value) for name in WRITABLE for value in _written(name)]


@pytest.mark.parametrize("name", ATTRIBUTES)
def test_same_configuration_and_reading(pair, name):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.get_attribute_config_ex(name)[0])
    assert_same(ref, ours, lambda p: _read(p, name))


@pytest.mark.parametrize("name,value", WRITES, ids=[f"{n}={v!r}"[:60] for n, v in WRITES])
def test_same_write_then_read(pair, name, value):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.write_attribute(name, value))
    assert_same(ref, ours, lambda p: p.command_inout("Stored", name))
    assert_same(ref, ours, lambda p: _read(p, name))


#: PyTango's server fails every DevUChar command (UNKNOWN CORBA exception) and its client sends
#: no value for one: tango_core's are tested on their own below
COMMAND_TYPES = sorted(set(EveryType.COMMAND_TYPES) - {"DevUChar"})

#: per command type, arguments at its edges (the Out<type> value is sent too)
ARGUMENTS = {
    "DevBoolean": [False], "DevShort": [2**15 - 1], "DevLong": [-(2**31)], "DevFloat": [float("-inf")],
    "DevDouble": [1e308], "DevUShort": [0], "DevULong": [0], "DevString": ["", "\x00\xff"],
    "DevVarCharArray": [[], np.array([1, 2], dtype=np.uint8)], "DevVarShortArray": [[]],
    "DevVarLongArray": [[2**31 - 1]], "DevVarFloatArray": [[]], "DevVarDoubleArray": [np.arange(3.0)],
    "DevVarUShortArray": [[1]], "DevVarULongArray": [[]], "DevVarStringArray": [[]],
    "DevVarLongStringArray": [[[], []]], "DevVarDoubleStringArray": [[[0.5, 1.5], []]], "DevState": [0, 13],
    "DevVarBooleanArray": [[]], "DevUChar": [0], "DevLong64": [2**63 - 1], "DevULong64": [0],
    "DevVarLong64Array": [[]], "DevVarULong64Array": [[1]], "DevEncoded": [("", b"")],
}
CALLS = [(t, arg) for t in COMMAND_TYPES for arg in [EveryType.COMMAND_TYPES[t], *ARGUMENTS[t]]]


@pytest.mark.parametrize("type_name", COMMAND_TYPES)
def test_same_command_descriptions_and_results(pair, type_name):
    ref, ours = pair
    for prefix in ("Echo", "Out", "In"):
        assert_same(ref, ours, lambda p: p.command_query(prefix + type_name))
    assert_same(ref, ours, lambda p: p.command_inout("Out" + type_name))


@pytest.mark.parametrize("type_name,arg", CALLS, ids=[f"{t}({a!r})"[:60] for t, a in CALLS])
def test_same_command_with_argument(pair, type_name, arg):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.command_inout("Echo" + type_name, arg))
    assert_same(ref, ours, lambda p: p.command_inout("In" + type_name, arg))
    assert_same(ref, ours, lambda p: p.command_inout("LastIn"))


def test_same_void_command_and_interface(pair):
    ref, ours = pair
    assert_same(ref, ours, lambda p: p.command_inout("Void"))
    assert_same(ref, ours, lambda p: p.command_inout("LastIn"))
    assert_same(ref, ours, lambda p: sorted(p.get_attribute_list()))
    assert_same(ref, ours, lambda p: sorted(c.cmd_name for c in p.command_list_query()))


def test_dev_uchar_commands(servers):
    """What PyTango cannot do: DevUChar in and out (tango_core's client; PyTango's client sends
    an empty any, refused with cppTango's reason)."""
    ours = tango_core_proxy(servers[1].devices[0])
    assert ours.command_inout("EchoDevUChar", 255) == 255
    assert ours.command_inout("OutDevUChar") == 255
    ours.command_inout("InDevUChar", 7)
    assert ours.command_inout("LastIn") == "int 7"
    info = ours.command_query("EchoDevUChar")
    assert (str(info.in_type), str(info.out_type)) == ("DevUChar", "DevUChar")
    with pytest.raises(DEVFAILED) as failure:
        pytango_proxy(servers[1].devices[0]).command_inout("EchoDevUChar", 1)
    assert failure.value.args[0].reason == "API_IncompatibleCmdArgumentType"
