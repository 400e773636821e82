"""In-process IPython shells for the shell tests, and undoing a %switchdb between tests."""

from __future__ import annotations

import os
from typing import Any


def make_shell() -> Any:
    """A fresh non-terminal IPython shell with in-memory history and no colours."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    # at construction: IPython 8 (the one Python 3.10 gets) colours tracebacks with the scheme
    # the shell was built with, a later ``shell.colors = ...`` leaves them in colour
    config.InteractiveShell.colors = "nocolor"
    return InteractiveShell(config=config)


def reset_default_database(host: str) -> None:
    """Undo a %switchdb: default database back to ``host`` (process-wide state)."""
    import tango_core

    tango_core.set_default_tango_host(None)
    os.environ["TANGO_HOST"] = host
