"""``python -m tango.databaseds.database [--host H] [--port N] [--logging_level N] INSTANCE``:
PyTango's database server command, served by tango_core's (``tango_core.databaseds``)."""

import sys

from tango_core.pytango_alias import reexport

reexport(__name__, "tango_core.databaseds.server")

if __name__ == "__main__":
    from tango_core.databaseds.server import main

    sys.exit(main())
