"""PyTango's ``tango.futures_executor`` answered by ``tango_core.client.green``."""

from tango._shim import reexport

reexport(__name__, "tango_core.client.green")
