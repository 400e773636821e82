"""Tango command arguments as CORBA ``any``: CmdArgType <-> TypeCode and value.

Why this module is strict when sending and lenient when receiving: a cppTango
client classifies a received ``any`` purely by the *shape* of its TypeCode and
silently turns anything unexpected into "no value" (protocol.md §2.5).  So we
always send the exact TypeCodes cppTango sends (:func:`command_typecode`), and
accept any *equivalent* TypeCode on input (names and repository ids ignored,
aliases unwrapped) in :func:`decode_command_any`.

Values are what PyTango 10.3.1's ``DeviceProxy.command_inout`` returns
(checked against TangoTest and a PyTango device server):

=========================  ================================================
CmdArgType                 Python value
=========================  ================================================
DevVoid                    ``None``
DevBoolean                 ``bool``
integer scalars, DevUChar  ``int``  (DevEnum arrives as a short: DevShort)
DevFloat, DevDouble        ``float``
DevString                  ``str``
DevState                   :class:`~tango_core.idl.enums.DevState`
DevVar<numeric>Array       ``numpy.ndarray`` (uint8, int16, int32, float32, float64,
                           uint16, uint32, bool, int64, uint64)
DevVarStringArray          ``list[str]``
DevVarLongStringArray      ``[int32 ndarray, list[str]]``
DevVarDoubleStringArray    ``[float64 ndarray, list[str]]``
DevEncoded                 ``(format: str, data: bytes)``
DevVarStateArray           ``list[DevState]`` (TypeCode checked against a PyTango 10.3.1 server)
DevVarEncodedArray         ``list[(str, bytes)]`` (UNVERIFIED TypeCode: PyTango 10.3.1 sends tk_null)
=========================  ================================================

Strings: PyTango 10.3.1's ``command_inout`` sends a ``str`` as latin-1 (``"é"`` is
the single octet e9; ``"€"`` is refused) and returns received octets decoded as
latin-1 (checked against TangoTest and PyTango's Database), which is what the
CDR layer does.  ``bytes`` arguments are sent unchanged.  (PyTango's *property*
API is different: DbDatum values travel as UTF-8.  That conversion belongs to
the Database client, which can pass ``bytes`` here.)

Wrong argument values raise ``TypeError`` (wrong kind of object) or
``ValueError`` (right kind, unusable value, e.g. out of range); the client
layer wraps them in ``DevFailed(API_IncompatibleCmdArgumentType)``.  Bytes
that do not decode raise :class:`~tango_core.wire.errors.MarshalError`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from ..wire.cdr import CDRReader, CDRWriter
from ..wire.errors import MarshalError
from ..wire.typecode import (
    TC_BOOLEAN, TC_DOUBLE, TC_FLOAT, TC_LONG, TC_LONGLONG, TC_NULL, TC_OCTET, TC_SHORT, TC_ULONG,
    TC_ULONGLONG, TC_USHORT, AliasTC, EnumTC, SequenceTC, StringTC, StructTC, TCKind, TypeCode,
    read_typecode, read_value, write_any, write_typecode, write_value,
)
from .enums import CmdArgType, DevState

__all__ = ["command_typecode", "classify_typecode", "encode_command_any", "decode_command_any",
           "check_command_value"]

T = CmdArgType
_DEV_DOUBLE = T.DevDouble
K = TCKind


def _rid(name: str) -> str:
    return f"IDL:Tango/{name}:1.0"


def _alias(name: str, content: TypeCode) -> AliasTC:
    return AliasTC(_rid(name), name, content)


_TC_STRING = StringTC(0)

#: Numeric array type -> (element TypeCode, CDR kind, numpy dtype).
_NUMERIC_ARRAYS: dict[CmdArgType, tuple[TypeCode, str, np.dtype]] = {
    T.DevVarCharArray: (TC_OCTET, "octet", np.dtype(np.uint8)),
    T.DevVarShortArray: (TC_SHORT, "short", np.dtype(np.int16)),
    T.DevVarLongArray: (TC_LONG, "long", np.dtype(np.int32)),
    T.DevVarFloatArray: (TC_FLOAT, "float", np.dtype(np.float32)),
    T.DevVarDoubleArray: (TC_DOUBLE, "double", np.dtype(np.float64)),
    T.DevVarUShortArray: (TC_USHORT, "ushort", np.dtype(np.uint16)),
    T.DevVarULongArray: (TC_ULONG, "ulong", np.dtype(np.uint32)),
    T.DevVarBooleanArray: (TC_BOOLEAN, "boolean", np.dtype(np.bool_)),
    T.DevVarLong64Array: (TC_LONGLONG, "longlong", np.dtype(np.int64)),
    T.DevVarULong64Array: (TC_ULONGLONG, "ulonglong", np.dtype(np.uint64)),
}

_ARRAY_TC: dict[CmdArgType, AliasTC] = {
    t: _alias(t.name, SequenceTC(elem, 0)) for t, (elem, _k, _d) in _NUMERIC_ARRAYS.items()
}
_ARRAY_TC[T.DevVarStringArray] = _alias("DevVarStringArray", SequenceTC(_TC_STRING, 0))

_DEVSTATE_TC = EnumTC(_rid("DevState"), "DevState", [s.name for s in DevState])
_DEVENCODED_TC = StructTC(_rid("DevEncoded"), "DevEncoded", [
    ("encoded_format", _alias("DevString", _TC_STRING)),
    ("encoded_data", _ARRAY_TC[T.DevVarCharArray]),
])

#: CmdArgType -> the TypeCode cppTango puts in the any (protocol.md §2.5, vectors/typecodes_clean.txt).
_CANONICAL: dict[CmdArgType, TypeCode] = {
    T.DevVoid: TC_NULL,
    T.DevBoolean: TC_BOOLEAN,
    T.DevShort: TC_SHORT,
    T.DevLong: TC_LONG,
    T.DevFloat: TC_FLOAT,
    T.DevDouble: TC_DOUBLE,
    T.DevUShort: TC_USHORT,
    T.DevULong: TC_ULONG,
    T.DevString: _TC_STRING,
    T.ConstDevString: _TC_STRING,
    T.DevState: _DEVSTATE_TC,
    T.DevUChar: TC_OCTET,
    T.DevLong64: TC_LONGLONG,
    T.DevULong64: TC_ULONGLONG,
    T.DevEnum: TC_SHORT,
    T.DevEncoded: _DEVENCODED_TC,
    T.DevVarLongStringArray: StructTC(_rid("DevVarLongStringArray"), "DevVarLongStringArray", [
        ("lvalue", _ARRAY_TC[T.DevVarLongArray]), ("svalue", _ARRAY_TC[T.DevVarStringArray])]),
    T.DevVarDoubleStringArray: StructTC(_rid("DevVarDoubleStringArray"), "DevVarDoubleStringArray", [
        ("dvalue", _ARRAY_TC[T.DevVarDoubleArray]), ("svalue", _ARRAY_TC[T.DevVarStringArray])]),
    # The IDL typedefs; DevVarStateArray as captured (tests/data/anys_pytango_server.txt),
    # DevVarEncodedArray never observed (PyTango 10.3.1 sends tk_null for it).
    T.DevVarStateArray: _alias("DevVarStateArray", SequenceTC(_DEVSTATE_TC, 0)),
    T.DevVarEncodedArray: _alias("DevVarEncodedArray", SequenceTC(_DEVENCODED_TC, 0)),
    **_ARRAY_TC,
}

_SCALAR_BY_KIND: dict[TCKind, CmdArgType] = {
    K.tk_null: T.DevVoid, K.tk_boolean: T.DevBoolean, K.tk_short: T.DevShort, K.tk_long: T.DevLong,
    K.tk_float: T.DevFloat, K.tk_double: T.DevDouble, K.tk_ushort: T.DevUShort, K.tk_ulong: T.DevULong,
    K.tk_string: T.DevString, K.tk_octet: T.DevUChar, K.tk_longlong: T.DevLong64,
    K.tk_ulonglong: T.DevULong64, K.tk_enum: T.DevState,
}
_ARRAY_BY_ELEMENT_KIND: dict[TCKind, CmdArgType] = {
    K.tk_octet: T.DevVarCharArray, K.tk_short: T.DevVarShortArray, K.tk_long: T.DevVarLongArray,
    K.tk_float: T.DevVarFloatArray, K.tk_double: T.DevVarDoubleArray, K.tk_ushort: T.DevVarUShortArray,
    K.tk_ulong: T.DevVarULongArray, K.tk_string: T.DevVarStringArray, K.tk_boolean: T.DevVarBooleanArray,
    K.tk_longlong: T.DevVarLong64Array, K.tk_ulonglong: T.DevVarULong64Array, K.tk_enum: T.DevVarStateArray,
}

_FLOAT32_MAX = float(np.finfo(np.float32).max)

#: commands of primitive types (the commonest): TypeCode kind -> (CmdArgType, value reader), and
#: CmdArgType -> (TypeCode kind, value writer)
_PRIMITIVES = {
    T.DevVoid: (K.tk_null, None), T.DevBoolean: (K.tk_boolean, "boolean"), T.DevShort: (K.tk_short, "short"),
    T.DevLong: (K.tk_long, "long"), T.DevFloat: (K.tk_float, "float"), T.DevDouble: (K.tk_double, "double"),
    T.DevUShort: (K.tk_ushort, "ushort"), T.DevULong: (K.tk_ulong, "ulong"), T.DevUChar: (K.tk_octet, "octet"),
    T.DevLong64: (K.tk_longlong, "longlong"), T.DevULong64: (K.tk_ulonglong, "ulonglong"),
}
_PRIMITIVE_BY_KIND: dict[int, tuple[CmdArgType, Callable[[CDRReader], Any]]] = {
    int(kind): (argtype, getattr(CDRReader, "read_" + cdr) if cdr else (lambda r: None))
    for argtype, (kind, cdr) in _PRIMITIVES.items()}
_PRIMITIVE_WRITERS: dict[CmdArgType, tuple[int, Callable[[CDRWriter, Any], None] | None]] = {
    argtype: (int(kind), getattr(CDRWriter, "write_" + cdr) if cdr else None)
    for argtype, (kind, cdr) in _PRIMITIVES.items()}

_INT_RANGES: dict[CmdArgType, tuple[int, int]] = {
    T.DevShort: (-2**15, 2**15 - 1), T.DevEnum: (-2**15, 2**15 - 1), T.DevUShort: (0, 2**16 - 1),
    T.DevLong: (-2**31, 2**31 - 1), T.DevULong: (0, 2**32 - 1), T.DevUChar: (0, 255),
    T.DevLong64: (-2**63, 2**63 - 1), T.DevULong64: (0, 2**64 - 1),
}


def command_typecode(argtype: CmdArgType | int) -> TypeCode:
    """The exact TypeCode a cppTango peer puts into a command ``any`` of this type."""
    try:
        return _CANONICAL[CmdArgType(argtype)]
    except (KeyError, ValueError):
        raise ValueError(f"{argtype!r} is not a Tango command argument type") from None


# ---------------------------------------------------------------------------
# receiving
# ---------------------------------------------------------------------------

def classify_typecode(tc: TypeCode) -> CmdArgType:
    """Which CmdArgType a received TypeCode stands for, by shape (as cppTango's ``DeviceData::get_type``).

    Accepts any equivalent TypeCode: aliases are unwrapped and names ignored.
    Raises MarshalError when the shape is not a Tango command type.
    """
    u = tc.unalias()
    scalar = _SCALAR_BY_KIND.get(u.kind)
    if scalar is not None:
        return scalar
    if u.kind == K.tk_sequence:
        elem = u.content_type.unalias()
        arr = _ARRAY_BY_ELEMENT_KIND.get(elem.kind)
        if arr is not None:
            return arr
        if elem.kind == K.tk_struct and _is_devencoded(elem):
            return T.DevVarEncodedArray
    elif u.kind == K.tk_struct and len(u.members) == 2:
        first = u.members[0][1].unalias()
        second = u.members[1][1].unalias()
        if first.kind == K.tk_sequence and _is_string_seq(second):
            ekind = first.content_type.unalias().kind
            if ekind == K.tk_long:
                return T.DevVarLongStringArray
            if ekind == K.tk_double:
                return T.DevVarDoubleStringArray
        if _is_devencoded(u):
            return T.DevEncoded
    raise MarshalError(f"the any's TypeCode {tc!r} is not a Tango command data type")


def _is_string_seq(tc: TypeCode) -> bool:
    return tc.kind == K.tk_sequence and tc.content_type.unalias().kind == K.tk_string


def _is_devencoded(u: TypeCode) -> bool:
    if len(u.members) != 2:
        return False
    first = u.members[0][1].unalias()
    second = u.members[1][1].unalias()
    return (first.kind == K.tk_string and second.kind == K.tk_sequence
            and second.content_type.unalias().kind == K.tk_octet)


def decode_command_any(reader: CDRReader) -> tuple[CmdArgType, Any]:
    """Read a command ``any``; return its CmdArgType and the value as PyTango's command_inout returns it."""
    start = reader.pos
    scalar = _PRIMITIVE_BY_KIND.get(reader.read_ulong())   # TypeCodes of primitives are their kind alone
    if scalar is not None:
        argtype, read = scalar
        return argtype, read(reader)
    reader.pos = start
    tc = read_typecode(reader)
    argtype = classify_typecode(tc)
    value = read_value(reader, tc)
    return argtype, _to_pytango(argtype, value)


def _state(v: int) -> DevState:
    try:
        return DevState(v)
    except ValueError:
        raise MarshalError(f"DevState value {v} out of range") from None


def _to_pytango(argtype: CmdArgType, value: Any) -> Any:
    if argtype == T.DevState:
        return _state(value)
    if argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
        return [value[0], list(value[1])]
    if argtype == T.DevEncoded:
        return (value[0], _octets(value[1]))
    if argtype == T.DevVarStateArray:
        return [_state(v) for v in value]
    if argtype == T.DevVarEncodedArray:
        return [(f, _octets(d)) for f, d in value]
    return value


def _octets(v: Any) -> bytes:
    return v.tobytes() if isinstance(v, np.ndarray) else bytes(v)


# ---------------------------------------------------------------------------
# sending
# ---------------------------------------------------------------------------

def encode_command_any(writer: CDRWriter, argtype: CmdArgType | int, value: Any) -> None:
    """Write ``value`` as a command ``any`` of type ``argtype`` with cppTango's canonical TypeCode.

    Raises TypeError/ValueError (and writes nothing) when ``value`` does not fit ``argtype``.
    """
    if argtype.__class__ is not CmdArgType:
        argtype = CmdArgType(argtype)
    checked = check_command_value(argtype, value)
    primitive = _PRIMITIVE_WRITERS.get(argtype)
    if primitive is not None:   # the TypeCode is the kind alone, the value one primitive
        kind, write = primitive
        writer.write_ulong(kind)
        if checked is not None:
            write(writer, checked)
        return
    tc = command_typecode(argtype)
    if type(writer) is not CDRWriter:  # a writer with its own ways (e.g. of padding)
        write_any(writer, tc, checked)
        return
    # as write_any, with the (constant) canonical TypeCode's octets encoded once per byte order:
    # a TypeCode starts 4-aligned and its encoding does not depend on where it starts
    key = (argtype, writer.little_endian)
    tc_octets = _TC_OCTETS.get(key)
    if tc_octets is None:
        once = CDRWriter(writer.little_endian)
        write_typecode(once, tc)
        tc_octets = _TC_OCTETS[key] = bytes(once.buf)
    scratch = type(writer)(writer.little_endian, origin=writer.origin - len(writer.buf))
    scratch.align(4)
    scratch.write_raw(tc_octets)
    write_value(scratch, tc, checked)
    writer.write_raw(scratch.buf)


_TC_OCTETS: dict[tuple[CmdArgType, bool], bytes] = {}


def check_command_value(argtype: CmdArgType, value: Any) -> Any:
    """Validate a user value for ``argtype``; return it in the form :func:`write_any` expects."""
    if value.__class__ is float and argtype is _DEV_DOUBLE:
        return value   # the commonest scalar (checked for every DevDouble result): nothing to convert
    name = argtype.name
    if argtype == T.DevVoid:
        if value is not None:
            raise TypeError(f"DevVoid takes no argument, got {type(value).__name__} {_short(value)}")
        return None
    if argtype == T.DevBoolean:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if _is_int(value):
            if value in (0, 1):
                return bool(value)
            raise ValueError(f"DevBoolean: {value!r} is neither 0 nor 1")  # PyTango: OverflowError
        raise TypeError(f"DevBoolean needs a bool, got {type(value).__name__} {_short(value)}")
    if argtype in _INT_RANGES:
        return _check_int(name, _INT_RANGES[argtype], value)
    if argtype in (T.DevFloat, T.DevDouble):
        if isinstance(value, (numbers.Real, np.bool_)):
            v = float(value)
            if argtype == T.DevFloat and math.isfinite(v) and abs(v) > _FLOAT32_MAX:
                v = math.copysign(math.inf, v)  # what a float32 cast (and PyTango) makes of it
            return v
        raise TypeError(f"{name} needs a number, got {type(value).__name__} {_short(value)}")
    if argtype in (T.DevString, T.ConstDevString):
        return _check_str(name, value)
    if argtype == T.DevState:
        if isinstance(value, DevState):
            return int(value)
        if _is_int(value):
            if 0 <= int(value) < len(DevState):
                return int(value)
            raise ValueError(f"{value!r} is not a DevState value (0..{len(DevState) - 1})")
        raise TypeError(f"DevState needs a DevState, got {type(value).__name__} {_short(value)}")
    if argtype in _NUMERIC_ARRAYS:
        return _check_numeric_array(argtype, value)
    if argtype == T.DevVarStringArray:
        return _check_str_list(name, value)
    if argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
        numeric = T.DevVarLongArray if argtype == T.DevVarLongStringArray else T.DevVarDoubleArray
        if isinstance(value, Mapping):
            keys = ("lvalue" if numeric == T.DevVarLongArray else "dvalue", "svalue")
            if not all(k in value for k in keys):
                raise ValueError(f"{name} mapping needs keys {keys}")
            value = [value[keys[0]], value[keys[1]]]
        if isinstance(value, (str, bytes)) or not _is_sized(value) or len(value) != 2:
            raise TypeError(f"{name} needs a pair [numbers, strings], got {type(value).__name__} {_short(value)}")
        return (_check_numeric_array(numeric, value[0], name), _check_str_list(name, value[1]))
    if argtype == T.DevEncoded:
        return _check_encoded(value)
    if argtype == T.DevVarStateArray:
        if isinstance(value, (str, bytes)) or not _is_sized(value):
            raise TypeError(f"DevVarStateArray needs a sequence of DevState, got {type(value).__name__}")
        return [check_command_value(T.DevState, v) for v in value]
    if argtype == T.DevVarEncodedArray:
        if isinstance(value, (str, bytes)) or not _is_sized(value):
            raise TypeError(f"DevVarEncodedArray needs a sequence of (format, data), got {type(value).__name__}")
        return [_check_encoded(v) for v in value]
    raise ValueError(f"{argtype!r} is not a Tango command argument type")


def _short(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_sized(value: Any) -> bool:
    return hasattr(value, "__len__") and hasattr(value, "__getitem__")


def _check_int(name: str, bounds: tuple[int, int], value: Any) -> int:
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if not _is_int(value):
        raise TypeError(f"{name} needs an int, got {type(value).__name__} {_short(value)}")
    v = int(value)
    lo, hi = bounds
    if not lo <= v <= hi:
        raise ValueError(f"{v} is out of range for {name} ({lo}..{hi})")
    return v


def _check_str(name: str, value: Any) -> bytes:
    """A user string as the octets PyTango's command_inout sends: str in latin-1, bytes as they are."""
    if isinstance(value, bytes):
        s = value
    elif isinstance(value, str):
        try:
            s = value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"{name}: {_short(value)} cannot be encoded as Latin-1 "
                             f"(PyTango refuses it too)") from None
    else:
        raise TypeError(f"{name} needs a str, got {type(value).__name__} {_short(value)}")
    if b"\x00" in s:
        raise ValueError(f"{name}: Tango strings cannot contain NUL characters")
    return s


def _check_str_list(name: str, value: Any) -> list:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} needs a sequence of str, got a single {type(value).__name__} {_short(value)}")
    if isinstance(value, np.ndarray):
        value = value.tolist()
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{name} needs a sequence of str, got {type(value).__name__} {_short(value)}") from None
    try:  # all str, Latin-1 and no NUL (the common case): checked in C, written as they are
        joined = "".join(items)
        if "\x00" not in joined:
            joined.encode("latin-1")
            return items
    except (TypeError, UnicodeEncodeError):
        pass  # item by item below, naming the culprit
    return [_check_str(name, v) for v in items]


def _check_numeric_array(argtype: CmdArgType, value: Any, context: str | None = None) -> np.ndarray | bytes:
    _elem, kind, dtype = _NUMERIC_ARRAYS[argtype]
    name = context or argtype.name
    if argtype == T.DevVarCharArray and isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (str, bytes)) or value is None or np.isscalar(value):
        raise TypeError(f"{name} needs a sequence of numbers, got {type(value).__name__} {_short(value)}")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} needs a sequence of numbers: {exc}") from None
    if arr.ndim != 1 and arr.size:
        raise ValueError(f"{name} needs a 1-dimensional sequence, got shape {arr.shape}")
    if arr.size == 0:
        return np.empty(0, dtype=dtype)
    if dtype.kind in "iu" and arr.dtype.kind in "fO" and not isinstance(value, np.ndarray) and all(
            isinstance(v, (int, np.integer)) for v in value):
        # Python ints numpy cannot hold in one integer dtype (2**64 - 1 beside 0 gives float64,
        # losing precision; 2**64 an object array): checked and converted exactly
        info = np.iinfo(dtype)
        lo, hi = min(int(v) for v in value), max(int(v) for v in value)
        if lo < info.min or hi > info.max:
            raise ValueError(f"{name}: values {lo}..{hi} out of range for {dtype} ({info.min}..{info.max})")
        return np.array([int(v) for v in value], dtype=dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} needs numbers, got elements of type {arr.dtype}")
    if dtype.kind in "iu":
        if arr.dtype.kind == "f":
            raise TypeError(f"{name} needs integers, got floating-point values")
        if arr.dtype.kind in "iu" and arr.dtype != dtype:
            info = np.iinfo(dtype)
            lo, hi = int(arr.min()), int(arr.max())
            if lo < info.min or hi > info.max:
                raise ValueError(f"{name}: values {lo}..{hi} out of range for {dtype} ({info.min}..{info.max})")
    elif dtype.kind == "b":
        if arr.dtype.kind == "f":
            raise TypeError(f"{name} needs bools, got floating-point values")
        if arr.dtype.kind in "iu" and (int(arr.min()) < 0 or int(arr.max()) > 1):
            raise ValueError(f"{name}: integers other than 0 and 1 are not booleans")
    return arr.astype(dtype, copy=False)


def _check_encoded(value: Any) -> tuple:
    if isinstance(value, (str, bytes)) or not _is_sized(value) or len(value) != 2:
        raise TypeError(f"DevEncoded needs a pair (format: str, data: bytes), got {type(value).__name__} "
                        f"{_short(value)}")
    fmt, data = value[0], value[1]
    fmt = _check_str("DevEncoded format", fmt)
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
    elif isinstance(data, np.ndarray) or (_is_sized(data) and not isinstance(data, Mapping)):
        data = _check_numeric_array(T.DevVarCharArray, data, "DevEncoded data")
    else:
        raise TypeError(f"DevEncoded data needs bytes, got {type(data).__name__} {_short(data)}")
    return (fmt, data)
