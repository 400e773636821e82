"""The sans-IO codec alone, over a plain blocking socket, against the real peers.

No transport or client code is involved: this proves that the bytes tango_core's
wire and idl layers produce are what a real Database (PyTango's) and a real
cppTango 9.3 TangoTest accept, and that their replies decode.
"""

from __future__ import annotations

import socket

import pytest

from tango_core.idl.command_any import decode_command_any, encode_command_any
from tango_core.idl.enums import CmdArgType, DevState
from tango_core.wire.giop import MessageReader, Reply, ReplyStatus, build_request
from tango_core.wire.ior import parse_ior

pytestmark = pytest.mark.peers


def _call(host: str, port: int, key: bytes, operation: str, write_body=None, version=(1, 2)) -> Reply:
    """Send one request on a fresh connection and return the parsed reply."""
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(build_request(7, key, operation, write_body, version=version))
        reader = MessageReader()
        while True:
            msg = reader.next_message()
            if msg is not None:
                assert isinstance(msg, Reply) and msg.request_id == 7
                return msg
            chunk = sock.recv(65536)
            assert chunk, "peer closed the connection without replying"
            reader.feed(chunk)


def _import_tangotest(tango_host: str) -> tuple[str, int, bytes]:
    host, port = tango_host.rsplit(":", 1)
    reply = _call(host, int(port), b"database", "command_inout",
                  lambda w: (w.write_string("DbImportDevice"),
                             encode_command_any(w, CmdArgType.DevString, "sys/tg_test/1")),
                  version=(1, 0))
    assert reply.status == ReplyStatus.NO_EXCEPTION
    argtype, (lvalue, svalue) = decode_command_any(reply.body)
    assert argtype == CmdArgType.DevVarLongStringArray
    assert svalue[0] == "sys/tg_test/1" and lvalue[0] == 1  # exported
    profile = parse_ior(svalue[1]).iiop_profiles()[0]
    return profile.host, profile.port, profile.object_key


def test_ping_and_state_over_a_plain_socket(tango_host: str) -> None:
    host, port, key = _import_tangotest(tango_host)

    ping = _call(host, port, key, "ping")
    assert ping.status == ReplyStatus.NO_EXCEPTION
    assert ping.body.at_end()  # void reply: no body octets at all (omniORB adds no padding)

    state = _call(host, port, key, "_get_state")
    assert state.status == ReplyStatus.NO_EXCEPTION
    assert DevState(state.body.read_enum()) == DevState.RUNNING


def test_giop_1_0_request_is_answered_in_1_0(tango_host: str) -> None:
    host, port, key = _import_tangotest(tango_host)
    reply = _call(host, port, key, "_get_status", version=(1, 0))
    assert reply.version == (1, 0)
    assert "RUNNING" in reply.body.read_string()


def test_unknown_operation_is_a_system_exception(tango_host: str) -> None:
    host, port, key = _import_tangotest(tango_host)
    reply = _call(host, port, key, "no_such_operation")
    assert reply.status == ReplyStatus.SYSTEM_EXCEPTION
    assert reply.system_exception.name == "BAD_OPERATION"
