"""PyTango's remaining public enums (server-side and admin-device codes) and small helpers.

They are rarely used by clients but are part of ``tango``'s namespace (``tango.LogLevel`` with
``set_logging_level``, ``tango.AccessControlType`` ...).  The enums themselves are defined once,
with the other IDL-level enums, in :mod:`tango_core.idl.enums`; this module only gathers them.
"""

from __future__ import annotations

import contextlib
import threading

from tango_core.idl.enums import (  # noqa: F401 - re-exported
    AccessControlType, AttReqType, AttrSerialModel, KeepAliveCmdCode, LockCmdCode, LogLevel, LogTarget,
    MessBoxType, PollCmdCode, PollObjType,
)

__all__ = ["LogLevel", "LogTarget", "PollObjType", "PollCmdCode", "AccessControlType", "AttReqType",
           "AttrSerialModel", "KeepAliveCmdCode", "LockCmdCode", "MessBoxType", "PyTangoUserWarning",
           "EnsureOmniThread", "is_omni_thread"]


class PyTangoUserWarning(UserWarning):
    """Warnings about API use (PyTango's class, so filters written for it keep working)."""


_omni = threading.local()


@contextlib.contextmanager
def EnsureOmniThread():  # noqa: N802 - PyTango's name
    """PyTango needs this around Tango calls from user threads; tango_core does not.

    It only marks the thread, so that :func:`is_omni_thread` answers as PyTango's does.
    """
    outer = getattr(_omni, "marked", False)
    _omni.marked = True
    try:
        yield
    finally:
        _omni.marked = outer


def is_omni_thread() -> bool:
    """PyTango's answer to "may this thread call Tango?": the main thread, and a thread inside
    :func:`EnsureOmniThread` (or a :class:`tango_core.utils.PyTangoThread`); other user threads
    are not (though in tango_core every thread may call Tango)."""
    return threading.current_thread() is threading.main_thread() or getattr(_omni, "marked", False)
