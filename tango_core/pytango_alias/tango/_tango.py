"""PyTango's C++ extension module ``tango._tango``: here the names it holds come from tango_core
(``from tango._tango import GroupReply`` ...); C++-only ones are in tango_core.pytango_alias.ABSENT."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core")
