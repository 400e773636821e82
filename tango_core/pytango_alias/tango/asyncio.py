"""PyTango's ``tango.asyncio`` answered by ``tango_core.asyncio``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.asyncio")
