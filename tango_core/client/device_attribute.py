"""DeviceAttribute: one attribute value as PyTango users see it, built from an IDL AttributeValue.

The conversion rules follow what PyTango 10.3.1 returns for TangoTest (checked side by side):

* the wire sequence holds the read values followed by the set point(s); ``r_dim``/``w_dim`` say
  how many of each. A WRITE-only attribute sends only the set point, which is then both value
  and w_value;
* scalars become Python scalars (bool/int/float/str, ``DevState`` for states), spectra become 1-D
  numpy arrays with the attribute's dtype, images 2-D arrays of shape (dim_y, dim_x); string
  spectra/images become (nested) tuples;
* a read-only attribute has ``w_value`` None (scalar) or an empty array/tuple;
* a failed read has ``has_failed`` True, ``value``/``w_value`` None and the errors in
  ``get_err_stack()``.

Other ``ExtractAs`` modes give lists, tuples, the raw bytes (``Bytes``/``ByteArray``/``String``)
or no value at all (``Nothing``).
"""

from __future__ import annotations

import operator
from typing import Sequence

import numpy as np

from tango_core.client.device_data import _INT_RANGES, _BadArg, _to_scalar, not_latin1, plain_numbers_array
from tango_core.client.info import AttributeDimension
from tango_core.idl.enums import (
    AttrDataFormat,
    AttributeDataType,
    AttrQuality,
    CmdArgType,
    DevState,
    ErrSeverity,
    ExtractAs,
    SCALAR_DTYPE,
    arm_for_data_type,
)
from tango_core.idl.errors import DevError, DevFailed, MultiDevFailed, dev_error
from tango_core.idl.struct_format import PrintableStruct
from tango_core.idl.types import (MIN_ATTRIBUTE_VALUE_SIZE, AttributeValue_5, AttrValUnion, DevEncoded, TimeVal,
                                  read_array_value_5, read_scalar_value_5)

__all__ = ["DeviceAttribute", "AttributeDimension", "from_attribute_value", "read_attribute_reply_5",
           "read_attributes_reply_5", "read_attribute_value_5", "scalar_write_octets", "failed_attribute",
           "attribute_failed"]

_SCALAR = AttrDataFormat.SCALAR
_NUMPY = ExtractAs.Numpy
_SPECTRUM = AttrDataFormat.SPECTRUM
_IMAGE = AttrDataFormat.IMAGE
_FMT_UNKNOWN = AttrDataFormat.FMT_UNKNOWN
_VALID = AttrQuality.ATTR_VALID
_INVALID = AttrQuality.ATTR_INVALID
_STRING_ARM = AttributeDataType.ATT_STRING
_ENCODED_ARM = AttributeDataType.ATT_ENCODED
_DEVICE_STATE_ARM = AttributeDataType.DEVICE_STATE
_STATE_ARM = AttributeDataType.ATT_STATE
_NO_DATA_ARM = AttributeDataType.ATT_NO_DATA
_DATA_TYPES = CmdArgType.values
_FORMATS = AttrDataFormat.values
_QUALITIES = AttrQuality.values
_STATES = DevState.values
_ZERO_TIME = None


class DeviceAttribute(PrintableStruct):
    """An attribute value with its metadata (PyTango ``DeviceAttribute``)."""

    ExtractAs = ExtractAs

    class except_flags:  # noqa: N801 - PyTango's name
        isempty_flag = 0
        wrongtype_flag = 1
        failed_flag = 2
        numFlags = 3

    def __init__(self, other: "DeviceAttribute | None" = None) -> None:
        if other is not None:
            self.__dict__.update(other.__dict__)
            return
        self.name = "Name not set"
        self.quality = _INVALID
        self.time = TimeVal(0, 0, 0)
        self.data_format = _FMT_UNKNOWN
        self.dim_x = 0
        self.dim_y = 0
        self.w_dim_x = 0
        self.w_dim_y = 0
        self.nb_read = 0
        self.nb_written = 0
        self._errors: tuple = ()

    # PyTango exposes these as fields; computing them keeps the hot path short.
    @property
    def r_dimension(self) -> AttributeDimension:
        return AttributeDimension(self.dim_x, self.dim_y)

    @property
    def w_dimension(self) -> AttributeDimension:
        return AttributeDimension(self.w_dim_x, self.w_dim_y)

    def get_date(self) -> TimeVal:
        return self.time

    def get_err_stack(self) -> tuple:
        return self._errors

    def set_w_dim_x(self, x: int) -> None:
        self.w_dim_x = x

    def set_w_dim_y(self, y: int) -> None:
        self.w_dim_y = y

    def __eq__(self, other):  # identity semantics, as the C++ class
        return self is other

    __hash__ = object.__hash__


# --- value extraction ---------------------------------------------------------------------------

def _count(fmt: int, x: int, y: int) -> int:
    return x * y if fmt == _IMAGE else x


def _numeric(arr: np.ndarray, fmt: int, x: int, y: int, extract_as: int):
    """Shape/convert a numeric slice for the requested ExtractAs mode (not for scalars)."""
    if extract_as == ExtractAs.Numpy:
        if fmt == _IMAGE:
            return arr.reshape(y, x)
        return arr
    if extract_as == ExtractAs.List:
        return arr.reshape(y, x).tolist() if fmt == _IMAGE else arr.tolist()
    if extract_as == ExtractAs.Tuple:
        if fmt == _IMAGE:
            return tuple(tuple(row) for row in arr.reshape(y, x).tolist())
        return tuple(arr.tolist())
    raw = arr.tobytes()
    if extract_as == ExtractAs.Bytes:
        return raw
    if extract_as == ExtractAs.ByteArray:
        return bytearray(raw)
    return raw.decode("latin-1")  # ExtractAs.String


def _strings(seq: list, fmt: int, x: int, y: int, extract_as: int):
    if fmt == _IMAGE:
        rows = [seq[i * x:(i + 1) * x] for i in range(y)]
        if extract_as == ExtractAs.List:
            return rows
        return tuple(tuple(r) for r in rows)
    if extract_as == ExtractAs.List:
        return list(seq)
    return tuple(seq)


def _scalar(seq, i: int, arm: int, data_type: int):
    v = seq[i]
    if arm == _STRING_ARM:
        return v
    if arm == _STATE_ARM:
        return _STATES.get(int(v), v)
    if arm == _ENCODED_ARM:
        return (v.encoded_format, v.encoded_data)
    return v.item()


def _encoded_as(pair, extract_as: int):
    """PyTango: DevEncoded data as text (String: UTF-8, UnicodeDecodeError if it is not),
    bytearray (ByteArray) or bytes (every other mode)."""
    if pair is None:
        return None
    fmt, data = pair
    if extract_as == ExtractAs.ByteArray:
        return fmt, bytearray(data)
    if extract_as == ExtractAs.String:
        return fmt, bytes(data).decode("utf-8")
    return fmt, data


def _fill_values(da: DeviceAttribute, arm: int, seq, extract_as: int) -> None:
    fmt = da.data_format
    if arm == _DEVICE_STATE_ARM:
        da.value = _STATES.get(int(seq), seq) if not isinstance(seq, DevState) else seq
        da.w_value = None
        return
    if arm == _NO_DATA_ARM or fmt == _FMT_UNKNOWN:
        da.value = None
        da.w_value = None
        return
    rx, ry, wx, wy = da.dim_x, da.dim_y, da.w_dim_x, da.w_dim_y
    nr = _count(fmt, rx, ry)
    nw = _count(fmt, wx, wy)
    total = len(seq)
    w_start = nr if total >= nr + nw else 0
    if fmt == _SCALAR:
        if extract_as == ExtractAs.Nothing:
            if arm == _ENCODED_ARM and nr and total:  # kept for EncodedAttribute.decode_*
                da._encoded = _scalar(seq, 0, arm, da.type)
            return
        if type(seq) is np.ndarray and arm != _STATE_ARM:  # numeric: one C call for both values
            values = seq.tolist()
            da.value = values[0] if nr and total else None
            da.w_value = values[w_start] if wx and total > w_start else None
            return
        da.value = _scalar(seq, 0, arm, da.type) if nr and total else None
        da.w_value = _scalar(seq, w_start, arm, da.type) if wx and total > w_start else None
        if arm == _ENCODED_ARM:
            da.value, da.w_value = _encoded_as(da.value, extract_as), _encoded_as(da.w_value, extract_as)
        return
    if extract_as == ExtractAs.Nothing:
        return
    if arm == _STRING_ARM:
        if extract_as not in (ExtractAs.Numpy, ExtractAs.List, ExtractAs.Tuple):
            return  # PyTango gives no value for strings in raw modes
        da.value = _strings(seq[:nr], fmt, rx, ry, extract_as)
        da.w_value = _strings(seq[w_start:w_start + nw], fmt, wx, wy, extract_as)
        return
    if arm == _STATE_ARM:  # PyTango gives DevState spectra/images as uint32 arrays
        seq = np.fromiter((int(x) for x in seq), dtype=np.uint32, count=total)
        da.value = _numeric(seq[:nr], fmt, rx, ry, extract_as)
        da.w_value = _numeric(seq[w_start:w_start + nw], fmt, wx, wy, extract_as)
        return
    if arm == _ENCODED_ARM:
        conv = [_scalar(seq, i, arm, da.type) for i in range(total)]
        da.value = _strings(conv[:nr], fmt, rx, ry, ExtractAs.Tuple if extract_as != ExtractAs.List
                            else extract_as)
        da.w_value = _strings(conv[w_start:w_start + nw], fmt, wx, wy, ExtractAs.Tuple
                              if extract_as != ExtractAs.List else extract_as)
        return
    da.value = _numeric(seq[:nr], fmt, rx, ry, extract_as)
    if fmt == _IMAGE and wx and not wy and extract_as in _RAW_MODES:
        # an image set point of w_dim (x, 0) (cppTango's initial one): PyTango's raw modes still
        # give its x elements, where the array modes give an empty image
        da.w_value = _numeric(seq[nr:nr + wx], fmt, wx, 1, extract_as)
        return
    da.w_value = _numeric(seq[w_start:w_start + nw], fmt, wx, wy, extract_as)


_RAW_MODES = (ExtractAs.Bytes, ExtractAs.ByteArray, ExtractAs.String)


def from_attribute_value(av, extract_as: int = ExtractAs.Numpy) -> DeviceAttribute:
    """Build a DeviceAttribute from an AttributeValue_5/_4 (``av.value`` is the union)."""
    da = DeviceAttribute.__new__(DeviceAttribute)
    errors = av.err_list
    r_dim, w_dim = av.r_dim, av.w_dim
    union = av.value
    arm = union.arm
    data_type = getattr(av, "data_type", None)
    if data_type is None:
        from tango_core.idl.enums import data_type_for_arm
        data_type = data_type_for_arm(arm)
    if errors:
        d = da.__dict__
        d["name"] = av.name
        d["time"] = av.time
        d.update(quality=_INVALID, data_format=_FMT_UNKNOWN, dim_x=0, dim_y=0, w_dim_x=0, w_dim_y=0,
                 nb_read=0, nb_written=0, has_failed=True, is_empty=True, type=CmdArgType.DevVoid,
                 value=None, w_value=None, _errors=tuple(errors))  # time: as sent (PyTango keeps it too)
        return da
    fmt = _FORMATS.get(av.data_format, av.data_format)
    rx, ry, wx, wy = r_dim.dim_x, r_dim.dim_y, w_dim.dim_x, w_dim.dim_y
    data = union.value
    if fmt is _SCALAR and data.__class__ is np.ndarray and arm is not _STATE_ARM and extract_as == _NUMPY:
        # the commonest read, a numeric scalar: the whole instance dict in one go, the values as
        # _fill_values' scalar branch gives them (one C call for both)
        values = data.tolist()
        total = len(values)
        w_start = rx if total >= rx + wx else 0
        da.__dict__ = {
            "name": av.name, "time": av.time, "quality": _QUALITIES.get(av.quality, av.quality),
            "data_format": fmt, "dim_x": rx, "dim_y": ry, "w_dim_x": wx, "w_dim_y": wy,
            "nb_read": rx * max(ry, 1) if rx else 0, "nb_written": wx * max(wy, 1) if wx else 0,
            "has_failed": False, "_errors": (), "type": _DATA_TYPES.get(data_type, data_type),
            "is_empty": not total, "value": values[0] if rx and total else None,
            "w_value": values[w_start] if wx and total > w_start else None}
        return da
    d = da.__dict__
    d["name"] = av.name
    d["time"] = av.time
    d.update(quality=_QUALITIES.get(av.quality, av.quality), data_format=fmt, dim_x=rx, dim_y=ry,
             w_dim_x=wx, w_dim_y=wy, nb_read=rx * max(ry, 1) if rx else 0,
             nb_written=wx * max(wy, 1) if wx else 0, has_failed=False, _errors=(),
             type=_DATA_TYPES.get(data_type, data_type))
    d["is_empty"] = arm == _NO_DATA_ARM or (arm != _DEVICE_STATE_ARM and len(data) == 0)
    if arm == _NO_DATA_ARM and fmt != _FMT_UNKNOWN:
        d["value"] = None
        d["w_value"] = None
        return da
    _fill_values(da, arm, data, extract_as)
    return da


def read_attribute_reply_5(r) -> DeviceAttribute:
    """The DeviceAttribute of a one-attribute ``read_attributes_5`` reply body (ExtractAs.Numpy),
    exactly what ``from_attribute_value(AttributeValue_5.read_list(r)[0])`` gives (see
    :func:`read_attribute_value_5`)."""
    start = r.pos
    if r.read_count(MIN_ATTRIBUTE_VALUE_SIZE) != 1:
        r.pos = start
        return from_attribute_value(AttributeValue_5.read_list(r)[0])
    return read_attribute_value_5(r)


def read_attributes_reply_5(r) -> list[DeviceAttribute]:
    """The DeviceAttributes of a ``read_attributes_5`` reply body (ExtractAs.Numpy), exactly what
    ``[from_attribute_value(av) for av in AttributeValue_5.read_list(r)]`` gives (see
    :func:`read_attribute_value_5`)."""
    return [read_attribute_value_5(r) for _ in range(r.read_count(MIN_ATTRIBUTE_VALUE_SIZE))]


def read_attribute_value_5(r) -> DeviceAttribute:
    """The DeviceAttribute (ExtractAs.Numpy) of one ``AttributeValue_5``, exactly what
    ``from_attribute_value(AttributeValue_5.read(r))`` gives: the common values straight from
    the octets -- a numeric scalar without errors (no AttributeValue_5, no numpy array for one or
    two numbers), a numeric spectrum or image without errors (no AttributeValue_5: the array,
    then its shaped read and set-point parts); anything else through that general path."""
    fields = read_scalar_value_5(r)
    if fields is None:
        fields = read_array_value_5(r)
        if fields is None:
            return from_attribute_value(AttributeValue_5.read(r))
        array, fmt, quality, data_type, time, name, rx, ry, wx, wy = fields
        da = DeviceAttribute.__new__(DeviceAttribute)
        image = fmt is _IMAGE
        nr = rx * ry if image else rx
        nw = wx * wy if image else wx
        w_start = nr if len(array) >= nr + nw else 0
        da.__dict__ = {  # the keys and values of from_attribute_value's numeric array branch
            "name": name, "time": time, "quality": quality,
            "data_format": fmt, "dim_x": rx, "dim_y": ry, "w_dim_x": wx, "w_dim_y": wy,
            "nb_read": rx * max(ry, 1) if rx else 0, "nb_written": wx * max(wy, 1) if wx else 0,
            "has_failed": False, "_errors": (), "type": _DATA_TYPES.get(data_type, data_type),
            "is_empty": False,
            "value": array[:nr].reshape(ry, rx) if image else array[:nr],
            "w_value": array[w_start:w_start + nw].reshape(wy, wx) if image else array[w_start:w_start + nw]}
        return da
    values, quality, data_type, time, name, rx, ry, wx, wy = fields
    total = len(values)
    w_start = rx if total >= rx + wx else 0
    da = DeviceAttribute.__new__(DeviceAttribute)
    da.__dict__ = {  # the keys and values of from_attribute_value's numeric scalar branch
        "name": name, "time": time, "quality": quality,
        "data_format": _SCALAR, "dim_x": rx, "dim_y": ry, "w_dim_x": wx, "w_dim_y": wy,
        "nb_read": rx * max(ry, 1) if rx else 0, "nb_written": wx * max(wy, 1) if wx else 0,
        "has_failed": False, "_errors": (), "type": _DATA_TYPES.get(data_type, data_type),
        "is_empty": False, "value": values[0] if rx else None,
        "w_value": values[w_start] if wx and total > w_start else None}
    return da


def failed_attribute(name: str, errors) -> DeviceAttribute:
    """A DeviceAttribute standing for a read that failed client-side."""
    da = DeviceAttribute()
    da.name = name
    da.has_failed = True
    da.is_empty = True
    da.type = CmdArgType.DevVoid
    da.value = None
    da.w_value = None
    da._errors = tuple(errors)
    return da


def attribute_failed(cause: DevFailed | Sequence[DevError], dev_name: str, operation: str, subject: str = "",
                     origin: str | None = None) -> DevFailed:
    """PyTango's error for a failed attribute call: the cause's errors, then API_AttributeFailed
    "Failed to <operation> on device <dev_name>[, <subject>]" from ``DeviceProxy::<operation>()``.

    ``cause`` is the DevFailed the call raised (its class is kept, except that a MultiDevFailed
    becomes a plain DevFailed of its errors, as PyTango reports it) or the error stack of a
    DeviceAttribute whose read failed (the result is then a plain DevFailed); ``subject`` is
    e.g. ``"attribute x"``.
    """
    desc = f"Failed to {operation} on device {dev_name}" + (f", {subject}" if subject else "")
    top = dev_error("API_AttributeFailed", desc, origin or f"DeviceProxy::{operation}()")
    if isinstance(cause, DevFailed):
        cls = DevFailed if isinstance(cause, MultiDevFailed) else type(cause)
        return cls(*cause.args, top)
    return DevFailed(*cause, top)


# --- write values -------------------------------------------------------------------------------
#
# PyTango's rules, checked value by value against PyTango 10.3.1 writing TangoTest's attributes
# (tests/client/test_device_write_matrix.py): scalars follow the command rules, PyTango's
# python_scalar_to_cpp (device_data._to_int, _to_double: __index__ for signed types and booleans,
# Python ints or the exact numpy scalar type for unsigned ones, __float__ for floats; beyond the
# C long a TypeError, else OverflowError); list elements are converted one by one as scalars;
# numpy arrays are cast by numpy, like C does; the number of dimensions must match the format
# (PyDs_WrongNumpyArrayDimensions).

_NUMERIC_MSG = ("Expecting a {} type, but it is not. If you use a numpy type instead of python core types, "
                "then it must exactly match (ex: numpy.int32 for PyTango.DevLong)")
_TEXT_TYPES = (CmdArgType.DevString, CmdArgType.ConstDevString)


def _wrong(reason: str, desc: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, "Tango::DeviceAttribute::reset()", ErrSeverity.ERR))


def _is_seq(v) -> bool:
    return isinstance(v, (list, tuple, np.ndarray, range)) or (
        hasattr(v, "__len__") and hasattr(v, "__getitem__") and not isinstance(v, (str, bytes, dict)))


def _kind_name(dt: int) -> str:
    if dt == CmdArgType.DevBoolean:
        return "bool"
    return "numeric" if dt in (CmdArgType.DevFloat, CmdArgType.DevDouble) else "integer"


def _scalar_value(dt: int, v):
    """One scalar checked/converted as PyTango's write path does (raises TypeError/OverflowError)."""
    if dt in _TEXT_TYPES:
        return _text(v)
    # numbers as PyTango's python_scalar_to_cpp takes them (device_data._to_int, _to_double):
    # 0-d numpy arrays too, as numpy's __index__/__float__ give them
    try:
        return _to_scalar(CmdArgType.DevShort if dt == CmdArgType.DevEnum else dt, v)
    except _BadArg:
        raise TypeError(_NUMERIC_MSG.format(_kind_name(dt))) from None


def _text(v) -> str:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("latin-1")
    if not isinstance(v, str):
        raise TypeError(f"Expecting a string, not {type(v).__name__}")
    try:
        v.encode("latin-1")
    except UnicodeEncodeError:
        raise not_latin1(v) from None
    return v


def _list_elements(dt: int, items: list, labels: Sequence[str] = ()) -> np.ndarray:
    """Elements of a Python list/tuple for a numeric attribute, each converted as a scalar is
    (PyTango converts every element with the scalar convertor, python_scalar_to_cpp: numpy
    integers and 0-d integer arrays for signed types and booleans, Python ints or a numpy scalar
    of exactly the dtype for unsigned ones, anything with __float__ for floats).  Lists of plain
    Python numbers, the common case, are checked in one pass."""
    if dt == CmdArgType.DevEnum:
        return _enum_list_elements(items, labels)
    arr = plain_numbers_array(dt, items)
    if arr is not None:
        return arr
    return np.array([_scalar_value(dt, x) for x in items], dtype=SCALAR_DTYPE[dt])


def _enum_list_elements(items: list, labels: Sequence[str] = ()) -> np.ndarray:
    """Elements of a list for a DevEnum spectrum or image, each as :func:`enum_element` takes it."""
    return np.array([enum_element(x, labels) for x in items], dtype=SCALAR_DTYPE[CmdArgType.DevEnum])


def enum_element(v, labels: Sequence[str] = ()) -> int:
    """A DevEnum value written (a scalar, or an element of a list), the index of one of ``labels``.

    As PyTango 10.3.1's client: a negative number is "can't convert negative value to unsigned
    int" (OverflowError, before anything is sent); a float, None, a list... is "an integer is
    required" (TypeError).  Where PyTango's client is stricter or wrong, tango_core is not: a
    label is taken (PyTango takes labels only in ``dev.attr = "LABEL"``), so are numpy integers
    (PyTango: TypeError), and a number past DevShort's range is "Value is too large."
    (OverflowError) where PyTango keeps its low 16 bits (65536 written as 0: a silent wrong value).
    The device itself refuses a number that is no label's index (API_WAttrOutsideLimit)."""
    if isinstance(v, str):
        try:
            return list(labels).index(v)
        except ValueError:
            raise ValueError(f"Invalid enum label {v!r}; valid labels: {list(labels)}") from None
    try:
        n = operator.index(v)
    except TypeError:
        raise TypeError("an integer is required") from None
    if n < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if n > _INT_RANGES[CmdArgType.DevEnum][1]:  # a DevShort
        raise OverflowError("Value is too large.")
    return n


def _special_scalar(dt: int, v):
    if dt == CmdArgType.DevState:
        return DevState(int(v))
    if dt == CmdArgType.DevEncoded:
        if not _is_seq(v) or len(v) != 2:
            raise TypeError("DevEncoded values are (format, data) pairs")
        data = v[1]
        data = data.encode("utf-8") if isinstance(data, str) else bytes(  # text travels as UTF-8 (PyTango)
            data.tobytes() if isinstance(data, np.ndarray) else data)
        return DevEncoded(_text(v[0]), data)
    return _text(v)


def scalar_write_octets(cfg, value) -> bytes | None:
    """The value octets of a write of ``value`` to a numeric SCALAR attribute (``cfg``, as for
    :func:`encode_write_value`): the same checks and conversion, the octets its union carries in
    a little-endian message; None for any other attribute (text, state, encoded, enum, arrays)."""
    dt = _DATA_TYPES.get(cfg.data_type, cfg.data_type)
    dtype = _WRITE_SCALAR_DTYPES.get(dt)
    if dtype is None or cfg.data_format != _SCALAR:
        return None
    return np.array([_scalar_value(dt, value)], dtype=dtype).tobytes()


_WRITE_SCALAR_DTYPES = {t: d.newbyteorder("<") for t, d in SCALAR_DTYPE.items() if t != CmdArgType.DevEnum}


def encode_write_value(cfg, value):
    """(AttrValUnion, w_dim_x, w_dim_y) for writing ``value`` to the attribute configured by ``cfg``.

    ``cfg`` is an AttributeInfo(Ex) (data_type, data_format, name, enum_labels).
    """
    dt = _DATA_TYPES.get(cfg.data_type, cfg.data_type)
    fmt = cfg.data_format
    arm = arm_for_data_type(dt)
    special = dt in _TEXT_TYPES or dt in (CmdArgType.DevState, CmdArgType.DevEncoded)
    if fmt == _SCALAR:
        if special:
            return AttrValUnion(arm, [_special_scalar(dt, value)]), 1, 0
        if dt == CmdArgType.DevEnum:
            v = enum_element(value, getattr(cfg, "enum_labels", ()))
        else:
            v = _scalar_value(dt, value)
        return AttrValUnion(arm, np.array([v], dtype=SCALAR_DTYPE[dt])), 1, 0
    # SPECTRUM / IMAGE
    if isinstance(value, np.ndarray):
        want = 2 if fmt == _IMAGE else 1
        if special:  # text/state/encoded: a numpy array is just another sequence
            value = value.tolist()
        elif not value.size:  # empty, whatever its shape and type: an empty spectrum or image
            return AttrValUnion(arm, np.empty(0, dtype=SCALAR_DTYPE[dt])), 0, 0
        elif value.ndim != want:
            raise _wrong("PyDs_WrongNumpyArrayDimensions",
                         f"Expecting a {want}-dimensional numpy array for a "
                         f"{'IMAGE' if fmt == _IMAGE else 'SPECTRUM'} attribute, got {value.ndim}")
        else:
            # cast as PyTango does, whatever the dtype: strings and objects as numpy converts
            # them (b"1" is 1, "a" a ValueError from numpy)
            dims = (value.shape[1], value.shape[0]) if fmt == _IMAGE else (value.shape[0], 0)
            arr = value.astype(SCALAR_DTYPE[dt]) if value.dtype != SCALAR_DTYPE[dt] else value
            return AttrValUnion(arm, np.ascontiguousarray(arr).reshape(-1)), *dims
    if dt in _TEXT_TYPES and isinstance(value, bytes):  # PyTango takes it as a sequence of numbers
        raise TypeError("can't translate python object to C char*")
    if not _is_seq(value):
        raise _wrong("PyDs_WrongParameters", "Expecting a sequence (SPECTRUM attribute)." if fmt == _SPECTRUM
                     else "Expecting a sequence of sequences (IMAGE attribute).")
    items = list(value)
    if fmt == _IMAGE:
        if items and not all(_is_seq(r) or isinstance(r, str) for r in items):
            raise _wrong("PyDs_WrongParameters", "Expecting a sequence of sequences (IMAGE attribute).")
        x = len(items[0]) if items else 0
        flat = []
        for row in items:
            row = list(row)
            if len(row) < x:
                raise IndexError("list index out of range")  # PyTango's words: a row shorter than the first
            flat.extend(row[:x])  # PyTango reads dim_x from the first row
        dims = (x, len(items))
    else:
        flat = items
        dims = (len(flat), 0)
    if special:
        if dt == CmdArgType.DevState or dt == CmdArgType.DevEncoded:
            return AttrValUnion(arm, [_special_scalar(dt, e) for e in flat]), *dims
        if not all(isinstance(e, (str, bytes, bytearray)) for e in flat):  # bytes: raw Latin-1 octets
            raise TypeError("can't translate python object to C char*")  # PyTango's words
        return AttrValUnion(arm, [_text(e) for e in flat]), *dims
    return AttrValUnion(arm, _list_elements(dt, flat, getattr(cfg, "enum_labels", ()))), *dims


DeviceAttribute.from_attribute_value = staticmethod(from_attribute_value)
