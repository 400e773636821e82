"""itango: an interactive IPython shell for Tango Controls, on tango_core.

As an IPython extension: ``%load_ext itango`` (or ``c.InteractiveShellApp.extensions =
["itango"]``).  As a program: ``itango`` or ``python -m itango`` (see itango.cli).

Importing this package is cheap on purpose (it is the first thing ``itango`` does): the
shell machinery is imported when the extension loads.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.4.0"
__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension", "load_config",
           "run", "run_qt"]


def load_ipython_extension(ipython: Any) -> None:
    """IPython calls this on ``%load_ext itango``."""
    from .extension import load
    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """IPython calls this on ``%unload_ext itango`` and ``%reload_ext itango``."""
    from .extension import unload
    unload(ipython)


# -- ITango 0.3.0's entry points, kept for profiles, kernelspecs and scripts made with it -------

def load_config(config: Any) -> None:
    """Make an IPython config an itango one (what ITango 0.3.0's generated
    ``profile_tango/ipython_config.py`` calls): load the extension, no IPython tip."""
    extensions = list(config.InteractiveShellApp.get("extensions", []))
    if "itango" not in extensions:
        extensions.append("itango")
    config.InteractiveShellApp.extensions = extensions
    config.InteractiveShell.enable_tip = False


def run(qt: bool = False) -> int:
    """ITango 0.3.0's console-script function: the ``itango`` command (``qt=True``: the Qt
    console)."""
    if qt:
        return run_qt()
    from .cli import main
    return main()


def run_qt() -> int:
    """ITango 0.3.0's ``itango-qt``: the Qt console on an itango kernel."""
    import sys

    from .cli import main
    return main(["qtconsole", *sys.argv[1:]])
