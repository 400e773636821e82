"""PyTango's ``tango.pyutil`` answered by ``tango_core.server.runtime`` (Util),
``tango_core.server.polling`` (TimedAttrData, TimedCmdData) and ``tango_core.server.command_line``
(parse_args)."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.server.runtime", "tango_core.server.polling", "tango_core.server.command_line")
