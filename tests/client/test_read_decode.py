"""read_attribute's reply decoding: the straight paths (one numeric scalar, or one numeric
spectrum or image, decoded from the octets into the DeviceAttribute) give exactly what the
general path (AttributeValue_5, then from_attribute_value) gives, and everything else goes the
general way.

Bodies come from real traffic (Debian's cppTango 9.3 TangoTest answering a PyTango client,
tests/data/tangotest93.log) and, for the arms, qualities and byte orders TangoTest does not
send, from re-encoding its replies with those fields changed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from captures import exchanges, fresh
from tango_core.client.device_attribute import from_attribute_value, read_attribute_reply_5, read_attributes_reply_5
from tango_core.idl.enums import AttrDataFormat, AttributeDataType, AttrQuality, CmdArgType, ErrSeverity
from tango_core.idl.errors import DevError
from tango_core.idl.types import (AttributeDim, AttributeValue_5, AttrValUnion, TimeVal, one_value_list,
                                  read_array_value_5, read_scalar_value_5)
from tango_core.wire.cdr import CDRReader, CDRWriter
from tango_core.wire.errors import CodecError

A = AttributeDataType

#: numeric arm -> (data_type, values read + set point) with extreme values of the type
NUMERIC = {
    A.ATT_BOOL: (CmdArgType.DevBoolean, np.array([True, False])),
    A.ATT_SHORT: (CmdArgType.DevShort, np.array([-32768, 32767], np.int16)),
    A.ATT_LONG: (CmdArgType.DevLong, np.array([-2**31, 2**31 - 1], np.int32)),
    A.ATT_LONG64: (CmdArgType.DevLong64, np.array([-2**63, 2**63 - 1], np.int64)),
    A.ATT_FLOAT: (CmdArgType.DevFloat, np.array([1.1, -np.inf], np.float32)),
    A.ATT_DOUBLE: (CmdArgType.DevDouble, np.array([np.nan, -0.0], np.float64)),
    A.ATT_UCHAR: (CmdArgType.DevUChar, np.array([255, 0], np.uint8)),
    A.ATT_USHORT: (CmdArgType.DevUShort, np.array([65535, 1], np.uint16)),
    A.ATT_ULONG: (CmdArgType.DevULong, np.array([2**32 - 1, 7], np.uint32)),
    A.ATT_ULONG64: (CmdArgType.DevULong64, np.array([2**64 - 1, 3], np.uint64)),
}


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(
            a, b, equal_nan=a.dtype.kind == "f") and a.flags.writeable == b.flags.writeable
    return a == b


def _assert_same_attribute(ours, general) -> None:
    """The same fields in the same order, each of the same type and value."""
    assert list(vars(ours)) == list(vars(general))
    for key, value in vars(general).items():
        got = vars(ours)[key]
        assert type(got) is type(value), (key, got, value)
        assert _same(got, value), (key, got, value)


def _decode_both(body: bytes, little_endian: bool, start: int = 0):
    """(straight, general, whether a straight path took it): both decode the whole body."""
    taken = any(one_value_list(CDRReader(body, little_endian, 0, start), read) is not None
                for read in (read_scalar_value_5, read_array_value_5))
    r1 = CDRReader(body, little_endian, 0, start)
    ours = read_attribute_reply_5(r1)
    r2 = CDRReader(body, little_endian, 0, start)
    general = from_attribute_value(AttributeValue_5.read_list(r2)[0])
    assert r1.pos == r2.pos
    return ours, general, taken


def _encode(av: AttributeValue_5, little_endian: bool, entries: int = 1) -> bytes:
    w = CDRWriter(little_endian)
    w.write_ulong(entries)
    for _ in range(entries):
        av.write(w)
    return w.getvalue()


def _captured_reads():
    """(attribute name, reply body, byte order, body start) of every one-attribute read in the capture."""
    out = []
    for req, rep in exchanges("tangotest93.log", "read_attributes_5"):
        names = fresh(req).body.read_string_seq()
        reply = fresh(rep)
        if len(names) == 1 and reply.status == 0:
            out.append((names[0], reply.body.data, reply.body.little_endian, reply.body.pos))
    return out


CAPTURED = _captured_reads()


def _captured_av(attr: str) -> tuple[AttributeValue_5, bool]:
    for name, body, little, start in CAPTURED:
        if name == attr:
            return AttributeValue_5.read_list(CDRReader(body, little, 0, start))[0], little
    raise LookupError(attr)


def test_captured_tangotest_reads_decode_the_same_both_ways():
    taken = set()
    for name, body, little, start in CAPTURED:
        ours, general, fast = _decode_both(body, little, start)
        _assert_same_attribute(ours, general)
        if fast:
            taken.add(name)
    # the straight paths are the ones TangoTest's numeric scalars, spectra and images take (not
    # the boolean arrays); the others go the general way
    assert {"double_scalar", "long_scalar", "boolean_scalar", "double_spectrum", "double_spectrum_ro",
            "double_image_ro", "long_spectrum_ro", "short_image_ro"} & {n for n, *_ in CAPTURED} <= taken, taken
    assert not any(n.endswith(("string_scalar", "State", "Status", "boolean_spectrum", "boolean_image"))
                   or n.startswith("string_") for n in taken), taken


@pytest.mark.parametrize("little_endian", [True, False], ids=["LE", "BE"])
@pytest.mark.parametrize("arm", list(NUMERIC), ids=lambda a: a.name)
@pytest.mark.parametrize("count", [1, 2], ids=["read", "read+set"])
def test_every_numeric_scalar_decodes_the_same_both_ways(arm, count, little_endian):
    data_type, values = NUMERIC[arm]
    base, _ = _captured_av("double_scalar")
    for quality in AttrQuality:
        av = AttributeValue_5(AttrValUnion(arm, values[:count]), quality, AttrDataFormat.SCALAR, data_type,
                              TimeVal(1700000000, 123456, 7), base.name, AttributeDim(1, 0),
                              AttributeDim(count - 1, 0), [])
        ours, general, taken = _decode_both(_encode(av, little_endian), little_endian)
        assert taken
        _assert_same_attribute(ours, general)
        assert type(ours.value) is {"b": bool, "f": float}.get(values.dtype.kind, int)
        assert ours.quality is quality and ours.type is data_type


def test_a_scalar_of_a_write_only_attribute_has_its_set_point_as_value_too():
    data_type, values = NUMERIC[A.ATT_LONG]
    av = AttributeValue_5(AttrValUnion(A.ATT_LONG, values[:1]), AttrQuality.ATTR_VALID, AttrDataFormat.SCALAR,
                          data_type, TimeVal(1, 2, 3), "w", AttributeDim(0, 0), AttributeDim(1, 0), [])
    ours, general, taken = _decode_both(_encode(av, True), True)
    assert taken and ours.value is None and ours.w_value == -2**31
    _assert_same_attribute(ours, general)


ARRAY_ARMS = [arm for arm in NUMERIC if arm is not A.ATT_BOOL]


@pytest.mark.parametrize("writable_buffer", [True, False], ids=["bytearray", "bytes"])
@pytest.mark.parametrize("little_endian", [True, False], ids=["LE", "BE"])
@pytest.mark.parametrize("arm", ARRAY_ARMS, ids=lambda a: a.name)
@pytest.mark.parametrize("shape", ["spectrum", "spectrum+set", "image", "image+set", "image+set(x,0)",
                                   "write-only spectrum"])
def test_every_numeric_array_decodes_the_same_both_ways(arm, little_endian, shape, writable_buffer):
    data_type, extremes = NUMERIC[arm]
    fmt = AttrDataFormat.IMAGE if shape.startswith("image") else AttrDataFormat.SPECTRUM
    r_dim, w_dim = {"spectrum": ((5, 0), (0, 0)), "spectrum+set": ((5, 0), (3, 0)), "image": ((3, 2), (0, 0)),
                    "image+set": ((3, 2), (2, 2)), "image+set(x,0)": ((3, 2), (3, 0)),
                    "write-only spectrum": ((0, 0), (4, 0))}[shape]
    count = (r_dim[0] * max(r_dim[1], 1) if r_dim[0] else 0) + w_dim[0] * (w_dim[1] if fmt is AttrDataFormat.IMAGE
                                                                           else 1)
    count = max(count, 3)
    values = np.resize(extremes, count)
    av = AttributeValue_5(AttrValUnion(arm, values), AttrQuality.ATTR_CHANGING, fmt, data_type,
                          TimeVal(1700000000, 123456, 7), "arr", AttributeDim(*r_dim), AttributeDim(*w_dim), [])
    body = _encode(av, little_endian)
    body = bytearray(body) if writable_buffer else bytes(body)
    ours, general, taken = _decode_both(body, little_endian)
    assert taken == (little_endian == (np.little_endian)), "the native byte order takes the straight path"
    _assert_same_attribute(ours, general)
    assert ours.value.flags.writeable and ours.w_value.flags.writeable
    if taken:
        # zero copy from a writable buffer, a copy of its own from an immutable one
        part = ours.value if ours.value.size else ours.w_value
        assert np.shares_memory(part, np.frombuffer(body, np.uint8)) == writable_buffer


def test_straight_array_reads_of_captured_images_are_views_of_the_reply_buffer():
    for name, body, little, start in CAPTURED:
        if name == "double_image_ro":
            buf = bytearray(body)
            da = read_attribute_reply_5(CDRReader(buf, little, 0, start))
            assert da.value.shape == (da.dim_y, da.dim_x) and da.value.dtype == np.float64
            assert np.shares_memory(da.value, np.frombuffer(buf, np.uint8))
            return
    pytest.skip("no double_image_ro read in the capture")


def _unusual_replies():
    base, little = _captured_av("double_scalar")
    error = DevError("API_AttrValueNotSet", "no value", "read_attr", ErrSeverity.ERR)

    def variant(**changes):
        fields = dict(value=base.value, quality=base.quality, data_format=base.data_format,
                      data_type=base.data_type, time=base.time, name=base.name, r_dim=base.r_dim,
                      w_dim=base.w_dim, err_list=[])
        fields.update(changes)
        return AttributeValue_5(**fields)

    yield "errors", _encode(variant(value=AttrValUnion(A.ATT_NO_DATA, True), quality=AttrQuality.ATTR_INVALID,
                                    err_list=[error]), little), little
    yield "errors and a value", _encode(variant(err_list=[error]), little), little
    yield "no value", _encode(variant(value=AttrValUnion(A.ATT_DOUBLE, np.array([], np.float64)),
                                      quality=AttrQuality.ATTR_INVALID), little), little
    yield "spectrum of one", _encode(variant(data_format=AttrDataFormat.SPECTRUM,
                                             value=AttrValUnion(A.ATT_DOUBLE, np.array([2.5]))), little), little
    yield "three values", _encode(variant(value=AttrValUnion(A.ATT_DOUBLE, np.array([1.0, 2.0, 3.0]))), little), little
    yield "string", _encode(variant(value=AttrValUnion(A.ATT_STRING, ["x"]), data_type=CmdArgType.DevString),
                            little), little
    yield "state", _encode(variant(value=AttrValUnion(A.ATT_STATE, [0]), data_type=CmdArgType.DevState),
                           little), little
    yield "two entries", _encode(variant(), little, entries=2), little
    yield "format unknown", _encode(variant(data_format=AttrDataFormat.FMT_UNKNOWN), little), little
    yield "boolean spectrum", _encode(variant(data_format=AttrDataFormat.SPECTRUM, data_type=CmdArgType.DevBoolean,
                                              value=AttrValUnion(A.ATT_BOOL, np.array([True, False, True]))),
                                      little), little
    yield "state spectrum", _encode(variant(data_format=AttrDataFormat.SPECTRUM, data_type=CmdArgType.DevState,
                                            value=AttrValUnion(A.ATT_STATE, [0, 1, 2])), little), little
    yield "spectrum with errors", _encode(variant(data_format=AttrDataFormat.SPECTRUM, err_list=[error],
                                                  value=AttrValUnion(A.ATT_DOUBLE, np.arange(5.0))), little), little
    yield "image with an unknown quality", _encode(variant(data_format=AttrDataFormat.IMAGE, quality=9,
                                                           value=AttrValUnion(A.ATT_DOUBLE, np.arange(6.0)),
                                                           r_dim=AttributeDim(3, 2)), little), little


@pytest.mark.parametrize("case", list(_unusual_replies()), ids=lambda c: c[0])
def test_unusual_replies_go_the_general_way(case):
    what, body, little = case
    assert one_value_list(CDRReader(body, little), read_scalar_value_5) is None
    assert one_value_list(CDRReader(body, little), read_array_value_5) is None
    if what == "image with an unknown quality":
        with pytest.raises(CodecError):  # as the general path refuses it
            read_attribute_reply_5(CDRReader(body, little))
        return
    ours, general, _taken = _decode_both(body, little)
    _assert_same_attribute(ours, general)


def test_an_unknown_quality_or_a_truncated_reply_fails_as_in_the_general_path():
    base, little = _captured_av("double_scalar")
    body = bytearray(_encode(base, little))
    whole = bytes(body)
    # the quality follows the union: list count, discriminator, value count, padding to 8, two doubles
    assert little and len(base.value.value) == 2
    quality_at = 16 + 16
    assert body[quality_at] == int(base.quality)
    body[quality_at] = 9
    with pytest.raises(CodecError):
        read_attribute_reply_5(CDRReader(bytes(body), little))
    for cut in (4, 12, 20, 40, len(whole) - 1):
        with pytest.raises(CodecError):
            read_attribute_reply_5(CDRReader(whole[:cut], little))


def test_a_list_of_values_decodes_entry_by_entry_the_same_both_ways():
    """read_attributes: each entry of the list takes the straight path it can, the others the
    general one, and the list decodes as the general path decodes it."""
    entries = []
    for name in ("double_scalar", "double_spectrum_ro", "string_scalar", "double_image_ro", "boolean_spectrum_ro",
                 "long_scalar"):
        try:
            entries.append(_captured_av(name)[0])
        except LookupError:
            continue
    assert len(entries) >= 4
    error = DevError("API_AttrValueNotSet", "no value", "read_attr", ErrSeverity.ERR)
    entries.insert(1, AttributeValue_5(AttrValUnion(A.ATT_NO_DATA, True), AttrQuality.ATTR_INVALID,
                                       AttrDataFormat.SCALAR, CmdArgType.DevDouble, TimeVal(1, 2, 3), "failing",
                                       AttributeDim(0, 0), AttributeDim(0, 0), [error]))
    for little in (True, False):
        w = CDRWriter(little)
        w.write_ulong(len(entries))
        for av in entries:
            av.write(w)
        body = bytearray(w.getvalue())
        r1, r2 = CDRReader(body, little), CDRReader(body, little)
        ours = read_attributes_reply_5(r1)
        general = [from_attribute_value(av) for av in AttributeValue_5.read_list(r2)]
        assert r1.pos == r2.pos == len(body)
        assert len(ours) == len(general) == len(entries)
        for one, other in zip(ours, general):
            _assert_same_attribute(one, other)
