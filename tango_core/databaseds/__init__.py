"""The Tango database server on sqlite: ``python -m tango_core.databaseds``.

Layers: store.py (the sqlite file), schema.py (our tables), properties.py (property storage),
the command handlers (devices.py, property_commands.py, queries.py) gathered by commands.py
into :class:`~tango_core.databaseds.commands.DatabaseCommands` (argin -> argout, no network),
and the DataBase device that serves them over GIOP.  See docs/databaseds.md.
"""
