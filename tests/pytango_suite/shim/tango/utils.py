"""PyTango's ``tango.utils`` answered by ``tango_core.utils``."""

from tango._shim import reexport

reexport(__name__, "tango_core.utils")
