"""PyTango's ``tango.utils`` helpers that client code and scripts use.

Type predicates over CmdArgType (``is_int_type(t, inc_array=False)`` ...), conversions between
strings and typed values (``str_2_obj``, ``obj_2_str``, ``seqStr_2_obj``, as the Database and
properties use them), case-insensitive containers (``CaselessList``, ``CaselessDict``), a
printing ``EventCallback`` and version guards. Behaviour follows PyTango 10.3.1 for the common
cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tango_core.idl.enums import CmdArgType

__all__ = ["is_str_type", "is_int_type", "is_float_type", "is_bool_type", "is_numerical_type",
           "is_scalar_type", "is_array_type", "obj_2_str", "str_2_obj", "seqStr_2_obj", "CaselessList",
           "CaselessDict", "EventCallback", "requires_pytango", "requires_tango", "is_pure_str", "is_seq",
           "is_non_str_seq", "get_enum_labels", "get_tango_type_format"]

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
    """An event callback that prints each event on one line and keeps them (``get_events()``)."""

    def __init__(self, format: str = "{date} {dev_name} {name} {type} {value}", fd=None, max_buf: int = 100):  # noqa: A002
        import sys

        self._fd = fd or sys.stdout
        self._format = format
        self._max_buf = max_buf
        self._evts: list = []

    def push_event(self, evt) -> None:
        self._evts.append(evt)
        if len(self._evts) > self._max_buf:
            del self._evts[0]
        try:
            value = evt.errors[0].reason if getattr(evt, "err", False) else getattr(evt.attr_value, "value", "")
            line = self._format.format(date=evt.reception_date, dev_name=evt.device.dev_name(),
                                       name=evt.attr_name, type=evt.event, value=value)
        except Exception as exc:  # noqa: BLE001 - a printing aid must not break event delivery
            line = f"{evt!r} ({exc})"
        print(line, file=self._fd)

    def get_events(self) -> list:
        return self._evts


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


def __getattr__(name: str) -> Any:
    if name in ("TO_TANGO_TYPE", "EnumTypeError", "scalar_to_array_type"):
        from tango_core.server import dtypes
        return getattr(dtypes, name)
    if name == "FROM_TANGO_TO_NUMPY_TYPE":
        from tango_core.server.dtypes import NUMPY_TYPE_OF
        return {**NUMPY_TYPE_OF, T.DevString: str}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
