"""The codec against real peers, over a bare socket: our GIOP requests and command ``any``s must be
accepted by cppTango servers and their replies must decode to the values we sent.

Only the wire and idl layers are used (plus a 30-line blocking GIOP exchange below), so a failure
here points at the codec, not at the client.  Peers (tests/conftest.py):

* ``nodb_server``: PyTango 10.3.1 TestServer = cppTango 10.3.3 / omniORB 4.3.4, no-DB mode, object key
  = lower-case device name, reached like a corbaloc reference;
* ``tango_host``: PyTango's Python DataBaseds + Debian's TangoTest (cppTango 9.3.4), reached the way a
  client does it: DbImportDevice on key ``database``, then the IOR it returns.
"""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import numpy as np
import pytest

from tango_core.idl.command_any import decode_command_any, encode_command_any
from tango_core.idl.enums import CmdArgType, DevState
from tango_core.wire import giop
from tango_core.wire.ior import parse_ior

from test_properties import assert_same

pytestmark = pytest.mark.timeout(120)

T = CmdArgType


class RawGIOP:
    """One TCP connection, one request at a time; just enough GIOP to test the codec."""

    def __init__(self, host: str, port: int, version: tuple[int, int] = (1, 2)) -> None:
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(10)
        self.version = version
        self.next_id = 2
        self.first = True
        self.received = bytearray()  # every octet the peer sent, to inspect its framing

    def call(self, key: bytes, operation: str, write_body, little_endian: bool = True) -> giop.Reply:
        rid = self.next_id
        self.next_id += 2
        contexts = [giop.CODESETS_CONTEXT] if self.first and self.version == (1, 2) else []
        self.first = False
        self.sock.sendall(giop.build_request(rid, key, operation, write_body, version=self.version,
                                             service_contexts=contexts, little_endian=little_endian))
        reader = giop.MessageReader()
        while True:
            msg = reader.next_message()
            if msg is not None:
                assert isinstance(msg, giop.Reply) and msg.request_id == rid
                return msg
            data = self.sock.recv(max(reader.bytes_needed(), 65536))
            if not data:
                raise ConnectionError("peer closed the connection")
            self.received += data
            reader.feed(data)

    def command_inout(self, key: bytes, command: str, argtype: CmdArgType, value, **kw):
        def body(w):
            w.write_string(command)
            encode_command_any(w, argtype, value)
        reply = self.call(key, "command_inout", body, **kw)
        assert reply.status == giop.ReplyStatus.NO_EXCEPTION, (reply.status, reply.exception_id)
        result = decode_command_any(reply.body)
        assert reply.body.at_end()
        return result

    def close(self) -> None:
        self.sock.close()


# ---------------------------------------------------------------------------
# cppTango 10 (PyTango TestServer, no-DB)

ECHOES = [
    ("EchoDouble", T.DevDouble, 2.25),
    ("EchoDouble", T.DevDouble, -1e300),
    ("EchoString", T.DevString, "caf\xe9 \x01"),
    ("EchoString", T.DevString, ""),
    ("EchoBoolean", T.DevBoolean, True),
    ("EchoLong64", T.DevLong64, -2**63),
    ("EchoULong64", T.DevULong64, 2**64 - 1),
    ("EchoStringArray", T.DevVarStringArray, ["a", "", "bc"]),
    ("EchoStringArray", T.DevVarStringArray, []),
    ("EchoDoubleArray", T.DevVarDoubleArray, np.array([1.5, -0.0, np.inf])),
    ("EchoLongString", T.DevVarLongStringArray, [np.array([1, -2**31], np.int32), ["x", "y"]]),
    ("EchoDoubleString", T.DevVarDoubleStringArray, [np.array([0.5]), ["q"]]),
    ("EchoEncoded", T.DevEncoded, ("fmt", bytes(range(256)))),
    ("EchoState", T.DevState, DevState.ALARM),
]


@pytest.fixture(scope="module")
def nodb(nodb_server):
    url = urlparse(nodb_server.device.split("#")[0])
    key = url.path.lstrip("/").lower().encode()
    return url.hostname, url.port, key


@pytest.mark.parametrize("version", [(1, 0), (1, 1), (1, 2)])
@pytest.mark.parametrize("little_endian", [True, False])
def test_cpptango10_echoes_every_any(nodb, version, little_endian):
    host, port, key = nodb
    conn = RawGIOP(host, port, version)
    try:
        for command, argtype, value in ECHOES:
            got_type, got = conn.command_inout(key, command, argtype, value, little_endian=little_endian)
            assert got_type is argtype, command
            if argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
                assert_same(got[0], value[0])
                assert got[1] == value[1]
            else:
                assert_same(got, value)
    finally:
        conn.close()


def _frame_types(stream: bytes) -> list[int]:
    types, pos = [], 0
    while pos < len(stream):
        hdr = giop.parse_header(stream[pos:pos + 12])
        types.append(hdr.msg_type)
        pos += 12 + hdr.size
    return types


def test_cpptango10_big_array_is_fragmented_and_reassembled(nodb):
    """omniORB fragments big GIOP 1.2 messages (protocol.md §1.6): we must reassemble its reply."""
    host, port, key = nodb
    values = np.random.default_rng(3).random(400_000)  # 3.2 MB each way
    conn = RawGIOP(host, port, (1, 2))
    try:
        got_type, got = conn.command_inout(key, "EchoDoubleArray", T.DevVarDoubleArray, values)
    finally:
        conn.close()
    assert got_type is T.DevVarDoubleArray
    np.testing.assert_array_equal(got, values)
    frames = _frame_types(bytes(conn.received))
    assert frames[0] == giop.MsgType.Reply and giop.MsgType.Fragment in frames, frames


def test_cpptango10_refuses_a_wrong_any_type(nodb):
    """A DevLong any for a DevDouble command is answered with DevFailed, i.e. our any was understood."""
    host, port, key = nodb
    conn = RawGIOP(host, port)
    try:
        def body(w):
            w.write_string("EchoDouble")
            encode_command_any(w, T.DevLong, 3)
        reply = conn.call(key, "command_inout", body)
    finally:
        conn.close()
    assert reply.status == giop.ReplyStatus.USER_EXCEPTION
    assert reply.exception_id == "IDL:Tango/DevFailed:1.0"


# ---------------------------------------------------------------------------
# cppTango 9.3 (Debian TangoTest) through the Database

def _db_import(tango_host: str, device: str) -> tuple[str, int, bytes]:
    host, port = tango_host.rsplit(":", 1)
    conn = RawGIOP(host, int(port), (1, 0))  # what cppTango clients speak to the DB
    try:
        t, (lvalue, svalue) = conn.command_inout(b"database", "DbImportDevice", T.DevString, device)
    finally:
        conn.close()
    assert t is T.DevVarLongStringArray and lvalue[0] == 1, (lvalue, svalue)
    (profile,) = parse_ior(svalue[1]).iiop_profiles()
    return profile.host, profile.port, profile.object_key


TANGOTEST_ECHOES = [
    (T.DevBoolean, False), (T.DevShort, -32768), (T.DevLong, 2**31 - 1), (T.DevFloat, 1.5),
    (T.DevDouble, 1 / 3), (T.DevUShort, 65535), (T.DevULong, 2**32 - 1), (T.DevLong64, -5),
    (T.DevULong64, 2**63), (T.DevString, "tango"),
    (T.DevVarCharArray, np.array([0, 255, 7], np.uint8)), (T.DevVarShortArray, np.array([-1, 2], np.int16)),
    (T.DevVarLongArray, np.array([7], np.int32)), (T.DevVarFloatArray, np.array([0.25, 8.0], np.float32)),
    (T.DevVarDoubleArray, np.array([1e-300, 2.0])), (T.DevVarUShortArray, np.array([65535], np.uint16)),
    (T.DevVarULongArray, np.array([1, 2**32 - 1], np.uint32)),
    (T.DevVarLong64Array, np.array([-2**63], np.int64)), (T.DevVarULong64Array, np.array([2**64 - 1], np.uint64)),
    (T.DevVarStringArray, ["one", "two"]),
    (T.DevVarLongStringArray, [np.array([1, 2], np.int32), ["s"]]),
    (T.DevVarDoubleStringArray, [np.array([2.5], np.float64), ["t", "u"]]),
]


def test_cpptango9_tangotest_echoes_every_type(tango_host):
    host, port, key = _db_import(tango_host, "sys/tg_test/1")
    conn = RawGIOP(host, port, (1, 2))
    try:
        for argtype, value in TANGOTEST_ECHOES:
            got_type, got = conn.command_inout(key, argtype.name, argtype, value)
            assert got_type is argtype
            if argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
                assert_same(got[0], value[0])
                assert got[1] == value[1]
            elif argtype == T.DevFloat:
                assert got == value
            else:
                assert_same(got, value)
        t, state = conn.command_inout(key, "State", T.DevVoid, None)
        assert t is T.DevState and isinstance(state, DevState)
        assert conn.command_inout(key, "DevVoid", T.DevVoid, None) == (T.DevVoid, None)
    finally:
        conn.close()


def test_command_strings_are_latin1_like_pytango(tango_host):
    """PyTango 10.3.1's command_inout sends and reads str as Latin-1 (its property API, unlike this, uses
    UTF-8): what we send with command_inout reads back the same through PyTango, and vice versa."""
    import tango  # the test peer

    host, port = tango_host.rsplit(":", 1)
    text = "caf\u00e9 \u00b5"
    db = tango.Database(host, int(port))
    conn = RawGIOP(host, int(port), (1, 0))
    try:
        db.command_inout("DbPutDeviceProperty", ["sys/tg_test/1", "1", "wire_l1_a", "1", text])
        _t, got = conn.command_inout(b"database", "DbGetDeviceProperty", T.DevVarStringArray,
                                     ["sys/tg_test/1", "wire_l1_a"])
        assert got == ["sys/tg_test/1", "1", "wire_l1_a", "1", text]
        conn.command_inout(b"database", "DbPutDeviceProperty", T.DevVarStringArray,
                           ["sys/tg_test/1", "1", "wire_l1_b", "1", text])
        assert db.command_inout("DbGetDeviceProperty", ["sys/tg_test/1", "wire_l1_b"])[-1] == text
        # PyTango's DbDatum layer writes UTF-8 octets: through command_inout they read as Latin-1 text
        db.put_device_property("sys/tg_test/1", {"wire_utf8": ["\u00e9"]})
        _t, got = conn.command_inout(b"database", "DbGetDeviceProperty", T.DevVarStringArray,
                                     ["sys/tg_test/1", "wire_utf8"])
        pytango_view = db.command_inout("DbGetDeviceProperty", ["sys/tg_test/1", "wire_utf8"])[-1]
        assert got[-1] == "\u00c3\u00a9" == pytango_view
    finally:
        conn.close()
        db.delete_device_property("sys/tg_test/1", ["wire_l1_a", "wire_l1_b", "wire_utf8"])


def test_decoded_values_have_pytango_types(tango_host):
    """Oracle: for every TangoTest command, decode_command_any gives what PyTango's command_inout returns
    (same Python types, numpy dtypes and values)."""
    import tango  # the test peer

    proxy = tango.DeviceProxy(f"tango://{tango_host}/sys/tg_test/1")
    host, port, key = _db_import(tango_host, "sys/tg_test/1")
    conn = RawGIOP(host, port, (1, 2))
    try:
        for argtype, value in TANGOTEST_ECHOES + [(T.DevVoid, None)]:
            ours_type, ours = conn.command_inout(key, argtype.name, argtype, value)
            theirs = proxy.command_inout(argtype.name, value) if value is not None else \
                proxy.command_inout(argtype.name)
            assert ours_type is argtype
            assert_same(ours, theirs)
        _t, state = conn.command_inout(key, "State", T.DevVoid, None)
        theirs = proxy.command_inout("State")
        assert type(state).__name__ == type(theirs).__name__ == "DevState" and state.name == theirs.name
    finally:
        conn.close()
