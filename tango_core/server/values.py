"""Attribute values between device code and the wire.

Device code returns plain Python values (``1.5``, ``[1, 2]``, a 2-D numpy array, ``"text"``,
``DevState.ON``, ``("jpeg", b"...")``); the wire carries an ``AttrValUnion`` (always a flat
sequence) plus dimensions.  :func:`read_value_to_union` does the first direction with the
checks PyTango makes (wrong type -> TypeError, too many elements -> DevFailed,
non-Latin-1 string -> UnicodeError); :func:`union_to_write_value` turns a client's write
request back into what ``attr.get_write_value()`` gives device code in PyTango (a Python scalar,
a numpy array for numeric spectra/images, a list for string spectra, a ``(format, bytes)`` tuple
for DevEncoded).  Property strings (``min_value="3"``) are parsed by :func:`parse_property_value`.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..idl.enums import AttrDataFormat, AttributeDataType, CmdArgType, DevState, arm_for_data_type
from ..idl.errors import DevError, DevFailed, ErrSeverity
from ..idl.types import AttrValUnion, DevEncoded

__all__ = ["NUMERIC_DTYPE", "read_value_to_union", "union_to_write_value", "parse_property_value",
           "format_property_value", "is_numeric_type", "union_element_count"]

T = CmdArgType
A = AttributeDataType
SCALAR = AttrDataFormat.SCALAR
SPECTRUM = AttrDataFormat.SPECTRUM
IMAGE = AttrDataFormat.IMAGE

#: attribute data type -> numpy dtype of its wire sequence
NUMERIC_DTYPE: dict[CmdArgType, np.dtype] = {
    T.DevBoolean: np.dtype(np.bool_), T.DevShort: np.dtype(np.int16), T.DevLong: np.dtype(np.int32),
    T.DevFloat: np.dtype(np.float32), T.DevDouble: np.dtype(np.float64), T.DevUShort: np.dtype(np.uint16),
    T.DevULong: np.dtype(np.uint32), T.DevUChar: np.dtype(np.uint8), T.DevLong64: np.dtype(np.int64),
    T.DevULong64: np.dtype(np.uint64), T.DevEnum: np.dtype(np.int16),
}
_INT_TYPES = frozenset(t for t, d in NUMERIC_DTYPE.items() if d.kind in "iu")
_FLOAT_TYPES = frozenset({T.DevFloat, T.DevDouble})


def is_numeric_type(data_type: CmdArgType) -> bool:
    """Types whose values can be compared with min/max and alarm thresholds."""
    return data_type in NUMERIC_DTYPE and data_type not in (T.DevBoolean, T.DevEnum)


def _dev_failed(reason: str, desc: str, origin: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, origin, ErrSeverity.ERR))


def type_error(data_type: CmdArgType) -> TypeError:
    """PyTango's TypeError for a value device code gave that is not of the attribute's or the
    command result's type: one text, the kind of type aside, and always the same example."""
    if data_type in _INT_TYPES:
        kind = "integer"
    elif data_type in _FLOAT_TYPES:
        kind = "numeric"
    elif data_type == T.DevBoolean:
        kind = "bool"
    else:
        return TypeError(f"Expecting a {data_type.name} value, but it is not")
    return TypeError(f"Expecting a {kind} type, but it is not. If you use a numpy type instead of python core "
                     "types, then it must exactly match (ex: numpy.int32 for PyTango.DevLong)")


def _scalar_number(data_type: CmdArgType, value: Any) -> Any:
    cls = value.__class__
    if cls is float and data_type in _FLOAT_TYPES:      # the common cases, without ABC checks
        return value
    if cls is int and data_type in _INT_TYPES:
        return value
    if data_type in _INT_TYPES:
        if isinstance(value, (bool, np.bool_)) or isinstance(value, (numbers.Integral, np.integer)):
            return int(value)
        raise type_error(data_type)
    if data_type in _FLOAT_TYPES:
        if isinstance(value, (numbers.Real, np.number, np.bool_)) and not isinstance(value, str):
            return float(value)
        raise type_error(data_type)
    # DevBoolean
    if isinstance(value, (bool, np.bool_, numbers.Integral, np.integer, numbers.Real)):
        return bool(value)
    raise type_error(data_type)


def _latin1(text: Any) -> str:
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("latin-1")
    if isinstance(text, np.str_):
        text = str(text)
    if not isinstance(text, str):
        raise TypeError(f"Expecting a string, but got {type(text).__name__}")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise UnicodeError(f"UnicodeError: cannot encode {text!r} as Latin-1 (Tango strings are 8-bit): "
                           f"{exc}") from None
    if "\x00" in text:
        raise ValueError("Tango strings cannot contain NUL characters")
    return text


def _state(value: Any) -> DevState:
    if isinstance(value, DevState):
        return value
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        return DevState(int(value))
    raise TypeError(f"Expecting a DevState, but got {type(value).__name__}")


def _encoded(value: Any) -> DevEncoded:
    if isinstance(value, DevEncoded):
        return value
    pair = getattr(value, "encoded_pair", None)  # an EncodedAttribute
    if pair is not None:
        value = pair
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError("A DevEncoded value is a pair (format: str, data: bytes | bytearray | str)")
    fmt, data = value
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif isinstance(data, np.ndarray):
        data = data.tobytes()
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
    else:
        raise TypeError(f"DevEncoded data must be bytes, bytearray or str, not {type(data).__name__}")
    return DevEncoded(_latin1(fmt), data)


def _too_big(name: str, what: str) -> DevFailed:
    return _dev_failed("API_AttrOptProp", f"{what} dimension of the data is greater than the maximum defined "
                       f"for attribute {name}", "Attribute::set_value()")


def read_value_to_union(name: str, data_type: CmdArgType, data_format: AttrDataFormat, value: Any,
                        max_dim_x: int, max_dim_y: int, dim_x: int | None = None,
                        dim_y: int | None = None) -> tuple[AttrValUnion, int, int]:
    """A value from device code -> (AttrValUnion, dim_x, dim_y) for attribute ``name``."""
    if data_format == SCALAR:
        if data_type in NUMERIC_DTYPE:
            if data_type == T.DevEnum:
                value = int(value) if isinstance(value, (numbers.Integral, np.integer)) else value
            v = _scalar_number(T.DevShort if data_type == T.DevEnum else data_type, value)
            return AttrValUnion(arm_for_data_type(data_type), np.array((v,), NUMERIC_DTYPE[data_type])), 1, 0
        if data_type in (T.DevString, T.ConstDevString):
            return AttrValUnion(A.ATT_STRING, [_latin1(value)]), 1, 0
        if data_type == T.DevState:
            return AttrValUnion(A.ATT_STATE, [_state(value)]), 1, 0
        if data_type == T.DevEncoded:
            return AttrValUnion(A.ATT_ENCODED, [_encoded(value)]), 1, 0
        raise TypeError(f"attribute {name}: data type {data_type!r} is not supported")
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        if isinstance(value, np.ndarray):
            pass
        else:
            raise TypeError(f"attribute {name}: a {data_format.name} value must be a sequence, "
                            f"not {type(value).__name__}")
    if data_type in NUMERIC_DTYPE:
        dtype = NUMERIC_DTYPE[data_type]
        if isinstance(value, np.ndarray):
            arr = value
            if arr.dtype != dtype and not arr.size:  # an empty array of any type is an empty value
                arr = np.empty(arr.shape, dtype)
            elif arr.dtype != dtype:
                if arr.dtype.kind in "OUS":
                    raise type_error(data_type)
                if data_type in _INT_TYPES and arr.dtype.kind == "f":
                    raise type_error(data_type)
                arr = arr.astype(dtype)
        else:
            try:
                arr = np.asarray(value)
            except (ValueError, TypeError) as exc:
                raise TypeError(f"attribute {name}: {exc}") from None
            if arr.size and arr.dtype.kind in "OUS":
                raise type_error(data_type)
            if arr.size and data_type in _INT_TYPES and arr.dtype.kind == "f":
                raise type_error(data_type)
            arr = arr.astype(dtype) if arr.size else np.empty(arr.shape, dtype)
        shape = arr.shape
        flat = arr.reshape(-1)
        arm = arm_for_data_type(data_type)
        union = AttrValUnion(arm, flat)
    else:
        if isinstance(value, np.ndarray):
            shape = value.shape
            items = value.reshape(-1).tolist()
        else:
            rows = list(value)
            if data_format == IMAGE and rows and isinstance(rows[0], (list, tuple, np.ndarray)):
                shape = (len(rows), len(rows[0]) if rows else 0)
                items = [x for row in rows for x in row]
            else:
                shape = (len(rows),) if data_format == SPECTRUM else ((0, 0) if not rows else (1, len(rows)))
                items = rows
        if data_type in (T.DevString, T.ConstDevString):
            union = AttrValUnion(A.ATT_STRING, [_latin1(x) for x in items])
        elif data_type == T.DevState:
            union = AttrValUnion(A.ATT_STATE, [_state(x) for x in items])
        elif data_type == T.DevEncoded:
            union = AttrValUnion(A.ATT_ENCODED, [_encoded(x) for x in items])
        else:
            raise TypeError(f"attribute {name}: data type {data_type!r} is not supported")
    if data_format == SPECTRUM:
        if len(shape) != 1:
            if len(shape) == 2 and (shape[0] == 0 or shape[1] == 0):
                shape = (0,)
            else:
                raise TypeError(f"attribute {name}: a SPECTRUM value must be 1-dimensional, got shape {shape}")
        x = int(shape[0]) if dim_x is None else int(dim_x)
        if x > max_dim_x:
            raise _too_big(name, "X")
        return union, x, 0
    # IMAGE: numpy shape is (rows=y, columns=x)
    if len(shape) == 1:
        if dim_x is None:
            shape = (1, shape[0]) if shape[0] else (0, 0)
        else:
            shape = (int(dim_y or 0), int(dim_x))
    elif len(shape) != 2:
        raise TypeError(f"attribute {name}: an IMAGE value must be 2-dimensional, got shape {shape}")
    y, x = int(shape[0]), int(shape[1])
    if dim_x is not None:
        x = int(dim_x)
        y = int(dim_y or 0)
    if x == 0 or y == 0:
        x = y = 0
    if x > max_dim_x:
        raise _too_big(name, "X")
    if y > max_dim_y:
        raise _too_big(name, "Y")
    return union, x, y


def union_element_count(union: AttrValUnion) -> int:
    value = union.value
    if union.arm is A.DEVICE_STATE or union.arm is A.ATT_NO_DATA:
        return 1
    return len(value)


def union_to_write_value(data_type: CmdArgType, data_format: AttrDataFormat, union: AttrValUnion,
                         dim_x: int, dim_y: int) -> Any:
    """The value a client wrote, as PyTango gives it to ``write_<attr>`` / ``get_write_value()``."""
    value = union.value
    arm = union.arm
    if data_format == SCALAR:
        if arm is A.ATT_STRING:
            return value[0]
        if arm is A.ATT_ENCODED:
            e = value[0]
            return (e.encoded_format, bytes(e.encoded_data))
        if arm is A.ATT_STATE:
            return DevState(int(value[0]))
        if arm is A.DEVICE_STATE:
            return DevState(int(value))
        item = value[0]
        if data_type == T.DevBoolean:
            return bool(item)
        if data_type in _FLOAT_TYPES:
            return float(item)
        return int(item)
    if arm is A.ATT_STRING:
        items = list(value)
        if data_format == IMAGE:
            return [items[r * dim_x:(r + 1) * dim_x] for r in range(dim_y)] if dim_x else []
        return items
    if arm is A.ATT_ENCODED:
        return [(e.encoded_format, bytes(e.encoded_data)) for e in value]
    # DevState spectra and images are handed over as numpy uint32 arrays, as PyTango does
    arr = np.asarray(value, dtype=np.uint32) if arm is A.ATT_STATE else np.asarray(value)
    if data_format == IMAGE:
        if dim_x * dim_y != arr.size:
            raise _dev_failed("API_AttrIncorrectDataNumber", "Incorrect data number",
                              "WAttribute::check_written_value()")
        return arr.reshape((dim_y, dim_x)) if arr.size else arr.reshape((0, 0))
    return arr


# -- property strings ---------------------------------------------------------------------------

def parse_property_value(data_type: CmdArgType, text: str) -> Any:
    """A configuration string (``"10"``, ``"1.5e3"``) as a number of the attribute's type.

    ValueError when it does not parse or does not fit the type.
    """
    text = text.strip()
    if data_type in _FLOAT_TYPES:
        v = float(text)
        if data_type == T.DevFloat and np.isfinite(v) and abs(v) > float(np.finfo(np.float32).max):
            raise ValueError(f"{text} is out of range for DevFloat")
        return v
    if data_type in _INT_TYPES:
        try:
            v = int(text)
        except ValueError:
            f = float(text)
            if not f.is_integer():
                raise
            v = int(f)
        info = np.iinfo(NUMERIC_DTYPE[data_type])
        if not info.min <= v <= info.max:
            raise ValueError(f"{text} is out of range for {data_type.name}")
        return v
    if data_type == T.DevBoolean:
        low = text.lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
        raise ValueError(f"{text} is not a boolean")
    raise ValueError(f"{data_type.name} has no numeric properties")


def format_property_value(data_type: CmdArgType, value: Any) -> str:
    """A number given in code (``min_value=3``) as the string Tango stores and sends."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower() if data_type == T.DevBoolean else str(int(value))
    if isinstance(value, float) and value.is_integer() and data_type in _INT_TYPES:
        return str(int(value))
    return str(value)
