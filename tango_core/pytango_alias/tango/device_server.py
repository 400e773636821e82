"""PyTango's ``tango.device_server`` answered by ``tango_core.server.device``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.server.device")
