"""PyTango's remaining public enums (server-side and admin-device codes) and small helpers.

They are rarely used by clients but are part of ``tango``'s namespace (``tango.LogLevel`` with
``set_logging_level``, ``tango.AccessControlType`` ...).  The enums themselves are defined once,
with the other IDL-level enums, in :mod:`tango_core.idl.enums`; this module only gathers them.
"""

from __future__ import annotations

import contextlib

from tango_core.idl.enums import (  # noqa: F401 - re-exported
    AccessControlType, AttReqType, AttrSerialModel, KeepAliveCmdCode, LockCmdCode, LogLevel, LogTarget,
    MessBoxType, PollCmdCode, PollObjType,
)

__all__ = ["LogLevel", "LogTarget", "PollObjType", "PollCmdCode", "AccessControlType", "AttReqType",
           "AttrSerialModel", "KeepAliveCmdCode", "LockCmdCode", "MessBoxType", "PyTangoUserWarning",
           "EnsureOmniThread"]


class PyTangoUserWarning(UserWarning):
    """Warnings about API use (PyTango's class, so filters written for it keep working)."""


@contextlib.contextmanager
def EnsureOmniThread():  # noqa: N802 - PyTango's name
    """PyTango needs this around Tango calls from user threads; tango_core does not: a no-op."""
    yield
