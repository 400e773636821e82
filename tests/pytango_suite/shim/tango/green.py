"""PyTango's ``tango.green`` answered by ``tango_core.client.green``."""

from tango._shim import reexport

reexport(__name__, "tango_core.client.green")
