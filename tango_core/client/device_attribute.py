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

import numpy as np

from tango_core.client.info import AttributeDimension, PrintableStruct
from tango_core.idl.enums import (
    AttrDataFormat,
    AttributeDataType,
    AttrQuality,
    CmdArgType,
    DevState,
    ExtractAs,
)
from tango_core.idl.errors import DevError, DevFailed
from tango_core.idl.types import TimeVal

__all__ = ["DeviceAttribute", "AttributeDimension", "from_attribute_value", "failed_attribute",
           "raise_if_failed"]

_SCALAR = AttrDataFormat.SCALAR
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
        return v
    return v.item() if hasattr(v, "item") else v


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
            return
        da.value = _scalar(seq, 0, arm, da.type) if nr and total else None
        da.w_value = _scalar(seq, w_start, arm, da.type) if wx and total > w_start else None
        return
    if extract_as == ExtractAs.Nothing:
        return
    if arm == _STRING_ARM:
        if extract_as not in (ExtractAs.Numpy, ExtractAs.List, ExtractAs.Tuple):
            return  # PyTango gives no value for strings in raw modes
        da.value = _strings(seq[:nr], fmt, rx, ry, extract_as)
        da.w_value = _strings(seq[w_start:w_start + nw], fmt, wx, wy, extract_as)
        return
    if arm == _ENCODED_ARM or arm == _STATE_ARM:
        conv = [_scalar(seq, i, arm, da.type) for i in range(total)]
        da.value = _strings(conv[:nr], fmt, rx, ry, ExtractAs.Tuple if extract_as != ExtractAs.List
                            else extract_as)
        da.w_value = _strings(conv[w_start:w_start + nw], fmt, wx, wy, ExtractAs.Tuple
                              if extract_as != ExtractAs.List else extract_as)
        return
    da.value = _numeric(seq[:nr], fmt, rx, ry, extract_as)
    da.w_value = _numeric(seq[w_start:w_start + nw], fmt, wx, wy, extract_as)


def from_attribute_value(av, extract_as: int = ExtractAs.Numpy) -> DeviceAttribute:
    """Build a DeviceAttribute from an AttributeValue_5/_4 (``av.value`` is the union)."""
    da = DeviceAttribute.__new__(DeviceAttribute)
    d = da.__dict__
    d["name"] = av.name
    d["time"] = av.time
    errors = av.err_list
    r_dim, w_dim = av.r_dim, av.w_dim
    union = av.value
    arm = union.arm
    data_type = getattr(av, "data_type", None)
    if data_type is None:
        from tango_core.idl.enums import data_type_for_arm
        data_type = data_type_for_arm(arm)
    if errors:
        d.update(quality=_INVALID, data_format=_FMT_UNKNOWN, dim_x=0, dim_y=0, w_dim_x=0, w_dim_y=0,
                 nb_read=0, nb_written=0, has_failed=True, is_empty=True, type=CmdArgType.DevVoid,
                 value=None, w_value=None, _errors=tuple(errors))
        return da
    fmt = _FORMATS.get(av.data_format, av.data_format)
    rx, ry, wx, wy = r_dim.dim_x, r_dim.dim_y, w_dim.dim_x, w_dim.dim_y
    d.update(quality=_QUALITIES.get(av.quality, av.quality), data_format=fmt, dim_x=rx, dim_y=ry,
             w_dim_x=wx, w_dim_y=wy, nb_read=rx * max(ry, 1) if rx else 0,
             nb_written=wx * max(wy, 1) if wx else 0, has_failed=False, _errors=(),
             type=_DATA_TYPES.get(data_type, data_type))
    data = union.data
    d["is_empty"] = arm == _NO_DATA_ARM or (arm != _DEVICE_STATE_ARM and len(data) == 0)
    if arm == _NO_DATA_ARM and fmt != _FMT_UNKNOWN:
        d["value"] = None
        d["w_value"] = None
        return da
    _fill_values(da, arm, data, extract_as)
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


def raise_if_failed(da: DeviceAttribute, dev_name: str, operation: str = "read_attribute") -> None:
    """Raise DevFailed as PyTango's read_attribute does when the attribute's read failed."""
    if da.has_failed:
        raise DevFailed(*da._errors, DevError(
            "API_AttributeFailed",
            f"Failed to {operation} on device {dev_name}, attribute {da.name}",
            f"DeviceProxy::{operation}()"))
