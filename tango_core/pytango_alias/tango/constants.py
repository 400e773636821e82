"""PyTango's ``tango.constants`` answered by ``tango_core.constants``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.constants")
