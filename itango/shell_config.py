"""The IPython configuration that turns IPython into the itango shell.

Built in memory and handed to ``IPython.start_ipython(config=...)``: nothing is written to
the user's home (ITango 0.3.0 rewrote a profile and a kernelspec there at every start).
The profile in ``profiles/profile_tango`` holds the same settings for people who prefer
``ipython --profile=tango``.
"""

from __future__ import annotations

from traitlets.config import Config

__all__ = ["make_config"]


def make_config(terminal: bool = False, banner: str | None = None) -> Config:
    """Config loading the itango extension; ``terminal`` adds the fast-start terminal shell
    (whose banner the ``itango`` command supplies when it is shown) and ``banner``
    replaces IPython's banner text."""
    c = Config()
    c.InteractiveShellApp.extensions = ["itango"]
    if banner is not None:
        c.InteractiveShell.banner1 = banner
        c.InteractiveShell.banner2 = ""
    if terminal:
        c.TerminalIPythonApp.interactive_shell_class = "itango.startup.ItangoTerminalShell"
        c.TerminalIPythonApp.display_banner = True
        c.InteractiveShell.enable_tip = False  # our banner has its own "Try:" line
    return c
