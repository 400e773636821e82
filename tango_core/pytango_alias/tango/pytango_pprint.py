"""PyTango's ``tango.pytango_pprint`` answered by ``tango_core.pytango_pprint``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.pytango_pprint")
