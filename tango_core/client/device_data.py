"""Command argument conversion (Python value -> typed argin) and DeviceData.

PyTango checks and converts a command's argument *before* anything is sent, from the command's
``in_type``; we do the same, with PyTango's errors (checked against PyTango 10.3.1):

* wrong Python type -> ``TypeError("Invalid input argument for command X: 'abc' cannot be
  converted to type DevDouble")``;
* integer out of range -> ``OverflowError("Value is too large." / "Value is too small.")``;
* text that Latin-1 cannot encode -> ``UnicodeError``;
* a scalar where an array is expected -> ``DevFailed(PyDs_WrongParameters, "Expecting a
  sequence (SPECTRUM attribute).")``.

The converted values are what ``tango_core.idl.command_any`` encodes: Python scalars, numpy
arrays of the exact element dtype, lists of str, ``(ndarray, list[str])`` pairs and
``(format, bytes)`` for DevEncoded. Results are converted back to PyTango's user types by
:func:`command_result`.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from tango_core.idl.enums import (
    ARRAY_ELEMENT_TYPE,
    SCALAR_DTYPE,
    CmdArgType,
    DevState,
    ErrSeverity,
    ExtractAs,
)
from tango_core.idl.errors import DevError, DevFailed

__all__ = ["convert_argin", "command_result", "DeviceData", "seq_expected"]

T = CmdArgType

_INT_RANGES = {
    T.DevShort: (-(1 << 15), (1 << 15) - 1),
    T.DevUShort: (0, (1 << 16) - 1),
    T.DevLong: (-(1 << 31), (1 << 31) - 1),
    T.DevULong: (0, (1 << 32) - 1),
    T.DevLong64: (-(1 << 63), (1 << 63) - 1),
    T.DevULong64: (0, (1 << 64) - 1),
    T.DevUChar: (0, 255),
    T.DevEnum: (-(1 << 15), (1 << 15) - 1),
}
_FLOATS = (T.DevFloat, T.DevDouble)
_STRINGS = (T.DevString, T.ConstDevString)


#: result types command_result converts whatever the value's class; _PLAIN_RESULTS: values of
#: other types that it returns as they are
_CONVERTED_RESULTS = frozenset((T.DevState, T.DevVarLongStringArray, T.DevVarDoubleStringArray, T.DevVarStringArray,
                                T.DevVarStateArray))
_PLAIN_RESULTS = frozenset((float, int, bool, str, bytes))


class _BadArg(Exception):
    """Internal: the argument cannot be converted (turned into PyTango's TypeError)."""


def seq_expected() -> DevFailed:
    return DevFailed(DevError("PyDs_WrongParameters", "Expecting a sequence (SPECTRUM attribute).",
                              "array_python_data_to_cpp()", ErrSeverity.ERR))


def _latin1(s: str) -> str:
    try:
        s.encode("latin-1")
    except UnicodeEncodeError:
        raise not_latin1(s) from None
    return s


def not_latin1(s: str) -> UnicodeError:
    """PyTango's error for text Latin-1 cannot encode (strings travel as Latin-1 octets)."""
    shown = s.encode("latin-1", "replace").decode("latin-1")
    return UnicodeError(f"Can't encode '{shown}' Unicode string as Latin-1 (bad chars replaced with ?)")


def _to_str(v: Any) -> str:
    if isinstance(v, str):
        return _latin1(v)
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("latin-1")
    if isinstance(v, np.str_):
        return _latin1(str(v))
    raise _BadArg


#: integer types PyTango reads with PyLong_AsLong/PyLong_AsLongLong, which take any object with
#: ``__index__`` (numpy integers, 0-d integer arrays); the unsigned ones are read with
#: PyLong_AsUnsignedLong(Long), which takes Python ints only
_SIGNED_READ = frozenset((T.DevBoolean, T.DevShort, T.DevLong, T.DevLong64, T.DevEnum))
_BOOLEAN_RANGE = (0, 1)


def _to_int(t: CmdArgType, v: Any) -> int:
    """An integer (or boolean) scalar converted as PyTango 10.3.1's ``python_scalar_to_cpp`` does
    (ext/convertors/generic_from_py.h), for attribute writes and command arguments alike:

    1. a signed type (and DevBoolean) takes ``operator.index(v)``: Python ints and bools, numpy
       integers of any width, 0-d integer arrays (numpy's ``__index__``: not numpy bools or 0-d
       bool arrays from numpy 2.3 on, which earlier numpy gave with a DeprecationWarning); an
       unsigned type takes Python ints only;
    2. if that fails, or the value does not fit the C ``long`` (64 bits, unsigned for the
       unsigned types), the value is accepted only as a numpy scalar of exactly the Tango type's
       dtype (``np.uint8`` for DevUChar ...), else it is a TypeError;
    3. an integer outside the Tango type's range is an OverflowError ("Value is too large." /
       "Value is too small."; DevBoolean's range is 0..1).
    """
    try:
        if t in _SIGNED_READ:
            n = operator.index(v)
            if not -(1 << 63) <= n < 1 << 63:
                raise OverflowError
        else:
            if not isinstance(v, int):
                raise TypeError
            n = int(v)
            if not 0 <= n < 1 << 64:
                raise OverflowError
    except (TypeError, OverflowError):
        if isinstance(v, np.generic) and type(v) is SCALAR_DTYPE[t].type:
            return bool(v) if t == T.DevBoolean else int(v)
        raise _BadArg from None
    lo, hi = _BOOLEAN_RANGE if t == T.DevBoolean else _INT_RANGES[t]
    if n < lo:
        raise OverflowError("Value is too small.")
    if n > hi:
        raise OverflowError("Value is too large.")
    return bool(n) if t == T.DevBoolean else n


def _to_double(v: Any) -> float:
    """A DevFloat/DevDouble scalar converted as PyTango's ``python_scalar_to_cpp`` does, with
    CPython's PyFloat_AsDouble: the value's ``__float__`` (numpy numbers, 0-d arrays of any
    dtype numpy converts, a 0-d string array holding a number), else its ``__index__``; a value
    with neither (str, bytes and numpy's str_/bytes_, None, lists) or whose conversion fails is a TypeError (PyTango
    clears the conversion's own error: a 0-d array of "abc" or, from numpy 2.3 on, a one-element
    array of more dimensions)."""
    if v.__class__ is float:  # the commonest value: as it is
        return v
    if isinstance(v, (str, bytes, bytearray)):  # np.str_/np.bytes_ too: their C type takes no float
        raise _BadArg
    cls = type(v)
    try:
        if hasattr(cls, "__float__"):
            out = cls.__float__(v)
            if not isinstance(out, float):
                raise TypeError
            return float(out)
        return float(operator.index(v))
    except (TypeError, ValueError, OverflowError):
        raise _BadArg from None


def _to_scalar(t: CmdArgType, v: Any) -> Any:
    if t in _INT_RANGES or t == T.DevBoolean:
        return _to_int(t, v)
    if t in _FLOATS:
        return _to_double(v)
    if t in _STRINGS:
        return _to_str(v)
    if t == T.DevState:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            return DevState(int(v))
        raise _BadArg
    raise _BadArg


def _is_sequence(v: Any) -> bool:
    return isinstance(v, (list, tuple, np.ndarray, range)) or (
        hasattr(v, "__len__") and hasattr(v, "__getitem__") and not isinstance(v, (str, bytes, dict)))


def plain_numbers_array(t: CmdArgType, seq: list) -> np.ndarray | None:
    """``seq`` as an array of ``t``'s dtype when it holds only plain numbers that every element
    rule takes as numpy's cast does (Python floats, ints and bools, and numpy's integer and
    floating scalars, for floating types; Python ints and bools and numpy integers in range for
    signed integer and boolean types; Python ints and bools and the type's own numpy scalar in
    range for unsigned ones): the common list, checked in one pass.  None otherwise: the caller
    converts element by element."""
    dtype = SCALAR_DTYPE[t]
    if not seq:
        return np.empty(0, dtype=dtype)
    kinds = set(map(type, seq))
    if dtype.kind == "f":
        if kinds <= _PLAIN_FOR_FLOATS:
            try:
                return np.array(seq, dtype=dtype)
            except OverflowError:  # an int too large for a float: refused element by element
                pass
        return None
    if kinds <= (_PLAIN_FOR_SIGNED if t in _SIGNED_READ else {int, bool, dtype.type}):
        lo, hi = _BOOLEAN_RANGE if t == T.DevBoolean else _INT_RANGES[t]
        if lo <= min(seq) and max(seq) <= hi:
            return np.array(seq, dtype=dtype)
    return None


#: numpy's integer and floating scalar types (a list of them comes from iterating an array)
_NUMPY_INTEGERS = frozenset({np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64})
_NUMPY_FLOATS = frozenset({np.float16, np.float32, np.float64, np.longdouble})
#: element types that a floating type's rule (_to_double: ``__float__``) takes as numpy's cast does
_PLAIN_FOR_FLOATS = frozenset({float, int, bool}) | _NUMPY_INTEGERS | _NUMPY_FLOATS
#: ... and a signed integer type's (and DevBoolean's) rule (_to_int: ``operator.index``), given the
#: range check; an unsigned type's takes Python ints and its own numpy type only
_PLAIN_FOR_SIGNED = frozenset({int, bool}) | _NUMPY_INTEGERS


def _to_numeric_array(elem: CmdArgType, v: Any) -> np.ndarray:
    """PyTango's rules for numeric array argins (checked value by value against PyTango 10.3.1,
    tests/client/test_commands_argin.py):

    bytes are octets; a numpy array is cast by numpy whatever its dtype (truncate/wrap, strings
    parsed: numpy's ValueError for "a"); the elements of a list or tuple are converted one by
    one as scalars are (_to_int, _to_double: an out-of-range integer is an OverflowError, never
    a wrapped value), except DevVarCharArray's, which take any integer and wrap it to 8 bits;
    anything that is not a sequence is PyDs_WrongParameters.
    """
    dtype = SCALAR_DTYPE[elem]
    if isinstance(v, (bytes, bytearray, memoryview)):
        return np.frombuffer(bytes(v), dtype=np.uint8).astype(dtype)
    if isinstance(v, np.ndarray):
        arr = v.reshape(-1)
        try:
            return arr if arr.dtype == dtype else arr.astype(dtype)
        except TypeError:  # None in an object array: PyTango's "Invalid input argument" (ValueError stays)
            raise _BadArg from None
    if not _is_sequence(v):
        raise seq_expected()
    seq = v if isinstance(v, list) else list(v)
    if not seq:
        return np.empty(0, dtype=dtype)
    if elem == T.DevUChar:
        if set(map(type, seq)) <= {int, bool} and -(1 << 63) <= min(seq) and max(seq) < 1 << 63:
            return np.array(seq, dtype=np.int64).astype(dtype)  # C-style wrap, as PyTango
        return np.array([_to_char(x) for x in seq], dtype=dtype)
    arr = plain_numbers_array(elem, seq)
    if arr is not None:
        return arr
    convert = _to_double if dtype.kind == "f" else (lambda x: _to_int(elem, x))
    return np.array([convert(x) for x in seq], dtype=dtype)


def _to_char(v: Any) -> int:
    """One element of a DevVarCharArray argin, as PyTango's char convertor takes it: any value
    with ``__index__`` that fits a C long, wrapped to 8 bits, or a numpy uint8."""
    try:
        n = operator.index(v)
        if -(1 << 63) <= n < 1 << 63:
            return n & 0xFF
    except TypeError:
        pass
    if type(v) is np.uint8:
        return int(v)
    raise _BadArg


def _to_string_list(v: Any) -> list[str]:
    """Strings of a string-array argument: str (Latin-1 text), or bytes/bytearray (raw octets),
    in any sequence or a numpy array of str or bytes, as PyTango accepts them."""
    if isinstance(v, (bytes, bytearray)) or (isinstance(v, np.ndarray) and v.dtype.kind not in "US"):
        raise _BadArg
    if not _is_sequence(v):
        raise seq_expected()
    return [_to_str_strict(x) for x in v]


def _to_str_strict(x: Any) -> str:
    if isinstance(x, str):
        return _latin1(x)
    if isinstance(x, (bytes, bytearray)):
        return bytes(x).decode("latin-1")  # the octets travel as they are
    raise _BadArg


def _to_encoded(v: Any) -> tuple[str, bytes]:
    if not _is_sequence(v) or len(v) != 2:
        raise _BadArg
    fmt, data = v[0], v[1]
    fmt = _to_str(fmt)
    if isinstance(data, str):
        data = data.encode("utf-8")  # DevEncoded text travels as UTF-8 (PyTango)
    elif isinstance(data, np.ndarray):
        data = data.tobytes()
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
    elif _is_sequence(data):
        data = bytes(bytearray(data))
    else:
        raise _BadArg
    return fmt, data


def _convert(t: CmdArgType, v: Any) -> Any:
    if t == T.DevVoid:
        if v is not None:
            raise _BadArg
        return None
    if v is None:
        raise _BadArg
    elem = ARRAY_ELEMENT_TYPE.get(t)
    if elem is not None:
        if elem in SCALAR_DTYPE:
            return _to_numeric_array(elem, v)
        if elem == T.DevString:
            return _to_string_list(v)
        if elem == T.DevState:
            if not _is_sequence(v):
                raise seq_expected()
            return [_to_scalar(T.DevState, x) for x in v]
        if elem == T.DevEncoded:
            if not _is_sequence(v):
                raise seq_expected()
            return [_to_encoded(x) for x in v]
    if t == T.DevVarLongStringArray or t == T.DevVarDoubleStringArray:
        if not (_is_sequence(v) or isinstance(v, (bytes, bytearray))) or len(v) != 2:
            raise DevFailed(DevError(
                "PyDs_WrongPythonDataTypeForLongStringArray",
                f"Converting {type(v).__name__} to {t.name} needs a sequence of two sequences "
                "(numbers, strings)", "insert_array()", ErrSeverity.ERR))
        nums = _to_numeric_array(T.DevLong if t == T.DevVarLongStringArray else T.DevDouble, v[0])
        return nums, _to_string_list(v[1])
    if t == T.DevEncoded:
        return _to_encoded(v)
    return _to_scalar(t, v)


def convert_argin(cmd_name: str, in_type: int, value: Any) -> Any:
    """Check and convert a command argument for ``in_type``; raises as PyTango does."""
    t = CmdArgType.values.get(in_type, in_type)
    try:
        return _convert(t, value)
    except _BadArg:
        raise TypeError(f"Invalid input argument for command {cmd_name}: {value!r} cannot be converted "
                        f"to type {getattr(t, 'name', t)}") from None


def command_result(out_type: int, value: Any, extract_as: int = ExtractAs.Numpy) -> Any:
    """Convert a decoded command result to PyTango's user type for ``out_type``."""
    if value is None:
        return None
    t = out_type
    if value.__class__ in _PLAIN_RESULTS and t not in _CONVERTED_RESULTS:  # a number or text: as it is
        return value
    if t == T.DevState:
        return DevState.values.get(int(value), value)
    if t == T.DevVarLongStringArray or t == T.DevVarDoubleStringArray:
        nums, strs = value
        return [_array_out(nums, extract_as), list(strs)]
    if t == T.DevVarStringArray:
        return list(value)
    if t == T.DevVarStateArray:
        return [DevState.values.get(int(x), x) for x in value]
    if isinstance(value, np.ndarray):
        return _array_out(value, extract_as)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _array_out(arr, extract_as: int):
    if not isinstance(arr, np.ndarray):
        return arr
    if extract_as == ExtractAs.List:
        return arr.tolist()
    if extract_as == ExtractAs.Tuple:
        return tuple(arr.tolist())
    if extract_as == ExtractAs.Bytes:
        return arr.tobytes()
    if extract_as == ExtractAs.ByteArray:
        return bytearray(arr.tobytes())
    if extract_as == ExtractAs.String:
        return arr.tobytes().decode("latin-1")
    return arr


class DeviceData:
    """A typed command argument or result (PyTango ``DeviceData``)."""

    def __init__(self, other: "DeviceData | None" = None) -> None:
        self._type = other._type if other is not None else T.DevVoid
        self._value = other._value if other is not None else None

    def insert(self, data_type: int, value: Any) -> None:
        """Store ``value`` converted for ``data_type`` (raises like command_inout would)."""
        self._value = convert_argin("DeviceData", data_type, value)
        self._type = CmdArgType.values.get(data_type, data_type)

    def extract(self, extract_as: int = ExtractAs.Numpy) -> Any:
        return command_result(self._type, self._value, extract_as)

    def get_type(self) -> CmdArgType:
        if self._value is None and self._type == T.DevVoid:
            from tango_core.idl.errors import WrongData
            raise WrongData(DevError("API_EmptyDeviceData", "Cannot extract, no data in DeviceData object ",
                                     "DeviceData::get_type()", ErrSeverity.ERR))
        return self._type

    def is_empty(self) -> bool:
        return self._value is None

    class except_flags:  # noqa: N801 - PyTango's name
        isempty_flag = 0
        wrongtype_flag = 1
        numFlags = 2

    def __repr__(self) -> str:  # PyTango's forms
        return f"{type(self).__name__}()"

    def __str__(self) -> str:
        return f"{type(self).__name__}[\n\n]"

    @classmethod
    def _wrap(cls, data_type: int, value: Any) -> "DeviceData":
        dd = cls.__new__(cls)
        dd._type = CmdArgType.values.get(data_type, data_type)
        dd._value = value
        return dd


def _l1(s):
    return s.encode("latin-1") if isinstance(s, str) else s


def latin1_for_wire(argtype: int, value: Any) -> Any:
    """Strings of a converted argin as Latin-1 octets: what PyTango's DeviceProxy sends.

    (Observed with strace: PyTango 10.3.1 sends ``DevString("é")`` as the single octet 0xe9 and
    refuses text Latin-1 cannot encode; ``idl.command_any`` sends ``bytes`` unchanged.)
    """
    if argtype in _STRINGS:
        return _l1(value)
    if argtype == T.DevVarStringArray:
        return [_l1(s) for s in value]
    if argtype in (T.DevVarLongStringArray, T.DevVarDoubleStringArray):
        return value[0], [_l1(s) for s in value[1]]
    if argtype == T.DevEncoded:
        return _l1(value[0]), value[1]
    return value
