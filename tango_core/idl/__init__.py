"""The Tango IDL in Python: enums, exceptions and structs with their CDR layouts.

Uses only :mod:`tango_core.wire`. Import the submodules directly
(``tango_core.idl.enums``, ``.errors``, ``.types``, ``.command_any``).
"""
