"""PyTango's ``tango.utils`` helpers that client code and scripts use.

Type predicates over CmdArgType (``is_int_type(t, inc_array=False)`` ...), conversions between
strings and typed values (``str_2_obj``, ``obj_2_str``, ``seqStr_2_obj``, as the Database and
properties use them), case-insensitive containers (``CaselessList``, ``CaselessDict``), a
printing ``EventCallback`` and version guards. Behaviour follows PyTango 10.3.1 for the common
cases.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from tango_core.idl.enums import CmdArgType

__all__ = ["is_str_type", "is_int_type", "is_float_type", "is_bool_type", "is_numerical_type",
           "is_scalar_type", "is_array_type", "obj_2_str", "str_2_obj", "seqStr_2_obj", "CaselessList",
           "CaselessDict", "EventCallback", "requires_pytango", "requires_tango", "is_pure_str", "is_seq",
           "is_non_str_seq", "get_enum_labels", "get_tango_type_format", "AsyncEventCallback", "ensure_binary",
           "seq_2_StdStringVector", "StdStringVector_2_seq", "seq_2_StdDoubleVector", "StdDoubleVector_2_seq",
           "seq_2_DbDevInfos", "seq_2_DbDevExportInfos", "seq_2_DbData", "get_tango_type", "PyTangoThread",
           "parse_type_hint", "get_tango_device_classes", "get_latest_device_class",
           "InvalidTangoHostTrlError", "TO_TANGO_TYPE"]  # noqa: F822 - the last two: __getattr__

T = CmdArgType
_STR = {T.DevString, T.ConstDevString}
_INT = {T.DevShort, T.DevLong, T.DevUShort, T.DevULong, T.DevLong64, T.DevULong64}
_FLOAT = {T.DevFloat, T.DevDouble}
_BOOL = {T.DevBoolean}
_STR_ARRAY = {T.DevVarStringArray}
_INT_ARRAY = {T.DevVarShortArray, T.DevVarLongArray, T.DevVarUShortArray, T.DevVarULongArray, T.DevVarLong64Array,
              T.DevVarULong64Array}
_FLOAT_ARRAY = {T.DevVarFloatArray, T.DevVarDoubleArray}
_BOOL_ARRAY = {T.DevVarBooleanArray}
_SCALAR = _STR | _INT | _FLOAT | _BOOL | {T.DevUChar, T.DevEncoded}
_ARRAY = _STR_ARRAY | _INT_ARRAY | _FLOAT_ARRAY | _BOOL_ARRAY | {
    T.DevVarCharArray, T.DevVarLongStringArray, T.DevVarDoubleStringArray}


def is_str_type(tg_type, inc_array: bool = False) -> bool:
    return tg_type in _STR or (inc_array and tg_type in _STR_ARRAY)


def is_int_type(tg_type, inc_array: bool = False) -> bool:
    return tg_type in _INT or (inc_array and tg_type in _INT_ARRAY)


def is_float_type(tg_type, inc_array: bool = False) -> bool:
    return tg_type in _FLOAT or (inc_array and tg_type in _FLOAT_ARRAY)


def is_bool_type(tg_type, inc_array: bool = False) -> bool:
    return tg_type in _BOOL or (inc_array and tg_type in _BOOL_ARRAY)


def is_numerical_type(tg_type, inc_array: bool = False) -> bool:
    return is_int_type(tg_type, inc_array) or is_float_type(tg_type, inc_array)


def is_scalar_type(tg_type) -> bool:
    return tg_type in _SCALAR


def is_array_type(tg_type) -> bool:
    return tg_type in _ARRAY


def _scalar_from_str(text: str, tg_type) -> Any:
    if is_int_type(tg_type, True):
        return int(text)
    if is_float_type(tg_type, True):
        return float(text)
    if is_bool_type(tg_type, True):
        return text.strip().lower() in ("true", "1", "yes", "on")
    return text


def str_2_obj(obj_str: str, tg_type=None) -> Any:
    """A string (as stored in the Database) converted to ``tg_type`` (unchanged without a type)."""
    if tg_type is None:
        return obj_str
    return _scalar_from_str(obj_str, tg_type)


def seqStr_2_obj(seq, tg_type, tg_format=None) -> Any:  # noqa: N802 - PyTango's name
    """A sequence of strings converted to ``tg_type``: one value for a scalar type, a list for an array."""
    if isinstance(seq, str):
        seq = [seq]
    items = list(seq)
    if is_array_type(tg_type):
        return [_scalar_from_str(s, tg_type) for s in items]
    return _scalar_from_str(items[0], tg_type) if items else None


def obj_2_str(obj: Any, tg_type=None) -> Any:
    """A value as the string(s) the Database stores: sequences one item per line."""
    if obj is None or tg_type is None:
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return str(obj[0]) if len(obj) == 1 else "\n".join(str(b) for b in obj)
    if isinstance(obj, str):
        return obj
    if isinstance(obj, Iterable):
        return "\n".join(str(x) for x in obj)
    return str(obj)


class CaselessList(list):
    """A list whose ``in``, ``index``, ``count`` and ``remove`` ignore the case of strings."""

    @staticmethod
    def _low(x):
        return x.lower() if isinstance(x, str) else x

    def __contains__(self, item) -> bool:
        item = self._low(item)
        return any(self._low(x) == item for x in self)

    def index(self, item, *args):
        lowered = [self._low(x) for x in self]
        return lowered.index(self._low(item), *args)

    def count(self, item) -> int:
        item = self._low(item)
        return sum(1 for x in self if self._low(x) == item)

    def remove(self, item) -> None:
        del self[self.index(item)]


class CaselessDict(dict):
    """A dict with case-insensitive string keys (stored lower-cased, as PyTango's)."""

    def __init__(self, other=None, **kwargs) -> None:
        super().__init__()
        for k, v in dict(other or {}, **kwargs).items():
            self[k] = v

    @staticmethod
    def _low(k):
        return k.lower() if isinstance(k, str) else k

    def __setitem__(self, key, value) -> None:
        super().__setitem__(self._low(key), value)

    def __getitem__(self, key):
        return super().__getitem__(self._low(key))

    def __delitem__(self, key) -> None:
        super().__delitem__(self._low(key))

    def __contains__(self, key) -> bool:
        return super().__contains__(self._low(key))

    def get(self, key, default=None):
        return super().get(self._low(key), default)

    def pop(self, key, *default):
        return super().pop(self._low(key), *default)

    def setdefault(self, key, default=None):
        return super().setdefault(self._low(key), default)

    def update(self, other=(), **kwargs) -> None:
        for k, v in dict(other, **kwargs).items():
            self[k] = v


class EventCallback:
    """An event callback for tests and the prompt: prints each event on one line and keeps the
    last ``max_buf`` of them (``get_events()``), as PyTango's does.

    ``format`` may use ``date`` (the value's time), ``reception_date``, ``type``, ``reason``
    (the event reason), ``dev_name``, ``name`` (attribute) and ``value``.
    """

    def __init__(self, format: str = "{date} {dev_name} {name} {type} {reason} {value}",  # noqa: A002
                 fd=None, max_buf: int = 100):
        import sys

        self._msg = format
        self._fd = fd or sys.stdout
        self._max_buf = max_buf
        self._evts: list = []

    def get_events(self) -> list:
        """The events received so far (the last ``max_buf``)."""
        return self._evts

    def push_event(self, evt) -> None:
        try:
            self._push_event(evt)
        except Exception as exc:  # noqa: BLE001 - a printing aid must not break event delivery
            print(f"Unexpected error in callback for {evt}: {exc}", file=self._fd)

    def _push_event(self, evt) -> None:
        import datetime

        if len(self._evts) == self._max_buf:
            self._evts.pop(0)
        self._evts.append(evt)
        now = datetime.datetime.now()
        fields = {"date": now, "reception_date": now, "type": "<UNKNOWN>", "reason": "<UNKNOWN>",
                  "dev_name": "<UNKNOWN>", "name": "<UNKNOWN>"}
        for key, get in (("date", self._get_date), ("reception_date", lambda e: e.reception_date.todatetime()),
                         ("type", lambda e: e.event.upper()), ("reason", lambda e: str(e.event_reason).upper()),
                         ("dev_name", lambda e: e.device.dev_name().upper()), ("name", self._get_name)):
            try:
                fields[key] = get(evt)
            except Exception:  # noqa: BLE001,S110 - a field that cannot be had is shown as unknown
                pass
        try:
            fields["value"] = self._get_value(evt)
        except Exception as exc:  # noqa: BLE001
            fields["value"] = f"Unexpected exception in getting event value: {exc}"
        print(self._msg.format(**fields), file=self._fd)

    @staticmethod
    def _get_date(evt):
        from tango_core.events.data import EventData

        if isinstance(evt, EventData):
            return evt.attr_value.time.todatetime()
        return evt.get_date().todatetime()

    @staticmethod
    def _get_name(evt) -> str:
        if not hasattr(evt, "attr_name"):
            return "<N/A>"
        return evt.attr_name.split("/")[-1].upper().removesuffix("#DBASE=NO")

    @staticmethod
    def _get_value(evt) -> str:
        from tango_core.events.data import AttrConfEventData, DataReadyEventData, DevIntrChangeEventData, EventData
        from tango_core.idl.enums import EventReason

        if evt.err:
            err = evt.errors[0]
            return f"[{err.reason}] {err.desc}"
        if isinstance(evt, EventData):
            if evt.attr_value is None and evt.event_reason == EventReason.SubSuccess:
                return "<N/A>"  # an asynchronous subscription's first event carries no value
            return f"[{evt.attr_value.quality}] {evt.attr_value.value}"
        if isinstance(evt, AttrConfEventData):
            return f"label='{evt.attr_conf.label}'; unit='{evt.attr_conf.unit}'"
        if isinstance(evt, DataReadyEventData):
            return f"ctr={evt.ctr}"
        if isinstance(evt, DevIntrChangeEventData):
            return f"dev_started={evt.dev_started}; {len(evt.cmd_list)} commands; {len(evt.att_list)} attrs"
        return ""


class AsyncEventCallback(EventCallback):
    """:class:`EventCallback` for asyncio proxies: ``push_event`` is a coroutine."""

    async def push_event(self, evt) -> None:
        EventCallback.push_event(self, evt)


def ensure_binary(s: str | bytes, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``str`` -> its encoded bytes, ``bytes`` as is; TypeError for anything else."""
    if isinstance(s, str):
        return s.encode(encoding, errors)
    if isinstance(s, bytes):
        return s
    raise TypeError(f"not expecting type '{type(s)}'")


# -- PyTango's sequence <-> "std::vector" helpers (the vectors are lists in tango_core) --

def _seq_2_vec(vec_type: type, seq, vec, convert=None):
    if vec is None:
        if isinstance(seq, vec_type):
            return seq
        vec = vec_type()
    if not isinstance(vec, vec_type):
        raise TypeError(f"vec must be a tango.{vec_type.__name__}")
    vec.extend(seq if convert is None else (convert(e) for e in seq))
    return vec


def _vec_2_seq(vec_type: type, vec, seq, convert):
    if seq is None:
        seq = []
    if not isinstance(vec, vec_type):
        raise TypeError(f"vec must be a tango.{vec_type.__name__}")
    seq.extend(convert(e) for e in vec)
    return seq


def seq_2_StdStringVector(seq, vec=None):  # noqa: N802 - PyTango's name
    """A sequence of str -> a :class:`StdStringVector` (``vec`` if given, filled)."""
    from tango_core.client.info import StdStringVector
    return _seq_2_vec(StdStringVector, seq, vec, str)


def StdStringVector_2_seq(vec, seq=None):  # noqa: N802
    """A :class:`StdStringVector` -> a list of str (``seq`` if given, filled)."""
    from tango_core.client.info import StdStringVector
    return _vec_2_seq(StdStringVector, vec, seq, str)


def seq_2_StdDoubleVector(seq, vec=None):  # noqa: N802
    """A sequence of numbers -> a :class:`StdDoubleVector` (``vec`` if given, filled)."""
    from tango_core.client.info import StdDoubleVector
    return _seq_2_vec(StdDoubleVector, seq, vec, float)


def StdDoubleVector_2_seq(vec, seq=None):  # noqa: N802
    """A :class:`StdDoubleVector` -> a list of float (``seq`` if given, filled)."""
    from tango_core.client.info import StdDoubleVector
    return _vec_2_seq(StdDoubleVector, vec, seq, float)


def seq_2_DbDevInfos(seq, vec=None):  # noqa: N802
    """A sequence of :class:`DbDevInfo` -> :class:`DbDevInfos`."""
    from tango_core.client.db_types import DbDevInfos
    return _seq_2_vec(DbDevInfos, seq, vec)


def seq_2_DbDevExportInfos(seq, vec=None):  # noqa: N802
    """A sequence of :class:`DbDevExportInfo` -> :class:`DbDevExportInfos`."""
    from tango_core.client.db_types import DbDevExportInfos
    return _seq_2_vec(DbDevExportInfos, seq, vec)


def seq_2_DbData(seq, vec=None):  # noqa: N802
    """A sequence of :class:`DbDatum` (or names: empty properties) -> :class:`DbData`."""
    from tango_core.client.db_types import DbData, DbDatum
    return _seq_2_vec(DbData, seq, vec, lambda e: e if isinstance(e, DbDatum) else DbDatum(str(e)))


def get_tango_type(obj) -> tuple:
    """(CmdArgType, AttrDataFormat) of a Python value: ``1.5`` -> (DevDouble, SCALAR), ``[[1]]`` ->
    (DevLong64, IMAGE), numpy arrays by their dtype; TypeError for anything else."""
    from tango_core.idl.enums import AttrDataFormat, DevState
    from tango_core.server.dtypes import TO_TANGO_TYPE

    ndim = getattr(obj, "ndim", None)
    if ndim is not None and hasattr(obj, "dtype"):
        if ndim > 2:
            raise TypeError(f"cannot translate numpy array with {ndim} dimensions to tango type")
        return TO_TANGO_TYPE[str(obj.dtype)], AttrDataFormat(ndim)
    if is_non_str_seq(obj):
        if not len(obj):
            raise TypeError("cannot tell the tango type of an empty sequence")
        tg_type, tg_format = get_tango_type(obj[0])
        if tg_format is AttrDataFormat.IMAGE:
            raise TypeError("cannot translate a sequence nested more than twice to a tango type")
        return tg_type, AttrDataFormat(int(tg_format) + 1)
    if isinstance(obj, str):
        return T.DevString, AttrDataFormat.SCALAR
    if isinstance(obj, DevState):
        return T.DevState, AttrDataFormat.SCALAR
    import numbers
    if isinstance(obj, bool):
        return T.DevBoolean, AttrDataFormat.SCALAR
    if isinstance(obj, numbers.Integral):
        return T.DevLong64, AttrDataFormat.SCALAR
    if isinstance(obj, numbers.Number):
        return T.DevDouble, AttrDataFormat.SCALAR
    raise TypeError(f"Unsupported type {type(obj)}")


# -- the test-context TANGO_HOST override (PyTango's private helpers, used by its test suites) --

def _set_test_context_tango_host_fqtrl(host_trl: str | None) -> None:
    """Short device names resolve against ``host_trl`` (``tango://host:port#dbase=no``); None: no change."""
    if host_trl is not None:
        from tango_core.client.names import set_test_context_tango_host
        set_test_context_tango_host(host_trl)


def _clear_test_context_tango_host_fqtrl() -> None:
    from tango_core.client.names import set_test_context_tango_host
    set_test_context_tango_host(None)


def _get_test_context_tango_host_fqtrl() -> str | None:
    from tango_core.client.names import get_test_context_tango_host
    return get_test_context_tango_host()


def _get_device_fqtrl_if_necessary(device_trl: str) -> str:
    """``a/b/c`` -> ``tango://host:port/a/b/c#dbase=no`` under a test context's override."""
    from tango_core.client.names import test_context_device_trl
    return test_context_device_trl(device_trl)


class PyTangoThread(threading.Thread):
    """A :class:`threading.Thread` running inside :func:`tango_core.EnsureOmniThread` (PyTango's
    class; in tango_core any thread may call Tango, this only makes ``is_omni_thread()`` true)."""

    def _bootstrap_inner(self) -> None:
        from tango_core.client.constants import EnsureOmniThread
        with EnsureOmniThread():
            super()._bootstrap_inner()


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for p in str(text).split("."):
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _requires(what: str, installed: str, min_version, conflicts, software_name: str) -> bool:
    if min_version is not None and _version_tuple(installed) < _version_tuple(min_version):
        raise Exception(f"{software_name} requires {what} {min_version} but {installed} installed")
    for bad in conflicts:
        if _version_tuple(installed)[:len(_version_tuple(bad))] == _version_tuple(bad):
            raise Exception(f"{software_name} cannot run with {what} {bad} ({installed} installed)")
    return True


def requires_pytango(min_version=None, conflicts=(), software_name: str = "Software") -> bool:
    """Checks the PyTango API level tango_core provides (it mirrors PyTango 10.3.1)."""
    from tango_core.release import Release
    return _requires("pytango", Release.version, min_version, conflicts, software_name)


def requires_tango(min_version=None, conflicts=(), software_name: str = "Software") -> bool:
    """Checks the Tango protocol level tango_core speaks (Tango 10, IDL 6)."""
    return _requires("tango", "10.3.3", min_version, conflicts, software_name)


# -- what device-server code uses from tango.utils (the implementations live in tango_core.server) --

def is_pure_str(obj: Any) -> bool:
    """True for ``str`` (PyTango keeps the name from its Python 2 days)."""
    return isinstance(obj, str)


def is_seq(obj: Any) -> bool:
    """True for sequences (``str``, ``bytes``, lists, tuples, numpy arrays ...)."""
    import collections.abc
    return isinstance(obj, (collections.abc.Sequence, bytearray)) or hasattr(obj, "__array__") and \
        getattr(obj, "ndim", 0) > 0


def is_non_str_seq(obj: Any) -> bool:
    """A sequence that is not a string (lists, tuples, numpy arrays ...)."""
    return is_seq(obj) and not isinstance(obj, (str, bytes))


def get_enum_labels(enum_cls: Any) -> list[str]:
    """DevEnum labels of an ``enum.Enum`` class (values 0, 1, 2 ...); EnumTypeError otherwise."""
    from tango_core.server.dtypes import enum_labels_of
    return enum_labels_of(enum_cls)


def get_tango_type_format(dtype: Any, dformat: Any = None, caller: Any = None) -> Any:
    """``(float,)`` -> (DevDouble, SPECTRUM): the dtype spellings of tango.server declarations."""
    from tango_core.server.dtypes import tango_type_format
    return tango_type_format(dtype, dformat, caller)


def parse_type_hint(type_hint: Any, caller: str) -> tuple:
    """A type hint of a ``caller`` ("attribute", "command" or "property") -> (dtype, dformat,
    max_dim_x, max_dim_y), as the high-level API reads ``def read(self) -> tuple[float, ...]``;
    RuntimeError for a hint Tango has no type for (mixed types, images in properties ...)."""
    from tango_core.server.dtypes import parse_type_hint as parse
    return parse(type_hint, caller)


def get_tango_device_classes() -> list[type]:
    """The device implementation classes, oldest first (``DeviceImpl``, ``Device_2Impl`` ...
    ``Device_6Impl``; all one class in tango_core, which serves IDL 6 only)."""
    from tango_core.server import device
    return [device.DeviceImpl, device.Device_2Impl, device.Device_3Impl, device.Device_4Impl, device.Device_5Impl,
            device.Device_6Impl]


def get_latest_device_class() -> type:
    """The newest device implementation class (``LatestDeviceImpl`` derives from it)."""
    return get_tango_device_classes()[-1]


def __getattr__(name: str) -> Any:
    if name == "InvalidTangoHostTrlError":
        from tango_core.client.names import InvalidTangoHostTrlError
        return InvalidTangoHostTrlError
    if name in ("TO_TANGO_TYPE", "EnumTypeError", "scalar_to_array_type"):
        from tango_core.server import dtypes
        return getattr(dtypes, name)
    if name == "FROM_TANGO_TO_NUMPY_TYPE":
        from tango_core.server.dtypes import NUMPY_TYPE_OF
        return {**NUMPY_TYPE_OF, T.DevString: str}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
