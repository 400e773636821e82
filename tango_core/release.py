"""``tango_core.Release``: PyTango's release record, describing the API level tango_core mirrors.

Code written for PyTango reads ``tango.Release.version`` (ITango's profile installer does) or calls
``tango.utils.requires_pytango``; both see the PyTango version whose names and semantics tango_core
follows. tango_core's own version is ``tango_core.__version__``.
"""

from __future__ import annotations

__all__ = ["Release"]


class Release:
    """Release information (PyTango's ``tango.Release`` fields)."""

    name = "tango_core"
    version_info = (10, 3, 1, "final", 0)
    version = "10.3.1"
    version_number = 1031
    version_long = "10.3.1"
    version_description = "pure-Python client with PyTango 10.3.1's API"
    release = "final"
    description = "A pure-Python Tango Controls client with PyTango's public API"
    long_description = description
    license = "LGPL-3.0-or-later"
    authors = {"itango developers": ("itango developers", "")}
    author_lines = "itango developers"
    url = ""
    download_url = ""
    platform = ["Linux"]
    keywords = ["Tango", "CORBA", "Python"]
    separator = "." * 80
