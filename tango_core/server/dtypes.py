"""What a device class writes as a data type, turned into Tango's (CmdArgType, AttrDataFormat).

PyTango accepts many spellings for the ``dtype`` of an attribute, a command argument or a
property: Python types (``float``, ``int`` -> DevLong64, ``str``, ``bool``), numpy scalar types,
``CmdArgType`` members and their names (``"DevDouble"``), a few aliases (``"int16"``,
``"uint8"`` is *not* one), ``DevState``, ``enum.Enum`` subclasses (DevEnum, labels from the
members), a nesting level per dimension (``(float,)`` is a SPECTRUM, ``((float,),)`` an IMAGE)
and type hints (``tuple[float, float]``, ``list[list[int]]``, ``numpy.typing.NDArray[...]``).
Device code written for PyTango must declare the same thing here, so this module follows
PyTango 10.3.1's rules and error messages.
"""

from __future__ import annotations

import enum
import inspect
import typing
from typing import Any

import numpy as np

from ..idl.enums import AttrDataFormat, CmdArgType, DevState

__all__ = ["TO_TANGO_TYPE", "EnumTypeError", "tango_type_format", "attribute_type_format",
           "enum_labels_of", "parse_type_hint", "scalar_to_array_type", "array_to_scalar_type",
           "is_enum_type", "is_devstate_type"]

T = CmdArgType

#: numpy scalar type of each numeric/boolean Tango scalar type
NUMPY_TYPE_OF: dict[CmdArgType, type] = {
    T.DevBoolean: np.bool_, T.DevUChar: np.ubyte, T.DevShort: np.short, T.DevUShort: np.ushort,
    T.DevLong: np.int32, T.DevULong: np.uint32, T.DevLong64: np.int64, T.DevULong64: np.uint64,
    T.DevDouble: np.float64, T.DevFloat: np.float32,
}


def _build_to_tango_type() -> dict[Any, CmdArgType]:
    table: dict[Any, CmdArgType] = {
        int: T.DevLong64, str: T.DevString, bool: T.DevBoolean, bytearray: T.DevEncoded,
        float: T.DevDouble, chr: T.DevUChar, None: T.DevVoid,
        "int": T.DevLong64, "int16": T.DevShort, "int32": T.DevLong, "int64": T.DevLong64,
        "uint": T.DevULong64, "uint16": T.DevUShort, "uint32": T.DevULong, "uint64": T.DevULong64,
        "str": T.DevString, "string": T.DevString, "text": T.DevString, "bool": T.DevBoolean,
        "boolean": T.DevBoolean, "bytes": T.DevEncoded, "bytearray": T.DevEncoded,
        "float": T.DevDouble, "float32": T.DevFloat, "float64": T.DevDouble, "double": T.DevDouble,
        "byte": T.DevUChar, "chr": T.DevUChar, "char": T.DevUChar, "None": T.DevVoid,
        "state": T.DevState, "enum": T.DevEnum,
    }
    for member in CmdArgType:
        if member.name.startswith("Dev"):
            table[member.name] = member
            table[member] = member
    for tango_type, np_type in NUMPY_TYPE_OF.items():
        table[np_type] = tango_type
        table[np.dtype(np_type).name] = tango_type
    table[np.str_] = T.DevString
    from ..idl.types import DevEncoded, DevVarDoubleStringArray, DevVarLongStringArray
    table[DevEncoded] = T.DevEncoded  # ``tango.DevEncoded`` is a type in tango_core, a CmdArgType in PyTango
    table[DevVarLongStringArray] = T.DevVarLongStringArray
    table[DevVarDoubleStringArray] = T.DevVarDoubleStringArray
    return table


#: every accepted dtype spelling -> CmdArgType
TO_TANGO_TYPE: dict[Any, CmdArgType] = _build_to_tango_type()

_SCALAR_TO_ARRAY: dict[CmdArgType, CmdArgType] = {
    T.DevBoolean: T.DevVarBooleanArray, T.DevUChar: T.DevVarCharArray, T.DevShort: T.DevVarShortArray,
    T.DevUShort: T.DevVarUShortArray, T.DevLong: T.DevVarLongArray, T.DevULong: T.DevVarULongArray,
    T.DevLong64: T.DevVarLong64Array, T.DevULong64: T.DevVarULong64Array, T.DevFloat: T.DevVarFloatArray,
    T.DevDouble: T.DevVarDoubleArray, T.DevString: T.DevVarStringArray, T.ConstDevString: T.DevVarStringArray,
    T.DevState: T.DevVarStateArray, T.DevEncoded: T.DevVarEncodedArray,
}
_ARRAY_TO_SCALAR = {v: k for k, v in _SCALAR_TO_ARRAY.items() if k is not T.ConstDevString}


class EnumTypeError(Exception):
    """An enum class that cannot describe a DevEnum (values must be 0, 1, 2 ... and unique)."""


def scalar_to_array_type(tango_type: CmdArgType) -> CmdArgType:
    """``DevDouble`` -> ``DevVarDoubleArray`` (ValueError for a type with no array form)."""
    try:
        return _SCALAR_TO_ARRAY[TO_TANGO_TYPE.get(tango_type, tango_type)]
    except (KeyError, TypeError):
        raise ValueError(f"Invalid tango scalar type: {tango_type}") from None


def array_to_scalar_type(tango_type: CmdArgType) -> CmdArgType | None:
    """``DevVarDoubleArray`` -> ``DevDouble``; None when ``tango_type`` is not an array type."""
    return _ARRAY_TO_SCALAR.get(tango_type)


def _is_seq(obj: Any) -> bool:
    return isinstance(obj, (list, tuple))


def is_devstate_type(obj: Any) -> bool:
    return obj is DevState or (_is_seq(obj) and len(obj) > 0 and is_devstate_type(obj[0]))


def is_enum_type(obj: Any) -> bool:
    if inspect.isclass(obj) and issubclass(obj, enum.Enum) and obj is not DevState \
            and not issubclass(obj, (CmdArgType, AttrDataFormat)):
        return True
    return _is_seq(obj) and len(obj) > 0 and is_enum_type(obj[0])


def enum_labels_of(enum_cls: type) -> list[str]:
    """The DevEnum labels of an ``enum.Enum`` class: its member names, in value order 0, 1, 2 ..."""
    if not (inspect.isclass(enum_cls) and issubclass(enum_cls, enum.Enum)):
        raise EnumTypeError(f"Input class '{enum_cls}' must be derived from enum.Enum")
    try:
        enum.unique(enum_cls)
    except ValueError as exc:
        raise EnumTypeError(f"Input class '{enum_cls}' must be unique - {exc}") from None
    values = [member.value for member in enum_cls]
    if not values:
        raise EnumTypeError(f"Input class '{enum_cls}' has no members!")
    if values != list(range(len(values))):
        raise EnumTypeError(f"Enum values for '{enum_cls}' must start at 0 and increment by 1.  Values: {values}")
    return [member.name for member in enum_cls]


def tango_type_format(dtype: Any, dformat: AttrDataFormat | None = None,
                      caller: str | None = None) -> tuple[CmdArgType, AttrDataFormat]:
    """``(float,)`` -> (DevDouble, SPECTRUM); ``"DevLong"`` -> (DevLong, SCALAR) ...

    ``caller="attribute"`` refuses empty nestings the way PyTango does.  RuntimeError for a
    dtype that names no Tango type.
    """
    if dformat is None:
        dformat = AttrDataFormat.SCALAR
        if _is_seq(dtype):
            if dtype:
                dtype = dtype[0]
                dformat = AttrDataFormat.SPECTRUM
                if _is_seq(dtype):
                    if dtype:
                        dtype = dtype[0]
                        dformat = AttrDataFormat.IMAGE
                    elif caller == "attribute":
                        raise TypeError("Image attribute type must be specified as ((<dtype>,),)")
            elif caller == "attribute":
                raise TypeError("Spectrum attribute type must be specified as (<dtype>,)")
    try:
        tango_type = TO_TANGO_TYPE[dtype]
    except (KeyError, TypeError):
        hint = ""
        if isinstance(dtype, str):
            hint = (' If you are declaring type with type hints and using "from __future__ import '
                    'annotations", please read documentation to learn about limitations')
        raise RuntimeError(f"Cannot translate {dtype!r} to TANGO type. See documentation for the "
                           f"allowed types.{hint}") from None
    return tango_type, AttrDataFormat(dformat)


def attribute_type_format(dtype: Any, dformat: AttrDataFormat | None,
                          enum_labels: list[str] | None) -> tuple[CmdArgType, AttrDataFormat, list[str] | None]:
    """As :func:`tango_type_format`, plus DevState and ``enum.Enum`` dtypes (with their labels)."""
    if is_devstate_type(dtype):
        inner, dtype = dtype, T.DevState
        while _is_seq(inner):
            inner = inner[0]
            dtype = (dtype,)
    elif is_enum_type(dtype):
        if enum_labels:
            raise TypeError("For dtype of enum.Enum, (enum.Enum,) or ((enum.Enum,),) the enum_labels must not "
                            f"be specified - dtype: {dtype}, enum_labels: {enum_labels}.")
        inner, dtype = dtype, T.DevEnum
        while _is_seq(inner):
            inner = inner[0]
            dtype = (dtype,)
        enum_labels = enum_labels_of(inner)
    tango_type, fmt = tango_type_format(dtype, dformat, "attribute")
    return tango_type, fmt, enum_labels


# -- type hints ------------------------------------------------------------------------------

def _args(hint: Any) -> tuple:
    return typing.get_args(hint)


def _has_ellipsis(hint: Any) -> bool:
    return Ellipsis in _args(hint)


def _uniform(hint: Any) -> bool:
    kinds = {a for a in _args(hint) if a is not Ellipsis}
    if len(kinds) > 1:
        return False
    return all(_uniform(a) for a in _args(hint) if typing.get_origin(a) in (list, tuple))


def _eval_hint(text: str, depth: int = 6) -> Any:
    """A string annotation (``from __future__ import annotations``) evaluated in the caller frames."""
    frame = inspect.currentframe()
    try:
        frame = frame.f_back if frame else None
        for _ in range(depth + 3):
            if frame is None:
                break
            try:
                return eval(text, frame.f_globals, frame.f_locals)  # noqa: S307 - annotations are code
            except NameError:
                frame = frame.f_back
        raise NameError(text)
    finally:
        del frame


def parse_type_hint(annotation: Any, caller: str) -> tuple[Any, AttrDataFormat | None, int | None, int | None]:
    """A type hint -> (dtype, dformat, max_dim_x, max_dim_y); dformat None means "numpy array of
    unknown rank" (the attribute must say SPECTRUM or IMAGE itself)."""
    dtype = annotation
    if isinstance(dtype, str):
        try:
            dtype = _eval_hint(dtype)
        except NameError:
            pass
    dformat: AttrDataFormat | None = AttrDataFormat.SCALAR
    max_x = max_y = None
    if typing.get_origin(dtype) in (list, tuple):
        args = _args(dtype)
        if len(args) in (2, 4) and args[0] is str and args[1] in (bytes, bytearray):
            return "DevEncoded", dformat, None, None
        if len(args) in (2, 4) and args[0] in (tuple[int], list[int]) and args[1] in (tuple[str], list[str]):
            return "DevVarLongStringArray", dformat, None, None
        if len(args) in (2, 4) and args[0] in (tuple[float], list[float]) and args[1] in (tuple[str], list[str]):
            return "DevVarDoubleStringArray", dformat, None, None
        from ..idl.enums import AttrQuality
        if len(args) == 3 and args[1] is float and args[2] is AttrQuality:
            dtype = args[0]
    origin = typing.get_origin(dtype)
    ndarray_alias = getattr(getattr(np, "typing", None), "NDArray", None)
    if origin is np.ndarray or (ndarray_alias is not None and origin is ndarray_alias):
        args = _args(dtype)
        dtype = _args(args[1])[0] if origin is np.ndarray else args[0]
        dformat = None
        if caller in ("property", "command"):
            dtype = (dtype,)
    if typing.get_origin(dtype) in (list, tuple):
        if not _has_ellipsis(dtype):
            max_x = len(_args(dtype))
        uniform = _uniform(dtype)
        dtype = _args(dtype)[0]
        dformat = AttrDataFormat.IMAGE if typing.get_origin(dtype) in (list, tuple) else AttrDataFormat.SPECTRUM
        if caller in ("property", "command") and dformat == AttrDataFormat.IMAGE:
            raise RuntimeError(f"{caller.capitalize()} does not support IMAGE type")
        if not uniform:
            if caller in ("property", "command"):
                raise RuntimeError(f"PyTango does not support mixed types in SPECTRUM {caller}")
            kind = "IMAGE" if dformat == AttrDataFormat.IMAGE else "SPECTRUM"
            raise RuntimeError(f"PyTango does not support mixed types in {kind} attributes")
        if caller == "attribute" and dformat == AttrDataFormat.IMAGE:
            max_y = max_x
            max_x = None if _has_ellipsis(dtype) else len(_args(dtype))
            dtype = _args(dtype)[0]
        if caller == "property":
            dtype = (dtype,)
    return dtype, dformat, max_x, max_y
