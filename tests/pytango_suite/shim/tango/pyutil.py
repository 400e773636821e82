"""PyTango's ``tango.pyutil`` answered by ``tango_core.server.runtime``."""

from tango._shim import reexport

reexport(__name__, "tango_core.server.runtime")
