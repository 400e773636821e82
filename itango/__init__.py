"""itango: an interactive IPython shell for Tango Controls, on tango_core.

As an IPython extension: ``%load_ext itango`` (or ``c.InteractiveShellApp.extensions =
["itango"]``).  As a program: ``itango`` or ``python -m itango`` (see itango.cli).

Importing this package is cheap on purpose (it is the first thing ``itango`` does): the
shell machinery is imported when the extension loads.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """IPython calls this on ``%load_ext itango``."""
    from .extension import load
    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """IPython calls this on ``%unload_ext itango`` and ``%reload_ext itango``."""
    from .extension import unload
    unload(ipython)
