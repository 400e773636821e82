"""PyTango's printed form of user-facing structs (DeviceInfo, AttributeInfoEx, EventData ...).

Shared by the client's info structs and the events' EventData classes, so it sits below both:

* ``repr`` is ``Name(field = repr(value), ...)``;
* ``str`` is ``Name[`` + one ``field = value`` line per field, indented by 4 + ``]``, where strings
  are shown in double quotes, nested structs with their own ``str``, dicts as sorted JSON;
* fields are every public, non-callable attribute in alphabetical order (so attributes a user
  adds to an instance are printed too, as PyTango does through ``dir()``).
"""

from __future__ import annotations

from typing import Any

from .enums import CmdArgType

__all__ = ["PrintableStruct", "printable", "struct_str", "struct_repr"]

_INDENT = "    "


def _field_names(obj: object) -> list[str]:
    names = []
    for name in dir(obj):
        if name.startswith("_") or name == "except_flags":
            continue
        try:
            value = getattr(obj, name)
        except Exception:  # a property that cannot be computed is not shown (as in PyTango)
            continue
        if callable(value):
            continue
        names.append(name)
    return names


def _display_value(name: str, value: Any) -> Any:
    if name == "data_type" and type(value) is int:
        try:
            return CmdArgType(value)
        except ValueError:
            return value
    return value


def _nested_str(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, PrintableStruct) or type(value) in _PRINTABLE:
        return str(value)
    if isinstance(value, dict):
        import json  # only when printing: keeps importing the client cheap

        try:
            return json.dumps(value, indent=4, sort_keys=True)
        except TypeError:
            return repr(value)
    return repr(value)


def struct_repr(obj: object) -> str:
    """``Name(k = repr(v), ...)`` over the public fields, PyTango's struct repr."""
    parts = [f"{n} = {_display_value(n, getattr(obj, n))!r}" for n in _field_names(obj)]
    return f"{type(obj).__name__}({', '.join(parts)})"


def struct_str(obj: object) -> str:
    """Multi-line ``Name[ ... ]`` form, PyTango's struct str."""
    lines = "\n".join(f"{n} = {_nested_str(_display_value(n, getattr(obj, n)))}" for n in _field_names(obj))
    body = "\n".join(_INDENT + line if line.strip() else line for line in lines.strip().split("\n"))
    return f"{type(obj).__name__}[\n{body}\n]"


class PrintableStruct:
    """Base for user-facing structs: PyTango's str/repr, equality on the public fields."""

    __str__ = struct_str
    __repr__ = struct_repr

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return vars(self) == vars(other)

    __hash__ = None  # mutable structs


#: classes given PyTango's str/repr by :func:`printable` (the IDL structs, which are dataclasses)
_PRINTABLE: set[type] = set()


def printable(cls: type) -> type:
    """Class decorator: PyTango's str/repr for a class that cannot derive from PrintableStruct."""
    cls.__str__ = struct_str
    cls.__repr__ = struct_repr
    _PRINTABLE.add(cls)
    return cls
