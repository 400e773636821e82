"""The process-wide default green mode, alone (PyTango's ``get_green_mode``/``set_green_mode`` state).

Kept apart from :mod:`tango_core.client.green` (the executors and the call machinery) so that a
device server, which asks for the default mode when it starts, does not import the client's
call plans, futures and executors for it.
"""

from __future__ import annotations

import os

from ..idl.enums import GreenMode

__all__ = ["get_green_mode", "store_green_mode"]


def _mode_from_env() -> GreenMode:
    try:
        return GreenMode[os.environ["PYTANGO_GREEN_MODE"].capitalize()]
    except (KeyError, AttributeError):
        return GreenMode.Synchronous


_mode: GreenMode | None = _mode_from_env()


def get_green_mode() -> GreenMode | None:
    """The process-wide default green mode."""
    return _mode


def store_green_mode(green_mode: GreenMode | None) -> None:
    """Make ``green_mode`` the default (``client.green.set_green_mode`` checks it first)."""
    global _mode
    _mode = green_mode
