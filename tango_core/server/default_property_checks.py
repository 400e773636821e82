"""cppTango's checks of an attribute's default properties, the ones declared in code.

``Attr::set_default_properties`` refuses, with a DevFailed, the default properties a device
server declares (``attribute(min_value=...)``, ``UserDefaultAttrProp.set_max_alarm(...)``) that
cannot be used: a threshold that is not a number of the attribute's type, an RDS alarm given
half (``delta_t`` without ``delta_val`` or the reverse), a minimum not below its maximum.  A
PyTango server then does not start (or ``add_attribute`` raises, for a dynamic attribute);
tango_core's does the same, with the same reason and description, from
:meth:`~.attribute_declaration.Attr.set_default_properties`, its one caller.

The values are checked as the strings PyTango hands cppTango, ``str(value)``: ``1.0`` is not
an integer, ``None`` is "None", a number for no type.  cppTango reads them with C++ streams: a
leading blank is skipped, anything after the number (even a blank) is an error, ``inf`` and
``0x10`` are not numbers, and an unsigned type takes ``-1`` (it wraps around).  ``""``,
``"NaN"`` and ``"Not specified"`` mean "not given" and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..idl.enums import CmdArgType
from ..idl.errors import DevError, DevFailed, ErrSeverity

__all__ = ["check_default_properties"]

T = CmdArgType
_ORIGIN = "Attr::set_default_properties()"
#: values that leave a property at the library default (not checked)
_NOT_GIVEN = ("", "NaN", "Not specified")

#: what a C++ stream reads as a double (``fullmatch``: nothing may follow; ``match``: the start)
_FLOAT = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"\s*([+-]?)([0-9]+)")

#: how cppTango reads a threshold of each numeric type: (the type it names, lowest, highest);
#: an unsigned type also takes minus its highest value; None: a double
_NUMBER_TYPES: dict[CmdArgType, tuple[str, Any]] = {
    T.DevDouble: ("DevDouble", None),
    T.DevFloat: ("DevFloat", float(np.finfo(np.float32).max)),
    T.DevShort: ("DevShort", (-2**15, 2**15 - 1)),
    T.DevLong: ("DevLong", (-2**31, 2**31 - 1)),
    T.DevLong64: ("DevLong64", (-2**63, 2**63 - 1)),
    T.DevUShort: ("DevUShort", (0, 2**16 - 1)),
    T.DevULong: ("DevULong", (0, 2**32 - 1)),
    T.DevULong64: ("DevULong64", (0, 2**64 - 1)),
    T.DevUChar: ("DevUChar", (0, 2**16 - 1)),   # read as an unsigned short: 300 passes, 70000 does not
    T.DevEnum: ("DevShort", (-2**15, 2**15 - 1)),
}
_THRESHOLD_PAIRS = (("min_value", "max_value"), ("min_alarm", "max_alarm"), ("min_warning", "max_warning"))
_PERIODS = ("delta_t", "event_period", "archive_period")
_CHANGES = ("abs_change", "rel_change", "archive_abs_change", "archive_rel_change")
_PERIOD_LIMITS = ("DevLong", (-2**31, 2**31 - 1))


def _df(reason: str, desc: str) -> DevFailed:
    return DevFailed(DevError(reason, desc, _ORIGIN, ErrSeverity.ERR))


def _number(text: str, kind: tuple[str, Any]) -> float | int | None:
    """``text`` read as cppTango reads a number of that kind; None when it is not one."""
    limits = kind[1]
    if limits is None or isinstance(limits, float):
        if _FLOAT.fullmatch(text) is None:
            return None
        value = float(text)
        highest = float(np.finfo(np.float64).max) if limits is None else limits
        return value if abs(value) <= highest else None
    match = _INTEGER.fullmatch(text)
    if match is None:
        return None
    value = int(match.group(1) + match.group(2))
    low, high = limits
    if low == 0 and -high <= value < 0:   # a C++ unsigned read wraps a negative number around
        return value
    return value if low <= value <= high else None


def _loose_double(text: str) -> float:
    """A threshold of a non-numeric type, as cppTango compares a minimum with its maximum: the
    number the string starts with, 0 when it starts with none."""
    match = _FLOAT.match(text)
    if match is None:
        return 0.0
    value = float(match.group(0))
    return value if np.isfinite(value) else 0.0


def check_default_properties(attr_name: str, data_type: CmdArgType, props: Mapping[str, Any]) -> None:
    """Raise cppTango's DevFailed for the first default property of ``props`` (property name ->
    value as declared) an attribute ``attr_name`` of ``data_type`` cannot have, in cppTango's
    order: the thresholds and their minimum/maximum pairs, ``delta_val``, the periods and
    event changes, then the ``delta_t``/``delta_val`` pair."""
    texts = {prop: value if isinstance(value, str) else str(value) for prop, value in props.items()}
    given = {prop: text for prop, text in texts.items() if text not in _NOT_GIVEN}
    kind = _NUMBER_TYPES.get(data_type)

    def unsupported(prop: str, expected: str) -> DevFailed:
        return _df("API_IncompatibleAttrDataType", f"User default property {prop} for attribute : {attr_name} "
                   f"is defined in unsupported format. Expected {expected}")

    for low, high in _THRESHOLD_PAIRS:
        values = {}
        for prop in (low, high):
            if prop in given:
                values[prop] = _number(given[prop], kind) if kind else _loose_double(given[prop])
                if values[prop] is None:
                    raise unsupported(prop, kind[0])
        if len(values) == 2 and values[low] >= values[high]:
            raise _df("API_IncoherentValues", f"User default property {low} for attribute : {attr_name} is "
                      f"greater then or equal {high}")
    if kind and "delta_val" in given and _number(given["delta_val"], kind) is None:
        raise unsupported("delta_val", kind[0])
    for prop in _PERIODS:
        if prop in given and _number(given[prop], _PERIOD_LIMITS) is None:
            raise unsupported(prop, "DevLong")
    for prop in _CHANGES:
        if prop in given:
            parts = given[prop].split(",")
            if len(parts) > 2 or any(_number(p, _NUMBER_TYPES[T.DevDouble]) is None for p in parts):
                raise unsupported(prop, 'DevDouble or "DevDouble,DevDouble"')
    if ("delta_t" in given) != ("delta_val" in given):
        raise _df("API_IncoherentValues", "Just one of the user default properties : delta_val or delta_t is set. "
                  "Both or none of the values have to be set")
