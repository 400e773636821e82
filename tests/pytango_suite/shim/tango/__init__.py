"""``tango`` meaning tango_core: PyTango's module names, each answered by tango_core's own.

Put the directory holding this package first on PYTHONPATH and ``import tango`` (in the test
process and in every subprocess it starts) gives tango_core: ``tango.DeviceProxy`` IS
``tango_core.DeviceProxy``.  Used to run PyTango 10.3.1's own test suite against tango_core
(tests/pytango_suite/); not part of tango_core.  What is deliberately absent: _shim.ABSENT.
"""

from tango._shim import reexport

reexport(__name__, "tango_core")
