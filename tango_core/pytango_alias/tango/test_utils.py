"""PyTango's ``tango.test_utils`` answered by ``tango_core.test_utils``."""

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.test_utils")
