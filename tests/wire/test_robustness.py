"""Robustness: truncated, random and hostile bytes raise CodecError subclasses -- nothing else --, never
hang and never allocate much more than the input.

Inputs are random bytes and mutations of real captured messages (tests/data).  Each example has
a Hypothesis deadline and each test a pytest timeout; memory is watched with tracemalloc.
"""

from __future__ import annotations

import struct
import tracemalloc
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tango_core.idl.command_any import decode_command_any, encode_command_any
from tango_core.idl.enums import CmdArgType
from tango_core.wire import giop, structs
from tango_core.wire.cdr import CDRReader, CDRWriter
from tango_core.wire.errors import CodecError, MarshalError, MessageTooLarge
from tango_core.wire.typecode import (
    MAX_TYPECODE_DEPTH, TC_DOUBLE, TC_LONG, AliasTC, SequenceTC, StringTC, StructTC, TCKind, primitive_tc, read_any,
    read_typecode, write_typecode,
)

from captures import giop_lines, typecode_lines

pytestmark = pytest.mark.timeout(120)

T = CmdArgType
K = TCKind
FUZZ = settings(max_examples=300, deadline=timedelta(seconds=2),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: decoding a hostile input of a few KiB may not allocate more than this (a real leak would be GBs)
MEMORY_LIMIT = 4 * 1024 * 1024


def decodes_or_codec_error(fn, *args):
    """Run a decoder; only success or a CodecError is acceptable, within MEMORY_LIMIT."""
    tracemalloc.start()
    try:
        fn(*args)
    except CodecError:
        pass
    finally:
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"decoder allocated {peak} octets"


# ---------------------------------------------------------------------------
# corpora

def _command_messages() -> list[bytes]:
    out = []
    for name in ("giopat.log", "giop1.log", "giopdev.log", "giopdb.log"):
        out += [line.data for line in giop_lines(name)]
    return out


MESSAGES = _command_messages()
ANYS = [b for _n, _s, b in typecode_lines()]


def _encoded_anys() -> list[bytes]:
    samples = [(T.DevVarDoubleArray, [1.5, 2.5]), (T.DevVarLongStringArray, [[1, 2], ["a", "bc"]]),
               (T.DevEncoded, ("fmt", b"\x00\x01")), (T.DevVarStringArray, ["x", "yz"]), (T.DevState, 3),
               (T.DevVarDoubleStringArray, [[0.5], ["q"]]), (T.DevString, "str"), (T.DevLong64, -5)]
    out = []
    for t, v in samples:
        w = CDRWriter()
        encode_command_any(w, t, v)
        out.append(w.getvalue())
    return out


ANYS += _encoded_anys()


@st.composite
def mutated(draw, corpus):
    """A real input with a few random edits: flips, 32-bit overwrites with nasty values, cuts, inserts."""
    data = bytearray(draw(st.sampled_from(corpus)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "word", "truncate", "insert", "delete"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "word":
            word = draw(st.sampled_from([0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0x10000, 0, 1, 64]))
            data[i:i + 4] = struct.pack(draw(st.sampled_from(["<I", ">I"])), word)
        elif op == "truncate":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[i:i + draw(st.integers(1, 8))]
    return bytes(data)


random_or_mutated_anys = st.one_of(st.binary(max_size=300), mutated(ANYS))
random_or_mutated_messages = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: b"GIOP\x01" + b),
    mutated(MESSAGES),
)


# ---------------------------------------------------------------------------
# fuzzing

@FUZZ
@given(random_or_mutated_anys, st.booleans())
def test_hostile_anys_raise_only_codec_errors(data, le):
    decodes_or_codec_error(lambda: read_any(CDRReader(data, le)))
    decodes_or_codec_error(lambda: decode_command_any(CDRReader(data, le)))
    decodes_or_codec_error(lambda: read_typecode(CDRReader(data, le)))


def _parse_and_decode(data: bytes) -> None:
    msg = giop.parse_message(data)
    if isinstance(msg, giop.Request) and msg.operation.startswith("command_inout"):
        msg.body.read_string()
        decode_command_any(msg.body)
    elif isinstance(msg, giop.Reply) and msg.status == giop.ReplyStatus.NO_EXCEPTION and msg.body.remaining():
        decode_command_any(msg.body)


@FUZZ
@given(random_or_mutated_messages)
def test_hostile_giop_messages_raise_only_codec_errors(data):
    decodes_or_codec_error(_parse_and_decode, data)


def _built_requests() -> list[bytes]:
    """Requests of every GIOP version and byte order, with and without service contexts."""
    ctx = giop.ServiceContext(0x54410003, b"\x01\x00\x00\x00\x07\x00\x00\x00")
    out = []
    for version in ((1, 0), (1, 1), (1, 2)):
        for le in (True, False):
            for contexts in ((), (giop.CODESETS_CONTEXT,), (giop.CODESETS_CONTEXT, ctx)):
                for key, op in ((b"test/bench/1", "read_attributes_5"), (b"", "_get_state"), (b"k" * 3, "ping")):
                    out.append(giop.build_request(7, key, op, (lambda w: w.write_string("body")) if op != "ping"
                                                  else None, version=version, service_contexts=contexts,
                                                  response_expected=op != "ping", little_endian=le))
    return out


def _parsed_or_error(parse, data: bytes):
    try:
        msg = parse(data)
    except CodecError as exc:
        return type(exc).__name__
    fields = []
    for f in structs.fields(msg):
        value = getattr(msg, f.name)
        if isinstance(value, CDRReader):
            value = (value.pos, value.end, value.origin, value.little_endian)
        fields.append(value)
    return type(msg).__name__, fields


@FUZZ
@given(st.one_of(random_or_mutated_messages, mutated(_built_requests())))
def test_request_fast_path_agrees_with_the_general_parser(data):
    """parse_message's few-unpacks path for Requests gives what the field-by-field parser gives
    (or leaves the message to it): same fields, body at the same offset, same errors."""
    assert _parsed_or_error(giop.parse_message, data) == _parsed_or_error(giop._parse_any, data)


def test_request_fast_path_takes_the_requests_tango_clients_send():
    for data in _built_requests() + [m for m in MESSAGES if m[7:8] == b"\x00"]:
        minor, flags = data[5], data[6]
        simple = (minor == 2 and not flags & 0xFE) or (data[12:16] == b"\x00" * 4 and flags in (0, 1))
        assert (giop._parse_request(data) is not None) == simple, data[:32]
        assert _parsed_or_error(giop.parse_message, data) == _parsed_or_error(giop._parse_any, data)


@FUZZ
@given(st.lists(random_or_mutated_messages, min_size=1, max_size=4), st.integers(1, 64))
def test_message_reader_on_hostile_stream(messages, chunk):
    stream = b"".join(messages)
    reader = giop.MessageReader(max_size=1 << 20)

    def run():
        for i in range(0, len(stream), chunk):
            reader.feed(stream[i:i + chunk])
            assert reader.bytes_needed() >= 1
            while reader.next_message() is not None:
                pass
    decodes_or_codec_error(run)


# ---------------------------------------------------------------------------
# hand-made hostile inputs

def _le(fmt: str, *v) -> bytes:
    return struct.pack("<" + fmt, *v)


def _encap(body: bytes) -> bytes:
    """ulong length + LE encapsulation whose fields follow the flag octet and 3 pad octets."""
    content = b"\x01\x00\x00\x00" + body
    return _le("I", len(content)) + content


def _string(s: str) -> bytes:
    raw = s.encode() + b"\x00"
    return _le("I", len(raw)) + raw + b"\x00" * (-len(raw) % 4)


HOSTILE_ANYS = {
    # DevVarDoubleArray value with a count of 2**32-1 and 8 octets of data
    "huge sequence count": _le("I", K.tk_sequence) + _encap(_le("II", K.tk_double, 0)) + _le("I", 0xFFFFFFFF)
    + b"\x00" * 12,
    "huge string length": _le("II", K.tk_string, 0) + _le("I", 0xFFFFFFF0) + b"abc",
    "string without NUL": _le("II", K.tk_string, 0) + _le("I", 3) + b"abc",
    "huge array length": _le("I", K.tk_array) + _encap(_le("II", K.tk_long, 0xFFFFFFFF)) + b"\x00" * 8,
    "huge array of empty values": _le("I", K.tk_array) + _encap(_le("II", K.tk_null, 0xFFFFFFFF)),
    "huge array of empty structs": _le("I", K.tk_array) + _encap(
        _le("I", K.tk_struct) + _encap(_string("") + _string("") + _le("I", 0)) + _le("I", 0xFFFFFFFF)),
    "huge struct member count": _le("I", K.tk_struct) + _encap(_string("a") + _string("b") + _le("I", 0xFFFFFF)),
    "huge enum member count": _le("I", K.tk_enum) + _encap(_string("a") + _string("b") + _le("I", 0x7FFFFFFF)),
    "enum value out of range": _le("I", K.tk_enum) + _encap(_string("") + _string("") + _le("I", 1) + _string("A"))
    + _le("I", 1),
    "encapsulation past end": _le("I", K.tk_sequence) + _le("I", 1000) + b"\x01\x00\x00\x00" + _le("II", 7, 0),
    "empty encapsulation": _le("II", K.tk_alias, 0),
    "bad encapsulation byte order": _le("I", K.tk_sequence) + _le("I", 12) + b"\x07\x00\x00\x00" + _le("II", 7, 0),
    "unknown TCKind": _le("I", 99),
    "tk_value (unsupported)": _le("I", K.tk_value) + _encap(b""),
    "value of unsupported kind": _le("I", K.tk_longdouble) + b"\x00" * 16,
    "union default index out of range": _le("I", K.tk_union) + _encap(
        _string("") + _string("") + _le("IiI", K.tk_long, 5, 1) + _le("i", 0) + _string("a") + _le("I", K.tk_long)),
    "union with string discriminator": _le("I", K.tk_union) + _encap(
        _string("") + _string("") + _le("IIiI", K.tk_string, 0, -1, 0)),
    "union value with unknown discriminator": _le("I", K.tk_union) + _encap(
        _string("") + _string("") + _le("IiI", K.tk_long, -1, 1) + _le("i", 7) + _string("a") + _le("I", K.tk_long))
    + _le("ii", 8, 0),
    "indirection to itself": _le("Ii", 0xFFFFFFFF, -4),
    "indirection forwards": _le("Ii", 0xFFFFFFFF, 8) + _le("I", 0),
    # sequence<indirection into the middle of the encapsulation>
    "indirection into a parameter": _le("I", K.tk_sequence) + _encap(_le("Ii", 0xFFFFFFFF, -8) + _le("I", 0)),
    # struct S { S s; } -- recursion that does not pass through a sequence
    "recursion without sequence": _le("I", K.tk_struct) + _encap(
        _string("") + _string("S") + _le("I", 1) + _string("s") + _le("Ii", 0xFFFFFFFF, -44)),
    # alias A = A
    "alias of itself": _le("I", K.tk_alias) + _encap(_string("") + _string("A") + _le("Ii", 0xFFFFFFFF, -32)),
}


#: why each hostile input must be refused (a regex on the MarshalError message)
HOSTILE_REASONS = {
    "alias of itself": "recursive", "bad encapsulation byte order": "byte-order", "empty encapsulation": "empty",
    "encapsulation past end": "exceeds", "enum value out of range": "out of range", "huge array length": "exceeds",
    "huge array of empty structs": "exceeds", "huge array of empty values": "exceeds",
    "huge enum member count": "exceeds", "huge sequence count": "exceeds", "huge string length": "exceeds",
    "huge struct member count": "exceeds", "indirection forwards": "indirection",
    "indirection into a parameter": "indirection", "indirection to itself": "indirection",
    "recursion without sequence": "recursive", "string without NUL": "NUL", "tk_value (unsupported)": "tk_value",
    "union default index out of range": "default index", "union value with unknown discriminator": "discriminator",
    "union with string discriminator": "discriminator", "unknown TCKind": "TCKind",
    "value of unsupported kind": "tk_longdouble",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_ANYS))
def test_hand_made_hostile_anys(name):
    data = HOSTILE_ANYS[name]
    tracemalloc.start()
    try:
        with pytest.raises(MarshalError, match=HOSTILE_REASONS[name]):
            read_any(CDRReader(data))
    finally:
        _c, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT


def _nested_sequences(depth: int) -> bytes:
    tc = _le("I", K.tk_long)
    for _ in range(depth):
        tc = _le("I", K.tk_sequence) + _encap(tc + _le("I", 0))
    return tc


def test_typecode_nesting_limit():
    ok = _nested_sequences(MAX_TYPECODE_DEPTH - 1)
    tc = read_typecode(CDRReader(ok))
    assert tc.kind == K.tk_sequence
    for depth in (MAX_TYPECODE_DEPTH, 5000):
        with pytest.raises(MarshalError, match="deeper"):
            read_typecode(CDRReader(_nested_sequences(depth)))


def test_deeply_nested_recursive_value_is_refused():
    """struct E { sequence<E> inner; } with data nesting 10000 levels deep: MarshalError, not RecursionError."""
    elt = StructTC("", "E")
    elt.members = (("inner", SequenceTC(elt)),)
    w = CDRWriter()
    write_typecode(w, elt)
    data = w.getvalue() + _le("I", 1) * 10000 + _le("I", 0)
    with pytest.raises(MarshalError, match="deeper"):
        read_any(CDRReader(data))


def test_legal_indirection_to_an_earlier_typecode():
    """omniORB may repeat a TypeCode as an indirection to its first occurrence (not only for recursion)."""
    alias = _le("I", K.tk_alias) + _encap(_string("IDL:X:1.0") + _string("X") + _le("I", K.tk_double))
    members_head = _string("") + _string("P") + _le("I", 2) + _string("a")
    enc = b"\x01\x00\x00\x00" + members_head + alias + _string("b")
    a_pos = 8 + 4 + len(members_head)       # absolute index of member a's TCKind
    offset_pos = 8 + len(enc) + 4           # absolute index of the indirection's offset field
    enc += _le("Ii", 0xFFFFFFFF, a_pos - offset_pos)
    data = _le("II", K.tk_struct, len(enc)) + enc
    r = CDRReader(data)
    tc = read_typecode(r)
    assert r.at_end()
    assert tc.members[0][1] is tc.members[1][1]
    assert tc.members[1][1] == AliasTC("IDL:X:1.0", "X", TC_DOUBLE)


def test_indirection_cannot_reach_into_a_previous_any():
    """Indirection is scoped to one top-level TypeCode: the second any may not point at the first."""
    data = _le("Ii", K.tk_long, 7) + _le("Ii", 0xFFFFFFFF, -12)
    r = CDRReader(data)
    assert read_any(r)[1] == 7
    with pytest.raises(MarshalError, match="indirection"):
        read_any(r)


# ---------------------------------------------------------------------------
# GIOP framing: size limit and fragments

def test_message_size_limit_is_checked_on_the_header():
    reader = giop.MessageReader()
    header = b"GIOP\x01\x02\x01\x01" + _le("I", 0xFFFFFFF0)
    tracemalloc.start()
    try:
        with pytest.raises(MessageTooLarge):
            reader.feed(header)  # refused before a single body octet arrives
    finally:
        tracemalloc.stop()
    small = giop.MessageReader(max_size=100)
    with pytest.raises(MessageTooLarge):
        small.feed(b"GIOP\x01\x00\x01\x01" + _le("I", 101))
    ok = giop.MessageReader(max_size=100)
    ok.feed(b"GIOP\x01\x00\x01\x01" + _le("I", 100))
    assert ok.next_message() is None and ok.bytes_needed() == 100


def test_default_message_size_limit_accepts_cppTango_256MiB():
    reader = giop.MessageReader()
    reader.feed(b"GIOP\x01\x02\x01\x01" + _le("I", 256 * 1024 * 1024 - 12))
    assert reader.bytes_needed() == 256 * 1024 * 1024 - 12


def test_parse_message_size_mismatch():
    msg = giop.build_reply(5, write_body=lambda w: w.write_long(1))
    with pytest.raises(MarshalError):
        giop.parse_message(msg[:-1])
    with pytest.raises(MarshalError):
        giop.parse_message(msg + b"\x00")


def _fragment(msg: bytes, first_size: int, step: int) -> list[bytes]:
    """Split a GIOP 1.2 Reply/Request the way omniORB does: the first part keeps the header (flag 0x02),
    each Fragment = header + request_id + next chunk; every part but the last a multiple of 8 octets."""
    le = bool(msg[6] & 1)
    fmt = "<I" if le else ">I"
    rid = msg[12:16]
    first = bytearray(msg[:first_size])
    first[6] |= 2
    first[8:12] = struct.pack(fmt, first_size - 12)
    parts = [bytes(first)]
    rest = msg[first_size:]
    while rest:
        chunk, rest = rest[:step], rest[step:]
        flags = (1 if le else 0) | (2 if rest else 0)
        parts.append(b"GIOP\x01\x02" + bytes([flags, 7]) + struct.pack(fmt, 4 + len(chunk)) + rid + chunk)
    return parts


@pytest.mark.parametrize("le", [True, False])
@pytest.mark.parametrize("feed_size", [1, 7, 1000, 10**6])
def test_fragment_reassembly(le, feed_size):
    values = np.arange(5000, dtype=np.float64)
    msg = giop.build_reply(42, write_body=lambda w: encode_command_any(w, T.DevVarDoubleArray, values),
                           little_endian=le)
    other = giop.build_reply(43, write_body=lambda w: encode_command_any(w, T.DevString, "between"),
                             little_endian=le)
    parts = _fragment(msg, 4096, 8192)
    assert len(parts) > 3
    # an unrelated whole message arrives between two fragments of the first one
    stream = parts[0] + parts[1] + other + b"".join(parts[2:])
    reader = giop.MessageReader()
    got = []
    for i in range(0, len(stream), feed_size):
        reader.feed(stream[i:i + feed_size])
        while (m := reader.next_message()) is not None:
            got.append(m)
    assert [m.request_id for m in got] == [43, 42]
    assert decode_command_any(got[0].body) == (T.DevString, "between")
    t, v = decode_command_any(got[1].body)
    assert t is T.DevVarDoubleArray
    np.testing.assert_array_equal(v, values)
    assert got[1].body.at_end()


def test_reassembled_message_size_limit():
    msg = giop.build_reply(1, write_body=lambda w: w.write_array("double", np.zeros(1000)))
    parts = _fragment(msg, 1024, 1024)
    reader = giop.MessageReader(max_size=4096)
    with pytest.raises(MessageTooLarge):
        for p in parts:
            reader.feed(p)


def test_fragment_for_unknown_request_is_refused():
    frag = b"GIOP\x01\x02\x01\x07" + _le("II", 8, 99) + b"\x00" * 4
    with pytest.raises(MarshalError):
        giop.MessageReader().feed(frag)


def test_concurrent_partial_messages_share_the_size_limit():
    """Many half-sent fragmented messages (distinct request ids) cannot together exceed the limit."""
    reader = giop.MessageReader(max_size=10_000)
    with pytest.raises(MessageTooLarge):
        for rid in range(100):
            start = b"GIOP\x01\x02\x03\x01" + _le("II", 1020, rid) + b"\x00" * 1016
            reader.feed(start)


def test_many_ready_messages_are_returned_in_order():
    stream = b"".join(giop.build_reply(i, write_body=lambda w, i=i: w.write_ulong(i)) for i in range(3000))
    reader = giop.MessageReader()
    reader.feed(stream)
    ids = []
    while (m := reader.next_message()) is not None:
        ids.append(m.request_id)
    assert ids == list(range(3000))


@pytest.mark.parametrize("tc,value", [
    (StringTC(0), "ok"),  # control: a real Tango type
    (SequenceTC(SequenceTC(TC_LONG)), [[1]]),
    (StructTC("", "", [("a", TC_LONG)]), (1,)),
    (StructTC("", "", [("a", SequenceTC(TC_LONG)), ("b", SequenceTC(TC_LONG))]), ([1], [2])),
    (AliasTC("", "", primitive_tc(K.tk_char)), "c"),
])
def test_anys_that_are_no_tango_type_are_refused(tc, value):
    from tango_core.wire.typecode import write_any
    w = CDRWriter()
    write_any(w, tc, value)
    r = CDRReader(w.getvalue())
    if tc.kind == K.tk_string:
        assert decode_command_any(r) == (T.DevString, "ok")
    else:
        with pytest.raises(MarshalError, match="not a Tango command data type"):
            decode_command_any(r)


def test_typecode_cache_is_bounded_and_position_independent():
    from tango_core.wire import typecode as tcmod
    for i in range(1000):  # a peer sending ever new TypeCodes cannot grow the cache
        w = CDRWriter()
        tcmod.write_typecode(w, AliasTC(f"IDL:T{i}:1.0", f"T{i}", TC_LONG))
        tcmod.read_typecode(CDRReader(w.getvalue()))
    assert len(tcmod._CACHE) <= tcmod._CACHE_ENTRIES
    elt = StructTC("IDL:E:1.0", "E")
    elt.members = (("inner", SequenceTC(elt)),)
    w = CDRWriter()
    tcmod.write_typecode(w, elt)
    raw = w.getvalue()
    first = tcmod.read_typecode(CDRReader(raw))
    for pad in (4, 8, 12):  # same octets elsewhere in a message: same (recursive) TypeCode
        r = CDRReader(b"\x00" * pad + raw, pos=pad)
        again = tcmod.read_typecode(r)
        assert r.at_end() and again == first == elt
        assert again.members[0][1].content_type is again


def _iors() -> list[str]:
    from tango_core.idl.command_any import decode_command_any as dca
    out = []
    for line in giop_lines("giopdb.log"):
        msg = giop.parse_message(line.data)
        if isinstance(msg, giop.Reply) and msg.status == 0 and msg.body.remaining() > 200:
            try:
                t, v = dca(msg.body)
            except MarshalError:
                continue
            if t is T.DevVarLongStringArray and len(v[1]) > 1 and v[1][1].startswith("IOR:"):
                out.append(v[1][1])
    return sorted(set(out))


IORS = _iors()


def test_ior_corpus_is_real():
    assert len(IORS) >= 3 and all(s.startswith("IOR:01") for s in IORS)


@FUZZ
@given(st.one_of(mutated([s.encode() for s in IORS]).map(lambda b: b.decode("latin-1")),
                 st.text(max_size=60).map(lambda t: "IOR:" + t),
                 mutated([bytes.fromhex(s[4:]) for s in IORS]).map(lambda b: "IOR:" + b.hex())))
def test_hostile_iors_raise_only_codec_errors(text):
    from tango_core.wire.ior import parse_ior

    def run():
        ior = parse_ior(text)
        for p in ior.iiop_profiles():
            p.addresses()
    decodes_or_codec_error(run)


@FUZZ
@given(st.one_of(st.text(max_size=60).map(lambda t: "corbaloc:" + t),
                 st.from_regex(r"corbaloc:(iiop|):([0-9.]{0,4}@)?\[?[a-z0-9:.]{0,12}\]?(:[0-9]{0,7})?/.{0,8}",
                               fullmatch=True)))
def test_hostile_corbalocs_raise_only_codec_errors(text):
    from tango_core.wire.ior import parse_corbaloc
    decodes_or_codec_error(parse_corbaloc, text)


def test_giop_1_1_fragment_reassembly():
    """GIOP 1.1 Fragments carry no request id: the payload follows the 12-octet header."""
    values = np.arange(300, dtype=np.int32)
    msg = giop.build_reply(9, write_body=lambda w: encode_command_any(w, T.DevVarLongArray, values), version=(1, 1))
    first = bytearray(msg[:512])
    first[6] |= 2
    first[8:12] = _le("I", 512 - 12)
    rest = msg[512:]
    middle, last = rest[:400], rest[400:]
    stream = (bytes(first) + b"GIOP\x01\x01\x03\x07" + _le("I", len(middle)) + middle
              + b"GIOP\x01\x01\x01\x07" + _le("I", len(last)) + last)
    reader = giop.MessageReader()
    reader.feed(stream)
    reply = reader.next_message()
    assert reply.version == (1, 1) and reply.request_id == 9
    t, v = decode_command_any(reply.body)
    assert t is T.DevVarLongArray
    np.testing.assert_array_equal(v, values)
    assert reader.next_message() is None
