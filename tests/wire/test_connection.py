"""The sans-IO GIOP connection (wire/connection.py), without sockets: a client role and a server
role talking to each other in memory, every transition and every way a connection ends, the
captured traffic of real peers replayed through both roles, and a state machine run by Hypothesis.
"""

from __future__ import annotations

import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, rule

from tango_core.wire import giop
from tango_core.wire.cdr import CDRWriter
from tango_core.wire.connection import (NEED_DATA, CloseCause, ConnectionClosed, GIOPConnection,
                                        LocalProtocolError, Role)
from tango_core.wire.giop import (CompletionStatus, LocateReply, LocateRequest, LocateStatus, Reply, ReplyStatus,
                                  Request)
from tango_core.wire.ior import IOR

from captures import giop_lines



def pair(**kw) -> tuple[GIOPConnection, GIOPConnection]:
    return GIOPConnection(Role.CLIENT, **kw), GIOPConnection(Role.SERVER, **kw)


def events(conn: GIOPConnection) -> list:
    out = []
    while (ev := conn.next_event()) is not NEED_DATA:
        out.append(ev)
        if isinstance(ev, ConnectionClosed):
            break
    return out


def write_double(x: float):
    return lambda w: w.write_double(x)


def write_doubles(values: np.ndarray):
    return lambda w: w.write_array("double", values)


def fragment_12(msg: bytes, first_size: int, step: int) -> list[bytes]:
    """Split a GIOP 1.2 message as omniORB does: first part with flag 0x02, then Fragments of
    header + request id + chunk; every part but the last a multiple of 8 octets."""
    fmt = "<I" if msg[6] & 1 else ">I"
    first = bytearray(msg[:first_size])
    first[6] |= 2
    first[8:12] = struct.pack(fmt, first_size - 12)
    parts, rest = [bytes(first)], msg[first_size:]
    while rest:
        chunk, rest = rest[:step], rest[step:]
        flags = (msg[6] & 1) | (2 if rest else 0)
        parts.append(b"GIOP\x01\x02" + bytes([flags, 7]) + struct.pack(fmt, 4 + len(chunk)) + msg[12:16] + chunk)
    return parts


def deliver(data: bytes, conn: GIOPConnection, chunk: int | None = None, zero_copy: bool = False) -> None:
    """Give ``data`` to ``conn`` in pieces of ``chunk`` octets, by copy or through get_buffer."""
    step = chunk or len(data) or 1
    pos = 0
    while pos < len(data):
        if zero_copy:
            view = conn.get_buffer()
            n = min(len(view), step, len(data) - pos)
            view[:n] = data[pos:pos + n]
            del view
            conn.buffer_updated(n)
        else:
            n = min(step, len(data) - pos)
            conn.receive_data(data[pos:pos + n])
        pos += n


# -- the basic exchange ----------------------------------------------------------------------------

@pytest.mark.parametrize("version", [(1, 0), (1, 1), (1, 2)])
@pytest.mark.parametrize("little_endian", [True, False])
def test_request_and_reply_in_the_requests_version_and_byte_order(version, little_endian):
    client, server = GIOPConnection(Role.CLIENT, little_endian=little_endian), GIOPConnection(Role.SERVER)
    rid, data = client.send_request(b"dev/key", "command_inout", write_double(2.5), version=version)
    assert client.pending_requests == (rid,) and client.next_event() is NEED_DATA
    server.receive_data(data)
    [req] = events(server)
    assert isinstance(req, Request) and (req.version, req.little_endian) == (version, little_endian)
    assert (req.request_id, req.object_key, req.operation) == (rid, b"dev/key", "command_inout")
    assert req.body.read_double() == 2.5
    assert server.requests_in_progress == (rid,)
    answer = server.send_reply(req, write_body=write_double(-1.0))
    assert giop.parse_header(answer).version == version
    assert giop.parse_header(answer).little_endian == little_endian
    assert server.requests_in_progress == ()
    client.receive_data(answer)
    [reply] = events(client)
    assert isinstance(reply, Reply) and reply.request_id == rid and reply.body.read_double() == -1.0
    assert client.pending_requests == () and client.next_event() is NEED_DATA


def test_request_ids_and_codesets_on_the_first_12_request_only():
    client, server = pair()
    sent = [client.send_request(b"k", "ping", version=v) for v in ((1, 0), (1, 2), (1, 2), (1, 1), (1, 2))]
    assert [rid for rid, _ in sent] == [2, 4, 6, 8, 10]  # omniORB's numbering
    for _, data in sent:
        server.receive_data(data)
    reqs = events(server)
    assert [[c.context_id for c in r.service_contexts] for r in reqs] == [[], [giop.CODESETS_ID], [], [], []]
    assert reqs[1].service_contexts[0] == giop.CODESETS_CONTEXT


def test_replies_out_of_order_are_matched_by_id():
    client, server = pair()
    sent = [client.send_request(b"k", "op", write_double(float(i))) for i in range(5)]
    server.receive_data(b"".join(d for _, d in sent))
    reqs = events(server)
    answer = b"".join(server.send_reply(r, write_body=write_double(r.body.read_double() * 10)) for r in reqs[::-1])
    client.receive_data(answer)
    got = {r.request_id: r.body.read_double() for r in events(client)}
    assert got == {rid: 10.0 * i for i, (rid, _) in enumerate(sent)}


def test_a_forgotten_request_s_late_reply_is_dropped():
    client, server = pair()
    rid, data = client.send_request(b"k", "slow")
    rid2, data2 = client.send_request(b"k", "fast")
    server.receive_data(data + data2)
    reqs = events(server)
    client.forget(rid)  # the caller timed out
    client.receive_data(server.send_reply(reqs[0]) + server.send_reply(reqs[1]))
    assert [e.request_id for e in events(client)] == [rid2]
    assert client.dropped_replies == 1


def test_oneway_requests_await_no_reply():
    client, server = pair()
    rid, data = client.send_request(b"k", "push", response_expected=False)
    assert client.pending_requests == ()
    server.receive_data(data)
    [req] = events(server)
    assert not req.response_expected and server.requests_in_progress == ()
    with pytest.raises(LocalProtocolError, match="awaits no reply"):
        server.send_reply(req)


def test_a_value_that_does_not_encode_leaves_the_connection_unchanged():
    client, server = pair()

    def bad(w: CDRWriter) -> None:
        raise TypeError("not a double")
    with pytest.raises(TypeError):
        client.send_request(b"k", "op", bad)
    assert client.pending_requests == ()
    rid, data = client.send_request(b"k", "op")
    server.receive_data(data)
    [req] = events(server)
    assert [c.context_id for c in req.service_contexts] == [giop.CODESETS_ID]  # still the first 1.2 request


@pytest.mark.parametrize("version", [(1, 0), (1, 2)])
def test_exception_replies(version):
    client, server = pair()
    r1, d1 = client.send_request(b"k", "a", version=version)
    r2, d2 = client.send_request(b"k", "b", version=version)
    r3, d3 = client.send_request(b"k", "c", version=version)
    server.receive_data(d1 + d2 + d3)
    a, b, c = events(server)
    ior = IOR.for_iiop("IDL:Tango/Device_5:1.0", "h", 1234, b"key")
    out = (server.send_system_exception(a, "BAD_OPERATION", 7, CompletionStatus.COMPLETED_NO)
           + server.send_user_exception(b, "IDL:Tango/DevFailed:1.0", lambda w: w.write_ulong(0))
           + server.send_location_forward(c, ior, permanent=True))
    client.receive_data(out)
    ra, rb, rc = events(client)
    assert ra.status == ReplyStatus.SYSTEM_EXCEPTION and ra.version == version
    assert ra.system_exception == giop.SystemException("IDL:omg.org/CORBA/BAD_OPERATION:1.0", 7,
                                                       CompletionStatus.COMPLETED_NO)
    assert rb.status == ReplyStatus.USER_EXCEPTION and rb.exception_id == "IDL:Tango/DevFailed:1.0"
    assert rb.body.read_ulong() == 0 and rb.body.at_end()
    assert rc.status == ReplyStatus.LOCATION_FORWARD_PERM
    assert rc.forward_ior.iiop_profiles()[0].port == 1234


@pytest.mark.parametrize("version", [(1, 0), (1, 1), (1, 2)])
def test_locate_request_is_answered_in_its_version(version):
    client, server = pair()
    rid, data = client.send_locate_request(b"sys/database/2", version=version)
    server.receive_data(data)
    [loc] = events(server)
    assert isinstance(loc, LocateRequest) and loc.object_key == b"sys/database/2" and loc.version == version
    answer = server.send_locate_reply(loc, LocateStatus.OBJECT_HERE)
    assert giop.parse_header(answer).version == version
    client.receive_data(answer)
    [rep] = events(client)
    assert isinstance(rep, LocateReply) and rep.request_id == rid and rep.status == LocateStatus.OBJECT_HERE


def test_cancel_request_reaches_the_server_and_a_later_reply_is_dropped():
    client, server = pair()
    rid, data = client.send_request(b"k", "op")
    server.receive_data(data + client.send_cancel_request(rid))
    req, cancel = events(server)
    assert isinstance(cancel, giop.CancelRequest) and cancel.request_id == rid
    client.receive_data(server.send_reply(req))
    assert events(client) == [] and client.dropped_replies == 1


def test_roles_are_enforced_on_the_sending_side():
    client, server = pair()
    with pytest.raises(LocalProtocolError):
        server.send_request(b"k", "op")
    with pytest.raises(LocalProtocolError):
        client.send_reply(2)
    with pytest.raises(LocalProtocolError, match="awaits no reply"):
        server.send_reply(2)


# -- how a connection ends --------------------------------------------------------------------------

def test_close_connection_from_the_server_lists_the_unanswered_requests_as_retryable():
    client, server = pair()
    sent = [client.send_request(b"k", "op") for _ in range(3)]
    server.receive_data(b"".join(d for _, d in sent))
    first, *_ = events(server)
    client.receive_data(server.send_reply(first) + server.send_close_connection())
    reply, closed = events(client)
    assert reply.request_id == sent[0][0]
    assert closed == ConnectionClosed(CloseCause.CLOSE_CONNECTION, "peer sent CloseConnection",
                                      (sent[1][0], sent[2][0]))
    assert closed.retryable and client.closed is closed
    assert client.next_event() is closed  # for good
    with pytest.raises(LocalProtocolError, match="closed"):
        client.send_request(b"k", "op")
    assert server.closed.cause is CloseCause.LOCAL
    assert server.send_reply(2) == b""  # nobody to answer any more


def test_close_connection_is_sent_in_the_connections_version():
    client, _ = pair()
    client.send_request(b"k", "op", version=(1, 0))
    assert client.send_close_connection() == bytes.fromhex("47494f50 01000105 00000000")
    client, _ = pair()
    client.send_request(b"k", "op", version=(1, 2))
    assert client.send_close_connection() == bytes.fromhex("47494f50 01020105 00000000")
    assert client.closed.cause is CloseCause.LOCAL and client.closed.unanswered == (2,)
    assert not client.closed.retryable


def test_end_of_stream_is_retryable_and_says_when_a_message_was_cut():
    client, server = pair()
    rid, data = client.send_request(b"k", "op")
    server.receive_data(data)
    [req] = events(server)
    answer = server.send_reply(req, write_body=write_double(1.0))
    client.receive_data(answer[:-3])
    client.receive_data(b"")
    [closed] = events(client)
    assert closed.cause is CloseCause.END_OF_STREAM and closed.retryable and closed.unanswered == (rid,)
    assert closed.reason == "connection closed by the peer in the middle of a message"
    assert closed.partly_answered == (rid,)  # the server ran it: not to be sent again
    assert client.buffered == 0 and not client.frame_in_progress
    idle, _ = pair()
    idle.buffer_updated(0)  # recv_into() returned 0
    assert idle.next_event() == ConnectionClosed(CloseCause.END_OF_STREAM, "connection closed by the peer")


@pytest.mark.parametrize("cut", ["header only", "small reply", "big reply", "fragmented reply"])
def test_a_reply_cut_by_the_end_of_stream_is_told_apart_from_the_requests_without_any(cut):
    """Which requests did the server surely run?  Those part of whose reply had arrived: their
    ids are in ``partly_answered`` (never to be re-sent); the others may be sent again."""
    client, server = pair()
    (a, data_a), (b, data_b) = client.send_request(b"k", "op"), client.send_request(b"k", "op")
    server.receive_data(data_a + data_b)
    req_a, _req_b = events(server)
    big = np.arange(100_000, dtype=np.float64)
    reply = server.send_reply(req_a, write_body=write_double(1.0) if cut in ("header only", "small reply")
                              else write_doubles(big))
    if cut == "fragmented reply":
        reply = b"".join(fragment_12(reply, 4096, 65536))
    sent = {"header only": 14, "small reply": len(reply) - 3, "big reply": 300_000,
            "fragmented reply": 300_000}[cut]
    for start in range(0, sent, 65536):  # as a driver receives: in slices
        client.receive_data(reply[start:min(start + 65536, sent)])
    client.receive_data(b"")
    [closed] = events(client)
    assert closed.retryable and set(closed.unanswered) == {a, b}
    # 14 octets: the request id (octets 12-15) has not arrived, nothing tells whose reply it was
    assert closed.partly_answered == (() if cut == "header only" else (a,))


def test_messages_before_the_end_of_stream_are_delivered_first():
    client, server = pair()
    sent = [client.send_request(b"k", "op") for _ in range(2)]
    server.receive_data(b"".join(d for _, d in sent))
    reqs = events(server)
    client.receive_data(server.send_reply(reqs[0]))
    client.receive_data(b"")
    reply, closed = events(client)
    assert reply.request_id == sent[0][0] and closed.unanswered == (sent[1][0],)


@pytest.mark.parametrize("garbage", [
    b"HTTP/1.1 400 Bad Request\r\n\r\n",
    b"GIOP\x02\x00\x01\x00\x00\x00\x00\x00",  # GIOP 2.0
    b"GIOP\x01\x00\x01\x07\x00\x00\x00\x00",  # a Fragment in GIOP 1.0
    b"GIOP\x01\x02\x01\x07\x08\x00\x00\x00\x63\x00\x00\x00\x00\x00\x00\x00",  # Fragment of nothing
])
def test_garbage_ends_the_connection_and_the_server_answers_message_error(garbage):
    client, server = pair()
    rid, data = client.send_request(b"k", "op")
    server.receive_data(data + garbage)
    req, closed = events(server)
    assert isinstance(req, Request)
    assert closed.cause is CloseCause.PROTOCOL_ERROR and "undecodable" in closed.reason
    assert server.send_reply(req) == b""
    client.receive_data(server.send_message_error())
    [closed] = events(client)
    assert closed.cause is CloseCause.MESSAGE_ERROR and not closed.retryable and closed.unanswered == (rid,)


def test_unexpected_message_kinds_are_protocol_errors():
    client, server = pair()
    client.send_request(b"k", "op")
    client.receive_data(giop.build_request(1, b"k", "op"))  # a server sending a Request
    assert client.next_event().cause is CloseCause.PROTOCOL_ERROR
    server.receive_data(giop.build_reply(2))  # a client sending a Reply
    closed = server.next_event()
    assert closed.cause is CloseCause.PROTOCOL_ERROR and "unexpected Reply" in closed.reason


def test_message_error_from_the_server_fails_the_pending_requests():
    client, _ = pair()
    rid, _ = client.send_request(b"k", "op")
    client.receive_data(giop.build_message_error())
    assert client.next_event() == ConnectionClosed(CloseCause.MESSAGE_ERROR, "peer sent MessageError", (rid,))


def test_a_client_closing_tells_the_server():
    client, server = pair()
    server.receive_data(client.send_request(b"k", "op", version=(1, 0))[1] + client.send_close_connection())
    req, closed = events(server)
    assert closed.cause is CloseCause.CLOSE_CONNECTION


# -- size limit and memory --------------------------------------------------------------------------

def test_a_header_announcing_255_mib_does_not_allocate_it():
    """The defect of the old framer: a reply header's claim was allocated at once and kept."""
    client = GIOPConnection(Role.CLIENT)
    client.send_request(b"k", "op")
    tracemalloc.start()
    try:
        client.receive_data(b"GIOP\x01\x02\x01\x01" + struct.pack("<I", 255 * 1024 * 1024) + bytes(100_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert client.next_event() is NEED_DATA and client.frame_in_progress
    assert peak < 2 * 1024 * 1024 and client.buffered < 2 * 1024 * 1024
    # a driver whose wait runs out closes the connection: nothing is kept
    closed = client.close("call timed out with a reply half received")
    assert closed.cause is CloseCause.LOCAL and closed.unanswered == (2,)
    assert client.buffered == 0 and not client.frame_in_progress


def test_buffers_grow_with_the_data_that_arrives():
    client = GIOPConnection(Role.CLIENT)
    client.send_request(b"k", "op")
    client.receive_data(b"GIOP\x01\x02\x01\x01" + struct.pack("<I", 200 * 1024 * 1024))
    held = []
    for _ in range(6):
        client.receive_data(bytes(1024 * 1024))
        held.append(client.buffered)
    # at most 4x what arrived (so the copies made while growing add up to less than the message)
    assert all(h <= 4 * (i + 1) * 1024 * 1024 + 64 for i, h in enumerate(held)), held
    assert held[-1] < 32 * 1024 * 1024


def test_message_over_the_limit_is_refused_on_its_header():
    client = GIOPConnection(Role.CLIENT, max_message_size=1000)
    client.send_request(b"k", "op")
    client.receive_data(b"GIOP\x01\x02\x01\x01" + struct.pack("<I", 1001))
    closed = client.next_event()
    assert closed.cause is CloseCause.PROTOCOL_ERROR and "exceeds" in closed.reason and closed.retryable is False


def test_fragmented_message_over_the_limit_is_refused():
    client, server = pair(max_message_size=10_000)
    rid, _ = client.send_request(b"k", "op")
    big = giop.build_reply(rid, write_body=write_doubles(np.zeros(2000)))
    for part in fragment_12(big, 1024, 1024):
        client.receive_data(part)
    assert client.next_event().cause is CloseCause.PROTOCOL_ERROR


# -- big messages: zero copy ------------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [None, 1000, 65536, 300_001])
@pytest.mark.parametrize("zero_copy", [False, True])
@pytest.mark.parametrize("fragmented", [False, True])
def test_a_big_reply_is_one_buffer_and_its_array_a_view_of_it(chunk, zero_copy, fragmented):
    client, server = pair()
    values = np.arange(63001, dtype=np.float64)  # 251 x 251 doubles: TangoTest's double_image_ro
    rid, data = client.send_request(b"k", "read")
    server.receive_data(data)
    [req] = events(server)
    answer = server.send_reply(req, write_body=write_doubles(values))
    if fragmented:  # what omniORB 4.2 sends: a big first part and a short Fragment
        stream = b"".join(fragment_12(answer, len(answer) - 60, 4096))
    else:
        stream = answer
    small = client.send_request(b"k", "after")[0]
    tail = giop.build_reply(small, write_body=write_double(3.0))
    deliver(stream + tail, client, chunk, zero_copy)
    reply, after = events(client)
    arr = reply.body.read_array("double")
    np.testing.assert_array_equal(arr, values)
    assert not isinstance(reply.body.data, bytes)  # a buffer of its own, not a copy
    assert np.shares_memory(arr, np.frombuffer(reply.body.data, np.uint8))  # no copy
    assert after.request_id == small and after.body.read_double() == 3.0
    assert client.buffered == 0 and not client.frame_in_progress


def test_many_small_fragments_reassemble_across_chunks():
    client, _ = pair()
    rid, _ = client.send_request(b"k", "read")
    values = np.random.default_rng(1).random(30000)
    answer = giop.build_reply(rid, write_body=write_doubles(values), little_endian=False)
    deliver(b"".join(fragment_12(answer, 8192, 8176)), client, 7777, zero_copy=True)
    [reply] = events(client)
    np.testing.assert_array_equal(reply.body.read_array("double"), values)


# -- captured traffic of real peers through both roles ----------------------------------------------

def _captured(name: str) -> list[tuple[str, int, bytes]]:
    return [(line.direction, line.conn, line.data) for line in giop_lines(name)]


def _raw_body(writer_data: bytes, start: int):
    return lambda w: w.write_raw(writer_data[start:])


@pytest.mark.parametrize("name", ["giop1.log", "giopat.log", "giopdb.log", "giopdev.log", "tangotest93.log"])
def test_captured_conversations_replay_through_both_roles(name):
    """Each captured TCP connection is replayed: our client role builds the captured requests (same
    request ids, same CodeSets context, same octets but for padding) and matches the captured
    replies; our server role decodes the captured requests and builds the captured replies
    octet for octet (in the requests' GIOP version).  (The relay's clock does not always order a
    reply after its request, so each connection's requests go first, then its replies.)"""
    streams: dict[int, dict[str, list[bytes]]] = {}
    for direction, cid, data in _captured(name):
        streams.setdefault(cid, {"C2S": [], "S2C": []})[direction].append(data)
    replies = 0
    for stream in streams.values():
        client, server = pair()
        closing = None
        for data in stream["C2S"]:
            sent = giop.parse_message(data)
            if isinstance(sent, giop.CloseConnection):
                closing = data
                continue
            contexts = [c for c in sent.service_contexts if c != giop.CODESETS_CONTEXT]
            rid, ours = client.send_request(sent.object_key, sent.operation, _raw_body(data, sent.body.pos),
                                            version=sent.version, response_expected=sent.response_expected,
                                            service_contexts=contexts)
            mine = giop.parse_message(ours)
            assert rid == sent.request_id and len(ours) == len(data)
            assert mine.service_contexts == sent.service_contexts
            assert ours[mine.body.pos:] == data[sent.body.pos:]
            server.receive_data(data)
            [req] = events(server)
            assert (req.request_id, req.operation, req.object_key, req.version) == \
                (sent.request_id, sent.operation, sent.object_key, sent.version)
        whole_replies = giop.MessageReader()
        for data in stream["S2C"]:
            whole_replies.feed(data)  # omniORB 4.2 fragments big replies: compare with the whole message
            whole = whole_replies.next_message()
            client.receive_data(data)
            if whole is None:
                assert client.next_event() is NEED_DATA
                continue
            assert isinstance(whole, Reply) and not whole.service_contexts
            raw = bytes(whole.body.data)
            assert server.send_reply(whole.request_id, whole.status, _raw_body(raw, 24)) == raw
            [reply] = events(client)
            assert reply.request_id == whole.request_id and bytes(reply.body.data) == raw
            replies += 1
        assert client.pending_requests == () and server.requests_in_progress == ()
        if closing is not None:
            assert client.send_close_connection() == closing
            server.receive_data(closing)
            assert server.next_event().cause is CloseCause.CLOSE_CONNECTION
    assert replies >= 27


# -- the state machine, explored by Hypothesis -------------------------------------------------------

class ClientServerInMemory(RuleBasedStateMachine):
    """A client and a server connection joined by two in-memory pipes.  Requests of every version
    and byte order, replies in any order (some fragmented, some big), forgotten and cancelled calls,
    locate requests, bytes delivered in arbitrary pieces, by copy or zero copy.  Every reply the
    client gets belongs to a request it still waits for and carries that request's answer."""

    calls = Bundle("calls")

    @initialize()
    def start(self) -> None:
        self.client, self.server = pair()
        self.to_server = bytearray()
        self.to_client = bytearray()
        self.expected: dict[int, float] = {}   # client request id -> value the reply must carry
        self.forgotten: set[int] = set()
        self.answers: dict[int, float] = {}
        self.received: dict[int, Request | LocateRequest] = {}
        self.replied: list[int] = []

    @rule(target=calls, value=st.floats(allow_nan=False), version=st.sampled_from([(1, 0), (1, 1), (1, 2)]),
          size=st.sampled_from([0, 0, 0, 3000]))
    def send_request(self, value, version, size):
        extra = np.full(size, value)

        def body(w):
            w.write_double(value)
            w.write_array("double", extra)
        rid, data = self.client.send_request(b"obj", "echo", body, version=version)
        assert rid not in self.expected
        self.expected[rid] = value
        self.to_server += data
        return rid

    @rule(version=st.sampled_from([(1, 0), (1, 2)]))
    def send_locate(self, version):
        rid, data = self.client.send_locate_request(b"obj", version=version)
        self.expected[rid] = float("nan")
        self.to_server += data

    @rule(rid=consumes(calls))
    def forget(self, rid):
        self.client.forget(rid)
        self.expected.pop(rid, None)
        self.forgotten.add(rid)

    @rule(n=st.integers(1, 5000), zero_copy=st.booleans())
    def deliver_to_server(self, n, zero_copy):
        data = bytes(self.to_server[:n])
        del self.to_server[:n]
        deliver(data, self.server, None, zero_copy)
        for ev in events(self.server):
            assert isinstance(ev, (Request, LocateRequest)), ev
            self.received[ev.request_id] = ev

    @rule(data=st.data())
    def server_answers(self, data):
        if not self.received:
            return
        rid = data.draw(st.sampled_from(sorted(self.received)))
        req = self.received.pop(rid)
        if isinstance(req, LocateRequest):
            self.to_client += self.server.send_locate_reply(req, LocateStatus.OBJECT_HERE)
            return
        value = req.body.read_double()
        extra = req.body.read_array("double")
        reply = self.server.send_reply(req, write_body=lambda w: (w.write_double(value),
                                                                  w.write_array("double", extra)))
        if req.version == (1, 2) and len(reply) > 2000 and data.draw(st.booleans()):
            reply = b"".join(fragment_12(reply, 1024, data.draw(st.sampled_from([8, 512, 4096]))))
        self.to_client += reply

    @rule(n=st.integers(1, 5000), zero_copy=st.booleans())
    def deliver_to_client(self, n, zero_copy):
        data = bytes(self.to_client[:n])
        del self.to_client[:n]
        deliver(data, self.client, None, zero_copy)
        for ev in events(self.client):
            assert isinstance(ev, (Reply, LocateReply)), ev
            assert ev.request_id in self.expected and ev.request_id not in self.forgotten
            want = self.expected.pop(ev.request_id)
            if isinstance(ev, Reply):
                assert ev.body.read_double() == want
                extra = ev.body.read_array("double")
                assert (extra == want).all()
            else:
                assert ev.status == LocateStatus.OBJECT_HERE

    @invariant()
    def tables_agree(self):
        if not hasattr(self, "client"):
            return
        assert set(self.client.pending_requests) == set(self.expected)
        assert set(self.server.requests_in_progress) == set(self.received)
        assert self.client.closed is None and self.server.closed is None

    def teardown(self):
        if not hasattr(self, "client"):
            return
        # everything still in flight arrives: every request not forgotten gets its answer
        self.deliver_to_server(10**9, False)
        while self.received:
            rid = min(self.received)
            req = self.received.pop(rid)
            if isinstance(req, LocateRequest):
                self.to_client += self.server.send_locate_reply(req, LocateStatus.OBJECT_HERE)
            else:
                value, extra = req.body.read_double(), req.body.read_array("double")
                self.to_client += self.server.send_reply(
                    req, write_body=lambda w: (w.write_double(value), w.write_array("double", extra)))
        self.deliver_to_client(10**9, True)
        assert self.expected == {} and self.client.pending_requests == ()
        assert not self.client.frame_in_progress and not self.server.frame_in_progress


ClientServerInMemory.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None,
                                                  suppress_health_check=[HealthCheck.too_slow])
test_client_server_state_machine = ClientServerInMemory.TestCase
