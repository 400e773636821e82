"""PyTango's ``tango.futures_executor`` answered by ``tango_core.client.green``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.client.green")
