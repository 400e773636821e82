"""The error reasons the Tango database server answers with, and one helper to raise them.

The reasons are the wire contract: clients (cppTango, PyTango, tango_core) and tools test
``err.reason`` (``DB_DeviceNotDefined`` means "no such device", ``DB_SQLError`` is what a
duplicate alias gives ...).  They are the C++ DataBaseds' strings, spelling included
(``DB_WrongArgNUmber`` and ``Db_WrongArgument`` come from ``DbRenameServer`` there).
"""

from __future__ import annotations

from typing import NoReturn

from ..idl.enums import ErrSeverity
from ..idl.errors import DevError, DevFailed

DB_SQL_ERROR = "DB_SQLError"
DB_INCORRECT_ARGUMENTS = "DB_IncorrectArguments"
DB_INCORRECT_DEVICE_NAME = "DB_IncorrectDeviceName"
DB_INCORRECT_SERVER_NAME = "DB_IncorrectServerName"
DB_DEVICE_NOT_DEFINED = "DB_DeviceNotDefined"
DB_ALIAS_NOT_DEFINED = "DB_AliasNotDefined"
DB_WRONG_ARG_NUMBER = "DB_WrongArgNUmber"
DB_WRONG_ARGUMENT = "Db_WrongArgument"
DB_WRONG_IOR = "DB_WrongIORForDbServer"
API_INCOMPATIBLE_ARGUMENT = "API_IncompatibleCmdArgumentType"
API_COMMAND_NOT_FOUND = "API_CommandNotFound"


def db_error(reason: str, desc: str, origin: str) -> NoReturn:
    """Raise a one-error DevFailed (severity ERR), as the database server's commands do."""
    raise DevFailed(DevError(reason, desc, origin, ErrSeverity.ERR))
