"""PyTango's ``tango.futures`` answered by ``tango_core.futures``."""

from tango._shim import reexport

reexport(__name__, "tango_core.futures")
