"""Warnings given once per process (PyTango's ``tango._warnings``, same private name).

Deprecation notices (``subscribe_event(..., stateless=...)`` and the like) are given the first
time a script meets them, not on every call. PyTango keeps the keys already warned about in
``_already_warned_keys``; test suites written for PyTango clear that set to see a warning again,
so the set keeps its name here.
"""

from __future__ import annotations

from tango_core.client.constants import PyTangoUserWarning
from tango_core.client.warn_once import _already_warned_keys, warn_once

__all__ = ["PyTangoUserWarning", "warn_once", "_already_warned_keys"]
