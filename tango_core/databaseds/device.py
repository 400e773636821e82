"""The DataBase device (``sys/database/<instance>``): DatabaseCommands served over GIOP.

Its commands are generated from commands.COMMANDS (argument types and descriptions) and all go
through ``DatabaseCommands.execute``; its attributes are the ones a Tango admin expects from
a database server (``Timing_*`` statistics of every command, ``StoredProcedureRelease``).
State ON, and the default status "The device is in ON state.", as PyTango's database server
(``python -m tango.databaseds.database``, the sqlite server tango_core's stands in for) answers;
the C++ DataBaseds sets "Device is OK" instead (tests/databaseds/test_differential.py shows both).
"""

from __future__ import annotations

import socket
import sqlite3
from typing import Any, Callable

import numpy as np

from .. import __version__
from ..idl.enums import AttrDataFormat, CmdArgType, DevState
from ..server import Device, attribute, command
from .commands import COMMANDS, CommandSpec, DatabaseCommands

_TIMING_SIZE = 128


def _command(spec: CommandSpec) -> command:
    name = spec.name
    if spec.in_type == CmdArgType.DevVoid:
        def run(self: Any) -> Any:
            return self.database.execute(name)
    elif spec.out_type == CmdArgType.DevVarLongStringArray:
        def run(self: Any, argin: Any) -> Any:
            numbers, strings = self.database.execute(name, argin)
            # as an array once: the reply is checked and encoded without converting it again
            # (DbMySqlSelect's can hold a number per field)
            return np.array(numbers, dtype=np.int32), strings
    else:
        def run(self: Any, argin: Any) -> Any:
            return self.database.execute(name, argin)
    run.__name__ = name
    return command(f=run, dtype_in=spec.in_type, dtype_out=spec.out_type, doc_in=spec.in_desc,
                   doc_out=spec.out_desc)


def _timing(column: str, dtype: CmdArgType) -> attribute:
    def read(self: Any) -> Any:
        return self.database.timing_columns()[column]
    return attribute(name=f"Timing_{column}", dtype=dtype, dformat=AttrDataFormat.SPECTRUM,
                     max_dim_x=_TIMING_SIZE, fget=read,
                     format="%s" if dtype == CmdArgType.DevString else "%6.2f")


def _init_device(self: Any) -> None:
    Device.init_device(self)
    self.database.init()
    self.set_state(DevState.ON)


def _read_timing_info(self: Any) -> list[str]:
    return self.database.timing_info(socket.gethostname())


def _read_release(self: Any) -> str:
    return f"tango_core {__version__} on sqlite {sqlite3.sqlite_version}"


def database_class(database: DatabaseCommands) -> type:
    """A DataBase device class serving ``database`` (the class holds it: one per process)."""
    namespace: dict[str, Any] = {
        "__doc__": "The Tango database server (tango_core, sqlite)", "__module__": __name__,
        "__qualname__": "DataBase", "database": database, "init_device": _init_device,
        "StoredProcedureRelease": attribute(name="StoredProcedureRelease", dtype=CmdArgType.DevString,
                                            fget=_read_release, format="%s"),
        "Timing_info": attribute(name="Timing_info", dtype=CmdArgType.DevString,
                                 dformat=AttrDataFormat.SPECTRUM, max_dim_x=_TIMING_SIZE,
                                 fget=_read_timing_info, format="%s"),
        "Timing_average": _timing("average", CmdArgType.DevDouble),
        "Timing_minimum": _timing("minimum", CmdArgType.DevDouble),
        "Timing_maximum": _timing("maximum", CmdArgType.DevDouble),
        "Timing_calls": _timing("calls", CmdArgType.DevDouble),
        "Timing_index": _timing("index", CmdArgType.DevString),
    }
    for spec in COMMANDS.values():
        namespace[spec.name] = _command(spec)
    return type(Device)("DataBase", (Device,), namespace)


Handler = Callable[[Any], Any]
