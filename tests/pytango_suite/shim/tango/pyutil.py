"""PyTango's ``tango.pyutil`` answered by ``tango_core.server.runtime`` (Util) and ``tango_core.server.polling`` (TimedAttrData, TimedCmdData)."""

from tango._shim import reexport

reexport(__name__, "tango_core.server.runtime", "tango_core.server.polling")
