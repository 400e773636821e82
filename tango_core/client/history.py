"""Polling history: ``DeviceProxy.attribute_history`` / ``command_history``.

The server answers with one compressed structure for all the records (``DevAttrHistory_5`` /
``DevCmdHistory_4``): the values of every record concatenated in one CORBA ``any``, and the
per-record quality, dimensions and errors run-length encoded as ``EltInArray{start, nb_elt}``
runs, where a run covers records ``start, start-1, ..., start-nb_elt+1`` (cppTango's encoding).
idl.types leaves these structs out because they carry an ``any``; they are decoded here, with
the wire layer's generic ``any`` reader, and expanded into one DeviceAttributeHistory /
DeviceDataHistory per record, oldest first, as PyTango returns them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tango_core.client.device_attribute import DeviceAttribute, from_attribute_value
from tango_core.client.device_data import DeviceData
from tango_core.idl.enums import (AttrDataFormat, AttributeDataType, AttrQuality, CmdArgType, ExtractAs,
                                  arm_for_data_type)
from tango_core.idl.errors import read_dev_error_list
from tango_core.idl.types import AttributeDim, AttrValUnion, EltInArray, TimeVal
from tango_core.wire.cdr import CDRReader
from tango_core.wire.typecode import read_any

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


def _runs(r: CDRReader) -> list[EltInArray]:
    return r.read_seq(EltInArray.read, 8)


def _expand(values: list, runs: list[EltInArray], n: int, default: Any) -> list:
    """Per-record values from run-length encoded ``values`` (runs count down from ``start``)."""
    out = [default] * n
    for value, run in zip(values, runs):
        for j in range(run.nb_elt):
            i = run.start - j
            if 0 <= i < n:
                out[i] = value
    return out


def _read_attr_history_5(r: CDRReader) -> dict:
    name = r.read_string()
    data_format = r.read_enum()
    data_type = r.read_long()
    dates = r.read_seq(TimeVal.read, 12)
    _tc, value = read_any(r)
    quals = [r.read_enum() for _ in range(r.read_count(4))]
    quals_runs = _runs(r)
    r_dims = r.read_seq(AttributeDim.read, 8)
    r_runs = _runs(r)
    w_dims = r.read_seq(AttributeDim.read, 8)
    w_runs = _runs(r)
    errors = r.read_seq(read_dev_error_list, 4)
    err_runs = _runs(r)
    n = len(dates)
    return dict(name=name, data_format=data_format, data_type=data_type, dates=dates, value=value,
                quals=_expand(quals, quals_runs, n, int(AttrQuality.ATTR_VALID)),
                r_dims=_expand(r_dims, r_runs, n, AttributeDim(0, 0)),
                w_dims=_expand(w_dims, w_runs, n, AttributeDim(0, 0)),
                errors=_expand(errors, err_runs, n, []))


class _Record:
    """The AttributeValue_5-like view of one history record, for from_attribute_value."""

    __slots__ = ("name", "time", "err_list", "r_dim", "w_dim", "value", "data_type", "data_format", "quality")


def _count(fmt: int, dim: AttributeDim) -> int:
    return dim.dim_x * dim.dim_y if fmt == AttrDataFormat.IMAGE else dim.dim_x


def attribute_history(proxy, attr_name: str, depth: int, extract_as: ExtractAs = ExtractAs.Numpy) -> list:
    """The last ``depth`` polled readings of ``attr_name`` (oldest first)."""
    def write(w):
        w.write_string(attr_name)
        w.write_long(int(depth))
    h = proxy._invoke("read_attribute_history_5", write, _read_attr_history_5,
                      what="attribute_history", origin="DeviceProxy::attribute_history()")
    fmt = h["data_format"]
    try:
        arm = arm_for_data_type(h["data_type"])
    except ValueError:
        arm = AttributeDataType.ATT_NO_DATA
    values = h["value"]
    values = [] if values is None else values
    offset = 0
    out = []
    for i, date in enumerate(h["dates"]):
        rec = _Record()
        rec.name, rec.time, rec.data_type, rec.data_format = h["name"], date, h["data_type"], fmt
        rec.quality = h["quals"][i]
        rec.r_dim, rec.w_dim = h["r_dims"][i], h["w_dims"][i]
        rec.err_list = h["errors"][i]
        n_read, n_written = _count(fmt, rec.r_dim), _count(fmt, rec.w_dim)
        take = n_read + n_written if offset + n_read + n_written <= len(values) else n_read
        if rec.err_list:
            take = 0
        chunk = values[offset:offset + take]
        offset += take
        rec.value = AttrValUnion.__new__(AttrValUnion)
        rec.value.arm = arm if take else AttributeDataType.ATT_NO_DATA
        rec.value.value = chunk if take else True
        da = from_attribute_value(rec, extract_as)
        da.__class__ = DeviceAttributeHistory
        if da.has_failed:  # PyTango keeps the attribute's type on failed records
            da.type = CmdArgType.values.get(h["data_type"], h["data_type"])
        out.append(da)
    return out


def _read_cmd_history_4(r: CDRReader) -> dict:
    dates = r.read_seq(TimeVal.read, 12)
    _tc, value = read_any(r)
    dims = r.read_seq(AttributeDim.read, 8)
    dims_runs = _runs(r)
    errors = r.read_seq(read_dev_error_list, 4)
    err_runs = _runs(r)
    cmd_type = r.read_long()
    n = len(dates)
    return dict(dates=dates, value=value, dims=_expand(dims, dims_runs, n, AttributeDim(0, 0)),
                errors=_expand(errors, err_runs, n, []), cmd_type=cmd_type)


_SCALAR_OUT = {CmdArgType.DevBoolean, CmdArgType.DevShort, CmdArgType.DevLong, CmdArgType.DevFloat,
               CmdArgType.DevDouble, CmdArgType.DevUShort, CmdArgType.DevULong, CmdArgType.DevString,
               CmdArgType.DevState, CmdArgType.DevUChar, CmdArgType.DevLong64, CmdArgType.DevULong64,
               CmdArgType.DevEnum, CmdArgType.ConstDevString}


def command_history(proxy, cmd_name: str, depth: int) -> list:
    """The last ``depth`` polled results of ``cmd_name`` (oldest first)."""
    def write(w):
        w.write_string(cmd_name)
        w.write_long(int(depth))
    h = proxy._invoke("command_inout_history_4", write, _read_cmd_history_4,
                      what="command_history", origin="DeviceProxy::command_history()")
    out_type = CmdArgType.values.get(h["cmd_type"], h["cmd_type"])
    values = h["value"]
    values = [] if values is None else values
    scalar = out_type in _SCALAR_OUT
    offset = 0
    out = DeviceDataHistoryList()
    for i, date in enumerate(h["dates"]):
        rec = DeviceDataHistory()
        rec._time = date
        rec._errors = tuple(h["errors"][i])
        rec._type = out_type
        if not rec._errors:
            dim = h["dims"][i]
            n = 1 if scalar else dim.dim_x * max(dim.dim_y, 1)
            chunk = values[offset:offset + n]
            offset += n
            if scalar:
                item = chunk[0] if len(chunk) else None
                rec._value = item.item() if isinstance(item, np.generic) else item
            else:
                rec._value = chunk
        out.append(rec)
    return out
