"""``import PyTango``: PyTango's old module name, kept by PyTango 10 for old scripts, here too.

As in PyTango 10, ``PyTango`` IS the ``tango`` module (tango_core's, from this directory), and
``PyTango.<sub>`` is ``tango.<sub>`` (``PyTango.server`` is ``tango.server``, the same module
object); ``PyTango._PyTango`` is ``tango._tango``.  PyTango imports every submodule at once to
alias it; here a finder aliases each on its first import, so ``import PyTango`` costs what
``import tango`` costs.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

#: old submodule names that are not ``tango.<same name>``
_RENAMED = {"_PyTango": "_tango"}


class _SubmoduleAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``PyTango.x`` as the module ``tango.x`` itself (no second copy of it)."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("PyTango."):
            return None
        head, _, rest = fullname[len("PyTango."):].partition(".")
        real = "tango." + ".".join(filter(None, (_RENAMED.get(head, head), rest)))
        try:
            if importlib.util.find_spec(real) is None:
                return None
        except ModuleNotFoundError:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=real)

    def create_module(self, spec):
        module = importlib.import_module(spec.origin)
        spec.loader_state = module.__spec__  # put back by exec_module: it stays tango's module
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state


def _become_tango() -> None:
    """Make ``PyTango`` the ``tango`` module of this directory (found first, as is this package)."""
    tango = importlib.import_module("tango")
    if not any(isinstance(finder, _SubmoduleAlias) for finder in sys.meta_path):
        # first: ``PyTango`` is ``tango``, whose directory the path finder would otherwise load
        # ``PyTango.x`` from a second time, as a copy of ``tango.x``
        sys.meta_path.insert(0, _SubmoduleAlias())
    tango._PyTango = sys.modules["PyTango._PyTango"] = importlib.import_module("tango._tango")
    sys.modules["PyTango"] = tango


if __name__ == "PyTango":  # (not when a tool imports it as tango_core.pytango_alias.PyTango)
    _become_tango()
