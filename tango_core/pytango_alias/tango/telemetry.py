"""PyTango's ``tango.telemetry``: tango_core has no such module (see tango_core.pytango_alias.ABSENT for the names PyTango's tests import)."""

from tango_core.pytango_alias import reexport

reexport(__name__)
