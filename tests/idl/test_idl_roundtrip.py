"""Property tests: every IDL struct survives encode -> decode in both byte orders, at any
stream alignment, and malformed input only ever raises MarshalError."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tango_core.idl import types as T
from tango_core.idl.enums import (
    ARM_KIND, AttrDataFormat, AttributeDataType, AttrQuality, AttrWriteType, CmdArgType, DevState,
    DispLevel, ErrSeverity, LockerLanguage, PipeWriteType, TraceContextFormat,
)
from tango_core.idl.errors import (
    DevError, DevFailed, MultiDevFailed, NamedDevError, decode_user_exception, read_dev_error_list,
    write_user_exception,
)
from tango_core.wire import structs
from tango_core.wire.cdr import PRIMITIVE_DTYPES, CDRReader, CDRWriter
from tango_core.wire.errors import MarshalError

# ---------------------------------------------------------------------------
# strategies

cdr_text = st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=255), max_size=12)
longs = st.integers(-2**31, 2**31 - 1)
ulongs = st.integers(0, 2**32 - 1)
string_lists = st.lists(cdr_text, max_size=4)
data_types = st.one_of(st.sampled_from(CmdArgType), longs)


def _array(kind: str):
    dtype = PRIMITIVE_DTYPES["boolean" if kind == "boolean" else kind]
    return hnp.arrays(dtype, st.integers(0, 6))


def _union_value(arm: AttributeDataType):
    if arm is AttributeDataType.ATT_STRING:
        return string_lists
    if arm is AttributeDataType.DEVICE_STATE:
        return st.sampled_from(DevState)
    if arm is AttributeDataType.ATT_STATE:
        return st.lists(st.sampled_from(DevState), max_size=4)
    if arm is AttributeDataType.ATT_ENCODED:
        return st.lists(encoded, max_size=3)
    if arm is AttributeDataType.ATT_NO_DATA:
        return st.booleans()
    return _array(ARM_KIND[arm])


encoded = st.builds(T.DevEncoded, cdr_text, st.binary(max_size=10))
union = st.sampled_from(AttributeDataType).flatmap(lambda arm: _union_value(arm).map(lambda v: T.AttrValUnion(arm, v)))
dev_error = st.builds(DevError, cdr_text, cdr_text, cdr_text, st.sampled_from(ErrSeverity))
dev_errors = st.lists(dev_error, max_size=3)

# per-annotation strategies for the dataclass fields (annotations are strings: postponed evaluation)
_BY_ANNOTATION = {
    "str": cdr_text,
    "int": longs,
    "bool": st.booleans(),
    "bytes": st.binary(max_size=10),
    "list[str]": string_lists,
    "CmdArgType | int": data_types,
    "AttrQuality": st.sampled_from(AttrQuality),
    "AttrDataFormat": st.sampled_from(AttrDataFormat),
    "AttrWriteType": st.sampled_from(AttrWriteType),
    "DispLevel": st.sampled_from(DispLevel),
    "PipeWriteType": st.sampled_from(PipeWriteType),
    "TraceContextFormat": st.sampled_from(TraceContextFormat),
    "list[DevError]": dev_errors,
    "AttrValUnion": union,
    "TimeVal": st.builds(T.TimeVal, longs, longs, longs),
    "tuple[int, int]": st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1)),
    "CorbaAny": union.map(T.CorbaAny.from_union),
    "list[AttrQuality]": st.lists(st.sampled_from(AttrQuality), max_size=3),
    "list[list[DevError]]": st.lists(dev_errors, max_size=2),
}
# fields whose IDL type is unsigned
_OVERRIDES = {("ZmqCallInfo", "ctr"): ulongs, ("CppClntIdent_6", "cpp_clnt"): ulongs}


def strategy_for(cls):
    """A strategy building ``cls`` with every field drawn from its IDL type."""
    if cls is T.TimeVal:
        return _BY_ANNOTATION["TimeVal"]
    if cls is T.AttrValUnion:
        return union
    if cls is T.DevVarLongStringArray:
        return st.builds(T.DevVarLongStringArray, _array("long"), string_lists)
    if cls is T.DevVarDoubleStringArray:
        return st.builds(T.DevVarDoubleStringArray, _array("double"), string_lists)
    if cls is DevError:
        return dev_error
    if cls is T.CorbaAny:
        return _BY_ANNOTATION["CorbaAny"]
    if cls is NamedDevError:
        return st.builds(NamedDevError, cdr_text, longs, dev_errors)
    if cls is T.ClntIdent:
        return st.one_of(
            st.builds(T.ClntIdent, st.just(LockerLanguage.CPP), ulongs),
            st.builds(T.ClntIdent, st.just(LockerLanguage.JAVA), strategy_for(T.JavaClntIdent)),
            st.builds(T.ClntIdent, st.just(LockerLanguage.CPP_6), strategy_for(T.CppClntIdent_6)),
            st.builds(T.ClntIdent, st.just(LockerLanguage.JAVA_6), strategy_for(T.JavaClntIdent_6)),
        )
    kwargs = {}
    for f in structs.fields(cls):
        key = (cls.__name__, f.name)
        if key in _OVERRIDES:
            kwargs[f.name] = _OVERRIDES[key]
        elif f.type in _BY_ANNOTATION:
            kwargs[f.name] = _BY_ANNOTATION[f.type]
        elif f.type.startswith("list["):
            kwargs[f.name] = st.lists(strategy_for(getattr(T, f.type[5:-1])), max_size=2)
        else:
            kwargs[f.name] = strategy_for(getattr(T, f.type))
    return st.builds(cls, **kwargs)


ALL_TYPES = [
    T.DevVarLongStringArray, T.DevVarDoubleStringArray, T.DevEncoded, T.TimeVal, T.DevCmdInfo,
    T.DevCmdInfo_2, T.DevInfo, T.DevInfo_3, T.DevInfoVersion, T.DevInfo_6, T.AttributeDim,
    T.AttrValUnion, T.AttributeValue_4, T.AttributeValue_5, T.AttributeConfig, T.AttributeConfig_2,
    T.AttributeAlarm, T.ChangeEventProp, T.PeriodicEventProp, T.ArchiveEventProp, T.EventProperties,
    T.AttributeConfig_3, T.AttributeConfig_5, T.PipeConfig, T.AttDataReady, T.DevIntrChange,
    T.EltInArray, T.ZmqCallInfo, T.JavaClntIdent, T.W3CTraceContextV0, T.TraceContext,
    T.CppClntIdent_6, T.JavaClntIdent_6, T.ClntIdent, DevError, NamedDevError,
    T.CorbaAny, T.AttributeValue, T.AttributeValue_3, T.DevCmdHistory, T.DevAttrHistory, T.DevAttrHistory_3,
    T.DevAttrHistory_4, T.DevAttrHistory_5, T.DevCmdHistory_4,
]


def encode(obj, little_endian: bool, offset: int) -> bytes:
    """Encode ``obj`` as if it started at aligned stream position ``offset``."""
    w = CDRWriter(little_endian, origin=-offset)
    obj.write(w)
    return w.getvalue()


def decode(cls, data: bytes, little_endian: bool, offset: int):
    r = CDRReader(b"\xee" * offset + data, little_endian, origin=0, pos=offset)
    value = cls.read(r)
    assert r.at_end()
    return value


# ---------------------------------------------------------------------------
# round trips

@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
@given(data=st.data(), little_endian=st.booleans(), offset=st.integers(0, 7))
@settings(max_examples=40)
def test_roundtrip(cls, data, little_endian, offset):
    obj = data.draw(strategy_for(cls))
    wire = encode(obj, little_endian, offset)
    back = decode(cls, wire, little_endian, offset)
    assert back == obj
    assert type(back) is type(obj)
    assert encode(back, little_endian, offset) == wire


@given(little_endian=st.booleans(), errors=dev_errors)
def test_dev_failed_user_exception_roundtrip(little_endian, errors):
    w = CDRWriter(little_endian)
    write_user_exception(w, DevFailed(*errors))
    r = CDRReader(w.getvalue(), little_endian)
    exc = decode_user_exception(r.read_string(), r)
    assert type(exc) is DevFailed and exc.args == tuple(errors) and r.at_end()


@given(little_endian=st.booleans(), named=st.lists(strategy_for(NamedDevError), max_size=3))
def test_multi_dev_failed_user_exception_roundtrip(little_endian, named):
    w = CDRWriter(little_endian)
    write_user_exception(w, MultiDevFailed(named))
    r = CDRReader(w.getvalue(), little_endian)
    exc = decode_user_exception(r.read_string(), r)
    assert type(exc) is MultiDevFailed and exc.errors == named and r.at_end()
    assert exc.args == tuple(e for n in named for e in n.err_list)


def test_big_endian_layout_is_really_big_endian():
    w = CDRWriter(False)
    T.TimeVal(1, 2, 3).write(w)
    assert w.getvalue() == bytes.fromhex("00000001 00000002 00000003")
    w = CDRWriter(True)
    T.AttrValUnion(AttributeDataType.ATT_DOUBLE, np.array([1.5])).write(w)
    assert w.getvalue() == bytes.fromhex("05000000 01000000 000000000000f83f")


@given(u=union)
def test_any_of_an_attribute_value_converts_back_to_the_same_union(u):
    """IDL-1..3 devices send attribute values as ``any``s; they map onto the IDL-4+ union."""
    a = T.CorbaAny.from_union(u)
    back = decode(T.CorbaAny, encode(a, True, 0), True, 0)
    if u.arm is AttributeDataType.ATT_NO_DATA:  # an empty any: the union_no_data flag is not carried
        assert back.to_union() == T.AttrValUnion.no_data()
    else:
        assert back.to_union() == u


def test_any_that_is_no_attribute_value_is_marshal_error():
    from tango_core.wire.typecode import TC_DOUBLE
    with pytest.raises(MarshalError):
        T.CorbaAny(TC_DOUBLE, 1.0).to_union()


# ---------------------------------------------------------------------------
# malformed input

@pytest.mark.parametrize("cls", ALL_TYPES, ids=lambda c: c.__name__)
@given(data=st.data(), little_endian=st.booleans())
@settings(max_examples=25)
def test_truncated_input_raises_marshal_error(cls, data, little_endian):
    wire = encode(data.draw(strategy_for(cls)), little_endian, 0)
    cut = data.draw(st.integers(0, len(wire) - 1))
    with pytest.raises(MarshalError):
        decode(cls, wire[:cut], little_endian, 0)


@pytest.mark.parametrize("cls", [T.AttributeValue_5, T.AttributeConfig_5, T.DevIntrChange, T.ClntIdent,
                                 T.DevInfo_6, T.DevVarLongStringArray], ids=lambda c: c.__name__)
@given(junk=st.binary(max_size=200), little_endian=st.booleans())
@settings(max_examples=60)
def test_garbage_input_only_raises_marshal_error(cls, junk, little_endian):
    r = CDRReader(junk, little_endian)
    try:
        cls.read(r)
    except MarshalError:
        pass


def test_hostile_sequence_count_is_rejected_without_allocating():
    w = CDRWriter()
    w.write_enum(AttributeDataType.ATT_DOUBLE)
    w.write_ulong(0xFFFFFFF0)  # claims ~4 G doubles
    with pytest.raises(MarshalError):
        T.AttrValUnion.read(CDRReader(w.getvalue()))
    w = CDRWriter()
    w.write_ulong(0x7FFFFFFF)  # DevErrorList of 2 G entries
    with pytest.raises(MarshalError):
        read_dev_error_list(CDRReader(w.getvalue()))


@pytest.mark.parametrize("writer", [
    lambda w: w.write_enum(15),                           # AttrValUnion arm past ATT_NO_DATA
    lambda w: (w.write_enum(AttributeDataType.DEVICE_STATE), w.write_enum(14)),  # DevState past UNKNOWN
    lambda w: (w.write_enum(AttributeDataType.ATT_STATE), w.write_ulong(1), w.write_enum(99)),
])
def test_out_of_range_enum_in_union_is_marshal_error(writer):
    w = CDRWriter()
    writer(w)
    with pytest.raises(MarshalError):
        T.AttrValUnion.read(CDRReader(w.getvalue()))


def test_unknown_discriminator_of_clnt_ident_is_marshal_error():
    w = CDRWriter()
    w.write_enum(4)
    w.write_ulong(1)
    with pytest.raises(MarshalError):
        T.ClntIdent.read(CDRReader(w.getvalue()))


def test_unknown_user_exception_id_is_marshal_error():
    with pytest.raises(MarshalError):
        decode_user_exception("IDL:Tango/NoSuch:1.0", CDRReader(b""))


def test_unknown_data_type_code_is_kept_as_int():
    av = T.AttributeValue_5(data_type=77)
    back = decode(T.AttributeValue_5, encode(av, True, 0), True, 0)
    assert back.data_type == 77 and not isinstance(back.data_type, CmdArgType)
    known = decode(T.AttributeValue_5, encode(T.AttributeValue_5(data_type=5), True, 0), True, 0)
    assert known.data_type is CmdArgType.DevDouble


# ---------------------------------------------------------------------------
# speed: big values decode in bulk, never element by element

def test_million_double_attribute_value_decodes_in_bulk():
    values = np.linspace(0.0, 1.0, 1_000_000)
    av = T.AttributeValue_5(T.AttrValUnion(AttributeDataType.ATT_DOUBLE, values),
                            quality=AttrQuality.ATTR_VALID, data_format=AttrDataFormat.SPECTRUM,
                            data_type=CmdArgType.DevDouble, name="big", r_dim=T.AttributeDim(1_000_000, 0))
    for little_endian in (True, False):
        wire = encode(av, little_endian, 4)
        t0 = time.perf_counter()
        back = decode(T.AttributeValue_5, wire, little_endian, 4)
        elapsed = time.perf_counter() - t0
        assert np.array_equal(back.value.value, values) and back.value.value.dtype == np.float64
        # a per-element Python loop takes ~1 s for 10**6 doubles; one numpy copy takes milliseconds
        assert elapsed < 0.25, f"decoding 10**6 doubles took {elapsed:.3f} s"
        assert back.value.value.flags.writeable


@pytest.mark.parametrize("repo_id", ["IDL:Tango/DevFailed:1.0", "IDL:Tango/MultiDevFailed:1.0"])
@given(junk=st.binary(max_size=120), little_endian=st.booleans())
@settings(max_examples=60)
def test_garbage_user_exception_body_only_raises_marshal_error(repo_id, junk, little_endian):
    try:
        decode_user_exception(repo_id, CDRReader(junk, little_endian))
    except MarshalError:
        pass


# ---------------------------------------------------------------------------
# the names alone of an AttributeConfigList_5 (get_attribute_list)

@given(data=st.data(), little_endian=st.booleans(), offset=st.integers(0, 7))
@settings(max_examples=40)
def test_attribute_names_alone_match_the_full_decoding(data, little_endian, offset):
    configs = data.draw(st.lists(strategy_for(T.AttributeConfig_5).filter(lambda c: c.name), max_size=4))
    w = CDRWriter(little_endian, origin=-offset)
    w.write_ulong(len(configs))
    for c in configs:
        c.write(w)
    wire = w.getvalue()
    r = CDRReader(b"\xee" * offset + wire, little_endian, origin=0, pos=offset)
    assert T.AttributeConfig_5.read_names(r) == [c.name for c in configs]
    assert r.at_end()
    for cut in range(4, len(wire), max(1, len(wire) // 7)):      # truncated: MarshalError, nothing else
        r = CDRReader(b"\xee" * offset + wire[:cut], little_endian, origin=0, pos=offset)
        with pytest.raises(MarshalError):
            T.AttributeConfig_5.read_names(r)


@given(junk=st.binary(max_size=300), little_endian=st.booleans())
@settings(max_examples=80)
def test_attribute_names_alone_of_garbage_only_raise_marshal_error(junk, little_endian):
    try:
        T.AttributeConfig_5.read_names(CDRReader(junk, little_endian))
    except MarshalError:
        pass
