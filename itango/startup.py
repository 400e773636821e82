"""What makes ``itango`` reach its first prompt quickly.

Measured on IPython 9: most of the time to the first prompt is importing IPython and
prompt_toolkit (unavoidable), then ~45 ms compiling pygments' Python lexer to colour an
*empty* input line, and ~100 ms importing tango_core (numpy).  So ``itango``:

* draws the first prompt with a lexer that leaves empty input alone (nothing to colour) and
  compiles the real lexer in the background right after (:func:`warm_up_lexer`);
* imports tango_core after the first prompt is drawn (see ``ShellSession.start``); the
  first cell waits for it if the user is faster than ~0.1 s;
* runs the start-up with Python's cyclic garbage collector paused (the command pauses it
  before importing IPython): start-up allocates hundreds of thousands of objects that all
  live on, so the collections only cost time (~7 % of the imports).  It is resumed, after
  ``gc.freeze()`` moved those objects out of its way, when the first prompt is drawn or
  before any code runs, whichever comes first.

Only the ``itango`` command asks for this (:func:`request_fast_start`); ``%load_ext
itango`` in a running shell loads everything at once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from IPython.terminal.interactiveshell import TerminalInteractiveShell
from prompt_toolkit.lexers import Lexer

__all__ = ["request_fast_start", "take_fast_start", "FastStartLexer", "ItangoTerminalShell",
           "warm_up_lexer"]

_fast_start: dict | None = None
_banner_factory: Callable[[], str] | None = None
_gc_paused = False


def resume_gc(*_: Any) -> None:
    """Resume the garbage collector paused by the ``itango`` command (idempotent)."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


def request_fast_start(*, banner: Callable[[], str] | None = None,
                       unreachable_announced: Callable[[], bool] = lambda: False,
                       gc_paused: bool = False,
                       wait_servers: Callable[[float], str | None] | None = None) -> None:
    """Called by the ``itango`` command before IPython starts.

    ``banner`` makes the banner text when it is shown (not when IPython is configured), so
    the command can check the database while IPython is being imported.
    ``unreachable_announced()``: whether the banner said that no database answers, so that
    the background load does not say it again.  ``gc_paused``: the command disabled the
    garbage collector; :func:`resume_gc` turns it back on.  ``wait_servers(timeout)``: the
    device servers started with the shell (``--demo``) serve -- None, or what went wrong; the
    device list and the first cell wait for it (see ``ShellSession.wait_servers``).
    """
    global _fast_start, _banner_factory, _gc_paused
    _fast_start = {"unreachable_announced": unreachable_announced, "wait_servers": wait_servers}
    _banner_factory = banner
    _gc_paused = gc_paused


def take_fast_start() -> dict | None:
    """The request of :func:`request_fast_start`, once (for the extension load that follows)."""
    global _fast_start
    wanted, _fast_start = _fast_start, None
    return wanted


def _no_tokens(lineno: int) -> list:
    return []


class FastStartLexer(Lexer):
    """IPython's lexer, except that blank input is not lexed at all."""

    def __init__(self, lexer: Lexer):
        self.lexer = lexer

    def lex_document(self, document: Any) -> Any:
        if not document.text.strip():
            return _no_tokens
        return self.lexer.lex_document(document)

    def invalidation_hash(self) -> Any:
        return self.lexer.invalidation_hash()


def warm_up_lexer() -> None:
    """Compile the Python lexer now (a background thread), not at the first keystroke."""
    try:
        from prompt_toolkit.document import Document
        from IPython.terminal.ptutils import IPythonPTLexer
        IPythonPTLexer().lex_document(Document("x = 1"))(0)
    except Exception:
        pass


class ItangoTerminalShell(TerminalInteractiveShell):
    """The terminal shell of the ``itango`` command (IPython's, with the fast-start lexer)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # the garbage collector comes back at the first prompt, or before any code runs
        self.events.register("pre_run_cell", resume_gc)
        app = getattr(self.pt_app, "app", None)
        if app is not None:
            app.after_render.add_handler(resume_gc)
        else:
            resume_gc()

    # scripts and modules given on the command line do not go through run_cell
    def safe_execfile(self, *args: Any, **kwargs: Any) -> Any:
        resume_gc()
        return super().safe_execfile(*args, **kwargs)

    def safe_execfile_ipy(self, *args: Any, **kwargs: Any) -> Any:
        resume_gc()
        return super().safe_execfile_ipy(*args, **kwargs)

    def safe_run_module(self, *args: Any, **kwargs: Any) -> Any:
        resume_gc()
        return super().safe_run_module(*args, **kwargs)

    def show_banner(self, banner: Any = None) -> None:
        if banner is None and _banner_factory is not None:
            banner = _banner_factory()
        super().show_banner(banner)

    def _extra_prompt_options(self) -> dict:
        options = super()._extra_prompt_options()
        lexer = options.get("lexer")
        if lexer is not None and not isinstance(lexer, FastStartLexer):
            options["lexer"] = FastStartLexer(lexer)
        return options
