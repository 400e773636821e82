"""The enumerations of the Tango IDL and of PyTango's client API.

Every enum is an :class:`enum.IntEnum` with PyTango 10.3.1's member names and
integer values, so code written for PyTango (``tango.DevState.ON``,
``AttrQuality.ATTR_VALID`` as a dict key, ``x == 0``) keeps working.  PyTango
also changes two things on *its* enums, and so do we (see :class:`TangoEnum`):

* ``str(x)``, ``f"{x}"`` and ``"%s" % x`` give the bare member name (``'ON'``),
  while ``repr(x)`` stays the IntEnum form ``<DevState.ON: 0>`` and a non-empty
  format spec formats the integer (``format(x, '>3')`` -> ``'  0'``) on Python
  3.11+; on Python 3.10 PyTango's enums format the name (``format(x, '>3')`` ->
  ``'ON '``, ``format(x, 'd')`` raises ValueError): the enum module of 3.10
  formats the ``str()`` of an enum whose ``__str__`` is overridden, 3.11 made
  IntEnum format its integer; ours follow the same Python rule;
* every enum class has ``values`` (``{int: member}``) and ``names``
  (``{name: member}``) dictionaries.

IDL enums travel on the wire as a ``ulong`` holding the declaration index,
which is the member value for every enum here that appears on the wire.

The module ends with the lookup tables the codec and client layers share:
CmdArgType <-> CDR primitive kind / numpy dtype, and the ``AttrValUnion`` arm
(:class:`AttributeDataType`) <-> attribute ``data_type`` code.  numpy is
imported only when a dtype table is first used, so that importing the enums
(and :mod:`.errors`) stays cheap for the shell's start-up.
"""

from __future__ import annotations

import enum
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "TangoEnum",
    "DevState", "AttrQuality", "AttrWriteType", "AttrDataFormat", "DispLevel", "ErrSeverity",
    "DevSource", "CmdArgType", "ArgType", "AttributeDataType", "LockerLanguage", "PipeWriteType",
    "TraceContextFormat", "EventType", "EventSubMode", "EventReason", "ExtractAs", "GreenMode",
    "SerialModel", "AttrMemorizedType", "cb_sub_model", "asyn_req_type", "AccessControlType", "AttReqType",
    "AttrSerialModel", "KeepAliveCmdCode", "LockCmdCode", "LogLevel", "LogTarget", "MessBoxType",
    "PollCmdCode", "PollObjType", "alarm_flags",
    "EVENT_WIRE_NAMES", "EVENT_TYPE_BY_WIRE_NAME", "IDL5_PREFIXED_EVENTS",
    "SCALAR_KIND", "SCALAR_DTYPE", "ARRAY_ELEMENT_TYPE", "ARRAY_TYPE_OF",  # noqa: F822 - SCALAR_DTYPE: __getattr__
    "ARM_KIND", "ARM_DATA_TYPE", "cdr_kind_of", "numpy_dtype_of", "element_type_of",
    "is_array_type", "arm_for_data_type", "data_type_for_arm",
]


class TangoEnum(enum.IntEnum):
    """IntEnum base with PyTango's ``str()``/``format()`` behaviour (see module docstring)."""

    def __str__(self) -> str:
        return self.name

    if sys.version_info >= (3, 11):
        # int.__format__ with an empty spec calls str(self) -> the name; with a spec it formats the
        # int.  On 3.10, enum's own __format__ is PyTango's there: str.__format__ of the name.
        __format__ = int.__format__


def _pytango_lookups(cls: type[TangoEnum]) -> type[TangoEnum]:
    """Add PyTango's ``values``/``names`` class dictionaries."""
    cls.values = {int(m): m for m in cls}
    cls.names = {m.name: m for m in cls}
    return cls


@_pytango_lookups
class DevState(TangoEnum):
    """Device state (IDL ``Tango::DevState``)."""
    ON = 0
    OFF = 1
    CLOSE = 2
    OPEN = 3
    INSERT = 4
    EXTRACT = 5
    MOVING = 6
    STANDBY = 7
    FAULT = 8
    INIT = 9
    RUNNING = 10
    ALARM = 11
    DISABLE = 12
    UNKNOWN = 13


@_pytango_lookups
class AttrQuality(TangoEnum):
    ATTR_VALID = 0
    ATTR_INVALID = 1
    ATTR_ALARM = 2
    ATTR_CHANGING = 3
    ATTR_WARNING = 4


@_pytango_lookups
class AttrWriteType(TangoEnum):
    READ = 0
    READ_WITH_WRITE = 1
    WRITE = 2
    READ_WRITE = 3
    WT_UNKNOWN = 4


@_pytango_lookups
class AttrDataFormat(TangoEnum):
    SCALAR = 0
    SPECTRUM = 1
    IMAGE = 2
    FMT_UNKNOWN = 3


@_pytango_lookups
class DispLevel(TangoEnum):
    OPERATOR = 0
    EXPERT = 1
    DL_UNKNOWN = 2


@_pytango_lookups
class ErrSeverity(TangoEnum):
    WARN = 0
    ERR = 1
    PANIC = 2


@_pytango_lookups
class DevSource(TangoEnum):
    DEV = 0
    CACHE = 1
    CACHE_DEV = 2


@_pytango_lookups
class CmdArgType(TangoEnum):
    """Command argument / attribute data type codes (cppTango ``CmdArgType``).

    PyTango 10.3.1's members.  The codes it dropped (27 ``DevInt``, 30
    ``DevPipeBlob``) decode to plain ints where a peer sends them, as with
    PyTango.
    """
    DevVoid = 0
    DevBoolean = 1
    DevShort = 2
    DevLong = 3
    DevFloat = 4
    DevDouble = 5
    DevUShort = 6
    DevULong = 7
    DevString = 8
    DevVarCharArray = 9
    DevVarShortArray = 10
    DevVarLongArray = 11
    DevVarFloatArray = 12
    DevVarDoubleArray = 13
    DevVarUShortArray = 14
    DevVarULongArray = 15
    DevVarStringArray = 16
    DevVarLongStringArray = 17
    DevVarDoubleStringArray = 18
    DevState = 19
    ConstDevString = 20
    DevVarBooleanArray = 21
    DevUChar = 22
    DevLong64 = 23
    DevULong64 = 24
    DevVarLong64Array = 25
    DevVarULong64Array = 26
    DevEncoded = 28
    DevEnum = 29
    DevVarStateArray = 31
    DevVarEncodedArray = 32
    Unknown = 100


#: PyTango's alias (``tango.ArgType is tango.CmdArgType``).
ArgType = CmdArgType


@_pytango_lookups
class AttributeDataType(TangoEnum):
    """Discriminator of the IDL ``AttrValUnion`` (not exported by PyTango)."""
    ATT_BOOL = 0
    ATT_SHORT = 1
    ATT_LONG = 2
    ATT_LONG64 = 3
    ATT_FLOAT = 4
    ATT_DOUBLE = 5
    ATT_UCHAR = 6
    ATT_USHORT = 7
    ATT_ULONG = 8
    ATT_ULONG64 = 9
    ATT_STRING = 10
    ATT_STATE = 11
    DEVICE_STATE = 12
    ATT_ENCODED = 13
    ATT_NO_DATA = 14


@_pytango_lookups
class LockerLanguage(TangoEnum):
    """Discriminator of the IDL ``ClntIdent`` union (CPP_6/JAVA_6 since IDL 6)."""
    CPP = 0
    JAVA = 1
    CPP_6 = 2
    JAVA_6 = 3


@_pytango_lookups
class PipeWriteType(TangoEnum):
    """IDL ``PipeWriteType`` (removed from PyTango 10.1; kept to decode PipeConfig)."""
    PIPE_READ = 0
    PIPE_READ_WRITE = 1
    PIPE_WT_UNKNOWN = 2


@_pytango_lookups
class TraceContextFormat(TangoEnum):
    """Discriminator of the IDL 6 ``TraceContext`` union."""
    W3C_TC_V0 = 0


@_pytango_lookups
class EventType(TangoEnum):
    """PyTango 10 event types (1 = QUALITY and 8 = PIPE no longer exist)."""
    CHANGE_EVENT = 0
    PERIODIC_EVENT = 2
    ARCHIVE_EVENT = 3
    USER_EVENT = 4
    ATTR_CONF_EVENT = 5
    DATA_READY_EVENT = 6
    INTERFACE_CHANGE_EVENT = 7
    ALARM_EVENT = 9


@_pytango_lookups
class EventSubMode(TangoEnum):
    Sync = 1
    SyncRead = 2
    Async = 3
    AsyncRead = 4
    Stateless = 5


@_pytango_lookups
class EventReason(TangoEnum):
    Unknown = 0
    SubFail = 1
    SubSuccess = 2
    Update = 3


@_pytango_lookups
class ExtractAs(TangoEnum):
    Numpy = 0
    ByteArray = 1
    Bytes = 2
    Tuple = 3
    List = 4
    String = 5
    Nothing = 7


@_pytango_lookups
class GreenMode(TangoEnum):
    Synchronous = 0
    Futures = 1
    Gevent = 2
    Asyncio = 3


@_pytango_lookups
class SerialModel(TangoEnum):
    BY_DEVICE = 0
    BY_CLASS = 1
    BY_PROCESS = 2
    NO_SYNC = 3


@_pytango_lookups
class AttrMemorizedType(TangoEnum):
    NOT_KNOWN = 0
    NONE = 1
    MEMORIZED = 2
    MEMORIZED_WRITE_INIT = 3


@_pytango_lookups
class cb_sub_model(TangoEnum):  # noqa: N801 - PyTango's name
    PUSH_CALLBACK = 0
    PULL_CALLBACK = 1


@_pytango_lookups
class asyn_req_type(TangoEnum):  # noqa: N801 - PyTango's name
    POLLING = 0
    CALLBACK = 1
    ALL_ASYNCH = 2


# The remaining PyTango enums: server-side and administrative codes, kept so that every
# ``tango.<Enum>`` name a user may type exists with the same members.

@_pytango_lookups
class AccessControlType(TangoEnum):
    ACCESS_READ = 0
    ACCESS_WRITE = 1


@_pytango_lookups
class AttReqType(TangoEnum):
    READ_REQ = 0
    WRITE_REQ = 1


@_pytango_lookups
class AttrSerialModel(TangoEnum):
    ATTR_NO_SYNC = 0
    ATTR_BY_KERNEL = 1
    ATTR_BY_USER = 2


@_pytango_lookups
class KeepAliveCmdCode(TangoEnum):
    EXIT_TH = 0


@_pytango_lookups
class LockCmdCode(TangoEnum):
    LOCK_ADD_DEV = 0
    LOCK_REM_DEV = 1
    LOCK_UNLOCK_ALL_EXIT = 2
    LOCK_EXIT = 3


@_pytango_lookups
class LogLevel(TangoEnum):
    LOG_OFF = 0
    LOG_FATAL = 1
    LOG_ERROR = 2
    LOG_WARN = 3
    LOG_INFO = 4
    LOG_DEBUG = 5


@_pytango_lookups
class LogTarget(TangoEnum):
    LOG_CONSOLE = 0
    LOG_FILE = 1
    LOG_DEVICE = 2


@_pytango_lookups
class MessBoxType(TangoEnum):
    STOP = 0
    INFO = 1


@_pytango_lookups
class PollCmdCode(TangoEnum):
    POLL_ADD_OBJ = 0
    POLL_REM_OBJ = 1
    POLL_START = 2
    POLL_STOP = 3
    POLL_UPD_PERIOD = 4
    POLL_REM_DEV = 5
    POLL_EXIT = 6
    POLL_REM_EXT_TRIG_OBJ = 7
    POLL_ADD_HEARTBEAT = 8
    POLL_REM_HEARTBEAT = 9


@_pytango_lookups
class PollObjType(TangoEnum):
    POLL_CMD = 0
    POLL_ATTR = 1
    EVENT_HEARTBEAT = 2
    STORE_SUBDEV = 3


@_pytango_lookups
class alarm_flags(TangoEnum):  # noqa: N801 - PyTango's name
    min_level = 0
    max_level = 1
    rds = 2
    min_warn = 3
    max_warn = 4
    numFlags = 5  # noqa: N815


# ---------------------------------------------------------------------------
# Event names as they appear in subscription commands and ZMQ topics.

#: EventType -> event name used by ZmqEventSubscriptionChange and in topics (without ``idl5_``).
EVENT_WIRE_NAMES: dict[EventType, str] = {
    EventType.CHANGE_EVENT: "change",
    EventType.PERIODIC_EVENT: "periodic",
    EventType.ARCHIVE_EVENT: "archive",
    EventType.USER_EVENT: "user_event",
    EventType.ATTR_CONF_EVENT: "attr_conf",
    EventType.DATA_READY_EVENT: "data_ready",
    EventType.INTERFACE_CHANGE_EVENT: "intr_change",
    EventType.ALARM_EVENT: "alarm",
}
EVENT_TYPE_BY_WIRE_NAME: dict[str, EventType] = {v: k for k, v in EVENT_WIRE_NAMES.items()}

#: Event types whose topic gets the ``idl5_`` prefix when the device is IDL >= 5 (``alarm`` does not).
IDL5_PREFIXED_EVENTS: frozenset[EventType] = frozenset({
    EventType.CHANGE_EVENT, EventType.PERIODIC_EVENT, EventType.ARCHIVE_EVENT,
    EventType.USER_EVENT, EventType.ATTR_CONF_EVENT,
})


# ---------------------------------------------------------------------------
# Data type tables.

_T = CmdArgType
_A = AttributeDataType

#: Scalar CmdArgType -> CDR primitive kind (``tango_core.wire.cdr`` kinds).
#: DevState is a CDR enum (ulong); DevEnum travels as a short.
SCALAR_KIND: dict[CmdArgType, str] = {
    _T.DevBoolean: "boolean",
    _T.DevShort: "short",
    _T.DevLong: "long",
    _T.DevFloat: "float",
    _T.DevDouble: "double",
    _T.DevUShort: "ushort",
    _T.DevULong: "ulong",
    _T.DevUChar: "octet",
    _T.DevLong64: "longlong",
    _T.DevULong64: "ulonglong",
    _T.DevEnum: "short",
    _T.DevState: "ulong",
}

#: Array CmdArgType -> its element (scalar) CmdArgType.
ARRAY_ELEMENT_TYPE: dict[CmdArgType, CmdArgType] = {
    _T.DevVarCharArray: _T.DevUChar,
    _T.DevVarShortArray: _T.DevShort,
    _T.DevVarLongArray: _T.DevLong,
    _T.DevVarFloatArray: _T.DevFloat,
    _T.DevVarDoubleArray: _T.DevDouble,
    _T.DevVarUShortArray: _T.DevUShort,
    _T.DevVarULongArray: _T.DevULong,
    _T.DevVarStringArray: _T.DevString,
    _T.DevVarBooleanArray: _T.DevBoolean,
    _T.DevVarLong64Array: _T.DevLong64,
    _T.DevVarULong64Array: _T.DevULong64,
    _T.DevVarStateArray: _T.DevState,
    _T.DevVarEncodedArray: _T.DevEncoded,
}

#: Scalar CmdArgType -> the array CmdArgType holding it (inverse of ARRAY_ELEMENT_TYPE).
ARRAY_TYPE_OF: dict[CmdArgType, CmdArgType] = {v: k for k, v in ARRAY_ELEMENT_TYPE.items()}

_SCALAR_DTYPE_NAMES: dict[CmdArgType, str] = {
    _T.DevBoolean: "bool",
    _T.DevShort: "int16",
    _T.DevLong: "int32",
    _T.DevFloat: "float32",
    _T.DevDouble: "float64",
    _T.DevUShort: "uint16",
    _T.DevULong: "uint32",
    _T.DevUChar: "uint8",
    _T.DevLong64: "int64",
    _T.DevULong64: "uint64",
    _T.DevEnum: "int16",
}
_scalar_dtype: dict[CmdArgType, "np.dtype"] | None = None


def _scalar_dtype_table() -> dict[CmdArgType, "np.dtype"]:
    global _scalar_dtype
    if _scalar_dtype is None:
        import numpy

        _scalar_dtype = {t: numpy.dtype(name) for t, name in _SCALAR_DTYPE_NAMES.items()}
    return _scalar_dtype


def __getattr__(name: str):
    # ``SCALAR_DTYPE``: numeric scalar CmdArgType -> native numpy dtype (built on first use).
    if name == "SCALAR_DTYPE":
        return _scalar_dtype_table()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: AttrValUnion arm -> CDR kind of its sequence elements (DEVICE_STATE: one enum; ATT_NO_DATA: one boolean).
ARM_KIND: dict[AttributeDataType, str] = {
    _A.ATT_BOOL: "boolean",
    _A.ATT_SHORT: "short",
    _A.ATT_LONG: "long",
    _A.ATT_LONG64: "longlong",
    _A.ATT_FLOAT: "float",
    _A.ATT_DOUBLE: "double",
    _A.ATT_UCHAR: "octet",
    _A.ATT_USHORT: "ushort",
    _A.ATT_ULONG: "ulong",
    _A.ATT_ULONG64: "ulonglong",
    _A.ATT_STATE: "ulong",
    _A.DEVICE_STATE: "ulong",
    _A.ATT_NO_DATA: "boolean",
}

#: AttrValUnion arm -> the attribute ``data_type`` it carries by default
#: (ATT_SHORT may also carry DevEnum, see :func:`arm_for_data_type`).
ARM_DATA_TYPE: dict[AttributeDataType, CmdArgType] = {
    _A.ATT_BOOL: _T.DevBoolean,
    _A.ATT_SHORT: _T.DevShort,
    _A.ATT_LONG: _T.DevLong,
    _A.ATT_LONG64: _T.DevLong64,
    _A.ATT_FLOAT: _T.DevFloat,
    _A.ATT_DOUBLE: _T.DevDouble,
    _A.ATT_UCHAR: _T.DevUChar,
    _A.ATT_USHORT: _T.DevUShort,
    _A.ATT_ULONG: _T.DevULong,
    _A.ATT_ULONG64: _T.DevULong64,
    _A.ATT_STRING: _T.DevString,
    _A.ATT_STATE: _T.DevState,
    _A.DEVICE_STATE: _T.DevState,
    _A.ATT_ENCODED: _T.DevEncoded,
    _A.ATT_NO_DATA: _T.DevVoid,
}

_ARM_BY_DATA_TYPE: dict[CmdArgType, AttributeDataType] = {
    dt: arm for arm, dt in ARM_DATA_TYPE.items() if arm is not _A.DEVICE_STATE
}
_ARM_BY_DATA_TYPE[_T.DevEnum] = _A.ATT_SHORT
_ARM_BY_DATA_TYPE[_T.ConstDevString] = _A.ATT_STRING


def arm_for_data_type(data_type: int) -> AttributeDataType:
    """The AttrValUnion arm that carries values of attribute ``data_type`` (a scalar code).

    DevState maps to ATT_STATE (a sequence); only the ``State`` attribute
    itself uses DEVICE_STATE. Raises ``ValueError`` for codes with no arm.
    """
    arm = _ARM_BY_DATA_TYPE.get(data_type)      # CmdArgType members hash as their int value
    if arm is not None:
        return arm
    try:
        return _ARM_BY_DATA_TYPE[CmdArgType(data_type)]
    except (KeyError, ValueError):
        raise ValueError(f"no attribute value union arm for data type {data_type!r}") from None


def data_type_for_arm(arm: int) -> CmdArgType:
    """The default attribute ``data_type`` for an AttrValUnion arm."""
    return ARM_DATA_TYPE[AttributeDataType(arm)]


def is_array_type(t: int) -> bool:
    """True for the DevVar*Array types (not the struct types DevVarLong/DoubleStringArray)."""
    return t in ARRAY_ELEMENT_TYPE


def element_type_of(t: int) -> CmdArgType:
    """Element type of an array type; a scalar type is its own element type."""
    t = CmdArgType(t)
    return ARRAY_ELEMENT_TYPE.get(t, t)


def cdr_kind_of(t: int) -> str | None:
    """CDR primitive kind of a numeric scalar type or of a numeric array type's elements.

    None for strings, encoded values, structs and void.
    """
    return SCALAR_KIND.get(element_type_of(t))


def numpy_dtype_of(t: int) -> np.dtype | None:
    """Native numpy dtype of a numeric scalar type or of a numeric array type's elements.

    DevState has none here (clients build DevState members, not integers).
    """
    return _scalar_dtype_table().get(element_type_of(t))
