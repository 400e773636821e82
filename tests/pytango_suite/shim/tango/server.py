"""PyTango's ``tango.server`` answered by ``tango_core.server``."""

from tango._shim import reexport

reexport(__name__, "tango_core.server")
