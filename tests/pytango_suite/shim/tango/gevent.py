"""PyTango's ``tango.gevent`` answered by ``tango_core.gevent``."""

from tango._shim import reexport

reexport(__name__, "tango_core.gevent")
