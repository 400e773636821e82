"""``python -m itango``: the same as the ``itango`` command."""

import sys

from itango.cli import main

sys.exit(main())
