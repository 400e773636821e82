"""``device_property`` and ``class_property``: configuration a device reads at ``init_device``.

Values live in the Tango database as lists of strings (or, without a database, in the
server's own property store: test contexts, ``-nodb``).  At ``get_device_properties()`` each
declared property gets, in order: the device's value, else the class property of the same name,
else its ``default_value``; strings are converted to the declared ``dtype`` as PyTango does
(``"1"`` -> 1 for an int, ``["1", "2"]`` -> [1, 2] for ``(int,)``, ``"true"`` -> True for bool).
A ``mandatory`` device property without a value makes the device fail to start.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..client.info import StdStringVector
from ..idl.enums import AttrDataFormat, CmdArgType
from .dtypes import scalar_to_array_type, tango_type_format

__all__ = ["device_property", "class_property", "strings_to_value", "value_to_strings", "PropertyDef"]

T = CmdArgType
_INT = {T.DevShort, T.DevUShort, T.DevLong, T.DevULong, T.DevLong64, T.DevULong64, T.DevUChar}
_FLOAT = {T.DevFloat, T.DevDouble}
_STR = {T.DevString, T.ConstDevString}
_INT_ARRAYS = {T.DevVarShortArray, T.DevVarUShortArray, T.DevVarLongArray, T.DevVarULongArray,
               T.DevVarLong64Array, T.DevVarULong64Array}
_FLOAT_ARRAYS = {T.DevVarFloatArray, T.DevVarDoubleArray}


def _to_bool(text: str) -> bool:
    low = str(text).strip().lower()
    if low in ("y", "yes", "t", "true", "on", "1"):
        return True
    if low in ("n", "no", "f", "false", "off", "0"):
        return False
    raise ValueError(f"invalid truth value {text!r}")


def _resolve_dtype(dtype: Any) -> CmdArgType | None:
    if dtype is None:
        return None
    t, fmt = tango_type_format(dtype)
    return scalar_to_array_type(t) if fmt != AttrDataFormat.SCALAR else t


def strings_to_value(strings: Sequence[str] | str, tango_type: CmdArgType | None) -> Any:
    """Database strings -> a Python value of ``tango_type`` (PyTango's ``seqStr_2_obj``)."""
    if isinstance(strings, str):
        strings = [strings]
    strings = list(strings)
    if tango_type is None:
        return strings
    if tango_type in _INT:
        return int(strings[0])
    if tango_type in _FLOAT:
        return float(strings[0])
    if tango_type in _STR:
        return strings[0]
    if tango_type == T.DevBoolean:
        return _to_bool(strings[0])
    if tango_type == T.DevVarStringArray:
        return StdStringVector(strings)   # PyTango hands the database's string vector over as is
    if tango_type == T.DevVarCharArray:
        return strings
    if tango_type in _INT_ARRAYS:
        return [int(x) for x in strings]
    if tango_type in _FLOAT_ARRAYS:
        return [float(x) for x in strings]
    if tango_type == T.DevVarBooleanArray:
        return [_to_bool(x) for x in strings]
    return []


def value_to_strings(value: Any) -> list[str]:
    """A Python property value -> the strings the database stores."""
    if isinstance(value, (list, tuple)) or (hasattr(value, "tolist") and hasattr(value, "ndim") and value.ndim):
        items = value.tolist() if hasattr(value, "tolist") else list(value)
        return [_one_string(x) for x in items]
    return [_one_string(value)]


def _one_string(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, bytes):
        return v.decode("latin-1")
    return str(v)


class PropertyDef:
    """Base of the two declarations; a descriptor returning the value read at init."""

    def __init__(self, dtype: Any = None, doc: str = "", default_value: Any = None, update_db: bool = False) -> None:
        self.name: str | None = None
        self.dtype = _resolve_dtype(dtype)
        self.doc = doc
        self.default_value = default_value
        self.update_db = update_db
        self.mandatory = False
        self.__doc__ = doc or "TANGO property"

    def __set_name__(self, owner: type, name: str) -> None:
        if self.name is None:
            self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        return obj._tango_properties.get(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        obj._tango_properties[self.name] = value
        if self.update_db:
            obj._put_property_in_db(self, value)

    def __delete__(self, obj: Any) -> None:
        del obj._tango_properties[self.name]

    def convert(self, strings: Sequence[str] | str) -> Any:
        return strings_to_value(strings, self.dtype)

    def default(self) -> Any:
        value = self.default_value
        if isinstance(value, str) and self.dtype is not None and self.dtype not in _STR:
            return self.convert([value])
        return value


class device_property(PropertyDef):  # noqa: N801 - PyTango's name
    """A device property (PyTango's ``tango.server.device_property``)."""

    def __init__(self, dtype: Any = None, doc: str = "", mandatory: bool = False, default_value: Any = None,
                 update_db: bool = False) -> None:
        super().__init__(dtype, doc, default_value, update_db)
        self.mandatory = mandatory
        if mandatory and default_value is not None:
            raise ValueError("Invalid arguments: 'mandatory' is True, so 'default_value' must be None. A mandatory "
                             "device property value must be defined in the Tango Database so it cannot have a "
                             "default.")


class class_property(PropertyDef):  # noqa: N801 - PyTango's name
    """A class property (PyTango's ``tango.server.class_property``)."""
