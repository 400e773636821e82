"""PyTango's ``tango.gevent`` answered by ``tango_core.gevent``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.gevent")
