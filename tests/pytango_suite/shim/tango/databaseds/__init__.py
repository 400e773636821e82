"""PyTango's ``tango.databaseds`` answered by ``tango_core.databaseds``."""

from tango._shim import reexport

reexport(__name__, "tango_core.databaseds")
