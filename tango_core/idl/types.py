"""Tango IDL structs and unions with their CDR encodings.

One style for every type here:

* a class (a ``@record`` -- what ``@dataclass(slots=True)`` makes, cheaper to
  import, see :mod:`tango_core.wire.structs` -- unless it needs a custom
  constructor or equality) whose **fields are the IDL members in wire order**,
  with the IDL member names;
* ``Cls.read(r: CDRReader) -> Cls`` (classmethod) decodes one value at the
  reader's position; ``obj.write(w: CDRWriter)`` encodes it;
* sequences of structs use the CDR helpers: ``r.read_seq(Cls.read, min_size)``
  and :func:`write_list` (``w.write_seq`` with each item's ``write``);
* IDL enums decode to the :mod:`.enums` members (an out-of-range value is a
  :class:`MarshalError`, like CORBA's MARSHAL); ``long data_type`` fields
  decode to a :class:`CmdArgType` when the code is known, else the int;
* numeric sequences are numpy arrays (decoded with ``CDRReader.read_array``
  in one call, never per element), string sequences are ``list[str]``,
  ``sequence<octet>`` is ``bytes``.

All decoding errors are :class:`tango_core.wire.errors.MarshalError`.
:class:`DevError` and :class:`NamedDevError` live in :mod:`.errors` and are
re-exported here.  Members of IDL type ``any`` (the pre-IDL-4 attribute
values, the history structs) are :class:`CorbaAny` objects; use
:meth:`CorbaAny.to_union` to get the same :class:`AttrValUnion` an IDL-4+
device would have sent.
"""

from __future__ import annotations

import datetime
import numbers
import struct
import time as _time
from typing import Any, Callable, Sequence, TypeVar

import numpy as np

from ..wire.cdr import NATIVE_LITTLE, PRIMITIVE_DTYPES, CDRReader, CDRWriter
from ..wire.errors import MarshalError
from ..wire.structs import field, record
from ..wire.typecode import TC_NULL, TCKind, TypeCode, cdr_kind, read_any, write_any
from .enums import (
    ARM_KIND, AttrDataFormat, AttributeDataType, AttrQuality, AttrWriteType, CmdArgType,
    DevState, DispLevel, LockerLanguage, PipeWriteType, TraceContextFormat,
)
from .struct_format import printable
from .errors import DevError, NamedDevError, read_dev_error_list, write_dev_error_list

__all__ = [
    "write_list", "MIN_ATTRIBUTE_VALUE_SIZE", "one_value_list", "read_scalar_value_5", "read_array_value_5", "DevError", "NamedDevError",
    "DevVarLongStringArray", "DevVarDoubleStringArray", "DevEncoded", "TimeVal",
    "DevCmdInfo", "DevCmdInfo_2", "DevInfo", "DevInfo_3", "DevInfoVersion", "DevInfo_6",
    "AttributeDim", "AttrValUnion", "AttributeValue_4", "AttributeValue_5",
    "AttributeConfig", "AttributeConfig_2", "AttributeAlarm", "ChangeEventProp",
    "PeriodicEventProp", "ArchiveEventProp", "EventProperties", "AttributeConfig_3",
    "AttributeConfig_5", "PipeConfig", "DevPipeDataElt", "DevPipeBlob", "DevPipeData",
    "AttDataReady", "DevIntrChange", "EltInArray", "expand_runs",
    "ZmqCallInfo", "JavaClntIdent", "W3CTraceContextV0", "TraceContext", "CppClntIdent_6",
    "JavaClntIdent_6", "ClntIdent", "CorbaAny", "AttributeValue", "AttributeValue_3",
    "DevCmdHistory", "DevAttrHistory", "DevAttrHistory_3", "DevAttrHistory_4", "DevAttrHistory_5",
    "DevCmdHistory_4",
]

E = TypeVar("E")


# ---------------------------------------------------------------------------
# helpers

def write_list(w: CDRWriter, items: Sequence[Any]) -> None:
    """Write an IDL sequence of structs: count, then each item's ``write``."""
    w.write_ulong(len(items))
    for item in items:
        item.write(w)


def _write_item(w: CDRWriter, item: Any) -> None:
    item.write(w)


def _enum(cls: type[E], value: int) -> E:
    try:
        return cls(value)
    except ValueError:
        raise MarshalError(f"invalid {cls.__name__} value {value}") from None


_CMD_ARG_TYPES = CmdArgType.values


def _data_type(value: int) -> CmdArgType | int:
    return _CMD_ARG_TYPES.get(value, value)


def _enum_lookup(table: dict, cls_name: str, value: int):
    """``table`` is an enum's ``values`` dict: a dict hit is much cheaper than calling the class."""
    try:
        return table[value]
    except KeyError:
        raise MarshalError(f"invalid {cls_name} value {value}") from None


def _fixed(r: CDRReader, le: struct.Struct, be: struct.Struct) -> tuple:
    """Read a run of 4-octet fields in one unpack (they share one alignment, so no padding inside)."""
    r.align(4)
    pos = r.pos
    end = pos + le.size
    if end > r.end:
        raise MarshalError(f"truncated CDR data at offset {pos}")
    r.pos = end
    return (le if r.little_endian else be).unpack_from(r.data, pos)


def _pack_fixed(w: CDRWriter, structs: tuple[struct.Struct, struct.Struct], *values: int) -> None:
    """Write a run of 4-octet fields in one pack (the writer of :func:`_fixed`)."""
    if (len(w.buf) - w.origin) & 3:
        w.align(4)
    try:
        w.buf += (structs[0] if w.little_endian else structs[1]).pack(*values)
    except struct.error as exc:
        raise ValueError(f"cannot encode {values!r} as CDR longs: {exc}") from None


def _structs(fmt: str) -> tuple[struct.Struct, struct.Struct]:
    return struct.Struct("<" + fmt), struct.Struct(">" + fmt)


def _arrays_equal(a: Any, b: Any) -> bool:
    a = np.asarray(a)
    b = np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


# Conservative lower bounds of encoded sizes, to reject hostile sequence counts early.
_MIN_STRING = 5
_MIN_CMD_INFO = 24
_MIN_ATTR_CONFIG = 64
#: AttributeConfig_5 after its name, for AttributeConfig_5.read_names: a positive number is that
#: many strings, 0 a string sequence, a negative one fixed fields (see read_names)
_FIXED_AFTER_NAME = -14     # 3 ulongs + 2 booleans (then 2 longs, re-aligned)
_CONFIG_5_STEPS = (
    _FIXED_AFTER_NAME,
    9,             # description ... writable_attr_name
    -4,            # level
    1,             # root_attr_name
    0,             # enum_labels
    6, 0,          # att_alarm: 6 strings, extensions
    2, 0,          # event_prop.ch_event: rel_change, abs_change, extensions
    1, 0,          # event_prop.per_event: period, extensions
    3, 0,          # event_prop.arch_event: rel_change, abs_change, period, extensions
    0, 0,          # extensions, sys_extensions
)
_MIN_ATTR_VALUE = MIN_ATTRIBUTE_VALUE_SIZE = 48  # octets of one AttributeValue_5, at least


# ---------------------------------------------------------------------------
# command data structs

class DevVarLongStringArray:
    """IDL ``DevVarLongStringArray``: ``lvalue`` (int32 array) and ``svalue`` (list of str)."""

    __slots__ = ("lvalue", "svalue")

    def __init__(self, lvalue: Any = (), svalue: Sequence[str] = ()) -> None:
        self.lvalue = np.asarray(lvalue, dtype=np.int32)
        self.svalue = list(svalue)

    @classmethod
    def read(cls, r: CDRReader) -> "DevVarLongStringArray":
        obj = cls.__new__(cls)
        obj.lvalue = r.read_array("long")
        obj.svalue = r.read_string_seq()
        return obj

    def write(self, w: CDRWriter) -> None:
        w.write_array("long", self.lvalue)
        w.write_string_seq(self.svalue)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DevVarLongStringArray):
            return NotImplemented
        return _arrays_equal(self.lvalue, other.lvalue) and self.svalue == other.svalue

    __hash__ = None

    def __repr__(self) -> str:
        return f"DevVarLongStringArray(lvalue={self.lvalue!r}, svalue={self.svalue!r})"


class DevVarDoubleStringArray:
    """IDL ``DevVarDoubleStringArray``: ``dvalue`` (float64 array) and ``svalue`` (list of str)."""

    __slots__ = ("dvalue", "svalue")

    def __init__(self, dvalue: Any = (), svalue: Sequence[str] = ()) -> None:
        self.dvalue = np.asarray(dvalue, dtype=np.float64)
        self.svalue = list(svalue)

    @classmethod
    def read(cls, r: CDRReader) -> "DevVarDoubleStringArray":
        obj = cls.__new__(cls)
        obj.dvalue = r.read_array("double")
        obj.svalue = r.read_string_seq()
        return obj

    def write(self, w: CDRWriter) -> None:
        w.write_array("double", self.dvalue)
        w.write_string_seq(self.svalue)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DevVarDoubleStringArray):
            return NotImplemented
        return _arrays_equal(self.dvalue, other.dvalue) and self.svalue == other.svalue

    __hash__ = None

    def __repr__(self) -> str:
        return f"DevVarDoubleStringArray(dvalue={self.dvalue!r}, svalue={self.svalue!r})"


@record
class DevEncoded:
    """IDL ``DevEncoded``: a format name and raw octets."""
    encoded_format: str = ""
    encoded_data: bytes = b""

    @classmethod
    def read(cls, r: CDRReader) -> "DevEncoded":
        return cls(r.read_string(), r.read_octet_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.encoded_format)
        w.write_octet_seq(self.encoded_data)


# ---------------------------------------------------------------------------
# time

class TimeVal:
    """IDL ``TimeVal`` (three 32-bit signed longs), with PyTango's ``TimeVal`` API.

    Constructors as in PyTango: ``TimeVal()``, ``TimeVal(float_seconds)``,
    ``TimeVal(datetime)`` (naive = local time), ``TimeVal(sec, usec, nsec)``.
    ``str()`` is the local-time ``datetime`` string; ``repr()`` is PyTango's
    struct form ``TimeVal(tv_nsec = 0, tv_sec = 1, tv_usec = 2)``.
    """

    __slots__ = ("tv_sec", "tv_usec", "tv_nsec")

    def __init__(self, a: Any = None, b: int | None = None, c: int | None = None) -> None:
        self.tv_sec = self.tv_usec = self.tv_nsec = 0
        if a is None:
            return
        if isinstance(a, datetime.datetime):
            a = _time.mktime(a.timetuple()) + a.microsecond * 1e-6
        if b is None:
            if not isinstance(a, numbers.Real):
                raise TypeError(f"TimeVal() expects a number, a datetime or (sec, usec, nsec), not {a!r}")
            self.tv_sec = int(a)
            usec = (a - self.tv_sec) * 1e6
            self.tv_usec = int(usec)
            self.tv_nsec = int((usec - self.tv_usec) * 1e3)
        else:
            self.tv_sec, self.tv_usec, self.tv_nsec = int(a), int(b), int(c or 0)

    @classmethod
    def read(cls, r: CDRReader) -> "TimeVal":
        obj = cls.__new__(cls)
        obj.tv_sec = r.read_long()
        obj.tv_usec = r.read_long()
        obj.tv_nsec = r.read_long()
        return obj

    def write(self, w: CDRWriter) -> None:
        w.write_long(self.tv_sec)
        w.write_long(self.tv_usec)
        w.write_long(self.tv_nsec)

    # -- PyTango API --------------------------------------------------------
    def totime(self) -> float:
        """Seconds since the epoch as a float."""
        return self.tv_sec + 1e-6 * self.tv_usec + 1e-9 * self.tv_nsec

    def todatetime(self) -> datetime.datetime:
        """Naive local-time ``datetime``."""
        return datetime.datetime.fromtimestamp(self.totime())

    def strftime(self, format: str) -> str:  # noqa: A002 - PyTango's parameter name
        return self.todatetime().strftime(format)

    def isoformat(self, sep: str = "T") -> str:
        return self.todatetime().isoformat(sep)

    @staticmethod
    def fromtimestamp(ts: float) -> "TimeVal":
        return TimeVal(ts)

    @staticmethod
    def fromdatetime(dt: datetime.datetime) -> "TimeVal":
        return TimeVal(dt)

    @staticmethod
    def now() -> "TimeVal":
        return TimeVal(_time.time())

    # -- Python protocol --------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TimeVal):
            return NotImplemented
        return (self.tv_sec, self.tv_usec, self.tv_nsec) == (other.tv_sec, other.tv_usec, other.tv_nsec)

    __hash__ = None

    def __reduce__(self):
        return (TimeVal, (self.tv_sec, self.tv_usec, self.tv_nsec))

    def __repr__(self) -> str:
        return f"TimeVal(tv_nsec = {self.tv_nsec!r}, tv_sec = {self.tv_sec!r}, tv_usec = {self.tv_usec!r})"

    def __str__(self) -> str:
        return str(self.todatetime())


# ---------------------------------------------------------------------------
# commands and device info

@record
class DevCmdInfo:
    cmd_name: str = ""
    cmd_tag: int = 0
    in_type: CmdArgType | int = CmdArgType.DevVoid
    out_type: CmdArgType | int = CmdArgType.DevVoid
    in_type_desc: str = ""
    out_type_desc: str = ""

    @classmethod
    def read(cls, r: CDRReader) -> "DevCmdInfo":
        return cls(r.read_string(), r.read_long(), _data_type(r.read_long()), _data_type(r.read_long()),
                   r.read_string(), r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.cmd_name)
        w.write_long(self.cmd_tag)
        w.write_long(self.in_type)
        w.write_long(self.out_type)
        w.write_string(self.in_type_desc)
        w.write_string(self.out_type_desc)


@record
class DevCmdInfo_2:  # noqa: N801 - IDL name
    cmd_name: str = ""
    level: DispLevel = DispLevel.OPERATOR
    cmd_tag: int = 0
    in_type: CmdArgType | int = CmdArgType.DevVoid
    out_type: CmdArgType | int = CmdArgType.DevVoid
    in_type_desc: str = ""
    out_type_desc: str = ""

    @classmethod
    def read(cls, r: CDRReader) -> "DevCmdInfo_2":
        return cls(r.read_string(), _enum(DispLevel, r.read_enum()), r.read_long(),
                   _data_type(r.read_long()), _data_type(r.read_long()), r.read_string(), r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.cmd_name)
        w.write_enum(self.level)
        w.write_long(self.cmd_tag)
        w.write_long(self.in_type)
        w.write_long(self.out_type)
        w.write_string(self.in_type_desc)
        w.write_string(self.out_type_desc)


@record
class DevInfo:
    dev_class: str = ""
    server_id: str = ""
    server_host: str = ""
    server_version: int = 0
    doc_url: str = ""

    @classmethod
    def read(cls, r: CDRReader) -> "DevInfo":
        return cls(r.read_string(), r.read_string(), r.read_string(), r.read_long(), r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.dev_class)
        w.write_string(self.server_id)
        w.write_string(self.server_host)
        w.write_long(self.server_version)
        w.write_string(self.doc_url)


@record
class DevInfo_3:  # noqa: N801 - IDL name
    dev_class: str = ""
    server_id: str = ""
    server_host: str = ""
    server_version: int = 0
    doc_url: str = ""
    dev_type: str = ""

    @classmethod
    def read(cls, r: CDRReader) -> "DevInfo_3":
        return cls(r.read_string(), r.read_string(), r.read_string(), r.read_long(), r.read_string(),
                   r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.dev_class)
        w.write_string(self.server_id)
        w.write_string(self.server_host)
        w.write_long(self.server_version)
        w.write_string(self.doc_url)
        w.write_string(self.dev_type)


@record
class DevInfoVersion:
    key: str = ""
    value: str = ""

    @classmethod
    def read(cls, r: CDRReader) -> "DevInfoVersion":
        return cls(r.read_string(), r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.key)
        w.write_string(self.value)


@record
class DevInfo_6:  # noqa: N801 - IDL name
    dev_class: str = ""
    server_id: str = ""
    server_host: str = ""
    server_version: int = 0
    doc_url: str = ""
    dev_type: str = ""
    version_info: list[DevInfoVersion] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevInfo_6":
        return cls(r.read_string(), r.read_string(), r.read_string(), r.read_long(), r.read_string(),
                   r.read_string(), r.read_seq(DevInfoVersion.read, 2 * _MIN_STRING))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.dev_class)
        w.write_string(self.server_id)
        w.write_string(self.server_host)
        w.write_long(self.server_version)
        w.write_string(self.doc_url)
        w.write_string(self.dev_type)
        write_list(w, self.version_info)


# ---------------------------------------------------------------------------
# attribute values

@record
class AttributeDim:
    dim_x: int = 0
    dim_y: int = 0

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeDim":
        return cls(r.read_long(), r.read_long())

    def write(self, w: CDRWriter) -> None:
        w.write_long(self.dim_x)
        w.write_long(self.dim_y)


_A = AttributeDataType
_ARMS = AttributeDataType.values
_STATES = DevState.values
_QUALITIES = AttrQuality.values
_FORMATS = AttrDataFormat.values
#: arms whose value is one numeric sequence read with CDRReader.read_array
_NUMERIC_ARM_KIND = {arm: kind for arm, kind in ARM_KIND.items()
                     if arm not in (_A.ATT_STATE, _A.DEVICE_STATE, _A.ATT_NO_DATA)}
#: ... and the numpy dtype of each (a value of exactly that dtype is written without conversion)
_ARM_DTYPES = {arm: PRIMITIVE_DTYPES[kind] for arm, kind in _NUMERIC_ARM_KIND.items()}
# AttributeValue_4/_5 hot path: the fixed-size runs after the union and after the name
_QF_TIME = _structs("IIiii")     # quality, data_format, tv_sec, tv_usec, tv_nsec
_QFT_TIME = _structs("IIiiii")   # quality, data_format, data_type, tv_sec, tv_usec, tv_nsec
_DIMS = _structs("iiii")         # r_dim.dim_x, r_dim.dim_y, w_dim.dim_x, w_dim.dim_y
_AV5_MID_LE, _AV5_MID_BE = _structs("IIiiiiI")  # _QFT_TIME + the name's length
_AV4_MID_LE, _AV4_MID_BE = _structs("IIiiiI")   # _QF_TIME + the name's length
_DIMS_ERRORS = _DIMS_ERRORS_LE, _DIMS_ERRORS_BE = _structs("iiiiI")  # _DIMS + the error list's count
_ARM_COUNT = _ARM_COUNT_LE, _ARM_COUNT_BE = _structs("II")  # AttrValUnion discriminator + a numeric arm's count
_ITEM_SIZES = {kind: PRIMITIVE_DTYPES[kind].itemsize for kind in PRIMITIVE_DTYPES}
# AttributeConfig_5 (read at every proxy's first use and before writes)
_WFT = _structs("IIi")           # writable, data_format, data_type
_DIM = _structs("ii")            # max_dim_x, max_dim_y
_WRITE_TYPES = AttrWriteType.values
_DISP_LEVELS = DispLevel.values


def _fields_after_value(data, pos: int, end: int, origin: int, le: bool) -> tuple | None:
    """The fields of an AttributeValue_5 after its value (at ``pos``, before alignment) in two
    unpacks, when they are the usual ones: ``(quality, data_format code, data_type, time, name,
    r_x, r_y, w_x, w_y, position after them)`` with a known quality, an empty error list; None
    otherwise (the caller reads field by field, or takes its general path)."""
    pos += (origin - pos) & 3
    if pos + 28 > end:
        return None
    q, f, dt, sec, usec, nsec, n = (_AV5_MID_LE if le else _AV5_MID_BE).unpack_from(data, pos)
    quality = _QUALITIES.get(q)
    if quality is None:
        return None
    tail = _name_and_dims(data, pos + 28, end, origin, n, le)
    if tail is None:
        return None
    return quality, f, _CMD_ARG_TYPES.get(dt, dt), _timeval(sec, usec, nsec), *tail


def _name_and_dims(data, pos: int, end: int, origin: int, n: int, le: bool) -> tuple | None:
    """The tail of an AttributeValue_4/_5 after its fixed fields, read in one go when it is the
    usual one: the name (``n`` octets with its NUL, at ``pos``), the dimensions and an empty
    error list.  ``(name, r_x, r_y, w_x, w_y, position after them)``, or None when anything is
    unusual (the caller then reads field by field)."""
    if not 0 < n <= end - pos or data[pos + n - 1] != 0:
        return None
    name = str(data[pos:pos + n - 1], "latin-1")
    pos += n
    pos += (origin - pos) & 3
    if pos + 20 > end:
        return None
    rx, ry, wx, wy, errors = (_DIMS_ERRORS_LE if le else _DIMS_ERRORS_BE).unpack_from(data, pos)
    if errors:
        return None
    return name, rx, ry, wx, wy, pos + 20


def _timeval(sec: int, usec: int, nsec: int) -> "TimeVal":
    tv = TimeVal.__new__(TimeVal)
    tv.tv_sec = sec
    tv.tv_usec = usec
    tv.tv_nsec = nsec
    return tv


def _read_state(r: CDRReader) -> DevState:
    v = r.read_enum()
    try:
        return _STATES[v]
    except KeyError:
        raise MarshalError(f"invalid DevState value {v}") from None


class AttrValUnion:
    """IDL ``AttrValUnion``: ``arm`` (an :class:`AttributeDataType`) and ``value``.

    ``value`` by arm: numeric and ATT_BOOL arms -> 1-D numpy array (native
    dtype; ATT_UCHAR uint8); ATT_STRING -> ``list[str]``; ATT_STATE ->
    ``list[DevState]``; DEVICE_STATE -> one :class:`DevState`; ATT_ENCODED ->
    ``list[DevEncoded]``; ATT_NO_DATA -> the ``bool`` union_no_data.
    """

    __slots__ = ("arm", "value")

    def __init__(self, arm: AttributeDataType | int, value: Any) -> None:
        self.arm = arm if arm.__class__ is AttributeDataType else AttributeDataType(arm)
        self.value = value

    @classmethod
    def no_data(cls) -> "AttrValUnion":
        return cls(_A.ATT_NO_DATA, True)

    @classmethod
    def read(cls, r: CDRReader) -> "AttrValUnion":
        # hot path: a numeric arm, discriminator and element count in one unpack
        pos = r.pos + ((r.origin - r.pos) & 3)
        if pos + 8 <= r.end:
            disc, count = (_ARM_COUNT_LE if r.little_endian else _ARM_COUNT_BE).unpack_from(r.data, pos)
            arm = _ARMS.get(disc)
            kind = _NUMERIC_ARM_KIND.get(arm)
            if kind is not None:
                r.pos = pos + 8
                if count * _ITEM_SIZES[kind] > r.end - r.pos:
                    raise MarshalError(f"sequence count {count} exceeds the {r.end - r.pos} octets left")
                obj = cls.__new__(cls)
                obj.arm = arm
                obj.value = r.read_array(kind, count)
                return obj
        arm = _enum_lookup(_ARMS, "AttributeDataType", r.read_enum())
        kind = _NUMERIC_ARM_KIND.get(arm)
        if kind is not None:
            value: Any = r.read_array(kind)
        elif arm is _A.ATT_STRING:
            value = r.read_string_seq()
        elif arm is _A.DEVICE_STATE:
            value = _read_state(r)
        elif arm is _A.ATT_STATE:
            value = [_read_state(r) for _ in range(r.read_count(4))]
        elif arm is _A.ATT_ENCODED:
            value = r.read_seq(DevEncoded.read, 2 * 4 + 1)
        else:  # ATT_NO_DATA
            value = r.read_boolean()
        obj = cls.__new__(cls)
        obj.arm = arm
        obj.value = value
        return obj

    def write(self, w: CDRWriter) -> None:
        arm = self.arm
        value = self.value
        dtype = _ARM_DTYPES.get(arm)
        if (dtype is not None and value.__class__ is np.ndarray and value.dtype is dtype and value.ndim == 1
                and w.little_endian == NATIVE_LITTLE):
            # a numeric arm (every numeric read): discriminator, count and the array in one go
            n = len(value)
            _pack_fixed(w, _ARM_COUNT, arm, n)
            if n:
                size = dtype.itemsize
                if (len(w.buf) - w.origin) % size:
                    w.align(size)
                w.buf += value.tobytes() if n <= 64 else (value.data if value.flags.c_contiguous else value.tobytes())
            return
        w.write_enum(arm)
        if arm is _A.ATT_STRING:
            w.write_string_seq(self.value)
        elif arm is _A.DEVICE_STATE:
            w.write_enum(self.value)
        elif arm is _A.ATT_STATE:
            w.write_array("ulong", np.fromiter((int(s) for s in self.value), dtype=np.uint32))
        elif arm is _A.ATT_ENCODED:
            write_list(w, self.value)
        elif arm is _A.ATT_NO_DATA:
            w.write_boolean(self.value)
        else:
            w.write_array(ARM_KIND[arm], self.value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AttrValUnion):
            return NotImplemented
        if self.arm is not other.arm:
            return False
        if isinstance(self.value, np.ndarray) or isinstance(other.value, np.ndarray):
            return _arrays_equal(self.value, other.value)
        return self.value == other.value

    __hash__ = None

    def __repr__(self) -> str:
        return f"AttrValUnion({self.arm.name}, {self.value!r})"


@record
class AttributeValue_4:  # noqa: N801 - IDL name
    value: AttrValUnion = field(default_factory=AttrValUnion.no_data)
    quality: AttrQuality = AttrQuality.ATTR_VALID
    data_format: AttrDataFormat = AttrDataFormat.FMT_UNKNOWN
    time: TimeVal = field(default_factory=TimeVal)
    name: str = ""
    r_dim: AttributeDim = field(default_factory=AttributeDim)
    w_dim: AttributeDim = field(default_factory=AttributeDim)
    err_list: list[DevError] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeValue_4":
        value = AttrValUnion.read(r)
        # hot path (every write_attributes_4 request): as AttributeValue_5.read, the fixed fields
        # and the name's length in one unpack, the dimensions and the error count in another
        data, end, origin = r.data, r.end, r.origin
        pos = r.pos + ((origin - r.pos) & 3)
        if pos + 24 <= end:
            le = r.little_endian
            q, f, sec, usec, nsec, n = (_AV4_MID_LE if le else _AV4_MID_BE).unpack_from(data, pos)
            pos += 24
            quality, data_format = _QUALITIES.get(q), _FORMATS.get(f)
            tail = _name_and_dims(data, pos, end, origin, n, le) \
                if quality is not None and data_format is not None else None
            if tail is not None:
                name, rx, ry, wx, wy, r.pos = tail
                return cls(value, quality, data_format, _timeval(sec, usec, nsec), name,
                           AttributeDim(rx, ry), AttributeDim(wx, wy), [])
        q, f, sec, usec, nsec = _fixed(r, *_QF_TIME)
        name = r.read_string()
        rx, ry, wx, wy = _fixed(r, *_DIMS)
        return cls(value, _enum_lookup(_QUALITIES, "AttrQuality", q), _enum_lookup(_FORMATS, "AttrDataFormat", f),
                   _timeval(sec, usec, nsec), name, AttributeDim(rx, ry), AttributeDim(wx, wy),
                   read_dev_error_list(r))

    def write(self, w: CDRWriter) -> None:
        # every write_attributes_4 request carries these: the fixed runs in one pack each
        self.value.write(w)
        t, r, wd = self.time, self.r_dim, self.w_dim
        _pack_fixed(w, _QF_TIME, self.quality, self.data_format, t.tv_sec, t.tv_usec, t.tv_nsec)
        w.write_string(self.name)
        _pack_fixed(w, _DIMS, r.dim_x, r.dim_y, wd.dim_x, wd.dim_y)
        write_dev_error_list(w, self.err_list)


@record
class AttributeValue_5:  # noqa: N801 - IDL name
    value: AttrValUnion = field(default_factory=AttrValUnion.no_data)
    quality: AttrQuality = AttrQuality.ATTR_VALID
    data_format: AttrDataFormat = AttrDataFormat.FMT_UNKNOWN
    data_type: CmdArgType | int = CmdArgType.DevVoid
    time: TimeVal = field(default_factory=TimeVal)
    name: str = ""
    r_dim: AttributeDim = field(default_factory=AttributeDim)
    w_dim: AttributeDim = field(default_factory=AttributeDim)
    err_list: list[DevError] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeValue_5":
        value = AttrValUnion.read(r)
        # hot path: the fixed fields and the name's length in one unpack, then the dimensions and
        # the error count in another; anything unusual takes the field-by-field path below
        fields = _fields_after_value(r.data, r.pos, r.end, r.origin, r.little_endian)
        if fields is not None:
            quality, f, data_type, time, name, rx, ry, wx, wy, after = fields
            data_format = _FORMATS.get(f)
            if data_format is not None:
                r.pos = after
                return cls(value, quality, data_format, data_type, time, name, AttributeDim(rx, ry),
                           AttributeDim(wx, wy), [])
        q, f, dt, sec, usec, nsec = _fixed(r, *_QFT_TIME)
        name = r.read_string()
        rx, ry, wx, wy = _fixed(r, *_DIMS)
        return cls(value, _enum_lookup(_QUALITIES, "AttrQuality", q), _enum_lookup(_FORMATS, "AttrDataFormat", f),
                   _CMD_ARG_TYPES.get(dt, dt), _timeval(sec, usec, nsec), name, AttributeDim(rx, ry),
                   AttributeDim(wx, wy), read_dev_error_list(r))

    @staticmethod
    def read_list(r: CDRReader) -> list["AttributeValue_5"]:
        """Read an ``AttributeValueList_5``."""
        n = r.read_count(_MIN_ATTR_VALUE)
        read = AttributeValue_5.read
        return [read(r)] if n == 1 else [read(r) for _ in range(n)]

    def write(self, w: CDRWriter) -> None:
        # every read_attributes_5 reply carries these: the fixed runs in one pack each
        self.value.write(w)
        t, r, wd = self.time, self.r_dim, self.w_dim
        _pack_fixed(w, _QFT_TIME, self.quality, self.data_format, self.data_type, t.tv_sec, t.tv_usec, t.tv_nsec)
        w.write_string(self.name)
        errors = self.err_list
        if errors:
            _pack_fixed(w, _DIMS, r.dim_x, r.dim_y, wd.dim_x, wd.dim_y)
            write_dev_error_list(w, errors)
        else:
            _pack_fixed(w, _DIMS_ERRORS, r.dim_x, r.dim_y, wd.dim_x, wd.dim_y, 0)


#: numeric arms -> (octets per value, {little_endian: (None, 1 value, 2 values)}) for the scalar reader
_SCALAR_ARM_STRUCTS = {
    int(arm): (struct.calcsize(code), {little: (None, struct.Struct(order + code), struct.Struct(order + 2 * code))
                                       for little, order in ((True, "<"), (False, ">"))})
    for arm, code in ((_A.ATT_BOOL, "?"), (_A.ATT_SHORT, "h"), (_A.ATT_LONG, "i"), (_A.ATT_LONG64, "q"),
                      (_A.ATT_FLOAT, "f"), (_A.ATT_DOUBLE, "d"), (_A.ATT_UCHAR, "B"), (_A.ATT_USHORT, "H"),
                      (_A.ATT_ULONG, "I"), (_A.ATT_ULONG64, "Q"))
}


def one_value_list(r: CDRReader, read_value: Callable[[CDRReader], tuple | None]) -> tuple | None:
    """``read_value(r)`` (:func:`read_scalar_value_5`, :func:`read_array_value_5`) of an
    ``AttributeValueList_5`` of ONE value, the commonest ``read_attributes_5`` reply; None, the
    reader untouched, for anything else."""
    start = r.pos
    pos = start + ((r.origin - start) & 3)
    if pos + 4 <= r.end and r._ulong.unpack_from(r.data, pos)[0] == 1:
        r.pos = pos + 4
        fields = read_value(r)
        if fields is not None:
            return fields
    r.pos = start
    return None


def read_scalar_value_5(r: CDRReader) -> tuple | None:
    """An ``AttributeValue_5`` in a few unpacks when it is the commonest kind: ONE numeric
    SCALAR attribute value (its read value, and its set point if it has one) without errors.
    Returns ``(values, quality, data_type, time, name, dim_x, dim_y, w_dim_x, w_dim_y)`` with
    ``values`` a tuple of Python scalars (what ``ndarray.tolist()`` gives for
    AttributeValue_5.read's array) and the reader moved past the value; or None, the reader
    untouched, for anything else (another arm or format, no value, errors, an unknown quality, a
    short or malformed body): ``AttributeValue_5.read`` reads those."""
    data, end, origin = r.data, r.end, r.origin
    pos = r.pos + ((origin - r.pos) & 3)
    if pos + 8 > end:
        return None
    le = r.little_endian
    disc, count = (_ARM_COUNT_LE if le else _ARM_COUNT_BE).unpack_from(data, pos)
    arm = _SCALAR_ARM_STRUCTS.get(disc)
    if arm is None or not 0 < count <= 2:
        return None
    size, structs = arm
    pos += 8
    pos += (origin - pos) & (size - 1)
    if pos + count * size + 28 > end:
        return None
    values = structs[le][count].unpack_from(data, pos)
    fields = _fields_after_value(data, pos + count * size, end, origin, le)
    if fields is None or fields[1] != 0:  # 0: SCALAR
        return None
    quality, _f, data_type, time, name, rx, ry, wx, wy, r.pos = fields
    return values, quality, data_type, time, name, rx, ry, wx, wy


#: numeric arms other than ATT_BOOL (read as ``!= 0`` of octets) -> their native numpy dtype, for
#: the array reader below
_ARRAY_ARM_DTYPES = {int(arm): dtype for arm, dtype in _ARM_DTYPES.items() if arm is not _A.ATT_BOOL}
_SPECTRUM_OR_IMAGE = (1, 2)  # AttrDataFormat.SPECTRUM, IMAGE


def read_array_value_5(r: CDRReader) -> tuple | None:
    """An ``AttributeValue_5`` in a few unpacks when it is the other common kind: ONE numeric
    SPECTRUM or IMAGE attribute value (more than two numbers, not booleans) without errors, in
    the native byte order.  Returns ``(array, data_format, quality, data_type, time, name,
    dim_x, dim_y, w_dim_x, w_dim_y)`` with ``array`` the whole sequence (read values, then the
    set point) as ``AttributeValue_5.read`` gives it -- a writable view of the reply's buffer
    when the buffer is writable, else a copy -- and the reader moved past the value; or None,
    the reader untouched, for anything else (``AttributeValue_5.read`` reads those)."""
    data, end, origin = r.data, r.end, r.origin
    pos = r.pos + ((origin - r.pos) & 3)
    le = r.little_endian
    if pos + 8 > end or le != NATIVE_LITTLE:
        return None
    disc, count = (_ARM_COUNT_LE if le else _ARM_COUNT_BE).unpack_from(data, pos)
    dtype = _ARRAY_ARM_DTYPES.get(disc)
    if dtype is None or count <= 2:
        return None
    size = dtype.itemsize
    pos += 8
    pos += (origin - pos) & (size - 1)
    nbytes = count * size
    if pos + nbytes + 28 > end:
        return None
    fields = _fields_after_value(data, pos + nbytes, end, origin, le)
    if fields is None or fields[1] not in _SPECTRUM_OR_IMAGE:
        return None
    array = np.frombuffer(data, dtype, count, pos)
    if not r._views:
        array = array.copy()  # an immutable buffer: a writable array of its own, as read_array gives
    quality, f, data_type, time, name, rx, ry, wx, wy, r.pos = fields
    return array, _FORMATS[f], quality, data_type, time, name, rx, ry, wx, wy


# ---------------------------------------------------------------------------
# attribute configuration

@printable
@record
class AttributeConfig:
    name: str = ""
    writable: AttrWriteType = AttrWriteType.READ
    data_format: AttrDataFormat = AttrDataFormat.SCALAR
    data_type: CmdArgType | int = CmdArgType.DevVoid
    max_dim_x: int = 0
    max_dim_y: int = 0
    description: str = ""
    label: str = ""
    unit: str = ""
    standard_unit: str = ""
    display_unit: str = ""
    format: str = ""
    min_value: str = ""
    max_value: str = ""
    min_alarm: str = ""
    max_alarm: str = ""
    writable_attr_name: str = ""
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeConfig":
        head = (r.read_string(), _enum(AttrWriteType, r.read_enum()), _enum(AttrDataFormat, r.read_enum()),
                _data_type(r.read_long()), r.read_long(), r.read_long())
        return cls(*head, *r.read_strings(11), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_enum(self.writable)
        w.write_enum(self.data_format)
        w.write_long(self.data_type)
        w.write_long(self.max_dim_x)
        w.write_long(self.max_dim_y)
        for s in (self.description, self.label, self.unit, self.standard_unit, self.display_unit,
                  self.format, self.min_value, self.max_value, self.min_alarm, self.max_alarm,
                  self.writable_attr_name):
            w.write_string(s)
        w.write_string_seq(self.extensions)


@printable
@record
class AttributeConfig_2:  # noqa: N801 - IDL name
    name: str = ""
    writable: AttrWriteType = AttrWriteType.READ
    data_format: AttrDataFormat = AttrDataFormat.SCALAR
    data_type: CmdArgType | int = CmdArgType.DevVoid
    max_dim_x: int = 0
    max_dim_y: int = 0
    description: str = ""
    label: str = ""
    unit: str = ""
    standard_unit: str = ""
    display_unit: str = ""
    format: str = ""
    min_value: str = ""
    max_value: str = ""
    min_alarm: str = ""
    max_alarm: str = ""
    writable_attr_name: str = ""
    level: DispLevel = DispLevel.OPERATOR
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeConfig_2":
        head = (r.read_string(), _enum(AttrWriteType, r.read_enum()), _enum(AttrDataFormat, r.read_enum()),
                _data_type(r.read_long()), r.read_long(), r.read_long())
        return cls(*head, *r.read_strings(11), _enum(DispLevel, r.read_enum()), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_enum(self.writable)
        w.write_enum(self.data_format)
        w.write_long(self.data_type)
        w.write_long(self.max_dim_x)
        w.write_long(self.max_dim_y)
        for s in (self.description, self.label, self.unit, self.standard_unit, self.display_unit,
                  self.format, self.min_value, self.max_value, self.min_alarm, self.max_alarm,
                  self.writable_attr_name):
            w.write_string(s)
        w.write_enum(self.level)
        w.write_string_seq(self.extensions)


@printable
@record
class AttributeAlarm:
    min_alarm: str = ""
    max_alarm: str = ""
    min_warning: str = ""
    max_warning: str = ""
    delta_t: str = ""
    delta_val: str = ""
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeAlarm":
        return cls(*r.read_strings(6), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        for s in (self.min_alarm, self.max_alarm, self.min_warning, self.max_warning, self.delta_t,
                  self.delta_val):
            w.write_string(s)
        w.write_string_seq(self.extensions)


@printable
@record
class ChangeEventProp:
    rel_change: str = ""
    abs_change: str = ""
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "ChangeEventProp":
        return cls(*r.read_strings(2), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.rel_change)
        w.write_string(self.abs_change)
        w.write_string_seq(self.extensions)


@printable
@record
class PeriodicEventProp:
    period: str = ""
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "PeriodicEventProp":
        return cls(r.read_string(), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.period)
        w.write_string_seq(self.extensions)


@printable
@record
class ArchiveEventProp:
    rel_change: str = ""
    abs_change: str = ""
    period: str = ""
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "ArchiveEventProp":
        return cls(*r.read_strings(3), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.rel_change)
        w.write_string(self.abs_change)
        w.write_string(self.period)
        w.write_string_seq(self.extensions)


@printable
@record
class EventProperties:
    ch_event: ChangeEventProp = field(default_factory=ChangeEventProp)
    per_event: PeriodicEventProp = field(default_factory=PeriodicEventProp)
    arch_event: ArchiveEventProp = field(default_factory=ArchiveEventProp)

    @classmethod
    def read(cls, r: CDRReader) -> "EventProperties":
        return cls(ChangeEventProp.read(r), PeriodicEventProp.read(r), ArchiveEventProp.read(r))

    def write(self, w: CDRWriter) -> None:
        self.ch_event.write(w)
        self.per_event.write(w)
        self.arch_event.write(w)


@printable
@record
class AttributeConfig_3:  # noqa: N801 - IDL name
    name: str = ""
    writable: AttrWriteType = AttrWriteType.READ
    data_format: AttrDataFormat = AttrDataFormat.SCALAR
    data_type: CmdArgType | int = CmdArgType.DevVoid
    max_dim_x: int = 0
    max_dim_y: int = 0
    description: str = ""
    label: str = ""
    unit: str = ""
    standard_unit: str = ""
    display_unit: str = ""
    format: str = ""
    min_value: str = ""
    max_value: str = ""
    writable_attr_name: str = ""
    level: DispLevel = DispLevel.OPERATOR
    att_alarm: AttributeAlarm = field(default_factory=AttributeAlarm)
    event_prop: EventProperties = field(default_factory=EventProperties)
    extensions: list[str] = field(default_factory=list)
    sys_extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeConfig_3":
        head = (r.read_string(), _enum(AttrWriteType, r.read_enum()), _enum(AttrDataFormat, r.read_enum()),
                _data_type(r.read_long()), r.read_long(), r.read_long())
        return cls(*head, *r.read_strings(9), _enum(DispLevel, r.read_enum()), AttributeAlarm.read(r),
                   EventProperties.read(r), r.read_string_seq(), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_enum(self.writable)
        w.write_enum(self.data_format)
        w.write_long(self.data_type)
        w.write_long(self.max_dim_x)
        w.write_long(self.max_dim_y)
        for s in (self.description, self.label, self.unit, self.standard_unit, self.display_unit,
                  self.format, self.min_value, self.max_value, self.writable_attr_name):
            w.write_string(s)
        w.write_enum(self.level)
        self.att_alarm.write(w)
        self.event_prop.write(w)
        w.write_string_seq(self.extensions)
        w.write_string_seq(self.sys_extensions)


@printable
@record
class AttributeConfig_5:  # noqa: N801 - IDL name
    name: str = ""
    writable: AttrWriteType = AttrWriteType.READ
    data_format: AttrDataFormat = AttrDataFormat.SCALAR
    data_type: CmdArgType | int = CmdArgType.DevVoid
    memorized: bool = False
    mem_init: bool = False
    max_dim_x: int = 0
    max_dim_y: int = 0
    description: str = ""
    label: str = ""
    unit: str = ""
    standard_unit: str = ""
    display_unit: str = ""
    format: str = ""
    min_value: str = ""
    max_value: str = ""
    writable_attr_name: str = ""
    level: DispLevel = DispLevel.OPERATOR
    root_attr_name: str = ""
    enum_labels: list[str] = field(default_factory=list)
    att_alarm: AttributeAlarm = field(default_factory=AttributeAlarm)
    event_prop: EventProperties = field(default_factory=EventProperties)
    extensions: list[str] = field(default_factory=list)
    sys_extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeConfig_5":
        name = r.read_string()
        writable, fmt, dt = _fixed(r, *_WFT)
        memorized = r.read_boolean()
        mem_init = r.read_boolean()
        max_x, max_y = _fixed(r, *_DIM)
        strings = r.read_strings(9)
        return cls(name, _enum_lookup(_WRITE_TYPES, "AttrWriteType", writable),
                   _enum_lookup(_FORMATS, "AttrDataFormat", fmt), _CMD_ARG_TYPES.get(dt, dt), memorized, mem_init,
                   max_x, max_y, *strings, _enum_lookup(_DISP_LEVELS, "DispLevel", r.read_enum()), r.read_string(),
                   r.read_string_seq(), AttributeAlarm.read(r), EventProperties.read(r),
                   r.read_string_seq(), r.read_string_seq())

    @staticmethod
    def read_list(r: CDRReader) -> list["AttributeConfig_5"]:
        """Read an ``AttributeConfigList_5``."""
        return r.read_seq(AttributeConfig_5.read, _MIN_ATTR_CONFIG)

    @staticmethod
    def read_names(r: CDRReader) -> list[str]:
        """Only the names of an ``AttributeConfigList_5`` (``get_attribute_list``): each
        configuration's other fields are stepped over by their lengths, not decoded, which costs a
        fifth of :meth:`read_list`.  The same checks: MarshalError on truncated data."""
        count = r.read_count(_MIN_ATTR_CONFIG)
        data, end, origin, unpack = r.data, r.end, r.origin, r._ulong.unpack_from
        pos = r.pos
        names: list[str] = []
        try:
            for _ in range(count):
                pos += (origin - pos) & 3
                start = pos + 4
                pos = start + unpack(data, pos)[0]
                if pos > end or pos == start or data[pos - 1] != 0:
                    raise MarshalError("bad attribute name in an AttributeConfig_5")
                names.append(str(data[start:pos - 1], "latin-1"))
                for step in _CONFIG_5_STEPS:
                    if step > 0:                       # that many strings
                        for _ in range(step):
                            pos += (origin - pos) & 3
                            pos += 4 + unpack(data, pos)[0]
                    elif step == 0:                    # a sequence of strings
                        pos += (origin - pos) & 3
                        n = unpack(data, pos)[0]
                        pos += 4
                        if n > end - pos:
                            raise MarshalError(f"sequence count {n} exceeds the octets left")
                        for _ in range(n):
                            pos += (origin - pos) & 3
                            pos += 4 + unpack(data, pos)[0]
                    else:                              # -k: k octets of 4-aligned fixed fields
                        pos += (origin - pos) & 3
                        pos += -step
                        if step == _FIXED_AFTER_NAME:  # writable, format, type; 2 booleans; 2 longs
                            pos += (origin - pos) & 3
                            pos += 8
                if pos > end:
                    raise MarshalError("truncated AttributeConfig_5")
        except struct.error:
            raise MarshalError("truncated AttributeConfig_5") from None
        r.pos = pos
        return names

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_enum(self.writable)
        w.write_enum(self.data_format)
        w.write_long(self.data_type)
        w.write_boolean(self.memorized)
        w.write_boolean(self.mem_init)
        w.write_long(self.max_dim_x)
        w.write_long(self.max_dim_y)
        for s in (self.description, self.label, self.unit, self.standard_unit, self.display_unit,
                  self.format, self.min_value, self.max_value, self.writable_attr_name):
            w.write_string(s)
        w.write_enum(self.level)
        w.write_string(self.root_attr_name)
        w.write_string_seq(self.enum_labels)
        self.att_alarm.write(w)
        self.event_prop.write(w)
        w.write_string_seq(self.extensions)
        w.write_string_seq(self.sys_extensions)


@record
class PipeConfig:
    name: str = ""
    description: str = ""
    label: str = ""
    level: DispLevel = DispLevel.OPERATOR
    writable: PipeWriteType = PipeWriteType.PIPE_READ
    extensions: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "PipeConfig":
        return cls(r.read_string(), r.read_string(), r.read_string(), _enum(DispLevel, r.read_enum()),
                   _enum(PipeWriteType, r.read_enum()), r.read_string_seq())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_string(self.description)
        w.write_string(self.label)
        w.write_enum(self.level)
        w.write_enum(self.writable)
        w.write_string_seq(self.extensions)


@record
class DevPipeDataElt:
    """One named item of a pipe blob: a value, or (``inner_blob``) a nested list of items.

    Recursive in the IDL (``sequence<DevPipeDataElt> inner_blob``); decoding stops at
    :data:`MAX_PIPE_DEPTH` levels so that a hostile peer cannot exhaust the stack.
    """
    name: str = ""
    value: AttrValUnion = field(default_factory=AttrValUnion.no_data)
    inner_blob: list["DevPipeDataElt"] = field(default_factory=list)
    inner_blob_name: str = ""

    @classmethod
    def read(cls, r: CDRReader, _depth: int = 0) -> "DevPipeDataElt":
        if _depth > MAX_PIPE_DEPTH:
            raise MarshalError(f"pipe data nested deeper than {MAX_PIPE_DEPTH} levels")
        name = r.read_string()
        value = AttrValUnion.read(r)
        inner = r.read_seq(lambda r_: cls.read(r_, _depth + 1), _MIN_PIPE_ELT)
        return cls(name, value, inner, r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        self.value.write(w)
        write_list(w, self.inner_blob)
        w.write_string(self.inner_blob_name)


#: Deepest nesting of pipe blobs accepted on input.
MAX_PIPE_DEPTH = 64
_MIN_PIPE_ELT = 5 + 5 + 4 + 5  # name, ATT_NO_DATA union, empty inner blob, blob name


@record
class DevPipeBlob:
    name: str = ""
    blob_data: list[DevPipeDataElt] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevPipeBlob":
        return cls(r.read_string(), r.read_seq(DevPipeDataElt.read, _MIN_PIPE_ELT))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        write_list(w, self.blob_data)


@record
class DevPipeData:
    """A pipe value (read_pipe_5 / write_pipe_5): its name, date and root blob."""
    name: str = ""
    time: TimeVal = field(default_factory=TimeVal)
    data_blob: DevPipeBlob = field(default_factory=DevPipeBlob)

    @classmethod
    def read(cls, r: CDRReader) -> "DevPipeData":
        return cls(r.read_string(), TimeVal.read(r), DevPipeBlob.read(r))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        self.time.write(w)
        self.data_blob.write(w)


# ---------------------------------------------------------------------------
# events

@record
class AttDataReady:
    name: str = ""
    data_type: CmdArgType | int = CmdArgType.DevVoid
    ctr: int = 0

    @classmethod
    def read(cls, r: CDRReader) -> "AttDataReady":
        return cls(r.read_string(), _data_type(r.read_long()), r.read_long())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_long(self.data_type)
        w.write_long(self.ctr)


@record
class DevIntrChange:
    dev_started: bool = False
    cmds: list[DevCmdInfo_2] = field(default_factory=list)
    atts: list[AttributeConfig_5] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevIntrChange":
        return cls(r.read_boolean(), r.read_seq(DevCmdInfo_2.read, _MIN_CMD_INFO),
                   r.read_seq(AttributeConfig_5.read, _MIN_ATTR_CONFIG))

    def write(self, w: CDRWriter) -> None:
        w.write_boolean(self.dev_started)
        write_list(w, self.cmds)
        write_list(w, self.atts)


@record
class EltInArray:
    start: int = 0
    nb_elt: int = 0

    @classmethod
    def read(cls, r: CDRReader) -> "EltInArray":
        return cls(r.read_long(), r.read_long())

    def write(self, w: CDRWriter) -> None:
        w.write_long(self.start)
        w.write_long(self.nb_elt)


def expand_runs(values: Sequence[Any], runs: Sequence[EltInArray], n: int, default: Any) -> list:
    """Per-record values of a polling history (``n`` records) from its run-length packed lists.

    ``values[k]`` applies to the records of ``runs[k]``: ``start, start-1, ..., start-nb_elt+1``
    (cppTango's packing); records no run covers get ``default``."""
    out = [default] * n
    for value, run in zip(values, runs):
        for j in range(run.nb_elt):
            i = run.start - j
            if 0 <= i < n:
                out[i] = value
    return out


@record
class ZmqCallInfo:
    """Frame 3 of a ZMQ event/heartbeat message (``ctr`` is the per-event counter)."""
    version: int = 1
    ctr: int = 0
    method_name: str = ""
    oid: bytes = b""
    call_is_except: bool = False

    @classmethod
    def read(cls, r: CDRReader) -> "ZmqCallInfo":
        return cls(r.read_long(), r.read_ulong(), r.read_string(), r.read_octet_seq(), r.read_boolean())

    def write(self, w: CDRWriter) -> None:
        w.write_long(self.version)
        w.write_ulong(self.ctr)
        w.write_string(self.method_name)
        w.write_octet_seq(self.oid)
        w.write_boolean(self.call_is_except)


# ---------------------------------------------------------------------------
# client identification (IDL 4+; the *_6 arms carry a W3C trace context)

@record
class JavaClntIdent:
    MainClass: str = ""  # noqa: N815 - IDL name
    uuid: tuple[int, int] = (0, 0)

    @classmethod
    def read(cls, r: CDRReader) -> "JavaClntIdent":
        return cls(r.read_string(), (r.read_ulonglong(), r.read_ulonglong()))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.MainClass)
        w.write_ulonglong(self.uuid[0])
        w.write_ulonglong(self.uuid[1])


@record
class W3CTraceContextV0:
    trace_parent: str = ""
    trace_state: str = ""

    @classmethod
    def read(cls, r: CDRReader) -> "W3CTraceContextV0":
        return cls(r.read_string(), r.read_string())

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.trace_parent)
        w.write_string(self.trace_state)


@record
class TraceContext:
    """IDL union ``TraceContext`` (its only arm is W3C_TC_V0)."""
    format: TraceContextFormat = TraceContextFormat.W3C_TC_V0
    data: W3CTraceContextV0 = field(default_factory=W3CTraceContextV0)

    @classmethod
    def read(cls, r: CDRReader) -> "TraceContext":
        fmt = _enum(TraceContextFormat, r.read_enum())
        return cls(fmt, W3CTraceContextV0.read(r))

    def write(self, w: CDRWriter) -> None:
        w.write_enum(self.format)
        self.data.write(w)


@record
class CppClntIdent_6:  # noqa: N801 - IDL name
    cpp_clnt: int = 0
    trace_context: TraceContext = field(default_factory=TraceContext)

    @classmethod
    def read(cls, r: CDRReader) -> "CppClntIdent_6":
        return cls(r.read_ulong(), TraceContext.read(r))

    def write(self, w: CDRWriter) -> None:
        w.write_ulong(self.cpp_clnt)
        self.trace_context.write(w)


@record
class JavaClntIdent_6:  # noqa: N801 - IDL name
    java_clnt: JavaClntIdent = field(default_factory=JavaClntIdent)
    trace_context: TraceContext = field(default_factory=TraceContext)

    @classmethod
    def read(cls, r: CDRReader) -> "JavaClntIdent_6":
        return cls(JavaClntIdent.read(r), TraceContext.read(r))

    def write(self, w: CDRWriter) -> None:
        self.java_clnt.write(w)
        self.trace_context.write(w)


_TWO_ULONGS = _structs("II")
#: decoded CPP_6 idents by their fields: a client sends the same ident with every call, and
#: the server only reads them (never changes one), so equal idents are one object
_IDENTS: dict[tuple, "ClntIdent"] = {}


@record
class ClntIdent:
    """IDL union ``ClntIdent``: ``kind`` (LockerLanguage) selects ``value``.

    CPP -> ``int`` (PID); JAVA -> :class:`JavaClntIdent`; CPP_6 ->
    :class:`CppClntIdent_6`; JAVA_6 -> :class:`JavaClntIdent_6`.
    A Tango 10 client sends CPP_6 to IDL-6 devices and CPP to older ones.
    """
    kind: LockerLanguage = LockerLanguage.CPP
    value: Any = 0

    @classmethod
    def cpp(cls, pid: int) -> "ClntIdent":
        return cls(LockerLanguage.CPP, pid)

    @classmethod
    def cpp_6(cls, pid: int, trace_parent: str = "", trace_state: str = "") -> "ClntIdent":
        return cls(LockerLanguage.CPP_6,
                   CppClntIdent_6(pid, TraceContext(data=W3CTraceContextV0(trace_parent, trace_state))))

    @classmethod
    def read(cls, r: CDRReader) -> "ClntIdent":
        kind = r.read_enum()
        if kind == 2:  # CPP_6, what Tango 10 clients send with every call: the same octets each time
            pid, fmt = _fixed(r, *_TWO_ULONGS)
            key = (pid, fmt, r.read_string(), r.read_string())
            ident = _IDENTS.get(key)
            if ident is None:
                ident = cls(LockerLanguage.CPP_6, CppClntIdent_6(pid, TraceContext(
                    _enum(TraceContextFormat, fmt), W3CTraceContextV0(key[2], key[3]))))
                if len(_IDENTS) >= 256:
                    _IDENTS.clear()
                _IDENTS[key] = ident
            return ident
        kind = _enum(LockerLanguage, kind)
        if kind is LockerLanguage.CPP:
            value: Any = r.read_ulong()
        elif kind is LockerLanguage.JAVA:
            value = JavaClntIdent.read(r)
        elif kind is LockerLanguage.CPP_6:
            value = CppClntIdent_6.read(r)
        else:
            value = JavaClntIdent_6.read(r)
        return cls(kind, value)

    def write(self, w: CDRWriter) -> None:
        # Every IDL-4+ request carries the client's identity, the same octets each time: they are
        # encoded once (only 4-octet items, so valid at any 4-aligned offset).  Subclassed writers
        # (test instruments) get the field-by-field encoding.
        if type(w) is CDRWriter:
            key = (self.kind, self.value) if self.kind == LockerLanguage.CPP else self._key_6()
            if key is not None:
                octets = _IDENT_OCTETS.get(key)
                if octets is None:
                    octets = _IDENT_OCTETS[key] = self._octets()
                w.align(4)
                w.buf += octets[0] if w.little_endian else octets[1]
                return
        w.write_enum(self.kind)
        if self.kind == LockerLanguage.CPP:
            w.write_ulong(self.value)
        else:
            self.value.write(w)

    def _key_6(self):
        value = self.value
        if self.kind != LockerLanguage.CPP_6 or type(value) is not CppClntIdent_6:
            return None
        data = value.trace_context.data
        if type(data) is not W3CTraceContextV0:
            return None
        return (self.kind, value.cpp_clnt, value.trace_context.format, data.trace_parent, data.trace_state)

    def _octets(self) -> tuple[bytes, bytes]:
        if len(_IDENT_OCTETS) >= 64:
            _IDENT_OCTETS.clear()
        out = []
        for le in (True, False):
            w = CDRWriter(le)
            w.write_enum(self.kind)
            if self.kind == LockerLanguage.CPP:
                w.write_ulong(self.value)
            else:
                self.value.write(w)
            out.append(bytes(w.buf))
        return out[0], out[1]


_IDENT_OCTETS: dict[tuple, tuple[bytes, bytes]] = {}


# ---------------------------------------------------------------------------
# values carried in a CORBA ``any`` (IDL 1-3 attribute values, polling history)

#: CDR kind of a sequence element -> the AttrValUnion arm carrying such a sequence.
_ARM_BY_ELEMENT_KIND = {kind: arm for arm, kind in ARM_KIND.items()
                        if arm not in (_A.ATT_STATE, _A.DEVICE_STATE, _A.ATT_NO_DATA)}
#: AttrValUnion arm -> the CmdArgType whose canonical TypeCode carries it in an ``any``.
_ANY_TYPE_BY_ARM = {
    _A.ATT_BOOL: CmdArgType.DevVarBooleanArray, _A.ATT_SHORT: CmdArgType.DevVarShortArray,
    _A.ATT_LONG: CmdArgType.DevVarLongArray, _A.ATT_LONG64: CmdArgType.DevVarLong64Array,
    _A.ATT_FLOAT: CmdArgType.DevVarFloatArray, _A.ATT_DOUBLE: CmdArgType.DevVarDoubleArray,
    _A.ATT_UCHAR: CmdArgType.DevVarCharArray, _A.ATT_USHORT: CmdArgType.DevVarUShortArray,
    _A.ATT_ULONG: CmdArgType.DevVarULongArray, _A.ATT_ULONG64: CmdArgType.DevVarULong64Array,
    _A.ATT_STRING: CmdArgType.DevVarStringArray, _A.ATT_STATE: CmdArgType.DevVarStateArray,
    _A.DEVICE_STATE: CmdArgType.DevState, _A.ATT_ENCODED: CmdArgType.DevVarEncodedArray,
}


class CorbaAny:
    """An IDL ``any``: a TypeCode ``tc`` and ``value`` in :mod:`tango_core.wire.typecode`'s
    representation (numeric sequences as numpy arrays, structs as tuples, enums as ints).

    Equality compares the encodings, which is exact and copes with nested arrays.
    """

    __slots__ = ("tc", "value")

    def __init__(self, tc: TypeCode = TC_NULL, value: Any = None) -> None:
        self.tc = tc
        self.value = value

    @classmethod
    def read(cls, r: CDRReader) -> "CorbaAny":
        tc, value = read_any(r)
        return cls(tc, value)

    def write(self, w: CDRWriter) -> None:
        write_any(w, self.tc, self.value)

    @classmethod
    def from_union(cls, u: AttrValUnion) -> "CorbaAny":
        """The ``any`` a cppTango IDL-1..3 peer uses for the same attribute value."""
        if u.arm is _A.ATT_NO_DATA:
            return cls()
        from .command_any import command_typecode  # same layer; imported late to avoid a cycle

        arm = u.arm
        if arm is _A.DEVICE_STATE:
            value: Any = int(u.value)
        elif arm is _A.ATT_STATE:
            value = np.fromiter((int(s) for s in u.value), dtype=np.uint32)
        elif arm is _A.ATT_ENCODED:
            value = [(e.encoded_format, e.encoded_data) for e in u.value]
        else:
            value = u.value
        return cls(command_typecode(_ANY_TYPE_BY_ARM[arm]), value)

    def to_union(self) -> AttrValUnion:
        """This attribute value as the AttrValUnion arm an IDL-4+ device sends for it."""
        tc = self.tc.unalias()
        kind = tc.kind
        if kind in (TCKind.tk_null, TCKind.tk_void):
            return AttrValUnion.no_data()
        if kind == TCKind.tk_enum:
            return AttrValUnion(_A.DEVICE_STATE, _state_of(self.value))
        if kind == TCKind.tk_sequence:
            elem = tc.content_type.unalias()
            ekind = cdr_kind(elem)
            if ekind is not None and ekind in _ARM_BY_ELEMENT_KIND:
                return AttrValUnion(_ARM_BY_ELEMENT_KIND[ekind], self.value)
            if elem.kind == TCKind.tk_string:
                return AttrValUnion(_A.ATT_STRING, list(self.value))
            if elem.kind == TCKind.tk_enum:
                return AttrValUnion(_A.ATT_STATE, [_state_of(v) for v in self.value])
            if elem.kind == TCKind.tk_struct and len(elem.members) == 2:
                return AttrValUnion(_A.ATT_ENCODED, [DevEncoded(f, bytes(np.asarray(d, dtype=np.uint8)))
                                                     for f, d in self.value])
        raise MarshalError(f"an attribute value cannot have TypeCode {self.tc!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CorbaAny):
            return NotImplemented
        return _encoded(self) == _encoded(other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"CorbaAny({self.tc!r}, {self.value!r})"


def _encoded(obj: Any) -> bytes:
    w = CDRWriter()
    obj.write(w)
    return w.getvalue()


def _state_of(v: int) -> DevState:
    try:
        return _STATES[int(v)]
    except KeyError:
        raise MarshalError(f"invalid DevState value {v}") from None


@record
class AttributeValue:
    """IDL-1/2 attribute value (read_attributes, read_attributes_2, write_attributes*)."""
    value: CorbaAny = field(default_factory=CorbaAny)
    quality: AttrQuality = AttrQuality.ATTR_VALID
    time: TimeVal = field(default_factory=TimeVal)
    name: str = ""
    dim_x: int = 0
    dim_y: int = 0

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeValue":
        return cls(CorbaAny.read(r), _enum(AttrQuality, r.read_enum()), TimeVal.read(r), r.read_string(),
                   r.read_long(), r.read_long())

    def write(self, w: CDRWriter) -> None:
        self.value.write(w)
        w.write_enum(self.quality)
        self.time.write(w)
        w.write_string(self.name)
        w.write_long(self.dim_x)
        w.write_long(self.dim_y)


@record
class AttributeValue_3:  # noqa: N801 - IDL name
    """IDL-3 attribute value (read_attributes_3)."""
    value: CorbaAny = field(default_factory=CorbaAny)
    quality: AttrQuality = AttrQuality.ATTR_VALID
    time: TimeVal = field(default_factory=TimeVal)
    name: str = ""
    r_dim: AttributeDim = field(default_factory=AttributeDim)
    w_dim: AttributeDim = field(default_factory=AttributeDim)
    err_list: list[DevError] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "AttributeValue_3":
        return cls(CorbaAny.read(r), _enum(AttrQuality, r.read_enum()), TimeVal.read(r), r.read_string(),
                   AttributeDim.read(r), AttributeDim.read(r), read_dev_error_list(r))

    def write(self, w: CDRWriter) -> None:
        self.value.write(w)
        w.write_enum(self.quality)
        self.time.write(w)
        w.write_string(self.name)
        self.r_dim.write(w)
        self.w_dim.write(w)
        write_dev_error_list(w, self.err_list)


@record
class DevCmdHistory:
    time: TimeVal = field(default_factory=TimeVal)
    cmd_failed: bool = False
    value: CorbaAny = field(default_factory=CorbaAny)
    errors: list[DevError] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevCmdHistory":
        return cls(TimeVal.read(r), r.read_boolean(), CorbaAny.read(r), read_dev_error_list(r))

    def write(self, w: CDRWriter) -> None:
        self.time.write(w)
        w.write_boolean(self.cmd_failed)
        self.value.write(w)
        write_dev_error_list(w, self.errors)


@record
class DevAttrHistory:
    attr_failed: bool = False
    value: AttributeValue = field(default_factory=AttributeValue)
    errors: list[DevError] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevAttrHistory":
        return cls(r.read_boolean(), AttributeValue.read(r), read_dev_error_list(r))

    def write(self, w: CDRWriter) -> None:
        w.write_boolean(self.attr_failed)
        self.value.write(w)
        write_dev_error_list(w, self.errors)


@record
class DevAttrHistory_3:  # noqa: N801 - IDL name
    attr_failed: bool = False
    value: AttributeValue_3 = field(default_factory=AttributeValue_3)

    @classmethod
    def read(cls, r: CDRReader) -> "DevAttrHistory_3":
        return cls(r.read_boolean(), AttributeValue_3.read(r))

    def write(self, w: CDRWriter) -> None:
        w.write_boolean(self.attr_failed)
        self.value.write(w)


def _read_quality_list(r: CDRReader) -> list[AttrQuality]:
    return [_enum(AttrQuality, q) for q in r.read_array("ulong").tolist()]


def _read_error_list_list(r: CDRReader) -> list[list[DevError]]:
    return r.read_seq(read_dev_error_list, 4)


def _write_error_list_list(w: CDRWriter, lists: Sequence[Sequence[DevError]]) -> None:
    w.write_seq(lists, write_dev_error_list)


@record
class DevAttrHistory_4:  # noqa: N801 - IDL name
    """Polling history of an attribute (IDL 4): all records packed into parallel lists.

    As cppTango 9.3/10.3 send it: ``dates`` oldest record first, but ``value``
    (every record's data concatenated) newest record first -- PyTango pairs
    ``dates[i]`` with the values read backwards.  Repeated qualities, dims and
    error lists are run-length packed: entry ``k`` of ``quals`` applies to the
    records described by ``quals_array[k]`` (``EltInArray(start, nb_elt)``; one
    run over all ``n`` records reads ``(n - 1, n)``), likewise for the others.
    """
    name: str = ""
    dates: list[TimeVal] = field(default_factory=list)
    value: CorbaAny = field(default_factory=CorbaAny)
    quals: list[AttrQuality] = field(default_factory=list)
    quals_array: list[EltInArray] = field(default_factory=list)
    r_dims: list[AttributeDim] = field(default_factory=list)
    r_dims_array: list[EltInArray] = field(default_factory=list)
    w_dims: list[AttributeDim] = field(default_factory=list)
    w_dims_array: list[EltInArray] = field(default_factory=list)
    errors: list[list[DevError]] = field(default_factory=list)
    errors_array: list[EltInArray] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevAttrHistory_4":
        return cls(r.read_string(), *_read_history_tail(r))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        _write_history_tail(w, self)


@record
class DevAttrHistory_5:  # noqa: N801 - IDL name
    """As :class:`DevAttrHistory_4`, plus the attribute's format and data type."""
    name: str = ""
    data_format: AttrDataFormat = AttrDataFormat.SCALAR
    data_type: CmdArgType | int = CmdArgType.DevVoid
    dates: list[TimeVal] = field(default_factory=list)
    value: CorbaAny = field(default_factory=CorbaAny)
    quals: list[AttrQuality] = field(default_factory=list)
    quals_array: list[EltInArray] = field(default_factory=list)
    r_dims: list[AttributeDim] = field(default_factory=list)
    r_dims_array: list[EltInArray] = field(default_factory=list)
    w_dims: list[AttributeDim] = field(default_factory=list)
    w_dims_array: list[EltInArray] = field(default_factory=list)
    errors: list[list[DevError]] = field(default_factory=list)
    errors_array: list[EltInArray] = field(default_factory=list)

    @classmethod
    def read(cls, r: CDRReader) -> "DevAttrHistory_5":
        return cls(r.read_string(), _enum(AttrDataFormat, r.read_enum()), _data_type(r.read_long()),
                   *_read_history_tail(r))

    def write(self, w: CDRWriter) -> None:
        w.write_string(self.name)
        w.write_enum(self.data_format)
        w.write_long(self.data_type)
        _write_history_tail(w, self)


def _read_history_tail(r: CDRReader) -> tuple:
    """The members shared by DevAttrHistory_4/_5, from ``dates`` on."""
    return (r.read_seq(TimeVal.read, 12), CorbaAny.read(r), _read_quality_list(r),
            r.read_seq(EltInArray.read, 8), r.read_seq(AttributeDim.read, 8), r.read_seq(EltInArray.read, 8),
            r.read_seq(AttributeDim.read, 8), r.read_seq(EltInArray.read, 8), _read_error_list_list(r),
            r.read_seq(EltInArray.read, 8))


def _write_history_tail(w: CDRWriter, h: Any) -> None:
    write_list(w, h.dates)
    h.value.write(w)
    w.write_array("ulong", [int(q) for q in h.quals])
    write_list(w, h.quals_array)
    write_list(w, h.r_dims)
    write_list(w, h.r_dims_array)
    write_list(w, h.w_dims)
    write_list(w, h.w_dims_array)
    _write_error_list_list(w, h.errors)
    write_list(w, h.errors_array)


@record
class DevCmdHistory_4:  # noqa: N801 - IDL name
    """Polling history of a command (IDL 4): results of all records concatenated in ``value``."""
    dates: list[TimeVal] = field(default_factory=list)
    value: CorbaAny = field(default_factory=CorbaAny)
    dims: list[AttributeDim] = field(default_factory=list)
    dims_array: list[EltInArray] = field(default_factory=list)
    errors: list[list[DevError]] = field(default_factory=list)
    errors_array: list[EltInArray] = field(default_factory=list)
    cmd_type: CmdArgType | int = CmdArgType.DevVoid

    @classmethod
    def read(cls, r: CDRReader) -> "DevCmdHistory_4":
        return cls(r.read_seq(TimeVal.read, 12), CorbaAny.read(r), r.read_seq(AttributeDim.read, 8),
                   r.read_seq(EltInArray.read, 8), _read_error_list_list(r), r.read_seq(EltInArray.read, 8),
                   _data_type(r.read_long()))

    def write(self, w: CDRWriter) -> None:
        write_list(w, self.dates)
        self.value.write(w)
        write_list(w, self.dims)
        write_list(w, self.dims_array)
        _write_error_list_list(w, self.errors)
        write_list(w, self.errors_array)
        w.write_long(self.cmd_type)
