"""``tango`` meaning tango_core: PyTango's module names, each answered by tango_core's own.

Importable as ``tango`` only with its directory on the module path (``python -m
tango_core.pytango_alias COMMAND``, or ``tango_core.pytango_alias.install()``); then
``tango.DeviceProxy`` IS ``tango_core.DeviceProxy``.  What is deliberately absent:
``tango_core.pytango_alias.ABSENT_BY_REASON``.
"""

import sys as _sys

try:
    from tango_core.pytango_alias import reexport
except ModuleNotFoundError as exc:
    if exc.name not in ("tango_core", "tango_core.pytango_alias"):
        raise
    raise ModuleNotFoundError(
        f"`tango` here is tango_core under PyTango's name ({__file__}), but this Python ({_sys.executable}) "
        "cannot import tango_core: install tango_core into it, or run a Python that has it", name="tango_core"
    ) from exc

reexport(__name__, "tango_core")
