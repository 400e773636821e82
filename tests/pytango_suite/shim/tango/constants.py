"""PyTango's ``tango.constants`` answered by ``tango_core.constants``."""

from tango._shim import reexport

reexport(__name__, "tango_core.constants")
