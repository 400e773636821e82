"""Property tests: everything the codec writes, it reads back identically.

Every round trip runs in both byte orders and at every alignment origin 0..7 (the writer's first
octet sits at aligned index k, after k octets of junk), because alignment bugs only show away from 0.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tango_core.idl.command_any import decode_command_any, encode_command_any
from tango_core.idl.enums import CmdArgType, DevState
from tango_core.wire.cdr import PRIMITIVE_DTYPES, CDRReader, CDRWriter
from tango_core.wire.errors import MarshalError
from tango_core.wire.typecode import (
    TC_BOOLEAN, TC_CHAR, TC_DOUBLE, TC_FLOAT, TC_LONG, TC_LONGLONG, TC_NULL, TC_OCTET, TC_SHORT, TC_ULONG,
    TC_ULONGLONG, TC_USHORT, AliasTC, ArrayTC, EnumTC, ObjrefTC, SequenceTC, StringTC, StructTC, TCKind,
    TypeCode, UnionTC, cdr_kind, min_encoded_size, read_any, read_typecode, write_any, write_typecode,
)

T = CmdArgType
K = TCKind

byte_orders = st.booleans()
origins = st.integers(0, 7)

LATIN1_NO_NUL = st.characters(min_codepoint=1, max_codepoint=255)
cdr_text = st.text(LATIN1_NO_NUL, max_size=12)
names = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8)


def roundtrip(write, read, little_endian: bool, k: int):
    """Write at aligned index k (origin -k), read back from a buffer with k junk octets in front."""
    w = CDRWriter(little_endian, origin=-k)
    write(w)
    data = b"\xa5" * k + w.getvalue()
    r = CDRReader(data, little_endian, origin=0, pos=k)
    value = read(r)
    assert r.at_end(), f"{r.remaining()} octets left unread"
    return value


PRIMITIVE_VALUES = {
    "boolean": st.booleans(),
    "octet": st.integers(0, 255),
    "char": st.characters(min_codepoint=0, max_codepoint=255),
    "short": st.integers(-2**15, 2**15 - 1),
    "ushort": st.integers(0, 2**16 - 1),
    "long": st.integers(-2**31, 2**31 - 1),
    "ulong": st.integers(0, 2**32 - 1),
    "longlong": st.integers(-2**63, 2**63 - 1),
    "ulonglong": st.integers(0, 2**64 - 1),
    "float": st.floats(width=32, allow_nan=False),
    "double": st.floats(allow_nan=False),
}


# ---------------------------------------------------------------------------
# CDR level

@given(st.lists(st.sampled_from(sorted(PRIMITIVE_VALUES)).flatmap(
    lambda kind: st.tuples(st.just(kind), PRIMITIVE_VALUES[kind])), min_size=1, max_size=12),
    byte_orders, origins)
def test_primitives_roundtrip(items, le, k):
    def write(w):
        for kind, v in items:
            w.write_primitive(kind, v)

    def read(r):
        return [(kind, r.read_primitive(kind)) for kind, _v in items]

    assert roundtrip(write, read, le, k) == items


@given(st.lists(cdr_text, max_size=6), st.integers(-128, 127), byte_orders, origins)
def test_strings_roundtrip(strings, tail, le, k):
    def write(w):
        for s in strings:
            w.write_string(s)
        w.write_string_seq(strings)
        w.write_short(tail)  # alignment after odd-length strings

    def read(r):
        return [r.read_string() for _ in strings], r.read_string_seq(), r.read_short()

    assert roundtrip(write, read, le, k) == (strings, strings, tail)


@given(st.lists(cdr_text, max_size=8), st.integers(-128, 127), byte_orders, origins, st.booleans())
def test_a_run_of_strings_reads_as_string_by_string(strings, tail, le, k, writable):
    """read_strings(n) gives what n read_string() give, ends at the same place, over bytes and
    over a writable buffer (what big replies arrive in)."""
    w = CDRWriter(le, origin=-k)
    for s in strings:
        w.write_string(s)
    w.write_short(tail)
    data = b"\xa5" * k + w.getvalue()  # written at aligned index k, after k junk octets
    data = bytearray(data) if writable else data
    one, run = CDRReader(data, le, origin=0, pos=k), CDRReader(data, le, origin=0, pos=k)
    assert run.read_strings(len(strings)) == [one.read_string() for _ in strings] == strings
    assert run.pos == one.pos and run.read_short() == tail


@pytest.mark.parametrize("damage", ["truncated count", "truncated text", "no NUL"])
def test_a_damaged_run_of_strings_fails_as_string_by_string_does(damage):
    w = CDRWriter()
    for s in ("first", "second", "third"):
        w.write_string(s)
    data = bytearray(w.getvalue())
    if damage == "truncated count":
        data = data[:len(data) - len("third") - 1 - 2]
    elif damage == "truncated text":
        data = data[:-2]
    else:
        data[-1] = ord("x")
    with pytest.raises(MarshalError) as one:
        r = CDRReader(bytes(data))
        [r.read_string() for _ in range(3)]
    with pytest.raises(MarshalError) as run:
        CDRReader(bytes(data)).read_strings(3)
    assert str(run.value).split(" at offset")[0].split(" exceeds")[0] == \
        str(one.value).split(" at offset")[0].split(" exceeds")[0]


def _one_by_one(strings, le: bool, k: int, lead: bytes) -> bytes:
    w = CDRWriter(le, origin=-k)
    w.write_raw(lead)
    w.write_ulong(len(strings))
    for s in strings:
        w.write_string(s)
    return w.getvalue()


@given(st.lists(cdr_text, max_size=150), st.sampled_from(["str", "bytes", "mixed"]), st.binary(max_size=3),
       byte_orders, origins)
def test_string_seq_writes_what_string_by_string_writes(strings, form, lead, le, k):
    # write_string_seq joins and lays out long sequences with numpy: the octets must be the same
    values = [s.encode("latin-1") if form == "bytes" or (form == "mixed" and i % 2) else s
              for i, s in enumerate(strings)]
    w = CDRWriter(le, origin=-k)
    w.write_raw(lead)
    w.write_string_seq(values)
    assert w.getvalue() == _one_by_one(strings, le, k, lead)


@pytest.mark.parametrize("n", [1, 63, 64, 200])
@pytest.mark.parametrize("bad", ["nul\x00", "\u20ac", 7, None])
def test_string_seq_refusing_a_value_writes_nothing(n, bad):
    values = ["ok"] * n
    values[n // 2] = bad
    w = CDRWriter()
    w.write_octet(1)
    with pytest.raises((TypeError, ValueError)):
        w.write_string_seq(values, strict=True)
    assert w.getvalue() == b"\x01"


@st.composite
def numeric_arrays(draw):
    kind = draw(st.sampled_from(sorted(PRIMITIVE_DTYPES)))
    arr = draw(hnp.arrays(PRIMITIVE_DTYPES[kind], st.integers(0, 40)))
    return kind, arr


@given(numeric_arrays(), st.booleans(), byte_orders, origins)
def test_numeric_arrays_roundtrip(kind_arr, lead_octet, le, k):
    kind, arr = kind_arr

    def write(w):
        if lead_octet:
            w.write_octet(7)
        w.write_array(kind, arr)
        w.write_array(kind, arr, with_count=False)

    def read(r):
        if lead_octet:
            assert r.read_octet() == 7
        return r.read_array(kind), r.read_array(kind, len(arr))

    for got in roundtrip(write, read, le, k):
        assert got.dtype == PRIMITIVE_DTYPES[kind] and got.flags.writeable
        np.testing.assert_array_equal(got, arr)


@given(st.booleans(), st.integers(-2**31, 2**31 - 1), st.floats(allow_nan=False), cdr_text, byte_orders, origins)
def test_encapsulation_roundtrip(inner_le, n, x, s, le, k):
    """Nested encapsulations keep their own byte order and restart alignment at their flag octet."""
    def fill_inner(w):
        w.write_double(x)
        w.write_string(s)

    def fill(w):
        w.write_long(n)
        w.write_encapsulation(fill_inner, little_endian=not inner_le)
        w.write_double(x)

    def write(w):
        w.write_octet(1)
        w.write_encapsulation(fill, little_endian=inner_le)
        w.write_short(3)

    def read(r):
        assert r.read_octet() == 1
        e = r.read_encapsulation()
        assert e.little_endian == inner_le
        n2 = e.read_long()
        e2 = e.read_encapsulation()
        got = (n2, e2.read_double(), e2.read_string(), e.read_double(), r.read_short())
        assert e2.at_end() and e.at_end()
        return got

    assert roundtrip(write, read, le, k) == (n, x, s, x, 3)


# ---------------------------------------------------------------------------
# TypeCodes and anys

PRIMITIVE_TCS = [TC_SHORT, TC_LONG, TC_USHORT, TC_ULONG, TC_FLOAT, TC_DOUBLE, TC_BOOLEAN, TC_CHAR, TC_OCTET,
                 TC_LONGLONG, TC_ULONGLONG]
enums = st.builds(lambda rid, n, ms: EnumTC(rid, n, ms), names, names, st.lists(names, min_size=1, max_size=5))
leaf_tcs = st.one_of(
    st.sampled_from(PRIMITIVE_TCS + [TC_NULL]),
    st.builds(StringTC, st.integers(0, 20)),
    enums,
)


def _disc_domain(disc: TypeCode) -> st.SearchStrategy:
    if disc.kind == K.tk_enum:
        return st.integers(0, len(disc.members) - 1)
    return PRIMITIVE_VALUES[cdr_kind(disc)]


@st.composite
def unions(draw, children):
    disc = draw(st.one_of(st.sampled_from([TC_LONG, TC_SHORT, TC_ULONG, TC_USHORT, TC_LONGLONG, TC_ULONGLONG,
                                           TC_BOOLEAN, TC_CHAR]), enums))
    domain_size = len(disc.members) if disc.kind == K.tk_enum else 2 if disc.kind == K.tk_boolean else 3
    arms = draw(st.lists(children, min_size=1, max_size=min(3, domain_size)))
    labels = draw(st.lists(_disc_domain(disc), min_size=len(arms), max_size=len(arms), unique=True))
    default = draw(st.integers(-1, len(arms) - 1))
    members = [(None if i == default else lb, draw(names), tc) for i, (lb, tc) in enumerate(zip(labels, arms))]
    return UnionTC(draw(names), draw(names), disc, members, default)


def _extend(children):
    return st.one_of(
        st.builds(SequenceTC, children, st.integers(0, 3)),
        st.builds(ArrayTC, children, st.integers(1, 3)),
        st.builds(AliasTC, names, names, children),
        st.builds(lambda rid, n, ms: StructTC(rid, n, ms), names, names,
                  st.lists(st.tuples(names, children), max_size=3)),
        st.builds(lambda rid, n, ms: StructTC(rid, n, ms, kind=K.tk_except), names, names,
                  st.lists(st.tuples(names, children), max_size=3)),
        unions(children),
    )


typecodes = st.recursive(leaf_tcs, _extend, max_leaves=8)


@given(st.one_of(typecodes, st.builds(ObjrefTC, names, names)), byte_orders, origins)
def test_typecode_roundtrip(tc, le, k):
    got = roundtrip(lambda w: write_typecode(w, tc), read_typecode, le, k)
    assert got == tc and got.equivalent(tc)
    # re-encoding the decoded TypeCode gives identical octets
    a, b = CDRWriter(le), CDRWriter(le)
    write_typecode(a, tc)
    write_typecode(b, got)
    assert a.getvalue() == b.getvalue()


def values_for(tc: TypeCode) -> st.SearchStrategy:
    u = tc.unalias()
    kind = cdr_kind(u)
    if kind is not None:
        return PRIMITIVE_VALUES[kind]
    if u.kind == K.tk_null:
        return st.none()
    if u.kind == K.tk_string:
        return st.text(LATIN1_NO_NUL, max_size=u.bound or 12)
    if u.kind == K.tk_enum:
        return st.integers(0, len(u.members) - 1)
    if u.kind in (K.tk_sequence, K.tk_array):
        lo, hi = (u.length, u.length) if u.kind == K.tk_array else (0, u.bound or 4)
        ekind = cdr_kind(u.content_type.unalias())
        if ekind is not None:
            return hnp.arrays(PRIMITIVE_DTYPES[ekind], st.integers(lo, hi),
                              elements=PRIMITIVE_VALUES[ekind] if ekind != "char" else st.integers(0, 255))
        return st.lists(values_for(u.content_type), min_size=lo, max_size=hi)
    if u.kind in (K.tk_struct, K.tk_except):
        return st.tuples(*[values_for(m) for _n, m in u.members])
    if u.kind == K.tk_union:
        disc = u.discriminator_type.unalias()
        used = [m[0] for i, m in enumerate(u.members) if i != u.default_index]

        def arm(i):
            if i == u.default_index:
                d = _disc_domain(disc).filter(lambda v: all(v != x for x in used))
            else:
                d = st.just(u.members[i][0])
            return st.tuples(d, values_for(u.members[i][2]))
        return st.integers(0, len(u.members) - 1).flatmap(arm)
    raise AssertionError(f"no value strategy for {tc!r}")


def assert_same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), (a, b)
        for x, y in zip(a, b):
            assert_same(x, y)
    else:
        assert a == b and type(a) is type(b), (a, b)


def _has_sequence_of_empty_values(tc: TypeCode) -> bool:
    """Sequences/arrays of zero-octet values are refused on input (hostile-count guard, see typecode.py)."""
    u = tc.unalias()
    if u.kind in (K.tk_sequence, K.tk_array):
        return min_encoded_size(u.content_type) == 0 or _has_sequence_of_empty_values(u.content_type)
    if u.kind in (K.tk_struct, K.tk_except):
        return any(_has_sequence_of_empty_values(m) for _n, m in u.members)
    if u.kind == K.tk_union:
        return any(_has_sequence_of_empty_values(m) for _l, _n, m in u.members)
    return False


@settings(max_examples=200)
@given(typecodes.flatmap(lambda tc: st.tuples(st.just(tc), values_for(tc))), byte_orders, origins)
def test_any_roundtrip(tc_value, le, k):
    tc, value = tc_value
    assume(not _has_sequence_of_empty_values(tc))
    got_tc, got = roundtrip(lambda w: write_any(w, tc, value), read_any, le, k)
    assert got_tc == tc
    assert_same(got, value)


def _pipe_elt_typecode() -> StructTC:
    """A recursive type like Tango's DevPipeDataElt: struct E { string name; sequence<E> inner; }."""
    elt = StructTC("IDL:Tango/DevPipeDataElt:1.0", "DevPipeDataElt")
    elt.members = (("name", StringTC()), ("inner_blob", SequenceTC(elt)), ("n", TC_LONG))
    return elt


tree = st.recursive(st.just([]), lambda kids: st.lists(st.tuples(cdr_text, kids, st.integers(-5, 5)), max_size=3),
                    max_leaves=10)


@given(tree, byte_orders, origins)
def test_recursive_typecode_and_value_roundtrip(inner, le, k):
    tc = _pipe_elt_typecode()
    value = ("root", inner, 1)
    got_tc, got = roundtrip(lambda w: write_any(w, tc, value), read_any, le, k)
    assert got_tc == tc  # cyclic comparison terminates
    # the decoded TypeCode is cyclic too: its sequence element is the struct itself
    assert got_tc.members[1][1].content_type is got_tc
    assert _as_lists(got) == _as_lists(value)


def _as_lists(v):
    if isinstance(v, (list, tuple)):
        return [_as_lists(x) for x in v]
    return v


# ---------------------------------------------------------------------------
# command anys (the Tango layer on top)

def _array(dtype, elements):
    return hnp.arrays(np.dtype(dtype), st.integers(0, 6), elements=elements)


COMMAND_VALUES = {
    T.DevVoid: st.none(),
    T.DevBoolean: st.booleans(),
    T.DevShort: PRIMITIVE_VALUES["short"], T.DevUShort: PRIMITIVE_VALUES["ushort"],
    T.DevLong: PRIMITIVE_VALUES["long"], T.DevULong: PRIMITIVE_VALUES["ulong"],
    T.DevLong64: PRIMITIVE_VALUES["longlong"], T.DevULong64: PRIMITIVE_VALUES["ulonglong"],
    T.DevFloat: PRIMITIVE_VALUES["float"], T.DevDouble: PRIMITIVE_VALUES["double"],
    T.DevUChar: PRIMITIVE_VALUES["octet"],
    T.DevString: cdr_text,
    T.DevState: st.sampled_from(list(DevState)),
    T.DevVarCharArray: _array(np.uint8, None), T.DevVarShortArray: _array(np.int16, None),
    T.DevVarLongArray: _array(np.int32, None), T.DevVarFloatArray: _array(np.float32, None),
    T.DevVarDoubleArray: _array(np.float64, None), T.DevVarUShortArray: _array(np.uint16, None),
    T.DevVarULongArray: _array(np.uint32, None), T.DevVarBooleanArray: _array(np.bool_, None),
    T.DevVarLong64Array: _array(np.int64, None), T.DevVarULong64Array: _array(np.uint64, None),
    T.DevVarStringArray: st.lists(cdr_text, max_size=4),
    T.DevVarLongStringArray: st.tuples(_array(np.int32, None), st.lists(cdr_text, max_size=3)).map(list),
    T.DevVarDoubleStringArray: st.tuples(_array(np.float64, None), st.lists(cdr_text, max_size=3)).map(list),
    T.DevEncoded: st.tuples(cdr_text, st.binary(max_size=20)),
    T.DevVarStateArray: st.lists(st.sampled_from(list(DevState)), max_size=4),
    T.DevVarEncodedArray: st.lists(st.tuples(cdr_text, st.binary(max_size=8)), max_size=3),
}


@settings(max_examples=300)
@given(st.sampled_from(sorted(COMMAND_VALUES)).flatmap(lambda t: st.tuples(st.just(t), COMMAND_VALUES[t])),
       byte_orders, origins)
def test_command_any_roundtrip(type_value, le, k):
    argtype, value = type_value
    got_type, got = roundtrip(lambda w: encode_command_any(w, argtype, value), decode_command_any, le, k)
    assert got_type is argtype
    if argtype == T.DevState:
        assert got is value
    elif argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
        assert isinstance(got, list)
        assert_same(got[0], value[0])
        assert got[1] == value[1]
    else:
        assert_same(got, value)


@pytest.mark.parametrize("argtype,value,decoded_as", [
    (T.DevEnum, 3, (T.DevShort, 3)),              # DevEnum travels as a short
    (T.ConstDevString, "x", (T.DevString, "x")),
    (T.DevVarDoubleArray, [1, 2.5], (T.DevVarDoubleArray, np.array([1.0, 2.5]))),
    (T.DevVarLongArray, (1, 2), (T.DevVarLongArray, np.array([1, 2], np.int32))),
    (T.DevVarCharArray, b"\x01\xff", (T.DevVarCharArray, np.array([1, 255], np.uint8))),
    (T.DevBoolean, 1, (T.DevBoolean, True)),
    (T.DevDouble, True, (T.DevDouble, 1.0)),  # as PyTango
    (T.DevLong, True, (T.DevLong, 1)),
    (T.DevFloat, 1e40, (T.DevFloat, float("inf"))),  # as PyTango: the float32 cast overflows
    (T.DevDouble, np.float32(1.5), (T.DevDouble, 1.5)),
    (T.DevState, 11, (T.DevState, DevState.ALARM)),
    (T.DevEncoded, ("fmt", "text"), (T.DevEncoded, ("fmt", b"text"))),
    (T.DevVarLongStringArray, {"lvalue": [1], "svalue": ["a"]},
     (T.DevVarLongStringArray, [np.array([1], np.int32), ["a"]])),
    (T.DevString, "caf\xe9", (T.DevString, "caf\xe9")),  # latin-1 on the wire, as PyTango's command_inout
    (T.DevString, b"caf\xc3\xa9", (T.DevString, "caf\xc3\xa9")),  # bytes go out unchanged
    (T.DevVarStringArray, ["\u00e9", "x"], (T.DevVarStringArray, ["\u00e9", "x"])),
])
def test_command_any_accepts_pytango_style_inputs(argtype, value, decoded_as):
    w = CDRWriter()
    encode_command_any(w, argtype, value)
    got = decode_command_any(CDRReader(w.getvalue()))
    assert got[0] is decoded_as[0]
    if isinstance(decoded_as[1], list):
        assert_same(got[1][0], decoded_as[1][0])
        assert got[1][1] == decoded_as[1][1]
    else:
        assert_same(got[1], decoded_as[1])


def test_received_equivalent_typecodes_are_accepted():
    """Names, repository ids and extra alias layers do not matter when receiving (protocol.md §2.5)."""
    w = CDRWriter()
    bare = SequenceTC(TC_DOUBLE)                       # no alias at all
    write_any(w, bare, np.array([1.5]))
    renamed = StructTC("", "", [("", AliasTC("", "", AliasTC("x", "y", SequenceTC(TC_LONG)))),
                                ("", SequenceTC(StringTC(0)))])
    write_any(w, renamed, ([7], ["s"]))
    write_any(w, EnumTC("", "", [""] * 14), 2)     # DevState with empty names
    write_any(w, AliasTC("IDL:Tango/DevString:1.0", "DevString", StringTC(0)), "hi")
    r = CDRReader(w.getvalue())
    t1, v1 = decode_command_any(r)
    t2, v2 = decode_command_any(r)
    t3, v3 = decode_command_any(r)
    t4, v4 = decode_command_any(r)
    assert (t1, t2, t3, t4) == (T.DevVarDoubleArray, T.DevVarLongStringArray, T.DevState, T.DevString)
    np.testing.assert_array_equal(v1, [1.5])
    assert v2[1] == ["s"] and v2[0].dtype == np.int32 and v2[0].tolist() == [7]
    assert v3 is DevState.CLOSE and v4 == "hi"
    assert renamed.equivalent(StructTC("a", "b", [("l", SequenceTC(TC_LONG)), ("s", SequenceTC(StringTC()))]))
    assert renamed != StructTC("a", "b", [("l", SequenceTC(TC_LONG)), ("s", SequenceTC(StringTC()))])


@pytest.mark.parametrize("argtype,value,exc", [
    (T.DevLong, "12", TypeError),
    (T.DevLong, 1.5, TypeError),
    (T.DevLong, 2**31, ValueError),
    (T.DevUShort, -1, ValueError),
    (T.DevDouble, "1.0", TypeError),
    (T.DevBoolean, "yes", TypeError),
    (T.DevBoolean, 2, ValueError),  # PyTango: OverflowError
    (T.DevBoolean, 0.5, TypeError),
    (T.DevString, 5, TypeError),
    (T.DevString, "a\x00b", ValueError),
    (T.DevString, "\u20ac", ValueError),  # not Latin-1: PyTango refuses it too
    (T.DevVoid, 1, TypeError),
    (T.DevState, 14, ValueError),
    (T.DevState, "ON", TypeError),
    (T.DevVarDoubleArray, "1,2", TypeError),
    (T.DevVarDoubleArray, 1.0, TypeError),
    (T.DevVarDoubleArray, ["a"], TypeError),
    (T.DevVarLongArray, [1.5], TypeError),
    (T.DevVarShortArray, [70000], ValueError),
    (T.DevVarUShortArray, [-1], ValueError),
    (T.DevVarDoubleArray, [[1.0, 2.0]], ValueError),
    (T.DevVarBooleanArray, [1, 2], ValueError),  # PyTango: OverflowError
    (T.DevVarBooleanArray, [1.0], TypeError),
    (T.DevVarStringArray, "abc", TypeError),
    (T.DevVarStringArray, ["a", 1], TypeError),
    (T.DevVarLongStringArray, [[1]], TypeError),
    (T.DevVarLongStringArray, [["x"], ["a"]], TypeError),
    (T.DevEncoded, b"raw", TypeError),
    (T.DevEncoded, ("fmt", 12), TypeError),
    (30, None, ValueError),  # DevPipeBlob: no command any
    (T.Unknown, None, ValueError),
])
def test_command_any_rejects_wrong_values_and_writes_nothing(argtype, value, exc):
    w = CDRWriter()
    w.write_octet(9)
    with pytest.raises(exc) as info:
        encode_command_any(w, argtype, value)
    assert str(info.value)  # a message the client can show in DevFailed
    assert w.getvalue() == b"\x09"


# ---------------------------------------------------------------------------
# GIOP messages and IORs (tango_core.wire.giop / .ior) carrying command anys

from tango_core.wire import giop  # noqa: E402
from tango_core.wire.ior import (  # noqa: E402
    IOR, IIOPProfile, TaggedComponent, TaggedProfile, parse_corbaloc, parse_ior,
)

versions = st.sampled_from([(1, 0), (1, 1), (1, 2)])
ulongs = st.integers(0, 2**32 - 1)
contexts = st.lists(st.builds(giop.ServiceContext, ulongs, st.binary(max_size=12)), max_size=3)
command_values = st.sampled_from(sorted(COMMAND_VALUES)).flatmap(lambda t: st.tuples(st.just(t), COMMAND_VALUES[t]))


def _assert_command_value(argtype, got, value):
    if argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
        assert_same(got[0], value[0])
        assert got[1] == value[1]
    elif argtype == T.DevState:
        assert got is value
    else:
        assert_same(got, value)


operations = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,30}", fullmatch=True)


@given(versions, byte_orders, ulongs, st.binary(max_size=20), operations,
       st.booleans(), contexts, command_values)
def test_giop_request_roundtrip(version, le, rid, key, op, expected, ctxs, type_value):
    argtype, value = type_value

    def body(w):
        w.write_string("Cmd")
        encode_command_any(w, argtype, value)
    msg = giop.parse_message(giop.build_request(rid, key, op, body, version=version, response_expected=expected,
                                                service_contexts=ctxs, little_endian=le))
    assert isinstance(msg, giop.Request)
    assert (msg.version, msg.request_id, msg.object_key, msg.operation, msg.response_expected) == \
        (version, rid, key, op, expected)
    assert msg.service_contexts == ctxs and msg.little_endian == le
    assert msg.body.read_string() == "Cmd"
    got_type, got = decode_command_any(msg.body)
    assert got_type is argtype and msg.body.at_end()
    _assert_command_value(argtype, got, value)


@given(versions, st.booleans(), ulongs, st.binary(max_size=20), operations, contexts,
       st.lists(cdr_text, max_size=4), st.lists(ulongs, max_size=3))
def test_giop_request_with_encoded_args(version, expected, rid, key, op, ctxs, names, longs):
    """In-parameters encoded once (an attribute read's: strings and longs) make the same request
    as the writer that encodes them each time, in every GIOP version, and read back."""
    def body(w):
        w.write_string_seq(names)
        for n in longs:
            w.write_ulong(n)
    once = CDRWriter(True)
    body(once)
    encoded = giop.EncodedArgs(bytes(once.buf), body)
    raw = giop.build_request(rid, key, op, encoded, version=version, response_expected=expected,
                             service_contexts=ctxs)
    assert raw == giop.build_request(rid, key, op, body, version=version, response_expected=expected,
                                     service_contexts=ctxs)
    msg = giop.parse_message(raw)
    assert (msg.request_id, msg.object_key, msg.operation) == (rid, key, op)
    assert msg.body.read_string_seq() == names and [msg.body.read_ulong() for _ in longs] == longs
    assert msg.body.at_end()


@given(versions, byte_orders, ulongs, contexts, command_values)
def test_giop_reply_roundtrip(version, le, rid, ctxs, type_value):
    argtype, value = type_value
    raw = giop.build_reply(rid, giop.ReplyStatus.NO_EXCEPTION, lambda w: encode_command_any(w, argtype, value),
                           version=version, little_endian=le, service_contexts=ctxs)
    hdr = giop.parse_header(raw[:12])
    assert hdr.size == len(raw) - 12 and hdr.little_endian == le and hdr.msg_type == giop.MsgType.Reply
    msg = giop.parse_message(raw)
    assert (msg.version, msg.request_id, msg.status, msg.service_contexts) == \
        (version, rid, giop.ReplyStatus.NO_EXCEPTION, ctxs)
    got_type, got = decode_command_any(msg.body)
    assert got_type is argtype and msg.body.at_end()
    _assert_command_value(argtype, got, value)


@given(versions, byte_orders, ulongs, st.from_regex(r"[A-Z_]{1,20}", fullmatch=True), ulongs,
       st.sampled_from(list(giop.CompletionStatus)))
def test_giop_system_exception_roundtrip(version, le, rid, name, minor, completed):
    repo = f"IDL:omg.org/CORBA/{name}:1.0"
    msg = giop.parse_message(giop.build_reply(rid, giop.ReplyStatus.SYSTEM_EXCEPTION,
                                              giop.system_exception_body(repo, minor, completed),
                                              version=version, little_endian=le))
    assert msg.status == giop.ReplyStatus.SYSTEM_EXCEPTION and msg.exception_id == repo
    assert msg.system_exception == giop.SystemException(repo, minor, completed)


hosts = st.one_of(st.ip_addresses().map(str), st.from_regex(r"[a-z][a-z0-9.-]{0,20}", fullmatch=True))


@st.composite
def iiop_iors(draw):
    alt = draw(st.lists(st.tuples(hosts, st.integers(1, 65535)), max_size=2))
    comps = [TaggedComponent(3, CDRWriter.encapsulate(lambda w, h=h, p=p: (w.write_string(h), w.write_ushort(p)),
                                                      draw(st.booleans())))
             for h, p in alt]
    profile = IIOPProfile((1, 2), draw(hosts), draw(st.integers(1, 65535)), draw(st.binary(max_size=20)),
                          tuple(comps))
    other = [TaggedProfile(draw(st.integers(1, 10)), draw(st.binary(max_size=8)))] if draw(st.booleans()) else []
    ior = IOR(draw(names), (TaggedProfile(0, profile.encode(draw(st.booleans()))), *other))
    return ior, profile, alt


@given(iiop_iors(), byte_orders)
def test_ior_roundtrip(ior_profile_alt, le):
    ior, profile, alt = ior_profile_alt
    text = ior.to_string(le)
    got = parse_ior(text)
    assert got == ior and parse_ior("IOR:" + text[4:].upper()) == ior
    (p,) = got.iiop_profiles()
    assert (p.host, p.port, p.object_key) == (profile.host, profile.port, profile.object_key)
    assert p.addresses() == [(profile.host, profile.port), *alt]


@given(st.lists(st.tuples(st.sampled_from([(1, 0), (1, 1), (1, 2)]), hosts, st.integers(1, 65535)), min_size=1,
                max_size=3), st.binary(min_size=1, max_size=20))
def test_corbaloc_roundtrip(addresses, key):
    from tango_core.wire.ior import Corbaloc
    loc = Corbaloc(tuple(addresses), key)
    assert parse_corbaloc(loc.to_string()) == loc
