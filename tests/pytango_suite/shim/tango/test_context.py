"""PyTango's ``tango.test_context`` answered by ``tango_core.test_context``."""

from tango._shim import reexport

reexport(__name__, "tango_core.test_context")
