"""Run a device-server file written for PyTango on tango_core instead (a test launcher).

    python tests/servers/on_tango_core.py path/to/Server.py ExecName instance [options...]

``import tango`` / ``from tango.server import ...`` in the file get tango_core's modules, so one
device-class source serves both implementations and tests compare what clients see.  The real
PyTango is never imported in this process.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import runpy
import sys

import tango_core
import tango_core.server


class _Alias:
    """``import tango.X`` gives ``tango_core.X``, imported only when asked for (start-up time)."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith("tango.") and name.split(".")[0] == "tango":
            return importlib.machinery.ModuleSpec(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("tango_core" + spec.name[len("tango"):])

    def exec_module(self, module):
        pass


sys.modules["tango"] = tango_core
sys.modules["tango.server"] = tango_core.server
sys.meta_path.insert(0, _Alias())

if __name__ == "__main__":
    path = sys.argv.pop(1)
    sys.argv[0] = sys.argv.pop(1)
    runpy.run_path(path, run_name="__main__")
