"""PyTango's ``tango.telemetry``: tango_core has no such module (see _shim.ABSENT for the names tests import)."""

from tango._shim import reexport

reexport(__name__)
