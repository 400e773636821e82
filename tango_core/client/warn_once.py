"""Warnings given once per process (see ``tango_core._warnings``, PyTango's ``tango._warnings``).

Here, below the public module, so that the client layer warns with the same record of keys
already warned about."""

from __future__ import annotations

import warnings
from collections.abc import Hashable

__all__ = ["warn_once"]

_already_warned_keys: set[Hashable] = set()


def warn_once(message: str, key: Hashable, category: type[Warning] = Warning, stacklevel: int = 1) -> bool:
    """Warn unless ``key`` was warned about before; True if this call warned."""
    if key in _already_warned_keys:
        return False
    _already_warned_keys.add(key)
    warnings.warn(message, category=category, stacklevel=stacklevel + 1)
    return True
