"""PyTango's ``tango.log4tango`` answered by ``tango_core.server.device_logging``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.server.device_logging")
