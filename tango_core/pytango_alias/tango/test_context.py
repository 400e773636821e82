"""PyTango's ``tango.test_context`` answered by ``tango_core.test_context``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.test_context")
