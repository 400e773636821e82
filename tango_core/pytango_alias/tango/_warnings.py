"""PyTango's ``tango._warnings`` answered by ``tango_core._warnings``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core._warnings")
