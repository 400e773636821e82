"""``python -m tango_core.databaseds [instance] [--port N] [--host H] [--db-file PATH]``"""

import sys

from .server import main

sys.exit(main())
