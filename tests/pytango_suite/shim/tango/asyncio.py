"""PyTango's ``tango.asyncio`` answered by ``tango_core.asyncio``."""

from tango._shim import reexport

reexport(__name__, "tango_core.asyncio")
