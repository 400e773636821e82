"""Warnings given once per process (PyTango's ``tango._warnings``, same private name).

Deprecation notices (``subscribe_event(..., stateless=...)`` and the like) are given the first
time a script meets them, not on every call. PyTango keeps the keys already warned about in
``_already_warned_keys``; test suites written for PyTango clear that set to see a warning again,
so the set keeps its name here.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable

from tango_core.client.constants import PyTangoUserWarning

__all__ = ["PyTangoUserWarning", "warn_once"]

_already_warned_keys: set[Hashable] = set()


def warn_once(message: str, key: Hashable, category: type[Warning] = Warning, stacklevel: int = 1) -> bool:
    """Warn unless ``key`` was warned about before; True if this call warned."""
    if key in _already_warned_keys:
        return False
    _already_warned_keys.add(key)
    warnings.warn(message, category=category, stacklevel=stacklevel + 1)
    return True
