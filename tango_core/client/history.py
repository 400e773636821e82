"""Polling history: ``DeviceProxy.attribute_history`` / ``command_history``.

The server answers with one compressed structure for all the records (``DevAttrHistory_5`` /
``DevCmdHistory_4``, decoded by :mod:`tango_core.idl.types` through the operations table): the
values of every record concatenated in one CORBA ``any``, and the per-record quality, dimensions
and errors run-length encoded as ``EltInArray{start, nb_elt}`` runs (:func:`expand_runs`).  This
module expands them into one DeviceAttributeHistory / DeviceDataHistory per record, in the order
of ``dates``, as PyTango returns them.

The values are packed from the END of the sequence, as cppTango's client unpacks them: the
first record's values are the last ones of the sequence, the next record's come just before,
and so on.  An attribute record holds its read values then its written ones (``r_dim`` and
``w_dim``, a dimension ``(x, 0)`` counting ``x``); a failed record, and an attribute record of
quality ATTR_INVALID, hold none.  A command record holds ``dims[i].dim_x`` values (for
DevVarLong/DoubleStringArray: ``dim_x`` strings and ``dim_y`` numbers).
"""

from __future__ import annotations

import numpy as np

from tango_core.client.device_attribute import DeviceAttribute, from_attribute_value
from tango_core.client.device_data import DeviceData
from tango_core.idl.enums import (AttributeDataType, AttrQuality, CmdArgType, ExtractAs,
                                  arm_for_data_type)
from tango_core.idl.operations import OPERATIONS as _OPERATIONS
from tango_core.idl.types import (AttributeDim, AttrValUnion, DevVarDoubleStringArray, DevVarLongStringArray, TimeVal,
                                  expand_runs)

__all__ = ["DeviceAttributeHistory", "DeviceDataHistory", "DeviceDataHistoryList", "attribute_history",
           "command_history"]


class DeviceAttributeHistory(DeviceAttribute):
    """One polled reading of an attribute (a DeviceAttribute)."""


class DeviceDataHistoryList(list):
    """What command_history returns (PyTango's list type)."""


class DeviceDataHistory(DeviceData):
    """One polled result of a command: a DeviceData with its date and errors."""

    def __init__(self) -> None:
        super().__init__()
        self._time = TimeVal(0, 0, 0)
        self._errors: tuple = ()

    def get_date(self) -> TimeVal:
        return self._time

    def has_failed(self) -> bool:
        return bool(self._errors)

    def get_err_stack(self) -> tuple:
        return self._errors


class _Record:
    """The AttributeValue_5-like view of one history record, for from_attribute_value."""

    __slots__ = ("name", "time", "err_list", "r_dim", "w_dim", "value", "data_type", "data_format", "quality")


_NO_DIM = AttributeDim(0, 0)


def _count(dim: AttributeDim) -> int:
    return dim.dim_x * dim.dim_y if dim.dim_y else dim.dim_x


def attribute_history(proxy, attr_name: str, depth: int, extract_as: ExtractAs = ExtractAs.Numpy) -> list:
    """The last ``depth`` polled readings of ``attr_name``, in the server's order (oldest first)."""
    h = proxy._invoke(_OPERATIONS["read_attribute_history_5"], attr_name, int(depth), what="attribute_history",
                      origin="DeviceProxy::attribute_history()")
    n = len(h.dates)
    quals = expand_runs(h.quals, h.quals_array, n, AttrQuality.ATTR_VALID)
    r_dims = expand_runs(h.r_dims, h.r_dims_array, n, _NO_DIM)
    w_dims = expand_runs(h.w_dims, h.w_dims_array, n, _NO_DIM)
    errors = expand_runs(h.errors, h.errors_array, n, [])
    fmt = h.data_format
    try:
        arm = arm_for_data_type(h.data_type)
    except ValueError:
        arm = AttributeDataType.ATT_NO_DATA
    values = h.value.value
    values = [] if values is None else values
    end = len(values)
    out = []
    for i, date in enumerate(h.dates):
        rec = _Record()
        rec.name, rec.time, rec.data_type, rec.data_format = h.name, date, h.data_type, fmt
        rec.quality = quals[i]
        rec.r_dim, rec.w_dim = r_dims[i], w_dims[i]
        rec.err_list = errors[i]
        has_data = not rec.err_list and rec.quality != AttrQuality.ATTR_INVALID
        take = min(_count(rec.r_dim) + _count(rec.w_dim), end) if has_data else 0
        rec.value = AttrValUnion.__new__(AttrValUnion)
        # a valid record with no values (an empty spectrum) still has its (empty) typed value
        rec.value.arm = arm if has_data else AttributeDataType.ATT_NO_DATA
        rec.value.value = values[end - take:end] if has_data else True
        end -= take
        da = from_attribute_value(rec, extract_as)
        da.__class__ = DeviceAttributeHistory
        if da.has_failed:  # PyTango keeps the attribute's type on failed records
            da.type = CmdArgType.values.get(h.data_type, h.data_type)
        out.append(da)
    return out


_SCALAR_OUT = {CmdArgType.DevBoolean, CmdArgType.DevShort, CmdArgType.DevLong, CmdArgType.DevFloat,
               CmdArgType.DevDouble, CmdArgType.DevUShort, CmdArgType.DevULong, CmdArgType.DevString,
               CmdArgType.DevState, CmdArgType.DevUChar, CmdArgType.DevLong64, CmdArgType.DevULong64,
               CmdArgType.DevEnum, CmdArgType.ConstDevString}


def command_history(proxy, cmd_name: str, depth: int) -> list:
    """The last ``depth`` polled results of ``cmd_name`` (oldest first)."""
    h = proxy._invoke(_OPERATIONS["command_inout_history_4"], cmd_name, int(depth), what="command_history",
                      origin="DeviceProxy::command_history()")
    out_type = CmdArgType.values.get(h.cmd_type, h.cmd_type)
    n = len(h.dates)
    dims = expand_runs(h.dims, h.dims_array, n, _NO_DIM)
    errors = expand_runs(h.errors, h.errors_array, n, [])
    values = h.value.value
    values = [] if values is None else values
    scalar = out_type in _SCALAR_OUT
    pair = out_type in (CmdArgType.DevVarLongStringArray, CmdArgType.DevVarDoubleStringArray)
    if pair:
        if isinstance(values, (DevVarLongStringArray, DevVarDoubleStringArray)):
            values = (values.lvalue if isinstance(values, DevVarLongStringArray) else values.dvalue, values.svalue)
        numbers, strings = values if len(values) == 2 else ((), ())
        end_str, end_num = len(strings), len(numbers)
    end = len(values) if not pair else 0
    out = DeviceDataHistoryList()
    for i, date in enumerate(h.dates):
        rec = DeviceDataHistory()
        rec._time = date
        rec._errors = tuple(errors[i])
        rec._type = out_type
        if not rec._errors:
            dim = dims[i]
            if pair:
                n_str, n_num = min(dim.dim_x, end_str), min(dim.dim_y, end_num)
                rec._value = (numbers[end_num - n_num:end_num], strings[end_str - n_str:end_str])
                end_str -= n_str
                end_num -= n_num
            else:
                n = min(dim.dim_x, end)
                chunk = values[end - n:end]
                end -= n
                if scalar:
                    item = chunk[0] if len(chunk) else None
                    rec._value = item.item() if isinstance(item, np.generic) else item
                else:
                    rec._value = chunk
        out.append(rec)
    return out
