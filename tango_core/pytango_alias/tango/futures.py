"""PyTango's ``tango.futures`` answered by ``tango_core.futures``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.futures")
