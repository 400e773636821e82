"""PyTango's ``tango.release`` answered by ``tango_core.release``."""

from tango._shim import reexport

reexport(__name__, "tango_core.release")
