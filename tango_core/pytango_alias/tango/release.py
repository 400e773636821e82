"""PyTango's ``tango.release`` answered by ``tango_core.release``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.release")
