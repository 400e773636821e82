"""PyTango's ``tango.utils`` answered by ``tango_core.utils``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.utils")
