"""Run a device-server file written for PyTango on tango_core instead (a test launcher).

    python tests/servers/on_tango_core.py path/to/Server.py ExecName instance [options...]

``import tango`` / ``from tango.server import ...`` in the file get tango_core's modules, so one
device-class source serves both implementations and tests compare what clients see.  The real
PyTango is never imported in this process.
"""

from __future__ import annotations

import runpy
import sys

import tango_core
import tango_core.server
import tango_core.test_context

sys.modules["tango"] = tango_core
sys.modules["tango.server"] = tango_core.server
sys.modules["tango.test_context"] = tango_core.test_context
tango_core.server = tango_core.server  # attribute access tango.server works too

if __name__ == "__main__":
    path = sys.argv.pop(1)
    sys.argv[0] = sys.argv.pop(1)
    runpy.run_path(path, run_name="__main__")
