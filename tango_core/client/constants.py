"""PyTango's remaining public enums (server-side and admin-device codes) and small helpers.

They are rarely used by clients but are part of ``tango``'s namespace (``tango.LogLevel`` with
``set_logging_level``, ``tango.AccessControlType`` ...), with PyTango 10.3.1's names and values.
"""

from __future__ import annotations

import contextlib

from tango_core.idl.enums import TangoEnum

__all__ = ["LogLevel", "LogTarget", "PollObjType", "PollCmdCode", "AccessControlType", "AttReqType",
           "AttrSerialModel", "KeepAliveCmdCode", "LockCmdCode", "MessBoxType", "PyTangoUserWarning",
           "EnsureOmniThread"]


def _lookups(cls):
    cls.values = {int(m): m for m in cls}
    cls.names = {m.name: m for m in cls}
    return cls


@_lookups
class LogLevel(TangoEnum):
    LOG_OFF = 0
    LOG_FATAL = 1
    LOG_ERROR = 2
    LOG_WARN = 3
    LOG_INFO = 4
    LOG_DEBUG = 5


@_lookups
class LogTarget(TangoEnum):
    LOG_CONSOLE = 0
    LOG_FILE = 1
    LOG_DEVICE = 2


@_lookups
class PollObjType(TangoEnum):
    POLL_CMD = 0
    POLL_ATTR = 1
    EVENT_HEARTBEAT = 2
    STORE_SUBDEV = 3


@_lookups
class PollCmdCode(TangoEnum):
    POLL_ADD_OBJ = 0
    POLL_REM_OBJ = 1
    POLL_START = 2
    POLL_STOP = 3
    POLL_UPD_PERIOD = 4
    POLL_REM_DEV = 5
    POLL_EXIT = 6
    POLL_REM_EXT_TRIG_OBJ = 7
    POLL_ADD_HEARTBEAT = 8
    POLL_REM_HEARTBEAT = 9


@_lookups
class AccessControlType(TangoEnum):
    ACCESS_READ = 0
    ACCESS_WRITE = 1


@_lookups
class AttReqType(TangoEnum):
    READ_REQ = 0
    WRITE_REQ = 1


@_lookups
class AttrSerialModel(TangoEnum):
    ATTR_NO_SYNC = 0
    ATTR_BY_KERNEL = 1
    ATTR_BY_USER = 2


@_lookups
class KeepAliveCmdCode(TangoEnum):
    EXIT_TH = 0


@_lookups
class LockCmdCode(TangoEnum):
    LOCK_ADD_DEV = 0
    LOCK_REM_DEV = 1
    LOCK_UNLOCK_ALL_EXIT = 2
    LOCK_EXIT = 3


@_lookups
class MessBoxType(TangoEnum):
    STOP = 0
    INFO = 1


class PyTangoUserWarning(UserWarning):
    """Warnings about API use (PyTango's class, so filters written for it keep working)."""


@contextlib.contextmanager
def EnsureOmniThread():  # noqa: N802 - PyTango's name
    """PyTango needs this around Tango calls from user threads; tango_core does not: a no-op."""
    yield
