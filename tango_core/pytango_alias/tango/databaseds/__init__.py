"""PyTango's ``tango.databaseds`` answered by ``tango_core.databaseds``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.databaseds")
