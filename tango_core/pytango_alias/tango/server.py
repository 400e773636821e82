"""PyTango's ``tango.server`` answered by ``tango_core.server``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.server")
